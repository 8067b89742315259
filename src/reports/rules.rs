//! The reports' arithmetic, apart from the database: which licences count as paid or ITS,
//! the period a report covers, renewal and churn (% отвала). The manual gives no churn
//! formula (audit B5); the one here is printed under every report that uses it.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;

/// How a licence of a tariff counts in the reports' columns «Платных», «ИТС ПРОФ»,
/// «Бонусных».
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Paid: the basic tariffs, «Платная лицензия», groups, «Верное решение» …
    Paid,
    /// Free under a 1С:ИТС ПРОФ contract (tariff `its`).
    Its,
    /// The partner's bonus licence (§2.5).
    Bonus,
    /// Promotions: a month or a test drive, free; in «Всего» only.
    Promo,
}

impl Class {
    pub fn of(tariff_code: &str) -> Class {
        match tariff_code {
            "its" => Class::Its,
            "bonus" => Class::Bonus,
            "promo_month" | "promo_test_drive" => Class::Promo,
            _ => Class::Paid,
        }
    }
}

/// The definition printed under the reports that count renewals and churn.
pub const CHURN_DEFINITION: &str = "К продлению — лицензии тарифов (платные и ИТС ПРОФ), срок которых заканчивается в периоде. \
Продлено — из них те, у абонента которых есть следующая лицензия тарифа (не отозванная), начинающаяся после начала этой \
и не позднее 30 дней после её окончания. Лицензии, которые еще не продлены, но 30 дней после окончания которых еще не прошли, \
не учитываются, пока их можно продлить. % отвала = (К продлению − Продлено) / К продлению × 100.";

/// Days after a licence's end within which a next licence still counts as its renewal.
pub const RENEWAL_GRACE_DAYS: i64 = 30;

/// A licence as renewal and churn see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub subscriber_id: i64,
    pub class: Class,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub revoked: bool,
}

/// Whether `due` was renewed: another licence of the same subscriber, not revoked, starts
/// after it started and no later than [`RENEWAL_GRACE_DAYS`] after it ended. `terms` are
/// the subscriber's licences (any order; `due` itself among them is ignored).
pub fn renewed(due: &Term, terms: &[Term]) -> bool {
    let latest = due.ends_on + chrono::Duration::days(RENEWAL_GRACE_DAYS);
    terms.iter().any(|t| {
        t.subscriber_id == due.subscriber_id
            && !t.revoked
            && t.starts_on > due.starts_on
            && t.starts_on <= latest
    })
}

/// Due for renewal and renewed, for one class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Renewals {
    pub due: u64,
    pub renewed: u64,
}

impl Renewals {
    /// % отвала, two decimals; none when nothing was due.
    pub fn churn_percent(self) -> Option<Decimal> {
        percent(self.due - self.renewed.min(self.due), self.due)
    }

    /// Both counts together (paid and ITS: «Общий отвал»).
    pub fn with(self, other: Renewals) -> Renewals {
        Renewals {
            due: self.due + other.due,
            renewed: self.renewed + other.renewed,
        }
    }
}

