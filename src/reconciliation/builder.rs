//! The month's lines and totals (domain.md §5, manual §12), pure: one line per licence the
//! partner registered in the month — connections, renewals, and extensions under them
//! (CryptoPro its own non-primary, non-revocable line) — each priced by the calculator's
//! `pricing::quote` with its explanation kept on the line. Group members are priced by
//! the tier of the group's active members on the month's last day; below three, at the
//! nominal price. An edit made in the reconciliation re-prices its line here and reaches
//! the licence only when the reconciliation is approved.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::entities::licence;
use crate::money::Money;
use crate::tariffs::licence::LicenceState;
use crate::tariffs::pricing::{self, Catalog, QuoteRequest};

/// The months as the UI names them.
pub const MONTHS: [&str; 12] = [
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
];

/// A calendar month, `yyyy-mm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    first: NaiveDate,
}

impl Period {
    /// # Errors
    /// Not a `yyyy-mm` month between 2000 and 2100.
    pub fn parse(s: &str) -> Result<Period, String> {
        let bad = || "период: месяц в виде ГГГГ-ММ".to_owned();
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) {
            return Err(bad());
        }
        NaiveDate::from_ymd_opt(year, month, 1)
            .map(|first| Period { first })
            .ok_or_else(bad)
    }

    /// The month holding `day`.
    pub fn of(day: NaiveDate) -> Period {
        Period {
            first: day.with_day(1).unwrap_or(day),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        self.first
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first - chrono::Duration::days(1)
    }

    pub fn next(self) -> Period {
        Period {
            first: self.first + Months::new(1),
        }
    }

    pub fn previous(self) -> Period {
        Period {
            first: self.first - Months::new(1),
        }
    }

    /// «ноябрь 2026».
    pub fn title_ru(self) -> String {
        format!(
            "{} {}",
            MONTHS[self.first.month0() as usize],
            self.first.year()
        )
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.first.format("%Y-%m"))
    }
}

/// What a line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Licence,
    Cryptopro,
    CaService,
    /// A correction of an approved month: the reversal of a line whose licence was
    /// revoked after that month's approval, in the month of the revocation.
    Adjustment,
}

impl LineKind {
    pub fn of(l: &licence::Model) -> LineKind {
        match (l.kind.as_str(), l.tariff_code.as_str()) {
            ("tariff", _) => LineKind::Licence,
            (_, "cryptopro") => LineKind::Cryptopro,
            _ => LineKind::CaService,
        }
    }
}

/// The subscriber a line is for, as the line shows it and the quote needs it.
#[derive(Debug, Clone, Default)]
pub struct Holder {
    pub inn: String,
    pub kpp: Option<String>,
    pub name: String,
    pub region_code: String,
    pub legal_form: String,
    /// The product account's GUID and ITS login.
    pub guid: Option<String>,
    pub its_login: Option<String>,
}

/// An edit made in the reconciliation, with what pricing it needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edit {
    pub tariff_code: Option<String>,
    pub special_offer_number: Option<String>,
    /// The offer the number names and the day it was registered.
    pub offer: Option<(String, NaiveDate)>,
}

/// One licence of the month with everything its line needs.
#[derive(Debug, Clone)]
pub struct LineInput {
    pub licence: licence::Model,
    pub holder: Holder,
    /// The subscriber's company group and its active members on the month's last day.
    pub group: Option<(i64, u32)>,
    pub edit: Option<Edit>,
    /// The offer of the licence's own special-offer number and its registration day.
    pub offer: Option<(String, NaiveDate)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub id: i64,
    pub licence_id: i64,
    pub subscriber_id: i64,
    pub inn: String,
    pub kpp: Option<String>,
    pub name: String,
    pub guid: Option<String>,
    pub registered_on: Option<NaiveDate>,
    pub its_login: Option<String>,
    pub tariff_code: String,
    pub tariff_name: String,
    pub zone: i16,
    pub primary: bool,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub cost: Money,
    pub sales_center_share: Money,
    pub special_offer_number: Option<String>,
    pub company_group_id: Option<i64>,
    pub kind: LineKind,
    pub revoked: bool,
    pub revocable: bool,
    /// An edit made in this reconciliation changed the tariff or the offer.
    pub edited: bool,
    /// How the cost was arrived at, line by line.
    pub explanation: Vec<String>,
    /// For an adjustment: the approved month (`yyyy-mm`) it corrects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjusts: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub cost: Money,
    pub sales_center_share: Money,
    /// cost − sales-center share over all lines.
    pub transfer_to_operator: Money,
    /// The part of the transfer for the certification authority's services.
    pub transfer_ca_services: Money,
    /// The part of the transfer for CryptoPro licences.
    pub transfer_cryptopro: Money,
}

