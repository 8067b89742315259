//! The pricing engine (domain.md §4, the ЛК seeds): a pure function from the inputs, the
//! catalog and the date to a price with a line-by-line explanation. No database, no clock.
//!
//! `list_price` is the price before promotions, `total` after; a refused combination is a
//! [`Refusal`] naming the input at fault.

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::entities::{promotion, special_offer, tariff};
use crate::money::Money;

/// Free promo tariffs on which ЛК Базовый cannot be connected (LK announcement).
pub const LK_REFUSED_MAIN_TARIFFS: [&str; 3] =
    ["Промо Кадровые решения", "Промо ЕНС", "СФР Бесплатно"];

/// A partner may hold a new bonus licence only after the previous one ended and with at
/// least this many current subscribers (not on Промо, not the УП additional licence).
pub const BONUS_MIN_SUBSCRIBERS: u32 = 5;

#[derive(Debug, Clone, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// A catalog code or a special-offer code.
    pub item: String,
    /// The connection date.
    pub date: NaiveDate,
    #[serde(default)]
    pub zone: Option<i16>,
    #[serde(default = "yes")]
    pub primary: bool,
    #[serde(default = "one")]
    pub organisations: u32,
    #[serde(default = "yes")]
    pub apply_promotions: bool,
    // ЛК Базовый
    #[serde(default)]
    pub licence_end: Option<NaiveDate>,
    #[serde(default)]
    pub connect_date: Option<NaiveDate>,
    #[serde(default)]
    pub group_tariff: bool,
    #[serde(default)]
    pub main_tariff: Option<String>,
    // Верное решение
    #[serde(default)]
    pub previously_connected: bool,
    #[serde(default)]
    pub fns_directions: Option<u32>,
    #[serde(default)]
    pub in_group: bool,
    // Бонус
    #[serde(default)]
    pub bonus_held: bool,
    #[serde(default)]
    pub previous_bonus_ended: Option<bool>,
    #[serde(default)]
    pub current_subscribers: Option<u32>,
    // Специальные предложения
    #[serde(default)]
    pub region_code: Option<String>,
    #[serde(default)]
    pub special_offer_registered_on: Option<NaiveDate>,
    /// A permit number registered by the sales center: names the offer and its date.
    #[serde(default)]
    pub special_offer_number: Option<String>,
    // Основной для ИП, группы
    #[serde(default)]
    pub legal_form: Option<String>,
    #[serde(default)]
    pub active_members: Option<u32>,
}

fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuoteLine {
    pub label: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quote {
    pub item: String,
    pub name: String,
    pub list_price: Money,
    pub total: Money,
    pub sales_center_share: Money,
    pub operator_transfer: Money,
    pub lines: Vec<QuoteLine>,
    pub explanation: Vec<String>,
}

/// Why a quote is refused, naming the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Refusal {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        field,
        message: message.into(),
    }
}

/// Everything the engine reads.
pub struct Catalog<'a> {
    pub tariffs: &'a [tariff::Model],
    pub special_offers: &'a [special_offer::Model],
    pub promotions: &'a [promotion::Model],
}

fn valid_on(from: NaiveDate, to: Option<NaiveDate>, d: NaiveDate) -> bool {
    from <= d && to.is_none_or(|t| d <= t)
}

impl Catalog<'_> {
    fn tariff(&self, code: &str, zone: i16, on: NaiveDate) -> Option<&tariff::Model> {
        self.tariffs
            .iter()
            .find(|t| t.code == code && t.zone == zone && valid_on(t.valid_from, t.valid_to, on))
    }

    /// The name people know a tariff or offer by; a code the catalog lacks is not shown.
    pub fn name_of(&self, code: &str) -> String {
        self.tariffs
            .iter()
            .find(|t| t.code == code)
            .map(|t| t.name.clone())
            .or_else(|| {
                self.special_offers
                    .iter()
                    .find(|o| o.code == code)
                    .map(|o| o.name.clone())
            })
            .unwrap_or_else(|| "без названия (нет в каталоге)".to_owned())
    }
}

