//! Jobs that act on time. Each job is a pure "what is due as of T" plus a transactional
//! apply, registered in [`registry`]; the scheduler inside `serve`, `registrar jobs run`
//! and `POST /api/v1/jobs/run` all call [`run_all`].

pub mod auto_reject;
pub mod deferred_its;
pub mod distribution;
pub mod identification_no_show;
pub mod outbox;

use std::time::Duration;

use axum::extract::{Query, State};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::params::Params;

/// What one job did in one run.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JobReport {
    pub job: String,
    pub processed: u64,
    pub summary: String,
}

/// A registered job.
pub struct Job {
    pub name: &'static str,
    pub run: fn(AppState, DateTime<Utc>) -> BoxFuture<'static, Result<JobReport, AppError>>,
}

/// Every job, in the order they run; the outbox goes last so that the e-mails the other
/// jobs queue leave in the same run.
pub fn registry() -> Vec<Job> {
    vec![
        Job {
            name: auto_reject::NAME,
            run: |st, t| Box::pin(auto_reject::run(st, t)),
        },
        Job {
            name: identification_no_show::NAME,
            run: |st, t| Box::pin(identification_no_show::run(st, t)),
        },
        Job {
            name: distribution::NAME,
            run: |st, t| Box::pin(distribution::run(st, t)),
        },
        Job {
            name: deferred_its::NAME,
            run: |st, t| Box::pin(deferred_its::run(st, t)),
        },
        Job {
            name: crate::subscribers::certificates::JOB,
            run: |st, t| Box::pin(crate::subscribers::certificates::refresh_revoked(st, t)),
        },
        Job {
            name: outbox::NAME,
            run: |st, t| Box::pin(outbox::run(st, t)),
        },
    ]
}

/// Runs every job once as of `as_of`.
///
/// # Errors
/// The first job that fails; the jobs before it have committed their work.
pub async fn run_all(state: &AppState, as_of: DateTime<Utc>) -> Result<Vec<JobReport>, AppError> {
    let mut reports = Vec::new();
    for job in registry() {
        let report = (job.run)(state.clone(), as_of).await?;
        tracing::info!(
            job = job.name,
            processed = report.processed,
            "{}",
            report.summary
        );
        reports.push(report);
    }
    Ok(reports)
}

/// Runs the jobs every `period` as of the state's clock, until the process ends.
pub fn spawn_scheduler(state: AppState, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = run_all(&state, state.clock.now()).await {
                tracing::error!(error = %e, "scheduled job run failed");
            }
        }
    })
}

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/jobs/run", post(api_run))
}

#[derive(Deserialize)]
struct RunQuery {
    as_of: Option<String>,
}

#[derive(Serialize)]
struct RunResponse {
    as_of: DateTime<Utc>,
    jobs: Vec<JobReport>,
}

async fn api_run(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<RunQuery>,
) -> AppResult<Json<RunResponse>> {
    user.require(&[Role::Operator])?;
    let mut p = Params::new();
    let as_of = p.instant("as_of", q.as_of.as_deref());
    p.finish()?;
    let as_of = as_of.unwrap_or_else(|| state.clock.now());
    Ok(Json(RunResponse {
        jobs: run_all(&state, as_of).await?,
        as_of,
    }))
}