impl Totals {
    pub fn of(lines: &[Line]) -> Totals {
        let mut t = Totals::default();
        for l in lines.iter().filter(|l| !l.revoked) {
            let transfer = l.cost - l.sales_center_share;
            t.cost = t.cost + l.cost;
            t.sales_center_share = t.sales_center_share + l.sales_center_share;
            t.transfer_to_operator = t.transfer_to_operator + transfer;
            match l.kind {
                LineKind::CaService => t.transfer_ca_services = t.transfer_ca_services + transfer,
                LineKind::Cryptopro => t.transfer_cryptopro = t.transfer_cryptopro + transfer,
                LineKind::Licence | LineKind::Adjustment => {}
            }
        }
        t
    }

    /// With the authorized representatives' tab: its cost and share count like a line's.
    #[must_use]
    pub fn with_up(mut self, up: &[super::up::UpLine]) -> Totals {
        for l in up {
            self.cost = self.cost + l.cost;
            self.sales_center_share = self.sales_center_share + l.sales_center_share;
            self.transfer_to_operator = self.transfer_to_operator + (l.cost - l.sales_center_share);
        }
        self
    }

    /// The sum of several partners' totals (the sales center's «Общий итог»).
    pub fn sum<'a>(all: impl IntoIterator<Item = &'a Totals>) -> Totals {
        all.into_iter().fold(Totals::default(), |a, t| Totals {
            cost: a.cost + t.cost,
            sales_center_share: a.sales_center_share + t.sales_center_share,
            transfer_to_operator: a.transfer_to_operator + t.transfer_to_operator,
            transfer_ca_services: a.transfer_ca_services + t.transfer_ca_services,
            transfer_cryptopro: a.transfer_cryptopro + t.transfer_cryptopro,
        })
    }
}

/// The day an offer is priced on: the line's, or — for a number registered later and
/// applied in the reconciliation — the day the number became usable.
pub fn offer_date(line_day: NaiveDate, registered: NaiveDate) -> NaiveDate {
    line_day.max(registered + chrono::Duration::days(1))
}

/// Paid tariffs a group's tier replaces (free and special tariffs keep their price).
fn group_priced(item: &str) -> bool {
    matches!(item, "paid_licence" | "basic_1y" | "basic_sole_trader")
}

/// Quotes already made for this build: lines with the same inputs share one (a month of
/// 10 000 lines holds a few dozen distinct quotes).
pub type Quotes = std::collections::HashMap<String, Result<pricing::Quote, pricing::Refusal>>;

fn quote_key(r: &QuoteRequest) -> String {
    format!(
        "{}|{}|{:?}|{}|{:?}|{:?}|{:?}|{:?}",
        r.item,
        r.date,
        r.zone,
        r.primary,
        r.region_code,
        r.legal_form,
        r.special_offer_registered_on,
        r.active_members
    )
}

/// The line of one licence.
pub fn line(input: &LineInput, catalog: &Catalog<'_>) -> Line {
    line_with(input, catalog, &mut Quotes::new())
}