/// Whole months from `from` to `to`, rounded down (11.06 → 15.10 is 4; 17.06 → 15.10 is 3).
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut m = 0;
    while from
        .checked_add_months(Months::new(m + 1))
        .is_some_and(|d| d <= to)
    {
        m += 1;
    }
    m
}

/// `floor(months) × yearly / 12`, to the kopeck.
pub fn prorate(yearly: Money, months: u32) -> Money {
    Money::new(yearly.amount() * Decimal::from(months) / Decimal::from(12))
}

/// The group tariff of `members` active organisations (below three: none).
pub fn group_tier(members: u32) -> Option<&'static str> {
    Some(match members {
        0..=2 => return None,
        3..=5 => "group_3_5",
        6..=10 => "group_6_10",
        11..=15 => "group_11_15",
        16..=25 => "group_16_25",
        26..=50 => "group_26_50",
        51..=100 => "group_51_100",
        _ => "group_101_plus",
    })
}

/// Prices `req` against the catalog.
///
/// # Errors
/// A [`Refusal`] for a combination the rules do not allow.
pub fn quote(req: &QuoteRequest, cat: &Catalog) -> Result<Quote, Refusal> {
    if req.organisations == 0 || req.organisations > 10_000 {
        return Err(refuse("organisations", "от 1 до 10 000"));
    }
    let zone = req.zone.unwrap_or(1);
    if !(1..=3).contains(&zone) {
        return Err(refuse("zone", "тарифная зона 1, 2 или 3"));
    }
    let n = i64::from(req.organisations);

    // Special offers are priced from their own table.
    if let Some(offer) = cat.special_offers.iter().find(|o| o.code == req.item) {
        return special_offer(req, cat, offer, zone, n);
    }
    let mut explanation = Vec::new();
    let mut code = group_code(req, cat, &mut explanation)?;
    if code == "lk_basic" && req.group_tariff {
        code = "lk_basic_group".to_owned();
    }
    let t = cat.tariff(&code, zone, req.date).ok_or_else(|| {
        refuse(
            "item",
            format!(
                "в каталоге нет тарифа «{}» для зоны {zone} на {}",
                cat.name_of(&code),
                req.date.format("%d.%m.%Y")
            ),
        )
    })?;
    if matches!(code.as_str(), "lk_basic" | "lk_basic_group") {
        return lk_basic(req, cat, t, n);
    }
    explanation.extend(item_rules(&code, req)?);
    Ok(per_organisation(req, t, zone, n, explanation))
}

/// The catalog code a request is priced by: a group member's price follows the tier of
/// the group's active member count; a named tier must match that count.
fn group_code(
    req: &QuoteRequest,
    cat: &Catalog,
    explanation: &mut Vec<String>,
) -> Result<String, Refusal> {
    if req.item == "group" {
        let members = req
            .active_members
            .ok_or_else(|| refuse("active_members", "укажите число активных участников группы"))?;
        return Ok(match group_tier(members) {
            Some(tier) => {
                explanation.push(format!(
                    "Активных участников группы: {members} → тариф «{}»",
                    cat.name_of(tier)
                ));
                tier.to_owned()
            }
            None => {
                explanation.push(format!("Активных участников группы: {members} (меньше 3) → номинальная цена без скидки группы"));
                "paid_licence".to_owned()
            }
        });
    }
    if let Some(tier) = req.item.strip_prefix("group_")
        && let (Some(members), Some(expected)) =
            (req.active_members, req.active_members.and_then(group_tier))
        && expected != req.item
    {
        return Err(refuse(
            "active_members",
            format!(
                "{members} активных участников соответствуют тарифу «{}», а не «{}»",
                cat.name_of(expected),
                cat.name_of(&format!("group_{tier}"))
            ),
        ));
    }
    Ok(req.item.clone())
}

