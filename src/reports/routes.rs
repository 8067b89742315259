//! The reports' pages («Аналитика»), their exports and their API.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, PreEscaped, html};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::rules::Quarter;
use super::{Kind, Param, RawParams, ReportName, Table};
use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::entities::{region, sales_center};
use crate::error::{AppError, AppResult};
use crate::extract::{Path, Query};
use crate::web::layout;

pub fn web_routes() -> Router<AppState> {
    Router::new()
        .route("/analytics", get(index))
        .route("/analytics/reports/{name}", get(page))
        .route("/analytics/reports/{name}/export.{format}", get(export))
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_list))
        .routes(routes!(api_report))
}

fn may_see_analytics(user: &CurrentUser) -> AppResult<()> {
    if matches!(
        user.role,
        Role::Partner | Role::SalesCenter | Role::Operator
    ) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn report_named(name: &str) -> AppResult<ReportName> {
    ReportName::parse(name).ok_or(AppError::NotFound)
}

async fn index(user: CurrentUser) -> AppResult<Markup> {
    may_see_analytics(&user)?;
    Ok(layout::page(
        &user,
        "analytics",
        "Аналитика",
        html! {
            h2 { "Отчетность" }
            div.cards {
                @for r in super::available(&user) {
                    a.card href={ "/analytics/reports/" (r.as_str()) } {
                        h3 { (r.title_ru()) }
                        p { (r.about_ru()) }
                    }
                }
            }
            h2 { "Инструменты" }
            div.cards {
                a.card href="/analytics/calculator" {
                    h3 { "Тарифный калькулятор" }
                    p { "Тарифы 1С-Отчетности и конкурентов: возможности, цены, сравнение." }
                }
                a.card href="/reference/calculator" {
                    h3 { "Расчет стоимости" }
                    p { "Стоимость подключения и продления по тарифу, зоне и дате." }
                }
            }
        },
    ))
}

fn query_string(raw: &RawParams) -> String {
    let pairs = [
        ("from", &raw.from),
        ("to", &raw.to),
        ("on", &raw.on),
        ("quarter", &raw.quarter),
        ("region", &raw.region),
        ("connection", &raw.connection),
        ("partner", &raw.partner),
        ("sales_center", &raw.sales_center),
    ];
    let mut out = form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (k, v) in pairs {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            out.append_pair(k, v);
            any = true;
        }
    }
    if any {
        format!("?{}", out.finish())
    } else {
        String::new()
    }
}