fn line_with(input: &LineInput, catalog: &Catalog<'_>, quotes: &mut Quotes) -> Line {
    let l = &input.licence;
    let kind = LineKind::of(l);
    let edit = input.edit.as_ref();
    let offer = edit
        .and_then(|e| e.offer.clone())
        .or_else(|| input.offer.clone());
    // An offer applied in the reconciliation, else a tariff chosen in it, else the
    // licence's own.
    let mut item = edit
        .and_then(|e| e.offer.as_ref().map(|(code, _)| code.clone()))
        .or_else(|| edit.and_then(|e| e.tariff_code.clone()))
        .unwrap_or_else(|| l.tariff_code.clone());
    let below_threshold = kind == LineKind::Licence
        && group_priced(&item)
        && input.group.is_some_and(|(_, active)| active < 3);
    let mut members = None;
    if kind == LineKind::Licence
        && let Some((_, active)) = input.group
        && group_priced(&item)
        && let Some(tier) = pricing::group_tier(active)
    {
        item = tier.to_owned();
        members = Some(active);
    }
    let line_day = l.registered_on.unwrap_or(l.starts_on);
    let date = match &offer {
        Some((_, registered)) => offer_date(line_day, *registered),
        None => line_day,
    };
    let request = QuoteRequest {
        item: item.clone(),
        date,
        zone: Some(l.zone),
        primary: l.is_primary || item == "right_choice",
        organisations: 1,
        apply_promotions: true,
        region_code: Some(input.holder.region_code.clone()),
        legal_form: Some(input.holder.legal_form.clone()),
        special_offer_registered_on: offer.as_ref().map(|(_, on)| *on),
        active_members: members,
        // The tariff's own rules were decided when it was sold or edited (with the
        // partner's facts); here the line is only priced.
        previous_bonus_ended: Some(true),
        current_subscribers: Some(u32::MAX),
        ..QuoteRequest::default()
    };
    let quoted = quotes
        .entry(quote_key(&request))
        .or_insert_with(|| pricing::quote(&request, catalog))
        .clone();
    let (tariff_code, tariff_name, cost, share, explanation) = match quoted {
        Ok(q) => {
            let mut why = q.explanation;
            if let Some(m) = members {
                why.push(format!(
                    "Группа компаний: {m} активных участников на последний день месяца"
                ));
            }
            if below_threshold {
                why.push(
                        "Группа компаний: меньше трёх активных участников на конец месяца — номинальная цена"
                            .to_owned(),
                    );
            }
            (q.item, q.name, q.total, q.sales_center_share, why)
        }
        // A tariff the catalog no longer prices: the licence's own record stands.
        Err(r) => (
            l.tariff_code.clone(),
            l.tariff_name.clone(),
            l.cost,
            l.sales_center_share,
            vec![format!(
                "Цена по данным лицензии ({})",
                crate::refusals::sentence(&r.message)
            )],
        ),
    };
    Line {
        id: l.id,
        licence_id: l.id,
        subscriber_id: l.subscriber_id,
        inn: input.holder.inn.clone(),
        kpp: input.holder.kpp.clone(),
        name: input.holder.name.clone(),
        guid: input.holder.guid.clone(),
        registered_on: l.registered_on,
        its_login: input.holder.its_login.clone(),
        tariff_code,
        tariff_name,
        zone: l.zone,
        primary: l.is_primary && kind == LineKind::Licence,
        starts_on: l.starts_on,
        ends_on: l.ends_on,
        cost,
        sales_center_share: share,
        special_offer_number: edit
            .and_then(|e| e.special_offer_number.clone())
            .or_else(|| l.special_offer_number.clone()),
        company_group_id: input.group.map(|(g, _)| g),
        kind,
        revoked: l.state == LicenceState::Revoked,
        revocable: l.revocable && kind == LineKind::Licence,
        edited: edit.is_some(),
        explanation,
        adjusts: None,
    }
}

/// The correction of `approved` — a line of the approved month `of` whose licence was
/// revoked on `revoked_on`, after that approval: the same line with its cost and share
/// reversed, in the month of the revocation. The approved month itself never changes.
pub fn adjustment(approved: &Line, of: Period, revoked_on: NaiveDate) -> Line {
    Line {
        kind: LineKind::Adjustment,
        cost: Money::ZERO - approved.cost,
        sales_center_share: Money::ZERO - approved.sales_center_share,
        revoked: false,
        revocable: false,
        edited: false,
        adjusts: Some(of.to_string()),
        explanation: vec![format!(
            "Корректировка сверки за {}: лицензия отозвана {} после одобрения — стоимость {} и отчисления ЦП {} сторнируются",
            of.title_ru(),
            revoked_on.format("%d.%m.%Y"),
            approved.cost.ru(),
            approved.sales_center_share.ru()
        )],
        ..approved.clone()
    }
}

