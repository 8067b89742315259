//! Reference data pages (read-only) and their API.

use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Path, Query};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Datelike, NaiveDate};
use maud::Markup;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::views;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::calendar::ProductionCalendar;
use crate::entities::calendar_day;
use crate::error::{AppError, AppResult};
use crate::params::Params;
use crate::tariffs::catalog::{self, CatalogItem};

pub fn web_routes() -> Router<AppState> {
    Router::new()
        .route("/reference", get(index))
        .route("/reference/partners", get(partners_page))
        .route("/reference/identification-centers", get(centers_page))
        .route("/reference/tariffs", get(tariffs_page))
        .route("/reference/calendar", get(calendar_page))
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(api_partners))
        .routes(routes!(api_partner))
        .routes(routes!(api_centers))
        .routes(routes!(api_tariffs))
        .routes(routes!(api_add_working_days))
        .routes(routes!(api_calendar))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TariffQuery {
    pub zone: Option<String>,
    pub date: Option<String>,
}

impl TariffQuery {
    fn parse(&self) -> AppResult<(Option<i16>, Option<NaiveDate>)> {
        let mut p = Params::new();
        let zone = p.int::<i16>("zone", self.zone.as_deref(), 1, 3);
        let date = p.date("date", self.date.as_deref());
        p.finish()?;
        Ok((zone, date))
    }
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    pub year: Option<String>,
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkingDaysQuery {
    pub from: Option<String>,
    pub days: Option<String>,
}

#[derive(Serialize)]
pub struct CalendarDayView {
    pub date: NaiveDate,
    pub working: bool,
    pub note: Option<String>,
}

/// The days of a year as the calendar shows them, and whether the year's official
/// calendar is loaded (without it only weekends are days off).
async fn year_days(state: &AppState, year: i32) -> AppResult<(Vec<CalendarDayView>, bool)> {
    let (from, to) = (
        NaiveDate::from_ymd_opt(year, 1, 1)
            .ok_or_else(|| AppError::invalid("year", "нет такого года"))?,
        NaiveDate::from_ymd_opt(year, 12, 31)
            .ok_or_else(|| AppError::invalid("year", "нет такого года"))?,
    );
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let stored: HashMap<NaiveDate, calendar_day::Model> = calendar_day::Entity::find()
        .filter(calendar_day::Column::Day.between(from, to))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|d| (d.day, d))
        .collect();
    let cal = ProductionCalendar::from_days(stored.values().map(|d| (d.day, d.is_working)));
    let days = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|d| CalendarDayView {
            date: d,
            working: cal.is_working_day(d),
            note: stored.get(&d).and_then(|s| s.note.clone()),
        })
        .collect();
    Ok((days, !stored.is_empty()))
}

// ---- web ----

async fn index(user: CurrentUser) -> Markup {
    views::index(&user)
}

async fn partners_page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Markup> {
    let rows = super::partners(&state.db, &user.scope, None).await?;
    Ok(views::partners(&user, &rows))
}

async fn centers_page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Markup> {
    Ok(views::centers(
        &user,
        &super::identification_centers(&state.db).await?,
    ))
}

async fn tariffs_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<TariffQuery>,
) -> AppResult<Markup> {
    let (zone, date) = q.parse()?;
    let rows: Vec<CatalogItem> = catalog::list(&state.db, zone, date)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(views::tariffs(&user, &rows, zone, date))
}

async fn calendar_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<YearQuery>,
) -> AppResult<Markup> {
    let mut p = Params::new();
    let year = p
        .int::<i32>("year", q.year.as_deref(), 2000, 2100)
        .unwrap_or_else(|| state.clock.today().year());
    p.finish()?;
    let (days, loaded) = year_days(&state, year).await?;
    Ok(views::calendar(&user, year, &days, loaded))
}

// ---- API ----

