//! Housekeeping of sign-ins: expired sessions are deleted (they no longer sign anyone in,
//! but a stolen database copy should not hold them either), and the one-time form tokens
//! older than a day are forgotten (a form that old is refused by its session anyway).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::JobReport;
use crate::AppState;
use crate::audit::{Actor, Change, Write};
use crate::entities::{form_submission, session};
use crate::error::AppError;

pub const NAME: &str = "sessions";

/// How long a used form token is remembered.
pub const FORM_TOKENS_KEPT: Duration = Duration::days(1);

/// # Errors
/// Database errors.
pub async fn run(st: AppState, as_of: DateTime<Utc>) -> Result<JobReport, AppError> {
    let mut w = Write::begin(&st.db, Actor::system(NAME), as_of).await?;
    let sessions = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(as_of))
        .exec(&*w)
        .await?
        .rows_affected;
    let tokens = form_submission::Entity::delete_many()
        .filter(form_submission::Column::At.lt(as_of - FORM_TOKENS_KEPT))
        .exec(&*w)
        .await?
        .rows_affected;
    if sessions + tokens > 0 {
        w.record(
            Change::new("sessions.purge", "session", "expired")
                .after(json!({"sessions": sessions, "form_tokens": tokens})),
        );
        w.commit().await?;
    }
    Ok(JobReport {
        job: NAME.to_owned(),
        processed: sessions,
        summary: format!(
            "удалено истёкших сессий: {sessions}, использованных токенов форм: {tokens}"
        ),
    })
}
