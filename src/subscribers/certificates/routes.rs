//! The edges of certificates: the JSON API and the card's forms.

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::Reason;
use super::docx::application_docx;
use super::service::{
    attach_scan, certificate_in_scope, find_revocable, request, request_in_scope, send,
};
use crate::AppState;
use crate::api::{ApiJson, if_match};
use crate::auth::CurrentUser;
use crate::entities::{certificate, revocation_request};
use crate::error::{AppError, AppResult};
use crate::extract::{Path, Query};
use crate::storage;
use crate::web::files::CsrfUpload;

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_find))
        .routes(routes!(api_request))
        .routes(routes!(docx))
        .routes(routes!(issue_application))
        .routes(routes!(export_certificate))
        .routes(routes!(api_scan).layer(DefaultBodyLimit::max(storage::UPLOAD_BODY_LIMIT)))
        .routes(routes!(api_send))
}

pub fn web_routes() -> Router<AppState> {
    Router::new()
        .route("/certificates/{id}", get(page))
        .route("/revocation-requests/{id}/application.docx", get(docx))
        .route(
            "/certificates/{id}/application.docx",
            get(issue_application),
        )
        .route("/certificates/{id}/export.zip", get(export_certificate))
        .route("/certificates/{id}/revocation", post(web_request))
        .route(
            "/revocation-requests/{id}/scan",
            post(web_scan).layer(DefaultBodyLimit::max(storage::UPLOAD_BODY_LIMIT)),
        )
        .route("/revocation-requests/{id}/send", post(web_send))
}

async fn web_done(
    st: &AppState,
    user: &CurrentUser,
    subscriber_id: i64,
    result: AppResult<String>,
) -> AppResult<Response> {
    crate::web::after_action(
        st,
        user,
        &format!("/subscribers/{subscriber_id}?tab=certificates"),
        crate::web::Subject::Other,
        result,
    )
    .await
}

#[derive(Deserialize)]
struct RequestForm {
    reason: String,
}

async fn web_request(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    crate::auth::Csrf(user, f): crate::auth::Csrf<RequestForm>,
) -> AppResult<Response> {
    let (_, s) = certificate_in_scope(&st, &user, id).await?;
    let result = match Reason::parse(&f.reason) {
        Some(reason) => request(&st, &user, id, reason).await.map(|_| {
            "Заявление на отзыв создано: скачайте его, подпишите и прикрепите скан.".to_owned()
        }),
        None => Err(AppError::invalid("reason", "выберите причину отзыва")),
    };
    web_done(&st, &user, s.id, result).await
}

async fn web_scan(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    CsrfUpload(user, up): CsrfUpload,
) -> AppResult<Response> {
    let (_, _, s) = request_in_scope(&st, &user, id).await?;
    let result = match up {
        Ok(up) => attach_scan(&st, &user, id, &up.bytes)
            .await
            .map(|_| "Подписанный скан прикреплён.".to_owned()),
        Err(e) => Err(e),
    };
    web_done(&st, &user, s.id, result).await
}

async fn web_send(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    crate::auth::Csrf(user, _): crate::auth::Csrf<crate::auth::NoFields>,
) -> AppResult<Response> {
    let (_, _, s) = request_in_scope(&st, &user, id).await?;
    let result = send(&st, &user, id, None)
        .await
        .map(|_| "Заявление на отзыв отправлено в удостоверяющий центр.".to_owned());
    web_done(&st, &user, s.id, result).await
}

fn cert_json(c: &certificate::Model) -> Value {
    json!({
        "id": c.id, "serial": c.serial, "owner_name": c.owner_name, "kind": c.kind, "state": c.state,
        "valid_from": c.valid_from, "valid_to": c.valid_to, "provider": c.provider, "container": c.container,
    })
}