/// `part / whole × 100`, rounded half away from zero to two decimals.
pub fn percent(part: u64, whole: u64) -> Option<Decimal> {
    if whole == 0 {
        return None;
    }
    let v = Decimal::from(part) * Decimal::from(100) / Decimal::from(whole);
    Some(v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
}

/// The paid and ITS licences ending within `[from, to]`, and how many of them were
/// renewed. `by_subscriber` gives each subscriber's licences. A licence not renewed yet
/// whose renewal window is still open on `today` (it ended less than
/// [`RENEWAL_GRACE_DAYS`] ago, or ends later) is neither: it may still be renewed, so the
/// current month's churn is not 100 % by construction.
pub fn renewals_in(
    terms: &[Term],
    by_subscriber: &std::collections::HashMap<i64, Vec<Term>>,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> (Renewals, Renewals) {
    let mut paid = Renewals::default();
    let mut its = Renewals::default();
    for t in terms
        .iter()
        .filter(|t| from <= t.ends_on && t.ends_on <= to)
    {
        let slot = match t.class {
            Class::Paid => &mut paid,
            Class::Its => &mut its,
            Class::Bonus | Class::Promo => continue,
        };
        let own = by_subscriber
            .get(&t.subscriber_id)
            .map_or(&[][..], Vec::as_slice);
        if renewed(t, own) {
            slot.due += 1;
            slot.renewed += 1;
        } else if t.ends_on + chrono::Duration::days(RENEWAL_GRACE_DAYS) < today {
            slot.due += 1;
        }
    }
    (paid, its)
}

/// Days without a send in any direction after which a subscriber is inactive (l.2826).
pub const INACTIVE_DAYS: i64 = 90;

/// The company-group sizes of «Действующие абоненты (Группы компаний / Остальные)»
/// (l.2815–2822): the last, «Остальные», holds subscribers outside a group of three or more.
pub const GROUP_BUCKETS: [&str; 8] = [
    "3-5",
    "6-10",
    "11-15",
    "16-25",
    "26-50",
    "51-100",
    "101+",
    "Остальные",
];

/// The bucket of [`GROUP_BUCKETS`] a subscriber in a group of `size` members falls in
/// (`None`: not in a group).
pub fn group_bucket(size: Option<usize>) -> usize {
    match size.unwrap_or(0) {
        0..=2 => 7,
        3..=5 => 0,
        6..=10 => 1,
        11..=15 => 2,
        16..=25 => 3,
        26..=50 => 4,
        51..=100 => 5,
        _ => 6,
    }
}

/// A calendar quarter, `2025-Q1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quarter {
    pub year: i32,
    pub number: u32,
}

impl Quarter {
    pub fn parse(s: &str) -> Option<Quarter> {
        let (y, q) = s.trim().split_once(['-', ' '])?;
        let number: u32 = q
            .trim()
            .trim_start_matches(['Q', 'q', 'К', 'к'])
            .parse()
            .ok()?;
        let year: i32 = y.parse().ok()?;
        ((1..=4).contains(&number) && (2000..=2100).contains(&year))
            .then_some(Quarter { year, number })
    }

    pub fn of(day: NaiveDate) -> Quarter {
        Quarter {
            year: day.year(),
            number: day.month0() / 3 + 1,
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, (self.number - 1) * 3 + 1, 1).unwrap_or_default()
    }

    pub fn last_day(self) -> NaiveDate {
        self.first_day()
            .checked_add_months(Months::new(3))
            .and_then(|d| d.pred_opt())
            .unwrap_or_default()
    }

    pub fn previous(self) -> Quarter {
        if self.number == 1 {
            Quarter {
                year: self.year - 1,
                number: 4,
            }
        } else {
            Quarter {
                year: self.year,
                number: self.number - 1,
            }
        }
    }

    pub fn code(self) -> String {
        format!("{}-Q{}", self.year, self.number)
    }

    pub fn title_ru(self) -> String {
        format!("{} квартал {} г.", self.number, self.year)
    }
}

/// The first and last day of the month `day` is in.
pub fn month_of(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = day.with_day(1).unwrap_or(day);
    let last = first
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(first);
    (first, last)
}

/// The twelve months ending with the one `day` is in, oldest first.
pub fn twelve_months_to(day: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let (first, _) = month_of(day);
    (0..12u32)
        .rev()
        .filter_map(|back| first.checked_sub_months(Months::new(back)))
        .map(month_of)
        .collect()
}

/// «март 2025».
pub fn month_title_ru(first: NaiveDate) -> String {
    use crate::reconciliation::builder::MONTHS;
    format!("{} {}", MONTHS[first.month0() as usize], first.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn group_sizes_fall_in_the_manuals_buckets() {
        let at = |n| GROUP_BUCKETS[group_bucket(n)];
        assert_eq!(at(None), "Остальные");
        assert_eq!(
            at(Some(2)),
            "Остальные",
            "a group of two is not a group tariff"
        );
        assert_eq!(at(Some(3)), "3-5");
        assert_eq!(at(Some(5)), "3-5");
        assert_eq!(at(Some(6)), "6-10");
        assert_eq!(at(Some(15)), "11-15");
        assert_eq!(at(Some(16)), "16-25");
        assert_eq!(at(Some(50)), "26-50");
        assert_eq!(at(Some(100)), "51-100");
        assert_eq!(at(Some(101)), "101+");
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn term(sub: i64, class: Class, from: &str, to: &str) -> Term {
        Term {
            subscriber_id: sub,
            class,
            starts_on: d(from),
            ends_on: d(to),
            revoked: false,
        }
    }

    #[test]
    fn classes_follow_the_tariff() {
        assert_eq!(Class::of("its"), Class::Its);
        assert_eq!(Class::of("bonus"), Class::Bonus);
        assert_eq!(Class::of("promo_month"), Class::Promo);
        assert_eq!(Class::of("basic_1y"), Class::Paid);
        assert_eq!(Class::of("paid_licence"), Class::Paid);
    }

    /// Four paid licences end in March: one renewed at once, one a month late (30 days
    /// after its end: still renewed), one 31 days late (not), one never; one ITS licence
    /// ends and is renewed. Paid churn 2 of 4 = 50 %, ITS 0 %.
    #[test]
    fn churn_of_a_constructed_month() {
        let terms = vec![
            term(1, Class::Paid, "2024-03-10", "2025-03-09"),
            term(1, Class::Paid, "2025-03-10", "2026-03-09"),
            term(2, Class::Paid, "2024-03-01", "2025-03-01"),
            term(2, Class::Paid, "2025-03-31", "2026-03-30"),
            term(3, Class::Paid, "2024-03-20", "2025-03-20"),
            term(3, Class::Paid, "2025-04-20", "2026-04-19"),
            term(4, Class::Paid, "2024-03-31", "2025-03-30"),
            term(5, Class::Its, "2024-03-15", "2025-03-14"),
            term(5, Class::Its, "2025-03-15", "2026-03-14"),
        ];
        let mut by = std::collections::HashMap::<i64, Vec<Term>>::new();
        for t in &terms {
            by.entry(t.subscriber_id).or_default().push(*t);
        }
        let (paid, its) = renewals_in(
            &terms,
            &by,
            d("2025-03-01"),
            d("2025-03-31"),
            d("2025-06-01"),
        );
        assert_eq!(paid, Renewals { due: 4, renewed: 2 });
        assert_eq!(paid.churn_percent(), Some(dec!(50.00)));
        assert_eq!(its, Renewals { due: 1, renewed: 1 });
        assert_eq!(its.churn_percent(), Some(dec!(0.00)));
        assert_eq!(paid.with(its).churn_percent(), Some(dec!(40.00)));
        assert_eq!(Renewals::default().churn_percent(), None);
        // On 15 April, 3's (ended 20 March) and 4's (30 March) licences may still be
        // renewed: not counted yet; 1's and 2's renewals already count.
        let (early, _) = renewals_in(
            &terms,
            &by,
            d("2025-03-01"),
            d("2025-03-31"),
            d("2025-04-15"),
        );
        assert_eq!(early, Renewals { due: 2, renewed: 2 });
    }

    #[test]
    fn a_revoked_successor_is_no_renewal() {
        let due = term(1, Class::Paid, "2024-03-10", "2025-03-09");
        let mut next = term(1, Class::Paid, "2025-03-10", "2026-03-09");
        next.revoked = true;
        assert!(!renewed(&due, &[due, next]));
    }

    #[test]
    fn percent_rounds_half_away_from_zero() {
        assert_eq!(percent(1, 3), Some(dec!(33.33)));
        assert_eq!(percent(2, 3), Some(dec!(66.67)));
        assert_eq!(percent(1, 8), Some(dec!(12.50)));
    }

    #[test]
    fn quarters() {
        let q = Quarter::parse("2025-Q1").unwrap();
        assert_eq!(q.first_day(), d("2025-01-01"));
        assert_eq!(q.last_day(), d("2025-03-31"));
        assert_eq!(q.previous().code(), "2024-Q4");
        assert_eq!(Quarter::of(d("2025-08-15")).code(), "2025-Q3");
        assert_eq!(Quarter::parse("2025-Q5"), None);
        assert_eq!(Quarter::parse("двадцать"), None);
        assert_eq!(
            Quarter::parse("2025-4").unwrap().last_day(),
            d("2025-12-31")
        );
    }

    #[test]
    fn twelve_months_end_with_the_days_month() {
        let m = twelve_months_to(d("2025-03-18"));
        assert_eq!(m.len(), 12);
        assert_eq!(m[0], (d("2024-04-01"), d("2024-04-30")));
        assert_eq!(m[11], (d("2025-03-01"), d("2025-03-31")));
        assert_eq!(month_title_ru(m[11].0), "март 2025");
    }
}
