//! Delivers the queued e-mails that are due.

use chrono::{DateTime, Utc};

use super::JobReport;
use crate::AppState;
use crate::error::AppError;
use crate::notify;

pub const NAME: &str = "outbox";

/// # Errors
/// Database errors.
pub async fn run(st: AppState, as_of: DateTime<Utc>) -> Result<JobReport, AppError> {
    let mut total = notify::DeliveryReport::default();
    loop {
        let r = notify::deliver_due(&st.db, &st.mailer, as_of, 200).await?;
        total.sent += r.sent;
        total.retried += r.retried;
        total.failed += r.failed;
        if r.sent + r.retried + r.failed < 200 {
            break;
        }
    }
    Ok(JobReport {
        job: NAME.to_owned(),
        processed: total.sent,
        summary: format!(
            "отправлено писем: {}, отложено: {}, не доставлено: {}",
            total.sent, total.retried, total.failed
        ),
    })
}