/// The rules of one tariff (§2.2–§2.8) and the line each adds to the explanation.
fn item_rules(code: &str, req: &QuoteRequest) -> Result<Option<String>, Refusal> {
    match code {
        "right_choice" => {
            if req.primary && req.previously_connected {
                return Err(refuse(
                    "previously_connected",
                    "«Верное решение» подключается только организациям, которые ещё не были подключены",
                ));
            }
            if req.fns_directions.is_some_and(|d| d != 1) {
                return Err(refuse(
                    "fns_directions",
                    "«Верное решение» — ровно одно направление ФНС",
                ));
            }
            if req.in_group {
                return Err(refuse(
                    "in_group",
                    "«Верное решение» недоступно участникам группы компаний",
                ));
            }
            Ok(Some(
                "Верное решение: одно направление ФНС, одинаковая цена во всех зонах".to_owned(),
            ))
        }
        "bonus" => bonus_rules(req).map(|()| None),
        "basic_sole_trader" => {
            if req
                .legal_form
                .as_deref()
                .is_some_and(|f| f != "sole_trader")
            {
                return Err(refuse(
                    "legal_form",
                    "«Основной для ИП» — только для индивидуальных предпринимателей",
                ));
            }
            Ok(Some("Основной для ИП: все направления".to_owned()))
        }
        "cryptopro" => Ok(Some(
            "Расширение КриптоПро CSP в составе сертификата не может быть отозвано".to_owned(),
        )),
        _ => Ok(None),
    }
}

/// §2.5: one live bonus licence per partner; a renewal only after the previous one
/// ended and with enough subscribers on a current licence.
fn bonus_rules(req: &QuoteRequest) -> Result<(), Refusal> {
    if req.primary {
        if req.bonus_held {
            return Err(refuse(
                "bonus_held",
                "у партнера уже есть действующая бонусная лицензия: одновременно — только одна",
            ));
        }
        return Ok(());
    }
    if req.previous_bonus_ended != Some(true) {
        return Err(refuse(
            "previous_bonus_ended",
            "продление бонуса возможно после окончания предыдущей бонусной лицензии",
        ));
    }
    let current = req.current_subscribers.unwrap_or(0);
    if current < BONUS_MIN_SUBSCRIBERS {
        return Err(refuse(
            "current_subscribers",
            format!(
                "нужно не меньше {BONUS_MIN_SUBSCRIBERS} абонентов с действующей лицензией (кроме Промо и УП), сейчас {current}"
            ),
        ));
    }
    Ok(())
}

/// The catalog price per organisation, primary or renewal, times the organisations.
fn per_organisation(
    req: &QuoteRequest,
    t: &tariff::Model,
    zone: i16,
    n: i64,
    mut explanation: Vec<String>,
) -> Quote {
    let (price, share) = if req.primary {
        (t.primary_price, t.sales_center_share)
    } else {
        (t.renewal_price, t.renewal_sales_center_share)
    };
    let total = price * n;
    let kind = if req.primary {
        "первичное подключение"
    } else {
        "продление"
    };
    explanation.insert(
        0,
        format!(
            "{}: зона {zone}, {kind}, {} за организацию",
            t.name,
            price.ru()
        ),
    );
    if n > 1 {
        explanation.push(format!("{} × {n} организаций = {}", price.ru(), total.ru()));
    }
    let share_total = share * n;
    Quote {
        item: req.item.clone(),
        name: t.name.clone(),
        list_price: total,
        total,
        sales_center_share: share_total,
        operator_transfer: total - share_total,
        lines: vec![QuoteLine {
            label: format!("{} ({kind}) × {n}", t.name),
            amount: total,
        }],
        explanation,
    }
}

