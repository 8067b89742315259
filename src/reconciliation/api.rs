//! The reconciliation API (interfaces.md «Reconciliation»): the period's list, the
//! document, line edits with `If-Match`, the approval chain, bulk approval, exports.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::builder::Totals;
use super::service::{self, LineEdit};
use super::state::ReconciliationEvent;
use crate::AppState;
use crate::api::{ApiJson, if_match, with_etag};
use crate::auth::{CurrentUser, Role};
use crate::error::AppResult;
use crate::extract::{Path, Query};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(approve_all))
        .routes(routes!(show))
        .routes(routes!(edit_line))
        .routes(routes!(approve))
        .routes(routes!(give_back))
        .routes(routes!(export))
        .routes(routes!(up_transactions))
        .routes(routes!(invoices))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct InvoiceQuery {
    /// Месяц сверки, ГГГГ-ММ (без него — все)
    #[serde(default)]
    period: Option<String>,
    /// Код партнера (без него — все в пределах организации вызывающего)
    #[serde(default)]
    partner_code: Option<String>,
}

#[utoipa::path(get, path = "/invoices", tag = "Сверка", summary = "Список счетов в пределах организации вызывающего, новые первыми: номер, дата, сумма, НДС, печатные формы", params(InvoiceQuery), responses((status = 200, description = "`{items}`", body = Object), crate::openapi::Refusals))]
async fn invoices(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<InvoiceQuery>,
) -> AppResult<Json<Value>> {
    let items =
        service::invoices(&st, &user, q.partner_code.as_deref(), q.period.as_deref()).await?;
    Ok(Json(json!({"items": items})))
}