fn request_json(r: &revocation_request::Model) -> Value {
    json!({
        "id": r.id, "version": r.version, "certificate_id": r.certificate_id, "reason": r.reason, "state": r.state,
        "scan_attached": r.scan_key.is_some(), "created_at": r.created_at, "sent_at": r.sent_at, "revoked_at": r.revoked_at,
    })
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FindQuery {
    inn: Option<String>,
    kpp: Option<String>,
}

#[utoipa::path(get, path = "/certificates", tag = "Сертификаты", summary = "Найти действующие сертификаты по ИНН/КПП (отозванные не показываются)", params(FindQuery), responses((status = 200, description = "`{items}`", body = Object), crate::openapi::Refusals))]
async fn api_find(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<FindQuery>,
) -> AppResult<Json<Value>> {
    let inn = q
        .inn
        .ok_or_else(|| AppError::invalid("inn", "укажите ИНН"))?;
    let items = find_revocable(&st, &user, &inn, q.kpp.as_deref()).await?;
    Ok(Json(
        json!({ "items": items.iter().map(cert_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RevocationRequestBody {
    reason: Reason,
}

#[utoipa::path(post, path = "/certificates/{id}/revocation-requests", tag = "Сертификаты", summary = "Заявление на отзыв сертификата (черновик)", params(("id" = i64, Path, description = "Сертификат")), request_body = RevocationRequestBody, responses((status = 200, description = "Заявление на отзыв", body = Object), crate::openapi::Refusals))]
async fn api_request(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<RevocationRequestBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(request_json(
        &request(&st, &user, id, b.reason).await?,
    )))
}

#[utoipa::path(get, path = "/revocation-requests/{id}/application.docx", tag = "Сертификаты", summary = "Заявление на отзыв, заполненное (.docx)", params(("id" = i64, Path, description = "Заявление на отзыв")), responses((status = 200, description = "DOCX", body = Object), crate::openapi::Refusals))]
async fn docx(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (r, c, s) = request_in_scope(&st, &user, id).await?;
    let reason = Reason::parse(&r.reason).unwrap_or(Reason::DataChanged);
    let bytes = application_docx(&c, &s, reason, st.clock.today())?;
    Ok(crate::web::files::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &format!("zayavlenie-na-otzyv-{}.docx", r.id),
    ))
}

#[utoipa::path(get, path = "/certificates/{id}/application.docx", tag = "Сертификаты", summary = "«Экспорт заявления»: заявление на изготовление квалифицированного сертификата, заполненное по сертификату (.docx)", params(("id" = i64, Path, description = "Сертификат")), responses((status = 200, description = "DOCX", body = Object), crate::openapi::Refusals))]
async fn issue_application(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (c, s) = certificate_in_scope(&st, &user, id).await?;
    let bytes = super::docx::issue_application_docx(&c, &s, st.clock.today())?;
    Ok(crate::web::files::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &format!("zayavlenie-na-sertifikat-{}.docx", c.id),
    ))
}

#[utoipa::path(get, path = "/certificates/{id}/export.zip", tag = "Сертификаты", summary = "«Экспортировать серт.»: архив с файлом сертификата (`<серийный номер>.cer`, X.509 в кодировке `DER`); при каждом экспорте тот же файл", params(("id" = i64, Path, description = "Сертификат")), responses((status = 200, description = "ZIP", body = Object), crate::openapi::Refusals))]
async fn export_certificate(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (name, bytes) = super::service::export_archive(&st, &user, id).await?;
    Ok(crate::web::files::download(bytes, "application/zip", &name))
}

#[utoipa::path(put, path = "/revocation-requests/{id}/scan", tag = "Сертификаты", summary = "Подписанный скан заявления (`multipart/form-data`, поле `file`)", params(("id" = i64, Path, description = "Заявление на отзыв")), request_body(content = String, content_type = "multipart/form-data", description = "Поле `file` — сам файл"), responses((status = 200, description = "Заявление на отзыв", body = Object), crate::openapi::Refusals))]
async fn api_scan(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    mp: Multipart,
) -> AppResult<Json<Value>> {
    let bytes = crate::web::files::read_upload(mp).await?.bytes;
    Ok(Json(request_json(
        &attach_scan(&st, &user, id, &bytes).await?,
    )))
}

#[utoipa::path(post, path = "/revocation-requests/{id}/send", tag = "Сертификаты", summary = "Отправить заявление в удостоверяющий центр", params(("id" = i64, Path, description = "Заявление на отзыв"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), responses((status = 200, description = "Заявление на отзыв", body = Object), crate::openapi::Refusals))]
async fn api_send(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    Ok(Json(request_json(
        &send(&st, &user, id, if_match(&headers)?).await?,
    )))
}

/// «Просмотреть» (l.1925–1945): a certificate as it can be printed, with the history of
/// the subscriber's certificates — each one issued, its term, and when it was revoked.
async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<maud::Markup> {
    use crate::web::components::{date_ru, datetime_ru};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let (c, s) = certificate_in_scope(&st, &user, id).await?;
    let history = certificate::Entity::find()
        .filter(certificate::Column::SubscriberId.eq(s.id))
        .order_by_desc(certificate::Column::ValidFrom)
        .order_by_desc(certificate::Column::Id)
        .all(&st.db)
        .await?;
    let product = match c.product_account_id {
        Some(p) => crate::entities::product_account::Entity::find_by_id(p)
            .one(&st.db)
            .await?
            .map(|p| p.guid),
        None => None,
    };
    let kind = |k: &str| {
        if k == "qualified_cryptopro" {
            "Квалифицированный, с лицензией КриптоПро CSP"
        } else {
            "Квалифицированный"
        }
    };
    let state = |c: &certificate::Model| {
        if c.state == "revoked" {
            format!(
                "Отозван{}",
                c.revoked_at
                    .map(|at| format!(" {}", datetime_ru(at)))
                    .unwrap_or_default()
            )
        } else if c.valid_to < st.clock.today() {
            "Срок истек".to_owned()
        } else {
            "Действует".to_owned()
        }
    };
    Ok(crate::web::layout::page(
        &user,
        "subscribers",
        &format!("Сертификат {}", c.owner_name),
        maud::html! {
            p.no-print {
                a href={ "/subscribers/" (s.id) "?tab=certificates" } { "← " (s.short_name) }
                " "
                button.secondary type="button" data-print { "Распечатать" }
                " "
                a.button.secondary href={ "/certificates/" (c.id) "/application.docx" } { "Экспорт заявления" }
                " "
                a.button.secondary href={ "/certificates/" (c.id) "/export.zip" } { "Экспортировать серт." }
            }
            dl.kv.certificate {
                dt { "Организация" } dd { (s.short_name) ", ИНН " (s.inn) @if let Some(k) = &s.kpp { ", КПП " (k) } }
                dt { "Владелец" } dd { (c.owner_name) }
                dt { "Должность" } dd { (c.owner_position.as_deref().unwrap_or("—")) }
                dt { "СНИЛС" } dd { (c.owner_snils) }
                dt { "Серийный номер" } dd { code.serial { (c.serial) } }
                dt { "Тип" } dd { (kind(&c.kind)) }
                dt { "Действует" } dd { "с " (date_ru(c.valid_from)) " по " (date_ru(c.valid_to)) }
                dt { "Состояние" } dd { (state(&c)) }
                dt { "Удостоверяющий центр" } dd { (c.provider) }
                dt { "Контейнер ключа" } dd { code { (c.container) } }
                dt { "Продукт" } dd { @if let Some(g) = &product { code { (g) } } @else { "—" } }
                dt { "Выпущен" } dd { (datetime_ru(c.created_at)) @if let Some(a) = c.application_id { ", заявление № " (a) } }
            }
            h2 { "История сертификатов" }
            (crate::web::components::table(&["Серийный номер", "Владелец", "Действует", "Состояние", "Выпущен"], history.iter().map(|h| maud::html! { tr {
                td { @if h.id == c.id { b { code.serial { (h.serial) } } } @else { a href={ "/certificates/" (h.id) } { code.serial { (h.serial) } } } }
                td { (h.owner_name) }
                td.nowrap { (date_ru(h.valid_from)) " — " (date_ru(h.valid_to)) }
                td { (state(h)) }
                td.nowrap { (datetime_ru(h.created_at)) }
            } })))
        },
    ))
}
