//! The test clock (interfaces.md "Time"): under `serve --test-clock` the operator reads
//! and moves the one clock every rule reads — forward only — and every job due up to the
//! new instant runs before the answer, as Kill Bill's test clock waits for its queues.
//! Without the flag both answer 404.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::JobReport;
use crate::AppState;
use crate::api::ApiJson;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::clock::{Clock, TestClock, moscow};
use crate::error::{AppError, AppResult};
use crate::params::Params;

/// How far one move may go.
const MAX_AHEAD_DAYS: i64 = 3653;

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show, move_to))
}

#[derive(Serialize, utoipa::ToSchema)]
struct ClockView {
    now: DateTime<Utc>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MoveBody {
    /// The new instant, RFC 3339.
    now: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Moved {
    now: DateTime<Utc>,
    #[schema(value_type = Vec<Object>)]
    jobs: Vec<JobReport>,
}

/// The test clock, for the operator only; 404 when the server runs on the real clock.
fn test_clock<'a>(st: &'a AppState, user: &CurrentUser) -> AppResult<&'a TestClock> {
    let clock = st.test_clock.as_deref().ok_or(AppError::NotFound)?;
    user.require(&[Role::Operator])?;
    Ok(clock)
}

#[utoipa::path(get, path = "/test/clock", tag = "Задания", summary = "Тестовые часы: текущий момент (только `serve --test-clock`, оператор)", responses((status = 200, description = "`{now}`", body = Object), crate::openapi::Refusals))]
async fn show(State(st): State<AppState>, user: CurrentUser) -> AppResult<Json<ClockView>> {
    Ok(Json(ClockView {
        now: test_clock(&st, &user)?.now(),
    }))
}

#[utoipa::path(put, path = "/test/clock", tag = "Задания", summary = "Перевести тестовые часы вперёд; задания, наступившие к новому моменту, выполняются до ответа (только `serve --test-clock`, оператор)", request_body = MoveBody, responses((status = 200, description = "`{now, jobs}`", body = Object), crate::openapi::Refusals))]
async fn move_to(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiJson(b): ApiJson<MoveBody>,
) -> AppResult<Json<Moved>> {
    let clock = test_clock(&st, &user)?;
    let mut p = Params::new();
    let at = p.instant("now", Some(&b.now));
    p.finish()?;
    let at = at.ok_or_else(|| AppError::invalid("now", "укажите момент времени"))?;
    let before = clock.now();
    // Every job runs up to the new instant: a far year would only stress the dates.
    if at > before + chrono::Duration::days(MAX_AHEAD_DAYS) {
        return Err(AppError::invalid(
            "now",
            "тестовые часы переводятся не дальше чем на 10 лет вперёд",
        ));
    }
    clock.move_to(at).map_err(|now| {
        AppError::invalid(
            "now",
            format!(
                "тестовые часы идут только вперёд: сейчас {}",
                now.with_timezone(&moscow())
                    .format("%d.%m.%Y %H:%M:%S (МСК)")
            ),
        )
    })?;
    let mut w = Write::begin(&st.db, user.actor(), at).await?;
    w.record(
        Change::new("test_clock.move", "test_clock", "clock")
            .before(serde_json::json!({"now": before}))
            .after(serde_json::json!({"now": at})),
    );
    w.commit().await?;
    let jobs = super::run_all(&st, at).await?;
    Ok(Json(Moved { now: at, jobs }))
}
