//! §6: a subscriber who does not visit the identification center within 10 working days
//! of the delegation fails identification automatically.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::JobReport;
use crate::AppState;
use crate::applications::identification::deadline;
use crate::applications::service::{self, Transition};
use crate::applications::state::State;
use crate::audit::{Actor, Write};
use crate::calendar::ProductionCalendar;
use crate::entities::application;
use crate::error::AppError;

pub const NAME: &str = "identification_no_show";
const CHUNK: usize = 1000;
/// # Errors
/// Database errors.
pub async fn run(st: AppState, as_of: DateTime<Utc>) -> Result<JobReport, AppError> {
    // Ten working days are at least two calendar weeks: older delegations are candidates.
    let bound = as_of - Duration::days(14);
    // The candidates' ids first (the state's index and their delegation dates), then
    // their rows a chunk at a time by id, as the 30-day rule.
    let ids: Vec<i64> = application::Entity::find()
        .select_only()
        .column(application::Column::Id)
        .filter(application::Column::State.eq(State::Identification.as_str()))
        .filter(application::Column::DelegatedAt.lte(bound))
        .order_by_asc(application::Column::Id)
        .into_tuple()
        .all(&st.db)
        .await?;
    let mut done = 0u64;
    for ids in ids.chunks(CHUNK) {
        // Still waiting for its owner (a row that moved meanwhile is left out).
        let chunk = application::Entity::find()
            .filter(application::Column::Id.is_in(ids.iter().copied()))
            .filter(application::Column::State.eq(State::Identification.as_str()))
            .all(&st.db)
            .await?;
        let earliest = chunk
            .iter()
            .filter_map(|a| a.delegated_at)
            .min()
            .unwrap_or(as_of);
        let cal = ProductionCalendar::load(
            &st.db,
            earliest.date_naive(),
            as_of.date_naive() + Duration::days(1),
        )
        .await?;
        let mut w = Write::begin(&st.db, Actor::system(NAME), as_of).await?;
        let mut batch = service::Batch::default();
        let due: Vec<application::Model> = chunk
            .into_iter()
            .filter(|app| {
                app.delegated_at
                    .is_some_and(|delegated_at| as_of >= deadline(delegated_at, &cal))
            })
            .collect();
        // Set-based and version-checked, as the 30-day rule: a row changed meanwhile is
        // skipped.
        done += service::transition_many_in(&mut w, &mut batch, &due, Transition::no_show).await?;
        if w.has_changes() {
            batch.flush(&w).await?;
            w.commit().await?;
        }
    }
    Ok(JobReport {
        job: NAME.to_owned(),
        processed: done,
        summary: format!("идентификация не пройдена (неявка): {done}"),
    })
}
