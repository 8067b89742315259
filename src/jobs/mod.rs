//! Jobs that act on time. Each job is a pure "what is due as of T" plus a transactional
//! apply, registered in [`registry`]; the scheduler inside `serve`, `registrar jobs run`
//! and `POST /api/v1/jobs/run` all call [`run_all`].

pub mod audit_verify;
pub mod auto_reject;
pub mod ca_processing;
pub mod certificate_revocations;
pub mod deferred_its;
pub mod distribution;
pub mod identification_no_show;
pub mod outbox;
pub mod reconciliation_notices;
pub mod sessions;
pub mod test_clock;

use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::Query;
use axum::Json;
use axum::extract::State;
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
            name: ca_processing::NAME,
            run: |st, t| Box::pin(ca_processing::run(st, t)),
        },
        Job {
            name: certificate_revocations::NAME,
            run: |st, t| Box::pin(certificate_revocations::run(st, t)),
        },
        Job {
            name: audit_verify::NAME,
            run: |st, t| Box::pin(audit_verify::run(st, t)),
        },
        Job {
            name: sessions::NAME,
            run: |st, t| Box::pin(sessions::run(st, t)),
        },
        Job {
            name: reconciliation_notices::NAME,
            run: |st, t| Box::pin(reconciliation_notices::run(st, t)),
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
        // Several servers on one PostgreSQL: the instance that holds the job's lock runs
        // it; the others pass (the job's rows are done or theirs next time).
        let Some(lock) = JobLock::try_acquire(state, job.name).await? else {
            reports.push(JobReport {
                job: job.name.to_owned(),
                processed: 0,
                summary: "выполняется другим экземпляром".to_owned(),
            });
            continue;
        };
        let report = (job.run)(state.clone(), as_of).await;
        state.kept_sessions.written();
        lock.release().await;
        let report = report.map_err(|e| e.context(job.name))?;
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

/// A job's lock across the servers sharing one PostgreSQL database: a session-level
/// advisory lock, keyed by the job's name, held on a connection of its own for the run —
/// released when the run ends or, if the process dies, when its connection closes. No
/// table, no lease to expire, no home-made coordination. SQLite is one process: no lock.
pub struct JobLock {
    held: Option<(
        sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::Postgres>,
        i64,
    )>,
}

impl JobLock {
    /// The advisory key of a job: FNV-1a of its name (stable across builds and servers).
    pub fn key(name: &str) -> i64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        i64::from_ne_bytes(h.to_ne_bytes())
    }

    /// The lock of `job`, or `None` when another server holds it.
    ///
    /// # Errors
    /// The database cannot be reached.
    pub async fn try_acquire(state: &AppState, job: &str) -> Result<Option<JobLock>, AppError> {
        if state.db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(Some(JobLock { held: None }));
        }
        let key = JobLock::key(job);
        let mut conn = state
            .db
            .get_postgres_connection_pool()
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let got: bool = sea_orm::sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        Ok(got.then_some(JobLock {
            held: Some((conn, key)),
        }))
    }

    /// Gives the lock back (a failure to unlock closes the connection, which does).
    pub async fn release(self) {
        if let Some((mut conn, key)) = self.held {
            let unlocked = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(key)
                .execute(&mut *conn)
                .await;
            if unlocked.is_err() {
                conn.detach();
            }
        }
    }
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

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_run))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RunQuery {
    as_of: Option<String>,
}

#[derive(Serialize)]
struct RunResponse {
    as_of: DateTime<Utc>,
    jobs: Vec<JobReport>,
}

/// How far from the clock a run through the API may be dated. Jobs act on every open
/// application at once, so `as_of=9999-12-31` would reject them all (F7); moving time
/// for training and acceptance is the test clock's job, not this endpoint's.
pub const API_AS_OF_AHEAD: chrono::Duration = chrono::Duration::minutes(5);
pub const API_AS_OF_BEHIND: chrono::Duration = chrono::Duration::days(1);

/// Runs every job as [`run_all`] does, after journaling who asked for the run and as of
/// when (the jobs' own entries name the job as their actor).
///
/// # Errors
/// As [`run_all`].
pub async fn run_all_for(
    state: &AppState,
    as_of: DateTime<Utc>,
    by: crate::audit::Actor,
) -> Result<Vec<JobReport>, AppError> {
    let mut w = crate::audit::Write::begin(&state.db, by, state.clock.now()).await?;
    w.record(
        crate::audit::Change::new("jobs.run", "jobs", "all")
            .after(serde_json::json!({"as_of": as_of})),
    );
    w.commit().await?;
    run_all(state, as_of).await
}

#[utoipa::path(post, path = "/jobs/run", tag = "Задания", summary = "Выполнить все задания на момент `as_of` (не позже 5 минут вперёд и не раньше суток назад)", params(RunQuery), responses((status = 200, description = "`{as_of, jobs}`", body = Object), crate::openapi::Refusals))]
async fn api_run(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<RunQuery>,
) -> AppResult<Json<RunResponse>> {
    user.require(&[Role::Operator])?;
    let now = state.clock.now();
    let mut p = Params::new();
    let as_of = p.instant("as_of", q.as_of.as_deref());
    if let Some(t) = as_of
        && (t > now + API_AS_OF_AHEAD || t < now - API_AS_OF_BEHIND)
    {
        p.reject(
            "as_of",
            "момент запуска должен быть не позже чем через 5 минут и не раньше суток назад от текущего времени",
        );
    }
    p.finish()?;
    let as_of = as_of.unwrap_or(now);
    Ok(Json(RunResponse {
        jobs: run_all_for(&state, as_of, user.actor()).await?,
        as_of,
    }))
}