fn lk_basic(
    req: &QuoteRequest,
    cat: &Catalog,
    t: &tariff::Model,
    n: i64,
) -> Result<Quote, Refusal> {
    if let Some(main) = req.main_tariff.as_deref()
        && LK_REFUSED_MAIN_TARIFFS
            .iter()
            .any(|r| r.eq_ignore_ascii_case(main.trim()))
    {
        return Err(refuse(
            "main_tariff",
            format!(
                "ЛК Базовый не подключается на бесплатном тарифе «{}»",
                main.trim()
            ),
        ));
    }
    let connect = req.connect_date.unwrap_or(req.date);
    let end = req
        .licence_end
        .ok_or_else(|| refuse("licence_end", "укажите дату окончания основной лицензии"))?;
    if end <= connect {
        return Err(refuse(
            "licence_end",
            "нужна действующая лицензия 1С-Отчетности",
        ));
    }
    let months = whole_months(connect, end);
    let yearly = t.primary_price;
    let single = prorate(yearly, months);
    let list = single * n;
    let share = prorate(t.sales_center_share, months) * n;
    let mut explanation = vec![
        format!(
            "{}: {} за 12 месяцев на организацию{}",
            t.name,
            yearly.ru(),
            if req.group_tariff {
                " (тариф «Группа пользователей»)"
            } else {
                ""
            }
        ),
        format!(
            "С {} до окончания лицензии {}: полных месяцев {months} (округление вниз)",
            connect.format("%d.%m.%Y"),
            end.format("%d.%m.%Y")
        ),
        format!("{months} × {} / 12 = {}", yearly.ru(), single.ru()),
    ];
    if n > 1 {
        explanation.push(format!("{} × {n} организаций = {}", single.ru(), list.ru()));
    }
    explanation.push("Далее продлевается вместе с основной лицензией по полной цене".to_owned());
    let mut lines = vec![QuoteLine {
        label: format!("{} на {months} мес. × {n}", t.name),
        amount: list,
    }];
    let mut total = list;
    if req.apply_promotions
        && let Some(p) = cat
            .promotions
            .iter()
            // The promotion goes by the day of the connection or renewal (`date`), the
            // months by the period's start (`connect_date`): a renewal during the promotion
            // is free too.
            .find(|p| p.item == t.code && p.valid_from <= req.date && req.date <= p.valid_to)
    {
        let discount =
            Money::new(list.amount() * Decimal::from(p.discount_percent) / Decimal::ONE_HUNDRED);
        total = list - discount;
        lines.push(QuoteLine {
            label: format!("Акция: {}", p.name),
            amount: Money::ZERO - discount,
        });
        explanation.push(format!(
            "Акция «{}» действует по {}: скидка {}%",
            p.name,
            p.valid_to.format("%d.%m.%Y"),
            p.discount_percent
        ));
    }
    let share = if total == Money::ZERO {
        Money::ZERO
    } else {
        share
    };
    Ok(Quote {
        item: req.item.clone(),
        name: t.name.clone(),
        list_price: list,
        total,
        sales_center_share: share,
        operator_transfer: total - share,
        lines,
        explanation,
    })
}

