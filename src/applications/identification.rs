//! The deadlines of an application: §6, when a delegated identification runs out — 10
//! working days by the production calendar, at the same Moscow time of day as the
//! delegation; §2, the 30-day rule; and which of them comes next.

use chrono::{DateTime, NaiveTime, Utc};

use crate::calendar::ProductionCalendar;
use crate::clock::moscow;
use crate::next_action::{NextAction, NextKind, earliest};

pub const WORKING_DAYS: u32 = 10;
/// §2: an application not sent to processing within 30 calendar days of its reception
/// is rejected automatically.
pub const AUTO_REJECT_DAYS: i64 = 30;

/// When the 30-day rule rejects an application received at `received_at`.
pub fn auto_reject_at(received_at: DateTime<Utc>) -> DateTime<Utc> {
    received_at + chrono::Duration::days(AUTO_REJECT_DAYS)
}

/// The next automatic action on an application in `state`: the 30-day rejection before
/// processing, or the failed identification when that comes first.
pub fn next_action(
    state: crate::applications::state::State,
    received_at: DateTime<Utc>,
    identification_deadline: Option<DateTime<Utc>>,
) -> Option<NextAction> {
    use crate::applications::state::State;
    if !state.is_before_processing() {
        return None;
    }
    let reject = Some(NextAction {
        kind: NextKind::AutoReject,
        at: auto_reject_at(received_at),
    });
    let no_show = identification_deadline
        .filter(|_| state == State::Identification)
        .map(|at| NextAction {
            kind: NextKind::IdentificationFails,
            at,
        });
    earliest(reject, no_show)
}

/// When a delegation made at `delegated_at` runs out: the same time of day, 10 working
/// days later by the production calendar (Moscow dates).
pub fn deadline(delegated_at: DateTime<Utc>, cal: &ProductionCalendar) -> DateTime<Utc> {
    let local = delegated_at.with_timezone(&moscow());
    let day = cal.add_working_days(local.date_naive(), WORKING_DAYS);
    let time: NaiveTime = local.time();
    day.and_time(time)
        .and_local_timezone(moscow())
        .single()
        .map_or(delegated_at, |t| t.to_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_crosses_the_may_holidays() {
        let specs = crate::seed::builtin_calendar().unwrap();
        let cal = ProductionCalendar::from_days(
            specs
                .iter()
                .flat_map(crate::calendar::expand_year)
                .map(|(d, w, _)| (d, w)),
        );
        // Delegated Monday 28 April 2025, 10:00 Moscow.
        let delegated = DateTime::parse_from_rfc3339("2025-04-28T07:00:00Z")
            .unwrap()
            .to_utc();
        let expected = DateTime::parse_from_rfc3339("2025-05-15T07:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(deadline(delegated, &cal), expected);
    }
}