#[utoipa::path(post, path = "/up-transactions", tag = "Сверка", summary = "Транзакции уполномоченного представителя за квартал (оператор, со стороны документооборота): по организациям и органам; повторная отправка уточняет количество («Новое количество»). После одобрения сверки квартала — 409", request_body = service::UpReport, responses((status = 200, description = "Что записано", body = service::Recorded), crate::openapi::Refusals))]
async fn up_transactions(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiJson(b): ApiJson<service::UpReport>,
) -> AppResult<Json<service::Recorded>> {
    Ok(Json(service::record(&st, &user, &b).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PeriodQuery {
    /// Месяц сверки, ГГГГ-ММ
    period: String,
}

#[utoipa::path(get, path = "/reconciliations", tag = "Сверка", summary = "Сверки периода: по строке на партнера в пределах организации вызывающего (состояние, срок одобрения, итоги) и общий итог", params(PeriodQuery), responses((status = 200, description = "`{period, items, totals}`", body = Object), crate::openapi::Refusals))]
async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Json<Value>> {
    let rows = service::list(&st, &user, &q.period).await?;
    let totals = Totals::sum(rows.iter().map(|r| &r.totals));
    Ok(Json(
        json!({"period": q.period.trim(), "items": rows, "totals": totals}),
    ))
}

#[utoipa::path(post, path = "/reconciliations/approve-all", tag = "Сверка", summary = "Одобрить всё за партнёров: все сверки периода, одобренные партнерами (центр продаж)", params(PeriodQuery), responses((status = 200, description = "`{approved, skipped}`", body = Object), crate::openapi::Refusals))]
async fn approve_all(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Json<Value>> {
    let (approved, skipped) = service::approve_all(&st, &user, &q.period).await?;
    Ok(Json(json!({"approved": approved, "skipped": skipped})))
}

fn document(d: &service::Document) -> AppResult<Response> {
    Ok(with_etag(
        d.version,
        serde_json::to_value(d)?,
        StatusCode::OK,
    ))
}

#[utoipa::path(get, path = "/reconciliations/{partner_code}/{period}", tag = "Сверка", summary = "Документ сверки партнера за месяц: строки с объяснением цены, итоги, состояние, история", params(("partner_code" = String, Path, description = "Код партнера"), ("period" = String, Path, description = "Месяц, ГГГГ-ММ")), responses((status = 200, description = "`{partner_code, period, state, closed, due_on, version, lines, up_transactions, totals, history}`", body = Object), crate::openapi::Refusals))]
async fn show(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((code, period)): Path<(String, String)>,
) -> AppResult<Response> {
    document(&service::document(&st, &user, &code, &period).await?)
}

#[utoipa::path(patch, path = "/reconciliations/{partner_code}/{period}/lines/{line}", tag = "Сверка", summary = "Изменить строку сверки (партнер, пока сверка открыта или возвращена): тариф, номер спец. разрешения, отзыв; ответ — документ с пересчитанной строкой", params(("partner_code" = String, Path, description = "Код партнера"), ("period" = String, Path, description = "Месяц, ГГГГ-ММ"), ("line" = i64, Path, description = "Строка (лицензия)"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия сверки (как в `ETag`)")), request_body = LineEdit, responses((status = 200, description = "Документ сверки", body = Object), crate::openapi::Refusals))]
async fn edit_line(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((code, period, line)): Path<(String, String, i64)>,
    ApiJson(b): ApiJson<LineEdit>,
) -> AppResult<Response> {
    let d = service::edit_line(&st, &user, &code, &period, line, &b, if_match(&headers)?).await?;
    document(&d)
}

#[utoipa::path(post, path = "/reconciliations/{partner_code}/{period}/approve", tag = "Сверка", summary = "Одобрить: партнер — после окончания месяца, затем центр продаж", params(("partner_code" = String, Path, description = "Код партнера"), ("period" = String, Path, description = "Месяц, ГГГГ-ММ"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия сверки (как в `ETag`)")), responses((status = 200, description = "Документ сверки", body = Object), crate::openapi::Refusals))]
async fn approve(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((code, period)): Path<(String, String)>,
) -> AppResult<Response> {
    let event = match user.role {
        Role::SalesCenter => ReconciliationEvent::Approve,
        _ => ReconciliationEvent::ApproveByPartner,
    };
    let d = service::fire(&st, &user, &code, &period, event, None, if_match(&headers)?).await?;
    document(&d)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReturnBody {
    /// Что исправить партнеру
    #[serde(default)]
    comment: String,
}

#[utoipa::path(post, path = "/reconciliations/{partner_code}/{period}/return", tag = "Сверка", summary = "Вернуть сверку партнеру с комментарием (центр продаж)", params(("partner_code" = String, Path, description = "Код партнера"), ("period" = String, Path, description = "Месяц, ГГГГ-ММ"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия сверки (как в `ETag`)")), request_body = ReturnBody, responses((status = 200, description = "Документ сверки", body = Object), crate::openapi::Refusals))]
async fn give_back(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((code, period)): Path<(String, String)>,
    ApiJson(b): ApiJson<ReturnBody>,
) -> AppResult<Response> {
    let d = service::fire(
        &st,
        &user,
        &code,
        &period,
        ReconciliationEvent::Return,
        Some(&b.comment),
        if_match(&headers)?,
    )
    .await?;
    document(&d)
}

#[utoipa::path(get, path = "/reconciliations/{partner_code}/{period}/{file}", tag = "Сверка", summary = "Выгрузка сверки и счёт: `export.csv`, `export.xlsx`; вкладка УП `up.csv`, `up.xlsx`, по представителю `up-{id}.xlsx`; `invoice` — счёт в PDF (выставляется при первом запросе по одобренной центром продаж сверке), `act.pdf`, `act-vat.pdf`, `factura.pdf`, `factura-vat.pdf`", params(("partner_code" = String, Path, description = "Код партнера"), ("period" = String, Path, description = "Месяц, ГГГГ-ММ"), ("file" = String, Path, description = "Имя файла: `export.csv`, `export.xlsx`, `up.csv`, `up.xlsx`, `up-{id}.xlsx`, `invoice`, `invoice.pdf`, `act.pdf`, `act-vat.pdf`, `factura.pdf`, `factura-vat.pdf`")), responses((status = 200, description = "Файл", body = Object), crate::openapi::Refusals))]
async fn export(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((code, period, file)): Path<(String, String, String)>,
) -> AppResult<Response> {
    super::routes::export_file(&st, &user, &code, &period, &file).await
}
