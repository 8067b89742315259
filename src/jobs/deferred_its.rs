//! §2.1.2: a subscriber connected with «Отложенное подключение в рамках договора ИТС
//! уровня ПРОФ» is blocked one month after connection if no PROF subscription was
//! registered for it meanwhile.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};

use super::JobReport;
use crate::AppState;
use crate::audit::{Actor, Write};
use crate::clock::moscow;
use crate::entities::{its_subscription, licence, product_account, subscriber};
use crate::error::AppError;
use crate::subscribers::licences::block_all_in;
use crate::tariffs::licence::LicenceState;

pub const NAME: &str = "deferred_its";
pub const REASON: &str =
    "Отложенное подключение: подписка 1С:ИТС ПРОФ не зарегистрирована в течение месяца";

/// The rule: due a month after the licence started.
pub fn is_due(starts_on: NaiveDate, today: NaiveDate) -> bool {
    crate::tariffs::licence::deferred_its_block_on(starts_on).is_some_and(|d| d <= today)
}

/// # Errors
/// Database errors.
pub async fn run(st: AppState, as_of: DateTime<Utc>) -> Result<JobReport, AppError> {
    let today = as_of.with_timezone(&moscow()).date_naive();
    let candidates = licence::Entity::find()
        .filter(licence::Column::ConnectionOption.eq("deferred_its"))
        .filter(licence::Column::State.eq(LicenceState::Registered.as_str()))
        .order_by_asc(licence::Column::Id)
        .all(&st.db)
        .await?;
    let mut blocked = 0u64;
    let mut seen = std::collections::HashSet::new();
    for l in candidates
        .into_iter()
        .filter(|l| is_due(l.starts_on, today))
    {
        if !seen.insert(l.subscriber_id) {
            continue;
        }
        let Some(sub) = subscriber::Entity::find_by_id(l.subscriber_id)
            .one(&st.db)
            .await?
        else {
            continue;
        };
        let logins: Vec<String> = product_account::Entity::find()
            .filter(product_account::Column::SubscriberId.eq(sub.id))
            .all(&st.db)
            .await?
            .into_iter()
            .filter_map(|p| p.its_login)
            .collect();
        let registered = its_subscription::Entity::find()
            .filter(its_subscription::Column::Level.eq("PROF"))
            .filter(its_subscription::Column::StartsOn.lte(today))
            .filter(its_subscription::Column::EndsOn.gte(today))
            .filter(
                Condition::any()
                    .add(its_subscription::Column::OwnerInn.eq(&sub.inn))
                    .add(its_subscription::Column::PortalLogin.is_in(logins)),
            )
            .one(&st.db)
            .await?
            .is_some();
        if registered {
            continue;
        }
        let mut w = Write::begin(&st.db, Actor::system(NAME), as_of).await?;
        match block_all_in(&mut w, &sub, today, Some(REASON.to_owned())).await {
            Ok(n) => {
                w.commit().await?;
                blocked += n;
            }
            // Future licences or nothing registered any more: leave it for people.
            Err(AppError::Invalid(_) | AppError::Conflict { .. } | AppError::Refused { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(JobReport {
        job: NAME.to_owned(),
        processed: blocked,
        summary: format!("заблокировано лицензий (отложенное ИТС): {blocked}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_one_month_after_connection() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert!(!is_due(d("2025-03-03"), d("2025-04-02")));
        assert!(is_due(d("2025-03-03"), d("2025-04-03")));
        assert!(is_due(d("2025-01-31"), d("2025-02-28")));
    }
}
