//! §8.3: the daily refresh of the revoked list. Requests sent to the certification
//! authority more than a day ago are asked about; those it reports revoked mark their
//! certificate revoked.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::JobReport;
use crate::AppState;
use crate::audit::{Actor, Write};
use crate::entities::revocation_request;
use crate::error::AppError;
use crate::subscribers::certificates::{RequestState, service};

pub const NAME: &str = "certificate_revocations";

/// # Errors
/// Database errors; requests already marked stay marked.
pub async fn run(st: AppState, as_of: DateTime<Utc>) -> Result<JobReport, AppError> {
    let sent = revocation_request::Entity::find()
        .filter(revocation_request::Column::State.eq(RequestState::Sent.as_str()))
        .filter(revocation_request::Column::SentAt.lte(as_of - Duration::hours(24)))
        .all(&st.db)
        .await?;
    let revoked = st.ca.revoked(&sent);
    let mut n = 0;
    for r in sent.iter().filter(|r| revoked.contains(&r.id)) {
        let mut w = Write::begin(&st.db, Actor::system(NAME), as_of).await?;
        if service::mark_revoked(&mut w, r).await? {
            w.commit().await?;
            n += 1;
        }
    }
    Ok(JobReport {
        job: NAME.to_owned(),
        processed: n,
        summary: format!("отозвано сертификатов: {n}"),
    })
}
