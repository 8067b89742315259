//! Processing by the certification authority (interfaces.md): every application
//! `in_processing` is handed to the authority; what it issued moves on — to
//! `awaiting_receipt` with the owner's certificate, or straight to `registered` when no
//! certificate was requested — and what it refused is rejected with its reason.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::JobReport;
use crate::AppState;
use crate::applications::service::{self, Caller, Command};
use crate::applications::state::State;
use crate::entities::application;
use crate::error::AppError;
use crate::subscribers::certificates::authority::Processing;

pub const NAME: &str = "ca_processing";
const CHUNK: u64 = 500;

/// # Errors
/// Database errors; applications already moved stay moved.
pub async fn run(st: AppState, as_of: DateTime<Utc>) -> Result<JobReport, AppError> {
    let (mut issued_n, mut refused_n, mut failed_n, mut last_id) = (0u64, 0u64, 0u64, 0i64);
    loop {
        let chunk = application::Entity::find()
            .filter(application::Column::State.eq(State::InProcessing.as_str()))
            .filter(application::Column::Id.gt(last_id))
            .order_by_asc(application::Column::Id)
            .limit(CHUNK)
            .all(&st.db)
            .await?;
        let Some(last) = chunk.last() else { break };
        last_id = last.id;
        for app in &chunk {
            let cmd = match st.ca.process(app, app.state_changed_at, as_of) {
                Processing::Waiting => continue,
                Processing::Issued => Command::issued(app),
                Processing::Refused(reason) => Command::CaRefused { reason },
            };
            let refusal = matches!(cmd, Command::CaRefused { .. });
            match service::fire(&st, Caller::System(NAME), app.id, cmd, Some(app.version)).await {
                Ok(_) if refusal => refused_n += 1,
                Ok(_) => issued_n += 1,
                // Someone acted on it meanwhile (the operator, a rejection): theirs stands.
                Err(AppError::Stale { .. } | AppError::Conflict { .. }) => {}
                // One application the pipeline cannot take does not hold up the queue:
                // it stays in processing for the operator, and the log says why.
                Err(e) => {
                    failed_n += 1;
                    tracing::error!(application = app.id, error = ?e, "ca_processing failed");
                }
            }
        }
    }
    Ok(JobReport {
        job: NAME.to_owned(),
        processed: issued_n + refused_n,
        summary: format!(
            "обработано удостоверяющим центром: {issued_n}, отказано: {refused_n}, с ошибкой: {failed_n}"
        ),
    })
}