async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    Query(raw): Query<RawParams>,
) -> AppResult<Response> {
    may_see_analytics(&user)?;
    let name = report_named(&name)?;
    if !name.open_to(user.role) {
        return Err(AppError::Forbidden);
    }
    let today = crate::clock::Clock::today(&*st.clock);
    let regions = if name.params().contains(&Param::Region) {
        region::Entity::find()
            .order_by_asc(region::Column::Code)
            .all(&st.db)
            .await?
    } else {
        Vec::new()
    };
    let sales_centers = if name.params().contains(&Param::SalesCenter) {
        let own = match user.scope {
            crate::auth::Scope::SalesCenter { sales_center_id }
            | crate::auth::Scope::Partner {
                sales_center_id, ..
            } => Some(sales_center_id),
            _ => None,
        };
        sales_center::Entity::find()
            .order_by_asc(sales_center::Column::Name)
            .all(&st.db)
            .await?
            .into_iter()
            .filter(|sc| own.is_none_or(|id| id == sc.id))
            .collect()
    } else {
        Vec::new()
    };
    let built = super::build(&st, &user, name, &raw).await;
    let (status, table, errors) = match built {
        Ok(t) => (StatusCode::OK, Some(t), Vec::new()),
        Err(AppError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, None, errors),
        Err(other) => return Err(other),
    };
    // The form shows what was asked for; where nothing was, the defaults it was built with.
    let p = raw.check(today).ok();
    let shown = |key: &str, given: &Option<String>| -> String {
        if let Some(g) = given.as_deref().filter(|g| !g.is_empty()) {
            return g.to_owned();
        }
        p.as_ref().map_or_else(String::new, |p| match key {
            "from" => p.from.format("%Y-%m-%d").to_string(),
            "to" => p.to.format("%Y-%m-%d").to_string(),
            "on" => p.on.format("%Y-%m-%d").to_string(),
            "quarter" => p.quarter.code(),
            "connection" => p.connection.code().to_owned(),
            _ => String::new(),
        })
    };
    let error_of = |key: &str| {
        errors
            .iter()
            .find(|e| e.field == key)
            .map(|e| e.message.clone())
    };
    let quarters: Vec<Quarter> = {
        let mut q = vec![Quarter::of(today)];
        for _ in 0..7 {
            let prev = q[q.len() - 1].previous();
            q.push(prev);
        }
        q
    };
    let qs = query_string(&raw);
    let body = html! {
        p.muted { (name.about_ru()) }
        form.card-form.report-params method="get" action={ "/analytics/reports/" (name.as_str()) } {
            div.form-row {
                @for param in name.params() {
                    @match param {
                        Param::Period => {
                            label { "Период с"
                                input type="date" name="from" value=(shown("from", &raw.from));
                                @if let Some(e) = error_of("from") { span.field-error { (e) } }
                            }
                            label { "по"
                                input type="date" name="to" value=(shown("to", &raw.to));
                                @if let Some(e) = error_of("to") { span.field-error { (e) } }
                            }
                        }
                        Param::Date => {
                            label { "На дату"
                                input type="date" name="on" value=(shown("on", &raw.on));
                                @if let Some(e) = error_of("on") { span.field-error { (e) } }
                            }
                        }
                        Param::Quarter => {
                            @let current = shown("quarter", &raw.quarter);
                            label { "Квартал"
                                select name="quarter" {
                                    @for q in &quarters {
                                        option value=(q.code()) selected[q.code() == current] { (q.title_ru()) }
                                    }
                                    @if !quarters.iter().any(|q| q.code() == current) {
                                        option value=(current) selected { (current) }
                                    }
                                }
                                @if let Some(e) = error_of("quarter") { span.field-error { (e) } }
                            }
                        }
                        Param::Region => {
                            @let current = shown("region", &raw.region);
                            label { "Регион"
                                select name="region" {
                                    option value="" { "— все —" }
                                    @for r in &regions {
                                        option value=(r.code) selected[r.code == current] { (r.code) " " (r.name) }
                                    }
                                }
                                @if let Some(e) = error_of("region") { span.field-error { (e) } }
                            }
                        }
                        Param::Connection => {
                            @let current = shown("connection", &raw.connection);
                            label { "Подключения"
                                select name="connection" {
                                    @for (code, title) in [("all", "Все"), ("primary", "Первичные"), ("renewal", "Продления")] {
                                        option value=(code) selected[code == current] { (title) }
                                    }
                                }
                                @if let Some(e) = error_of("connection") { span.field-error { (e) } }
                            }
                        }
                        Param::Partner => {
                            @if user.role != Role::Partner {
                                label { "Часть имени/ИНН партнера"
                                    input type="search" name="partner" maxlength="100" value=(shown("partner", &raw.partner)) placeholder="все партнеры";
                                    @if let Some(e) = error_of("partner") { span.field-error { (e) } }
                                }
                            }
                        }
                        Param::SalesCenter => {
                            @let current = shown("sales_center", &raw.sales_center);
                            label { "Центр продаж"
                                select name="sales_center" {
                                    @if sales_centers.len() != 1 { option value="" { "— все —" } }
                                    @for sc in &sales_centers {
                                        option value=(sc.code) selected[sc.code == current] { (sc.name) }
                                    }
                                }
                                @if let Some(e) = error_of("sales_center") { span.field-error { (e) } }
                            }
                        }
                    }
                }
            }
            button.primary type="submit" { "Построить отчет" }
        }
        @if !errors.is_empty() {
            div.flash.flash-error role="alert" { "Отчет не построен. " (crate::labels::invalid_text(&errors)) }
        }
        @if let Some(t) = &table {
            (report(t, &qs))
        }
        @if name == ReportName::PartnerActivity && table.is_some() {
            @let on = p.as_ref().map(|p| p.to.format("%Y-%m-%d").to_string()).unwrap_or_default();
            @let mut q = form_urlencoded::Serializer::new(String::new());
            @let q = { q.append_pair("on", &on); if let Some(pt) = raw.partner.as_deref().filter(|s| !s.is_empty()) { q.append_pair("partner", pt); } q.finish() };
            div.actions {
                a.button.secondary href={ "/analytics/reports/active_subscribers/export.xlsx?" (q) } { "Экспорт Абонентов" }
                span.muted { " — действующие абоненты на конец периода, Excel" }
            }
        }
    };
    Ok((
        status,
        layout::page(&user, "analytics", name.title_ru(), body),
    )
        .into_response())
}

