//! §14: an application no partner has claimed within two days goes to the sales center
//! of its region (the Распределение list), and the sales center is told by e-mail.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use super::JobReport;
use crate::AppState;
use crate::applications::service::history_row;
use crate::applications::state::State;
use crate::audit::{Actor, Change, Write};
use crate::entities::{application, sales_center};
use crate::error::AppError;
use crate::notify::{self, templates};

pub const NAME: &str = "distribution";
pub const DAYS: i64 = 2;
const CHUNK: u64 = 1000;

/// # Errors
/// Database errors.
pub async fn run(st: AppState, as_of: DateTime<Utc>) -> Result<JobReport, AppError> {
    let cutoff = as_of - Duration::days(DAYS);
    let centers: HashMap<String, Vec<sales_center::Model>> = sales_center::Entity::find()
        .all(&st.db)
        .await?
        .into_iter()
        .fold(HashMap::new(), |mut m, c| {
            m.entry(c.region_code.clone()).or_default().push(c);
            m
        });
    let mut done = 0u64;
    loop {
        let chunk = application::Entity::find()
            .filter(application::Column::State.eq(State::Submitted.as_str()))
            .filter(application::Column::PartnerId.is_null())
            .filter(application::Column::DistributedAt.is_null())
            .filter(application::Column::ReceivedAt.lte(cutoff))
            .order_by_asc(application::Column::Id)
            .limit(CHUNK)
            .all(&st.db)
            .await?;
        if chunk.is_empty() {
            break;
        }
        let mut w = Write::begin(&st.db, Actor::system(NAME), as_of).await?;
        let mut moved: Vec<&application::Model> = Vec::new();
        for app in &chunk {
            let won = application::Entity::update_many()
                .col_expr(application::Column::DistributedAt, Expr::value(Some(as_of)))
                .filter(application::Column::Id.eq(app.id))
                .filter(application::Column::DistributedAt.is_null())
                .filter(application::Column::State.eq(State::Submitted.as_str()))
                .exec(&*w)
                .await?
                .rows_affected
                == 1;
            if !won {
                continue;
            }
            history_row(
                app,
                w.actor(),
                as_of,
                "distribute",
                Some(State::Submitted),
                State::Submitted,
                Some("Передано в распределение центра продаж".to_owned()),
            )
            .insert(&*w)
            .await?;
            w.record(
                Change::new("application.distribute", "application", app.id)
                    .after(json!({"region": app.region_code})),
            );
            moved.push(app);
        }
        let mut by_region: HashMap<&str, Vec<&application::Model>> = HashMap::new();
        for a in &moved {
            by_region.entry(a.region_code.as_str()).or_default().push(a);
        }
        for (region, apps) in by_region {
            for sc in centers.get(region).into_iter().flatten() {
                if let Some(to) = &sc.email {
                    notify::enqueue(&*w, as_of, templates::distribution_digest(to, &apps)).await?;
                }
            }
        }
        done += moved.len() as u64;
        let empty = !w.has_changes();
        if empty {
            break;
        }
        w.commit().await?;
    }
    Ok(JobReport {
        job: NAME.to_owned(),
        processed: done,
        summary: format!("передано в распределение: {done}"),
    })
}