fn special_offer(
    req: &QuoteRequest,
    cat: &Catalog,
    o: &special_offer::Model,
    zone: i16,
    n: i64,
) -> Result<Quote, Refusal> {
    let regions: Vec<&str> = o
        .regions
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect();
    let region = req
        .region_code
        .as_deref()
        .ok_or_else(|| refuse("region_code", "укажите регион абонента"))?;
    if !regions.contains(&region) {
        return Err(refuse(
            "region_code",
            format!(
                "предложение «{}» действует только в регионах {}",
                o.name,
                regions.join(", ")
            ),
        ));
    }
    if !valid_on(o.valid_from, o.valid_to, req.date) {
        return Err(refuse(
            "date",
            "специальное предложение не действует на эту дату",
        ));
    }
    let registered = req.special_offer_registered_on.ok_or_else(|| {
        refuse(
            "special_offer_registered_on",
            "номер специального предложения не зарегистрирован центром продаж",
        )
    })?;
    let usable_from = registered + chrono::Duration::days(1);
    if req.date < usable_from {
        return Err(refuse(
            "special_offer_registered_on",
            format!(
                "номер можно использовать с {} — через сутки после регистрации центром продаж",
                usable_from.format("%d.%m.%Y")
            ),
        ));
    }
    if !req.primary {
        // The discount lasts the licence term; the renewal after it is standard.
        let standard = QuoteRequest {
            item: "paid_licence".to_owned(),
            ..req.clone()
        };
        let mut q = quote(&standard, cat)?;
        q.item = req.item.clone();
        q.explanation.insert(
            0,
            format!(
                "Скидка «{}» действовала на срок лицензии; продление — по стандартной цене",
                o.name
            ),
        );
        return Ok(q);
    }
    let total = o.price * n;
    let share = o.sales_center_share * n;
    let _ = zone;
    Ok(Quote {
        item: req.item.clone(),
        name: o.name.clone(),
        list_price: total,
        total,
        sales_center_share: share,
        operator_transfer: total - share,
        lines: vec![QuoteLine {
            label: format!("{} × {n}", o.name),
            amount: total,
        }],
        explanation: vec![
            format!(
                "{}: {} на {} мес., регион {region}",
                o.name,
                o.price.ru(),
                o.term_months
            ),
            format!(
                "Номер зарегистрирован {}, используется с {}",
                registered.format("%d.%m.%Y"),
                usable_from.format("%d.%m.%Y")
            ),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn catalog_rows() -> (
        Vec<tariff::Model>,
        Vec<special_offer::Model>,
        Vec<promotion::Model>,
    ) {
        let fx = crate::seed::builtin_reference().unwrap();
        let mut tariffs = Vec::new();
        for (i, t) in fx.tariffs.iter().enumerate() {
            for (z, p) in &t.zones {
                tariffs.push(tariff::Model {
                    id: i32::try_from(i).unwrap(),
                    code: t.code.clone(),
                    name: t.name.clone(),
                    kind: t.kind.clone(),
                    term_months: t.term_months,
                    zone: z.parse().unwrap(),
                    primary_price: p.primary,
                    renewal_price: p.renewal,
                    sales_center_share: p.share,
                    renewal_sales_center_share: p.renewal_share,
                    revocable: t.revocable,
                    valid_from: t.valid_from,
                    valid_to: t.valid_to,
                });
            }
        }
        let offers = fx
            .special_offers
            .iter()
            .map(|o| special_offer::Model {
                id: 0,
                code: o.code.clone(),
                name: o.name.clone(),
                price: o.price,
                sales_center_share: o.sales_center_share,
                regions: o.regions.join(","),
                term_months: o.term_months,
                valid_from: o.valid_from,
                valid_to: o.valid_to,
            })
            .collect();
        let promos = fx
            .promotions
            .iter()
            .map(|p| promotion::Model {
                id: 0,
                code: p.code.clone(),
                name: p.name.clone(),
                item: p.item.clone(),
                discount_percent: p.discount_percent,
                valid_from: p.valid_from,
                valid_to: p.valid_to,
            })
            .collect();
        (tariffs, offers, promos)
    }

    fn q(req: QuoteRequest) -> Result<Quote, Refusal> {
        let (t, o, p) = catalog_rows();
        quote(
            &req,
            &Catalog {
                tariffs: &t,
                special_offers: &o,
                promotions: &p,
            },
        )
    }

    fn lk(date: &str, orgs: u32, group: bool, promo: bool) -> QuoteRequest {
        QuoteRequest {
            item: "lk_basic".into(),
            date: d(date),
            licence_end: Some(d("2024-10-15")),
            organisations: orgs,
            group_tariff: group,
            apply_promotions: promo,
            primary: true,
            ..Default::default()
        }
    }

    #[test]
    fn lk_basic_seed_examples() {
        assert_eq!(
            q(lk("2024-06-11", 1, false, false)).unwrap().total,
            Money::rubles(400)
        );
        assert_eq!(
            q(lk("2024-06-17", 1, false, false)).unwrap().total,
            Money::rubles(300)
        );
        assert_eq!(
            q(lk("2024-06-11", 10, false, false)).unwrap().total,
            Money::rubles(4000)
        );
        assert_eq!(
            q(lk("2024-06-11", 1, true, false)).unwrap().total,
            Money::rubles(200),
            "half on the group tariff"
        );
        let promo = q(lk("2024-06-11", 1, false, true)).unwrap();
        assert_eq!(
            (promo.list_price, promo.total),
            (Money::rubles(400), Money::ZERO)
        );
        assert_eq!(promo.lines.len(), 2);
    }

    #[test]
    fn lk_basic_after_the_promotion_pays_the_list_price() {
        let mut r = lk("2024-11-01", 1, false, true);
        r.licence_end = Some(d("2025-03-15"));
        let quote = q(r).unwrap();
        assert_eq!(
            (quote.list_price, quote.total),
            (Money::rubles(400), Money::rubles(400))
        );
    }

    #[test]
    fn lk_basic_is_refused_on_free_promo_tariffs_and_without_a_licence() {
        let mut r = lk("2024-06-11", 1, false, false);
        r.main_tariff = Some("Промо ЕНС".into());
        assert_eq!(q(r).unwrap_err().field, "main_tariff");
        let mut r = lk("2024-10-16", 1, false, false);
        r.licence_end = Some(d("2024-10-15"));
        assert_eq!(q(r).unwrap_err().field, "licence_end");
    }

    #[test]
    fn whole_months_round_down() {
        assert_eq!(whole_months(d("2024-06-11"), d("2024-10-15")), 4);
        assert_eq!(whole_months(d("2024-06-17"), d("2024-10-15")), 3);
        assert_eq!(whole_months(d("2024-06-15"), d("2024-10-15")), 4);
        assert_eq!(whole_months(d("2024-10-01"), d("2024-10-15")), 0);
        assert_eq!(whole_months(d("2024-01-31"), d("2024-02-29")), 1);
    }

    #[test]
    fn paid_licence_zone_2_is_4900_with_a_2450_share() {
        let r = q(QuoteRequest {
            item: "paid_licence".into(),
            date: d("2025-03-03"),
            zone: Some(2),
            primary: true,
            organisations: 1,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            (r.total, r.sales_center_share, r.operator_transfer),
            (
                Money::rubles(4900),
                Money::rubles(2450),
                Money::rubles(2450)
            )
        );
        let renewal = q(QuoteRequest {
            item: "paid_licence".into(),
            date: d("2025-03-03"),
            zone: Some(2),
            primary: false,
            organisations: 1,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(renewal.total, Money::rubles(2500));
    }

    #[test]
    fn cryptopro_is_590_with_490_share() {
        let r = q(QuoteRequest {
            item: "cryptopro".into(),
            date: d("2025-03-03"),
            zone: Some(3),
            primary: true,
            organisations: 1,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            (r.total, r.sales_center_share),
            (Money::rubles(590), Money::rubles(490))
        );
    }

    #[test]
    fn right_choice_rules() {
        let base = QuoteRequest {
            item: "right_choice".into(),
            date: d("2025-03-03"),
            zone: Some(3),
            primary: true,
            organisations: 1,
            fns_directions: Some(1),
            ..Default::default()
        };
        assert_eq!(q(base.clone()).unwrap().total, Money::rubles(1200));
        assert_eq!(
            q(QuoteRequest {
                previously_connected: true,
                ..base.clone()
            })
            .unwrap_err()
            .field,
            "previously_connected"
        );
        assert_eq!(
            q(QuoteRequest {
                fns_directions: Some(2),
                ..base.clone()
            })
            .unwrap_err()
            .field,
            "fns_directions"
        );
        assert_eq!(
            q(QuoteRequest {
                in_group: true,
                ..base.clone()
            })
            .unwrap_err()
            .field,
            "in_group"
        );
        assert!(
            q(QuoteRequest {
                primary: false,
                previously_connected: true,
                ..base
            })
            .is_ok(),
            "renewal is allowed"
        );
    }

    #[test]
    fn bonus_rules() {
        let base = QuoteRequest {
            item: "bonus".into(),
            date: d("2025-03-03"),
            zone: Some(1),
            primary: true,
            organisations: 1,
            ..Default::default()
        };
        assert_eq!(q(base.clone()).unwrap().total, Money::ZERO);
        assert_eq!(
            q(QuoteRequest {
                bonus_held: true,
                ..base.clone()
            })
            .unwrap_err()
            .field,
            "bonus_held"
        );
        let renewal = QuoteRequest {
            primary: false,
            previous_bonus_ended: Some(true),
            current_subscribers: Some(5),
            ..base
        };
        assert!(q(renewal.clone()).is_ok());
        assert_eq!(
            q(QuoteRequest {
                current_subscribers: Some(4),
                ..renewal.clone()
            })
            .unwrap_err()
            .field,
            "current_subscribers"
        );
        assert_eq!(
            q(QuoteRequest {
                previous_bonus_ended: Some(false),
                ..renewal
            })
            .unwrap_err()
            .field,
            "previous_bonus_ended"
        );
    }

    #[test]
    fn special_offers_by_region_and_registration() {
        let base = QuoteRequest {
            item: "usn_mo".into(),
            date: d("2025-03-03"),
            primary: true,
            organisations: 1,
            region_code: Some("50".into()),
            special_offer_registered_on: Some(d("2025-03-02")),
            ..Default::default()
        };
        assert_eq!(q(base.clone()).unwrap().total, Money::rubles(3700));
        assert_eq!(
            q(QuoteRequest {
                special_offer_registered_on: Some(d("2025-03-03")),
                ..base.clone()
            })
            .unwrap_err()
            .field,
            "special_offer_registered_on"
        );
        assert_eq!(
            q(QuoteRequest {
                region_code: Some("40".into()),
                ..base.clone()
            })
            .unwrap_err()
            .field,
            "region_code"
        );
        assert_eq!(
            q(QuoteRequest {
                item: "nulevka_2020".into(),
                region_code: Some("63".into()),
                ..base.clone()
            })
            .unwrap()
            .total,
            Money::rubles(500)
        );
        let renewal = q(QuoteRequest {
            primary: false,
            zone: Some(2),
            ..base
        })
        .unwrap();
        assert_eq!(
            renewal.total,
            Money::rubles(2500),
            "standard renewal after the offer"
        );
    }

    #[test]
    fn group_members_are_priced_by_the_active_tier() {
        let base = QuoteRequest {
            item: "group".into(),
            date: d("2025-03-03"),
            zone: Some(2),
            primary: true,
            organisations: 1,
            active_members: Some(4),
            ..Default::default()
        };
        assert_eq!(q(base.clone()).unwrap().total, Money::rubles(4400));
        assert_eq!(
            q(QuoteRequest {
                active_members: Some(2),
                ..base.clone()
            })
            .unwrap()
            .total,
            Money::rubles(4900),
            "below 3: nominal"
        );
        assert_eq!(
            q(QuoteRequest {
                active_members: Some(120),
                ..base
            })
            .unwrap()
            .total,
            Money::rubles(2000)
        );
    }

    #[test]
    fn basic_for_sole_traders_only() {
        let base = QuoteRequest {
            item: "basic_sole_trader".into(),
            date: d("2025-03-03"),
            zone: Some(2),
            primary: true,
            organisations: 1,
            legal_form: Some("sole_trader".into()),
            ..Default::default()
        };
        assert_eq!(q(base.clone()).unwrap().total, Money::rubles(2900));
        assert_eq!(
            q(QuoteRequest {
                legal_form: Some("legal_entity".into()),
                ..base
            })
            .unwrap_err()
            .field,
            "legal_form"
        );
    }

    proptest! {
        #[test]
        fn a_prorated_price_never_exceeds_the_yearly_price_and_grows_with_months(yearly in 0i64..1_000_000, m in 0u32..12) {
            let y = Money::from_kopecks(yearly);
            prop_assert!(prorate(y, m) <= y);
            prop_assert!(prorate(y, m) <= prorate(y, m + 1));
            prop_assert_eq!(prorate(y, 12), y);
        }

        #[test]
        fn more_time_to_the_licence_end_never_costs_less(start in 0u32..700, gap in 1u32..700, extra in 0u32..400) {
            let base = d("2024-01-01");
            let connect = base + chrono::Duration::days(i64::from(start));
            let end = connect + chrono::Duration::days(i64::from(gap));
            let later_end = end + chrono::Duration::days(i64::from(extra));
            prop_assert!(whole_months(connect, end) <= whole_months(connect, later_end));
        }
    }

    /// Any request the calculator can send: every catalog item, special offer and the
    /// group, over dates, zones, organisations and the rule inputs.
    fn any_request() -> impl Strategy<Value = QuoteRequest> {
        let (t, o, _) = catalog_rows();
        let mut items: Vec<String> = t.iter().map(|t| t.code.clone()).collect();
        items.extend(o.iter().map(|o| o.code.clone()));
        items.push("group".into());
        items.sort();
        items.dedup();
        let regions: Vec<Option<String>> = o
            .iter()
            .flat_map(|o| o.regions.split(',').map(|r| Some(r.to_owned())))
            .chain([None])
            .collect();
        (
            (
                prop::sample::select(items),
                0i64..1500,
                1i16..=3,
                any::<bool>(),
                1u32..=40,
                any::<bool>(),
            ),
            (
                0i64..900,
                any::<bool>(),
                prop::option::of(0u32..150),
                prop::sample::select(regions),
                0i64..60,
                any::<bool>(),
            ),
            (0u32..40, prop::option::of(0u32..3), any::<bool>()),
        )
            .prop_map(
                |(
                    (item, day, zone, primary, organisations, apply_promotions),
                    (to_end, group_tariff, active_members, region_code, registered_ago, sole),
                    (subscribers, fns_directions, in_group),
                )| {
                    let date = d("2024-01-01") + chrono::Duration::days(day);
                    QuoteRequest {
                        item,
                        date,
                        zone: Some(zone),
                        primary,
                        organisations,
                        apply_promotions,
                        licence_end: Some(date + chrono::Duration::days(to_end)),
                        group_tariff,
                        active_members,
                        region_code,
                        special_offer_registered_on: Some(
                            date - chrono::Duration::days(registered_ago),
                        ),
                        legal_form: sole.then(|| "sole_trader".to_owned()),
                        previous_bonus_ended: Some(true),
                        current_subscribers: Some(subscribers),
                        fns_directions,
                        in_group,
                        ..Default::default()
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever is quoted, the sales center's share and the operator's transfer add
        /// up to the total, no part is negative, and no discount makes the total exceed
        /// the list price.
        #[test]
        fn a_quote_splits_its_total_exactly_and_never_exceeds_the_list_price(req in any_request()) {
            if let Ok(quote) = q(req) {
                prop_assert_eq!(quote.sales_center_share + quote.operator_transfer, quote.total);
                prop_assert!(quote.total <= quote.list_price, "{:?}", quote);
                prop_assert!(quote.total >= Money::ZERO, "{:?}", quote);
                prop_assert!(quote.sales_center_share >= Money::ZERO, "{:?}", quote);
                prop_assert!(quote.operator_transfer >= Money::ZERO, "{:?}", quote);
            }
        }

        /// n organisations cost n times one, to the kopeck, in every part; and the
        /// number of organisations never decides whether a request is allowed.
        #[test]
        fn a_quote_is_linear_in_organisations(req in any_request()) {
            let n = i64::from(req.organisations);
            let one = q(QuoteRequest { organisations: 1, ..req.clone() });
            let many = q(req);
            prop_assert_eq!(one.is_ok(), many.is_ok());
            if let (Ok(one), Ok(many)) = (one, many) {
                prop_assert_eq!(one.total * n, many.total);
                prop_assert_eq!(one.list_price * n, many.list_price);
                prop_assert_eq!(one.sales_center_share * n, many.sales_center_share);
            }
        }
    }
}