#[utoipa::path(get, path = "/me", tag = "Справочники", summary = "Кто вызывает: логин, ФИО, роль, организация", responses((status = 200, description = "`{login, full_name, role, organisation}`", body = Object), crate::openapi::Refusals))]
async fn me(user: CurrentUser) -> Json<Value> {
    Json(json!({
        "login": user.login,
        "full_name": user.full_name,
        "role": user.role.as_str(),
        "organisation": user.organisation,
    }))
}

#[utoipa::path(get, path = "/partners", tag = "Справочники", summary = "Партнеры в пределах организации вызывающего", responses((status = 200, description = "`{total, items}`", body = Object), crate::openapi::Refusals))]
async fn api_partners(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    let items = super::partners(&state.db, &user.scope, None).await?;
    Ok(Json(json!({ "total": items.len(), "items": items })))
}

#[utoipa::path(get, path = "/partners/{code}", tag = "Справочники", summary = "Партнер", params(("code" = String, Path, description = "Код партнера")), responses((status = 200, description = "Партнер", body = Object), crate::openapi::Refusals))]
async fn api_partner(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Json<super::PartnerView>> {
    // Another organisation's partner is simply not found: its existence is not revealed.
    let p = super::partners(&state.db, &user.scope, Some(&code))
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    Ok(Json(p))
}

#[utoipa::path(get, path = "/identification-centers", tag = "Справочники", summary = "Центры идентификации", responses((status = 200, description = "`{items}`", body = Object), crate::openapi::Refusals))]
async fn api_centers(State(state): State<AppState>, _user: CurrentUser) -> AppResult<Json<Value>> {
    let items = super::identification_centers(&state.db).await?;
    Ok(Json(json!({ "total": items.len(), "items": items })))
}

#[utoipa::path(get, path = "/tariffs", tag = "Справочники", summary = "Каталог тарифов", params(TariffQuery), responses((status = 200, description = "`{items}`", body = Object), crate::openapi::Refusals))]
async fn api_tariffs(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(q): Query<TariffQuery>,
) -> AppResult<Json<Value>> {
    let (zone, date) = q.parse()?;
    let items: Vec<CatalogItem> = catalog::list(&state.db, zone, date)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(json!({ "total": items.len(), "items": items })))
}

#[utoipa::path(get, path = "/calendar/{year}", tag = "Справочники", summary = "Производственный календарь года (`loaded` — загружен ли он)", params(("year" = i32, Path, description = "Год, 2000–2100")), responses((status = 200, description = "`{year, loaded, working_days, days}`", body = Object), crate::openapi::Refusals))]
async fn api_calendar(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(year): Path<String>,
) -> AppResult<Json<Value>> {
    let mut p = Params::new();
    let year = p.int::<i32>("year", Some(&year), 2000, 2100);
    p.finish()?;
    let year = year.ok_or_else(|| AppError::invalid("year", "обязательный параметр"))?;
    let (days, loaded) = year_days(&state, year).await?;
    let working = days.iter().filter(|d| d.working).count();
    Ok(Json(
        json!({ "year": year, "loaded": loaded, "working_days": working, "days": days }),
    ))
}

#[utoipa::path(get, path = "/calendar/add-working-days", tag = "Справочники", summary = "Дата через N рабочих дней по производственному календарю", params(WorkingDaysQuery), responses((status = 200, description = "`{from, days, date}`", body = Object), crate::openapi::Refusals))]
async fn api_add_working_days(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(q): Query<WorkingDaysQuery>,
) -> AppResult<Json<Value>> {
    let mut p = Params::new();
    let from = p.date("from", q.from.as_deref());
    let days = p.int::<u32>("days", q.days.as_deref(), 0, 366);
    if from.is_none() && q.from.as_deref().is_none_or(str::is_empty) {
        p.require("from");
    }
    if days.is_none() && q.days.as_deref().is_none_or(str::is_empty) {
        p.require("days");
    }
    p.finish()?;
    let (from, days) = (from.unwrap_or_default(), days.unwrap_or_default());
    let date = crate::calendar::add_working_days(&state.db, from, days).await?;
    Ok(Json(json!({ "from": from, "days": days, "date": date })))
}
