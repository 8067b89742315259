//! The production calendar (производственный календарь): which dates are working days.
//!
//! The calendar is data (`calendar_days`, loaded from fixtures): weekends plus the public
//! holidays and the official day transfers of each year. A date the table does not know
//! falls back to the plain rule "Monday to Friday", so a missing year degrades gently
//! instead of stopping the jobs.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::entities::calendar_day;

#[derive(Debug, Clone, Default)]
pub struct ProductionCalendar {
    known: HashMap<NaiveDate, bool>,
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl ProductionCalendar {
    pub fn from_days(days: impl IntoIterator<Item = (NaiveDate, bool)>) -> Self {
        ProductionCalendar {
            known: days.into_iter().collect(),
        }
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        self.known.get(&d).copied().unwrap_or(!is_weekend(d))
    }

    /// The date `n` working days after `start` (`start` itself is not counted, so with
    /// `n = 0` the answer is `start`).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day += Duration::days(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Loads the known days of `[from, to]`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn load<C: ConnectionTrait>(
        db: &C,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Self, DbErr> {
        let rows = calendar_day::Entity::find()
            .filter(calendar_day::Column::Day.between(from, to))
            .all(db)
            .await?;
        Ok(Self::from_days(
            rows.into_iter().map(|r| (r.day, r.is_working)),
        ))
    }

    /// Loads enough of the calendar to count `n` working days from `start`: even the
    /// New Year holidays never stretch ten working days over more than three weeks.
    ///
    /// # Errors
    /// Database errors.
    pub async fn load_for<C: ConnectionTrait>(
        db: &C,
        start: NaiveDate,
        n: u32,
    ) -> Result<Self, DbErr> {
        let span = i64::from(n) * 2 + 31;
        Self::load(db, start, start + Duration::days(span)).await
    }
}

/// Is `date` a working day?
///
/// # Errors
/// Database errors.
pub async fn is_working_day<C: ConnectionTrait>(db: &C, date: NaiveDate) -> Result<bool, DbErr> {
    Ok(ProductionCalendar::load(db, date, date)
        .await?
        .is_working_day(date))
}

/// `n` working days after `start`.
///
/// # Errors
/// Database errors.
pub async fn add_working_days<C: ConnectionTrait>(
    db: &C,
    start: NaiveDate,
    n: u32,
) -> Result<NaiveDate, DbErr> {
    Ok(ProductionCalendar::load_for(db, start, n)
        .await?
        .add_working_days(start, n))
}

/// One year of the official calendar as it is published: the days off that fall on
/// weekdays or weekends (holidays and transfers, with a note), and the weekend days
/// that are working days by transfer.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct YearSpec {
    pub year: i32,
    pub days_off: Vec<DayOff>,
    #[serde(default)]
    pub working_weekends: Vec<NaiveDate>,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct DayOff {
    pub date: NaiveDate,
    pub note: String,
}

/// Every date of the year with its working flag and note.
pub fn expand_year(spec: &YearSpec) -> Vec<(NaiveDate, bool, Option<String>)> {
    let notes: HashMap<NaiveDate, &str> = spec
        .days_off
        .iter()
        .map(|d| (d.date, d.note.as_str()))
        .collect();
    let mut out = Vec::with_capacity(366);
    let mut day = NaiveDate::from_ymd_opt(spec.year, 1, 1).expect("valid year");
    while day.year() == spec.year {
        let (working, note) = if let Some(note) = notes.get(&day) {
            (false, Some((*note).to_owned()))
        } else if spec.working_weekends.contains(&day) {
            (true, Some("Рабочий день (перенос)".to_owned()))
        } else {
            (!is_weekend(day), None)
        };
        out.push((day, working, note));
        day += Duration::days(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn official() -> ProductionCalendar {
        let specs: Vec<YearSpec> =
            crate::seed::builtin_calendar().expect("calendar fixture parses");
        ProductionCalendar::from_days(specs.iter().flat_map(expand_year).map(|(d, w, _)| (d, w)))
    }

    #[test]
    fn ten_working_days_from_28_april_2025_cross_the_may_holidays() {
        // 1–4 May and 9–11 May 2025 are days off.
        assert_eq!(
            official().add_working_days(d("2025-04-28"), 10),
            d("2025-05-15")
        );
    }

    #[test]
    fn without_a_calendar_only_weekends_are_off() {
        assert_eq!(
            ProductionCalendar::default().add_working_days(d("2025-04-28"), 10),
            d("2025-05-12")
        );
    }

    #[test]
    fn transfers_make_saturdays_working_and_weekdays_off() {
        let cal = official();
        assert!(
            cal.is_working_day(d("2025-11-01")),
            "Saturday 1 Nov 2025 is a working day"
        );
        assert!(
            !cal.is_working_day(d("2025-11-03")),
            "Monday 3 Nov 2025 is off"
        );
        assert!(!cal.is_working_day(d("2024-12-31")));
        assert!(cal.is_working_day(d("2024-12-28")));
        assert!(!cal.is_working_day(d("2026-01-09")));
    }

    #[test]
    fn official_working_day_counts() {
        let cal = official();
        for (year, expected) in [(2024, 248), (2025, 247), (2026, 247)] {
            let count = (1..=366)
                .filter_map(|o| NaiveDate::from_yo_opt(year, o))
                .filter(|d| cal.is_working_day(*d))
                .count();
            assert_eq!(count, expected, "working days in {year}");
        }
    }

    #[test]
    fn zero_days_is_the_same_day() {
        assert_eq!(
            official().add_working_days(d("2025-05-03"), 0),
            d("2025-05-03")
        );
    }

    #[test]
    fn counting_from_a_day_off_starts_with_the_next_working_day() {
        assert_eq!(
            official().add_working_days(d("2025-05-01"), 1),
            d("2025-05-05")
        );
    }
}
