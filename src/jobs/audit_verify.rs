//! Once a day the journal's hash chain is walked end to end and the result kept for the
//! operator's journal page (the operator can also run it at any time from that page,
//! and `registrar audit verify` from the command line).

use chrono::{DateTime, Duration, Utc};

use super::JobReport;
use crate::AppState;
use crate::audit::{self, Actor};
use crate::error::AppError;

pub const NAME: &str = "audit_verify";

/// How often the chain is verified.
pub const EVERY: Duration = Duration::hours(24);

/// # Errors
/// Database errors.
pub async fn run(st: AppState, as_of: DateTime<Utc>) -> Result<JobReport, AppError> {
    let last = audit::last_verification(&st.db).await?;
    let due = last
        .as_ref()
        .is_none_or(|l| l.verified_at.is_none_or(|at| as_of - at >= EVERY));
    if !due {
        return Ok(JobReport {
            job: NAME.to_owned(),
            processed: 0,
            summary: "журнал уже проверен за последние сутки".to_owned(),
        });
    }
    let v = audit::verify_and_record(&st.db, Actor::system(NAME), as_of).await?;
    let summary = match &v.broken {
        None => format!("цепочка журнала цела: {} записей", v.entries),
        Some((id, b)) => format!("цепочка журнала нарушена на записи №{id}: {}", b.title_ru()),
    };
    if v.broken.is_some() {
        tracing::error!("{summary}");
    }
    Ok(JobReport {
        job: NAME.to_owned(),
        processed: v.entries,
        summary,
    })
}