/// Every line of the month, each extension right under its licence, the corrections of
/// approved months after them, and the totals.
pub fn build(
    inputs: &[LineInput],
    adjustments: Vec<Line>,
    catalog: &Catalog<'_>,
) -> (Vec<Line>, Totals) {
    let mut quotes = Quotes::new();
    let mut lines: Vec<Line> = inputs
        .iter()
        .map(|i| line_with(i, catalog, &mut quotes))
        .collect();
    // Licences by registration, the subscriber's extensions after its licence.
    lines.sort_by(|a, b| {
        (
            a.registered_on,
            a.subscriber_id,
            a.kind != LineKind::Licence,
            a.id,
        )
            .cmp(&(
                b.registered_on,
                b.subscriber_id,
                b.kind != LineKind::Licence,
                b.id,
            ))
    });
    lines.extend(adjustments);
    let totals = Totals::of(&lines);
    (lines, totals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::{special_offer, tariff};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn row(code: &str, kind: &str, zone: i16, primary: &str, share: &str) -> tariff::Model {
        tariff::Model {
            id: 0,
            code: code.into(),
            name: code.into(),
            kind: kind.into(),
            zone,
            term_months: 12,
            primary_price: money(primary),
            renewal_price: money(primary),
            sales_center_share: money(share),
            renewal_sales_center_share: money(share),
            revocable: kind == "tariff",
            valid_from: d("2020-01-01"),
            valid_to: None,
        }
    }

    fn licence(id: i64, code: &str, kind: &str, zone: i16) -> licence::Model {
        licence::Model {
            id,
            version: 0,
            subscriber_id: id,
            product_account_id: None,
            tariff_code: code.into(),
            tariff_name: code.into(),
            kind: kind.into(),
            zone,
            is_primary: kind == "tariff",
            state: LicenceState::Registered,
            starts_on: d("2025-03-10"),
            ends_on: d("2026-03-10"),
            cost: Money::ZERO,
            sales_center_share: Money::ZERO,
            revocable: kind == "tariff",
            approved_in_reconciliation: false,
            connection_option: None,
            application_id: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            registered_on: Some(d("2025-03-10")),
            special_offer_number: None,
        }
    }

    fn input(l: licence::Model, group: Option<(i64, u32)>) -> LineInput {
        LineInput {
            licence: l,
            holder: Holder {
                region_code: "40".into(),
                legal_form: "legal_entity".into(),
                ..Holder::default()
            },
            group,
            edit: None,
            offer: None,
        }
    }

    fn catalog() -> Vec<tariff::Model> {
        vec![
            row("paid_licence", "tariff", 2, "4900.00", "2450.00"),
            row("paid_licence", "tariff", 3, "5900.00", "2950.00"),
            row("right_choice", "tariff", 2, "1200.00", "600.00"),
            row("its", "tariff", 2, "0.00", "0.00"),
            row("group_3_5", "tariff", 2, "4400.00", "2200.00"),
            row("cryptopro", "extension", 3, "590.00", "490.00"),
        ]
    }

    fn build_of(inputs: &[LineInput]) -> (Vec<Line>, Totals) {
        let tariffs = catalog();
        let offers: Vec<special_offer::Model> = Vec::new();
        build(
            inputs,
            Vec::new(),
            &Catalog {
                tariffs: &tariffs,
                special_offers: &offers,
                promotions: &[],
            },
        )
    }

    fn money(s: &str) -> Money {
        Money::new(s.parse().unwrap())
    }

    /// Manual l.2115–2116, l.2141–2142, l.2327–2329 and domain.md §8.
    #[test]
    fn the_manuals_numbers() {
        let (lines, t) = build_of(&[input(licence(1, "paid_licence", "tariff", 2), None)]);
        assert_eq!(
            (lines[0].cost, lines[0].sales_center_share),
            (money("4900.00"), money("2450.00"))
        );
        assert_eq!(t.transfer_to_operator, money("2450.00"));

        let (_, t) = build_of(&[
            input(licence(1, "paid_licence", "tariff", 3), None),
            input(licence(1, "cryptopro", "extension", 3), None),
        ]);
        assert_eq!(
            (t.cost, t.sales_center_share),
            (money("6490.00"), money("3440.00"))
        );
        assert_eq!(t.transfer_cryptopro, money("100.00"));

        let (lines, _) = build_of(&[
            input(licence(1, "right_choice", "tariff", 2), None),
            input(licence(2, "its", "tariff", 2), None),
        ]);
        assert_eq!(
            (lines[0].cost, lines[0].sales_center_share),
            (money("1200.00"), money("600.00"))
        );
        assert_eq!(
            (lines[1].cost, lines[1].sales_center_share),
            (Money::ZERO, Money::ZERO)
        );
    }

    /// The extension is its own line, under its licence, never primary nor revocable.
    #[test]
    fn cryptopro_is_its_own_line_under_the_licence() {
        let (lines, _) = build_of(&[
            input(licence(1, "cryptopro", "extension", 3), None),
            input(licence(1, "paid_licence", "tariff", 3), None),
        ]);
        assert_eq!(lines[0].kind, LineKind::Licence);
        assert_eq!(lines[1].kind, LineKind::Cryptopro);
        assert!(!lines[1].primary && !lines[1].revocable);
    }

    /// Manual l.2130: below three active members on the month's last day the nominal
    /// price; from three, the tier's.
    #[test]
    fn group_members_take_the_tier_of_the_months_last_day() {
        let (lines, _) = build_of(&[input(licence(1, "paid_licence", "tariff", 2), Some((7, 1)))]);
        assert_eq!(lines[0].cost, money("4900.00"));
        assert!(
            lines[0]
                .explanation
                .iter()
                .any(|e| e.contains("номинальная"))
        );
        let (lines, _) = build_of(&[input(licence(1, "paid_licence", "tariff", 2), Some((7, 3)))]);
        assert_eq!(lines[0].tariff_code, "group_3_5");
        assert_eq!(lines[0].cost, money("4400.00"));
        // Free and special tariffs keep their price in a group.
        let (lines, _) = build_of(&[input(licence(1, "its", "tariff", 2), Some((7, 3)))]);
        assert_eq!(lines[0].cost, Money::ZERO);
    }

    /// A revoked line stays shown and counts nothing.
    #[test]
    fn a_revoked_line_counts_nothing() {
        let mut l = licence(1, "paid_licence", "tariff", 2);
        l.state = LicenceState::Revoked;
        let (lines, t) = build_of(&[input(l, None)]);
        assert!(lines[0].revoked);
        assert_eq!(t.cost, Money::ZERO);
    }

    /// A licence revoked after its month was approved: the approved line reversed in the
    /// month of the revocation, counted in that month's totals (a refund of 4 900 / 2 450).
    #[test]
    fn a_revocation_after_approval_is_reversed_by_an_adjustment() {
        let (approved, _) = build_of(&[input(licence(1, "paid_licence", "tariff", 2), None)]);
        let march = Period::parse("2025-03").unwrap();
        let fix = adjustment(&approved[0], march, d("2025-04-07"));
        assert_eq!(fix.kind, LineKind::Adjustment);
        assert_eq!(fix.adjusts.as_deref(), Some("2025-03"));
        assert!(
            fix.explanation[0].contains("март 2025") && fix.explanation[0].contains("07.04.2025")
        );
        let tariffs = catalog();
        let (lines, t) = build(
            &[input(licence(2, "right_choice", "tariff", 2), None)],
            vec![fix],
            &Catalog {
                tariffs: &tariffs,
                special_offers: &[],
                promotions: &[],
            },
        );
        assert_eq!(lines.last().unwrap().kind, LineKind::Adjustment);
        assert_eq!(t.cost, money("-3700.00"));
        assert_eq!(t.sales_center_share, money("-1850.00"));
        assert_eq!(t.transfer_to_operator, money("-1850.00"));
    }

    #[test]
    fn periods_parse_and_step() {
        let p = Period::parse("2025-03").unwrap();
        assert_eq!(p.last_day(), d("2025-03-31"));
        assert_eq!(p.next().to_string(), "2025-04");
        assert_eq!(
            Period::parse("2024-12").unwrap().next().to_string(),
            "2025-01"
        );
        assert_eq!(p.title_ru(), "март 2025");
        for bad in ["2025-13", "2025-3", "март", "1999-01", ""] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }
}
