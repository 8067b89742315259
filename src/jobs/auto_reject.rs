//! §2 / §1: an application not sent to processing within 30 calendar days of its
//! reception is rejected automatically, and the client is told in the manual's words.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::JobReport;
use crate::AppState;
use crate::applications::service::{self, Transition};
use crate::applications::state::State;
use crate::audit::{Actor, Write};
use crate::entities::application;
use crate::error::AppError;

pub const NAME: &str = "auto_reject";
pub const DAYS: i64 = crate::applications::identification::AUTO_REJECT_DAYS;
/// Applications per transaction. Each commit writes the pages its rows touched to the
/// WAL (and SQLite checkpoints when it grows): at 10 000 due applications, chunks of
/// 1 000 spent 612 ms committing, chunks of 5 000 — 344 ms. A chunk holds SQLite's write
/// lock for about a quarter of a second; users' writes meanwhile wait, they do not fail.
const CHUNK: usize = 5000;

/// The rule: due once 30 days have passed since reception, in any state before processing.
pub fn is_due(state: State, received_at: DateTime<Utc>, as_of: DateTime<Utc>) -> bool {
    state.is_before_processing() && as_of >= received_at + Duration::days(DAYS)
}

/// # Errors
/// Database errors; chunks already committed stay committed.
pub async fn run(st: AppState, as_of: DateTime<Utc>) -> Result<JobReport, AppError> {
    let cutoff = as_of - Duration::days(DAYS);
    let states: Vec<&str> = State::ALL
        .iter()
        .filter(|s| s.is_before_processing())
        .map(|s| s.as_str())
        .collect();
    // The due ids first, from the (state, received_at) index alone; then their rows a
    // chunk at a time by id. (Walking the table in id order for the due ones read every
    // row of it.)
    let due_ids: Vec<i64> = application::Entity::find()
        .select_only()
        .column(application::Column::Id)
        .filter(application::Column::State.is_in(states))
        .filter(application::Column::ReceivedAt.lte(cutoff))
        .order_by_asc(application::Column::Id)
        .into_tuple()
        .all(&st.db)
        .await?;
    let mut done = 0u64;
    for ids in due_ids.chunks(CHUNK) {
        let chunk = application::Entity::find()
            .filter(application::Column::Id.is_in(ids.iter().copied()))
            .all(&st.db)
            .await?;
        let mut w = Write::begin(&st.db, Actor::system(NAME), as_of).await?;
        let mut batch = service::Batch::default();
        // Read again inside the job's chunk: what changed meanwhile is judged as it is now.
        let due: Vec<application::Model> = chunk
            .into_iter()
            .filter(|app| is_due(app.state, app.received_at, as_of))
            .collect();
        // Set-based, version-checked: a concurrent change (say, sent to processing a
        // moment ago) wins and its row is skipped.
        done +=
            service::transition_many_in(&mut w, &mut batch, &due, Transition::auto_reject).await?;
        if w.has_changes() {
            batch.flush(&w).await?;
            w.commit().await?;
        }
    }
    Ok(JobReport {
        job: NAME.to_owned(),
        processed: done,
        summary: format!("отклонено автоматически: {done}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn received_1_march_is_due_at_10_00_on_31_march() {
        let received = t("2025-03-01T07:00:00Z"); // 10:00 Moscow
        assert!(!is_due(
            State::Accepted,
            received,
            t("2025-03-31T06:59:59Z")
        ));
        assert!(is_due(State::Accepted, received, t("2025-03-31T07:00:00Z")));
        assert!(is_due(
            State::Identification,
            received,
            t("2025-04-30T00:00:00Z")
        ));
        assert!(!is_due(
            State::InProcessing,
            received,
            t("2025-04-30T00:00:00Z")
        ));
        assert!(!is_due(
            State::Rejected,
            received,
            t("2025-04-30T00:00:00Z")
        ));
    }
}
