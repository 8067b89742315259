//! The one source of "now". Every time rule reads it through `Clock`, so tests move
//! time by advancing a `FixedClock` instead of sleeping.

use std::sync::Mutex;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

/// Business dates are Moscow dates (UTC+3, no daylight saving since 2014).
pub fn moscow() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("valid offset")
}

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in Moscow.
    fn today(&self) -> NaiveDate {
        self.now().with_timezone(&moscow()).date_naive()
    }
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move: for tests and `jobs run --as-of`.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        FixedClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().expect("clock lock");
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// The clock of `serve --test-clock` (training installs, demos, acceptance runs): the
/// base clock shifted by an offset the operator may only increase, so time keeps running
/// from wherever it was moved to.
pub struct TestClock {
    base: std::sync::Arc<dyn Clock>,
    offset: Mutex<Duration>,
}

impl TestClock {
    pub fn new(base: std::sync::Arc<dyn Clock>) -> Self {
        TestClock {
            base,
            offset: Mutex::new(Duration::zero()),
        }
    }

    /// Moves the clock to `at`, forward only.
    ///
    /// # Errors
    /// The clock's current time, when `at` is before it.
    pub fn move_to(&self, at: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        let mut offset = self.offset.lock().expect("clock lock");
        let now = self.base.now() + *offset;
        if at < now {
            return Err(now);
        }
        *offset += at - now;
        Ok(())
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        self.base.now() + *self.offset.lock().expect("clock lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let start = DateTime::parse_from_rfc3339("2025-03-01T10:00:00Z")
            .unwrap()
            .to_utc();
        let clock = FixedClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::days(30));
        assert_eq!(clock.now(), start + Duration::days(30));
    }

    #[test]
    fn the_test_clock_moves_forward_only_and_keeps_running() {
        let start = DateTime::parse_from_rfc3339("2025-03-01T10:00:00Z")
            .unwrap()
            .to_utc();
        let base = std::sync::Arc::new(FixedClock::new(start));
        let clock = TestClock::new(base.clone());
        assert_eq!(clock.now(), start);
        let later = start + Duration::days(31);
        assert_eq!(clock.move_to(later), Ok(()));
        assert_eq!(clock.now(), later);
        assert_eq!(clock.move_to(start), Err(later), "never back");
        base.advance(Duration::minutes(5));
        assert_eq!(clock.now(), later + Duration::minutes(5), "time runs on");
    }

    #[test]
    fn today_is_the_moscow_date() {
        let late_utc = DateTime::parse_from_rfc3339("2025-03-01T22:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            FixedClock::new(late_utc).today(),
            NaiveDate::from_ymd_opt(2025, 3, 2).unwrap()
        );
    }
}