fn report(t: &Table, qs: &str) -> Markup {
    let base = format!("/analytics/reports/{}", t.name.as_str());
    html! {
        div.actions.report-actions {
            span { "Выгрузить отчет:" }
            a.button.secondary href={ (base) "/export.xlsx" (qs) } { "Excel (XLSX)" }
            a.button.secondary href={ (base) "/export.csv" (qs) } { "CSV" }
        }
        p.report-parameters {
            @for (k, v) in &t.parameters { span { b { (k) ": " } (v) } " " }
        }
        @if let Some(chart) = &t.chart {
            figure.report-chart { (PreEscaped(chart.svg())) }
        }
        div.table-wrap.wrap-heads {
            table.data.report {
                thead { tr {
                    @for c in &t.columns {
                        th class=[(c.kind != Kind::Text).then_some("num")] { (c.title) }
                    }
                } }
                tbody {
                    @if t.rows.is_empty() {
                        tr { td.empty colspan=(t.columns.len()) { "Нет данных за выбранный период" } }
                    }
                    @for r in &t.rows {
                        tr { @for (c, cell) in t.columns.iter().zip(r) {
                            td class=[(c.kind != Kind::Text).then_some("num")] { (cell.display()) }
                        } }
                    }
                }
                @if let Some(totals) = &t.totals {
                    tfoot { tr {
                        @for (c, cell) in t.columns.iter().zip(totals) {
                            th class=[(c.kind != Kind::Text).then_some("num")] { (cell.display()) }
                        }
                    } }
                }
            }
        }
        @for s in &t.sections {
            h3 { (s.title) }
            div.table-wrap.wrap-heads {
                table.data.report {
                    thead { tr {
                        @for c in &s.columns {
                            th class=[(c.kind != Kind::Text).then_some("num")] { (c.title) }
                        }
                    } }
                    tbody {
                        @for r in &s.rows {
                            tr { @for (c, cell) in s.columns.iter().zip(r) {
                                td class=[(c.kind != Kind::Text).then_some("num")] { (cell.display()) }
                            } }
                        }
                    }
                }
            }
        }
        @for n in &t.notes { p.muted.report-note { (n) } }
    }
}

async fn export(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((name, format)): Path<(String, String)>,
    Query(raw): Query<RawParams>,
) -> AppResult<Response> {
    may_see_analytics(&user)?;
    let name = report_named(&name)?;
    if !matches!(format.as_str(), "csv" | "xlsx") {
        return Err(AppError::NotFound);
    }
    let t = super::build(&st, &user, name, &raw).await?;
    super::export::respond(&t, &format)
}

/// The reports the caller may build, with the parameters each takes.
#[utoipa::path(get, path = "/reports", tag = "Отчеты", summary = "Отчеты, доступные вызывающему: имя, название, параметры",
    responses((status = 200, description = "`{items: [{name, title, about, parameters}]}`", body = Object), crate::openapi::Refusals))]
async fn api_list(user: CurrentUser) -> AppResult<Json<Value>> {
    may_see_analytics(&user)?;
    let items: Vec<Value> = super::available(&user)
        .into_iter()
        .map(|r| {
            json!({
                "name": r.as_str(),
                "title": r.title_ru(),
                "about": r.about_ru(),
                "parameters": r.params().iter().flat_map(|p| p.keys().iter().copied()).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// One report as JSON: the same rows as its page and export.
#[utoipa::path(get, path = "/reports/{name}", tag = "Отчеты",
    summary = "Отчет в пределах организации вызывающего: колонки, строки, итоги, пояснения, данные графика",
    params(("name" = String, Path, description = "Имя отчета: `competence_center`, `partners`, `regions`, `region_statistics`, `tariff_terms`, `products_certificates`, `representative_sends`, `active_subscribers`, `renewals`, `tender_consulting`, `plans`, `partner_activity`, `unsigned_certificates`"), RawParams),
    responses((status = 200, description = "`{name, title, parameters, columns, rows, totals, notes, chart, sections}`", body = Object), crate::openapi::Refusals))]
async fn api_report(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    Query(raw): Query<RawParams>,
) -> AppResult<Json<Value>> {
    may_see_analytics(&user)?;
    let name = report_named(&name)?;
    Ok(Json(super::build(&st, &user, name, &raw).await?.to_json()))
}
