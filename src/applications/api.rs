//! The applications API (`/api/v1/applications…`), per interfaces.md.

use crate::extract::{Path, Query};
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::files;
use super::intake::IntakeDocument;
use super::processing::ProcessRequest;
use super::registry::{self, Cursor, Folder, Sort};
use super::service::{self, Caller, Command, Submission};
use super::state::State;
use crate::AppState;
use crate::api::{ApiJson, ApiJsonWithBytes, if_match};
use crate::auth::{CurrentUser, Role};
use crate::entities::{application, application_document, application_history, partner};
use crate::error::{AppError, AppResult};
use crate::params::Params;
use crate::web::files::{download, read_upload};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit, list))
        .routes(routes!(claim_by_requisites))
        .routes(routes!(show))
        .routes(routes!(claim))
        .routes(routes!(assign))
        .routes(routes!(centers))
        .routes(routes!(delegate))
        .routes(routes!(identification))
        .routes(routes!(its_check))
        .routes(routes!(its_login))
        .routes(routes!(process))
        .routes(routes!(reject))
        .routes(routes!(issue))
        .routes(routes!(refuse))
        .routes(routes!(receipt))
        .routes(routes!(documents_zip))
        .routes(
            routes!(document, attach)
                .layer(DefaultBodyLimit::max(crate::storage::UPLOAD_BODY_LIMIT)),
        )
}

#[derive(Serialize)]
pub struct HistoryView {
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub event: String,
    pub from: Option<String>,
    pub to: String,
    pub reason: Option<String>,
}

impl From<application_history::Model> for HistoryView {
    fn from(h: application_history::Model) -> Self {
        HistoryView {
            at: h.at,
            actor: h.actor_login,
            event: h.event,
            from: h.from_state,
            to: h.to_state,
            reason: h.reason,
        }
    }
}

#[derive(Serialize)]
pub struct DocumentView {
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_at: chrono::DateTime<chrono::Utc>,
    pub uploaded_by: String,
}

impl From<application_document::Model> for DocumentView {
    fn from(d: application_document::Model) -> Self {
        DocumentView {
            kind: d.kind,
            file_name: d.file_name,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            sha256: d.sha256,
            uploaded_at: d.uploaded_at,
            uploaded_by: d.uploaded_by,
        }
    }
}

async fn partner_code(st: &AppState, id: Option<i32>) -> AppResult<Option<String>> {
    Ok(match id {
        Some(id) => <partner::Entity as sea_orm::EntityTrait>::find_by_id(id)
            .one(&st.db)
            .await
            .map(|p| p.map(|p| p.code))?,
        None => None,
    })
}

fn summary(
    a: &registry::Row,
    partner_code: Option<String>,
    next: Option<&crate::next_action::NextAction>,
) -> Value {
    json!({
        "next_action": next,
        "id": a.id, "state": a.state, "version": a.version, "partner_code": partner_code,
        "inn": a.inn, "kpp": a.kpp, "short_name": a.short_name, "registration_number": a.registration_number,
        "its_login": a.its_login, "received_at": a.received_at, "confirmed_at": a.confirmed_at,
        "checks_passed": a.checks_passed, "identification_center_id": a.identification_center_id,
    })
}

/// The full application as the API returns it.
///
/// # Errors
/// Database errors.
pub async fn detail(st: &AppState, a: &application::Model) -> AppResult<Value> {
    let row = registry::Row::from(a);
    let next = service::next_actions(st, std::slice::from_ref(&row)).await?;
    let mut v = summary(&row, partner_code(st, a.partner_id).await?, next.get(&a.id));
    let stated = service::stated(a)?;
    let documents: Vec<DocumentView> = files::list(st, a)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let history: Vec<HistoryView> = service::history(st, a.id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let extra = json!({
        "region_code": a.region_code, "request_type": a.request_type, "legal_form": a.legal_form,
        "category": a.category, "paperless_renewal": a.paperless_renewal, "ogrn": a.ogrn, "full_name": a.full_name,
        "pfr_number": a.pfr_number, "fss_number": a.fss_number, "phone": a.phone, "mobile_phone": a.mobile_phone,
        "email": a.email, "legal_address": a.legal_address, "actual_address": a.actual_address,
        "configuration": a.configuration, "format_version": a.format_version,
        "certificate_requested": a.certificate_requested, "cryptopro_licence": a.cryptopro_licence, "connect_lk": a.connect_lk,
        "its_email": a.its_email, "authorized_representative_inn": a.authorized_representative_inn,
        "product_guid": a.product_guid,
        "owner": stated.owner,
        "directions": stated.directions,
        "delegated_at": a.delegated_at, "reject_reason": a.reject_reason,
        "processing_option": a.processing_option,
        "checks": stated.checks, "documents": documents, "history": history,
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    Ok(v)
}

use crate::api::with_etag;

#[utoipa::path(post, path = "/applications", tag = "Заявления", summary = "Принять заявление из программы 1С (роль `intake`). Повтор с тем же Idempotency-Key возвращает первый ответ", params(("Idempotency-Key" = Option<String>, Header, description = "Ключ идемпотентности, до 128 знаков")), request_body = crate::applications::intake::IntakeDocument, responses((status = 201, description = "Заявление принято: `{id, state, version, received_at, checks}`", body = Object), crate::openapi::Refusals))]
async fn submit(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiJsonWithBytes(doc, bytes): ApiJsonWithBytes<IntakeDocument>,
) -> AppResult<Response> {
    let key = match headers.get("idempotency-key") {
        Some(v) => {
            let k = v.to_str().unwrap_or("").trim().to_owned();
            if k.is_empty() || k.len() > 128 {
                return Err(AppError::invalid("Idempotency-Key", "от 1 до 128 знаков"));
            }
            Some(k)
        }
        None => None,
    };
    match service::submit(
        &st,
        &user,
        doc,
        key.map(|k| (k, crate::auth::sha256_hex(&String::from_utf8_lossy(&bytes)))),
    )
    .await?
    {
        Submission::New(app) => {
            let body = service::intake_response(&app)?;
            Ok(with_etag(app.version, body, StatusCode::CREATED))
        }
        Submission::Replayed { status, body } => {
            let mut r = (
                StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED),
                Json(body),
            )
                .into_response();
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(r)
        }
    }
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ApplicationListQuery {
    state: Option<String>,
    folder: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    after: Option<String>,
}

#[utoipa::path(get, path = "/applications", tag = "Заявления", summary = "Реестр заявлений в пределах организации вызывающего", params(ApplicationListQuery), responses((status = 200, description = "`{items, total, page, per_page, next}`", body = Object), crate::openapi::Refusals))]
async fn list(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Query(q): Query<ApplicationListQuery>,
) -> AppResult<Json<Value>> {
    user.require(&[
        Role::Partner,
        Role::SalesCenter,
        Role::Operator,
        Role::IdentificationCenter,
    ])?;
    let mut p = Params::new();
    let (page, per_page) = p.paging(q.page.as_deref(), q.per_page.as_deref());
    let state = match q.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => s.parse::<State>().map(Some).unwrap_or_else(|_| {
            p.reject("state", "неизвестное состояние");
            None
        }),
        None => None,
    };
    let folder = match q.folder.as_deref().filter(|s| !s.is_empty()) {
        Some(f) => Folder::parse(f).or_else(|| {
            p.reject("folder", "неизвестная папка");
            None
        }),
        None => None,
    };
    let sort = match q.sort.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Sort::parse(s).unwrap_or_else(|| {
            p.reject("sort", "допустимо: -received, received, name, inn");
            Sort::default()
        }),
        None => Sort::default(),
    };
    let after = match q.after.as_deref().filter(|s| !s.is_empty()) {
        Some(a) => Cursor::decode(a, sort).or_else(|| {
            p.reject("after", "неверная позиция страницы");
            None
        }),
        None => None,
    };
    p.finish()?;
    let page = registry::list_recent(
        &st.db,
        &st.registry_pages,
        &user.scope,
        &registry::Query {
            folder,
            state,
            q: q.q,
            sort,
            page,
            per_page,
            after,
            total: None,
            ids: None,
            stamp: None,
        },
    )
    .await?;
    let next = service::next_actions(&st, &page.items).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|a| summary(a, a.partner_code.clone(), next.get(&a.id)))
        .collect();
    Ok(Json(json!({
        "items": items, "total": page.total, "page": page.page, "per_page": page.per_page,
        "next": page.next.as_ref().map(Cursor::encode),
    })))
}

#[utoipa::path(get, path = "/applications/{id}", tag = "Заявления", summary = "Заявление: реквизиты, проверки, документы, история", params(("id" = i64, Path, description = "Заявление")), responses((status = 200, description = "Заявление; заголовок `ETag` — его версия", body = Object), crate::openapi::Refusals))]
async fn show(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let a = service::find(&st, Caller::User(&user), id).await?;
    Ok(with_etag(a.version, detail(&st, &a).await?, StatusCode::OK))
}

async fn fire(
    st: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    id: i64,
    cmd: Command,
) -> AppResult<Response> {
    let a = service::fire(st, Caller::User(user), id, cmd, if_match(headers)?).await?;
    Ok(with_etag(a.version, detail(st, &a).await?, StatusCode::OK))
}

#[utoipa::path(post, path = "/applications/{id}/claim", tag = "Заявления", summary = "Получить неполученную заявку своего региона (партнер)", params(("id" = i64, Path, description = "Заявление"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), responses((status = 200, description = "Заявление", body = Object), crate::openapi::Refusals))]
async fn claim(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    fire(&st, &user, &headers, id, Command::Claim).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ClaimBody {
    inn: String,
    kpp: Option<String>,
}

#[utoipa::path(post, path = "/applications/claim", tag = "Заявления", summary = "Получить заявку по ИНН/КПП (партнер)", request_body = ClaimBody, responses((status = 200, description = "Заявление", body = Object), crate::openapi::Refusals))]
async fn claim_by_requisites(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    ApiJson(b): ApiJson<ClaimBody>,
) -> AppResult<Response> {
    user.require(&[Role::Partner])?;
    let (inn, kpp) =
        crate::requisites::inn_kpp(&b.inn, b.kpp.as_deref()).map_err(AppError::Invalid)?;
    let a = service::claim_by_requisites(&st, &user, &inn, kpp.as_ref()).await?;
    Ok(with_etag(a.version, detail(&st, &a).await?, StatusCode::OK))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    partner_code: String,
}

#[utoipa::path(post, path = "/applications/{id}/assign", tag = "Заявления", summary = "Назначить заявку партнеру (центр продаж)", params(("id" = i64, Path, description = "Заявление"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), request_body = AssignBody, responses((status = 200, description = "Заявление", body = Object), crate::openapi::Refusals))]
async fn assign(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<AssignBody>,
) -> AppResult<Response> {
    fire(
        &st,
        &user,
        &headers,
        id,
        Command::Assign {
            partner_code: b.partner_code,
        },
    )
    .await
}

#[utoipa::path(get, path = "/applications/{id}/identification-centers", tag = "Заявления", summary = "Центры идентификации региона, ближайший к адресу первым", params(("id" = i64, Path, description = "Заявление")), responses((status = 200, description = "`{items: [{id, code, office_name, address, distance_km, …}]}`", body = Object), crate::openapi::Refusals))]
async fn centers(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let a = service::find(&st, Caller::User(&user), id).await?;
    let ranked = service::ranked_centers(&st, &a).await?;
    let items: Vec<Value> = ranked
        .into_iter()
        .map(|(c, d)| {
            json!({"id": c.id, "code": c.code, "office_name": c.office_name, "address": c.address,
            "schedule": c.schedule, "phone": c.phone, "email": c.email,
            "distance_km": d.map(|d| (d * 10.0).round() / 10.0)})
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DelegateBody {
    center_id: Option<i32>,
}

#[utoipa::path(post, path = "/applications/{id}/delegate-identification", tag = "Заявления", summary = "Делегировать идентификацию (ближайший центр, если не указан)", params(("id" = i64, Path, description = "Заявление"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), request_body = DelegateBody, responses((status = 200, description = "Заявление", body = Object), crate::openapi::Refusals))]
async fn delegate(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<DelegateBody>,
) -> AppResult<Response> {
    fire(
        &st,
        &user,
        &headers,
        id,
        Command::DelegateIdentification {
            center_id: b.center_id,
        },
    )
    .await
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
enum IdentificationResult {
    Passed,
    Failed,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct IdentificationBody {
    result: IdentificationResult,
    reason: Option<String>,
}

#[utoipa::path(post, path = "/applications/{id}/identification", tag = "Заявления", summary = "Результат идентификации (центр идентификации)", params(("id" = i64, Path, description = "Заявление"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), request_body = IdentificationBody, responses((status = 200, description = "Заявление", body = Object), crate::openapi::Refusals))]
async fn identification(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<IdentificationBody>,
) -> AppResult<Response> {
    let passed = b.result == IdentificationResult::Passed;
    fire(
        &st,
        &user,
        &headers,
        id,
        Command::IdentificationResult {
            passed,
            reason: b.reason,
        },
    )
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ItsCheckQuery {
    /// Логин пользователя портала ИТС, по которому искать (по умолчанию — логин заявления)
    its_login: Option<String>,
}

#[utoipa::path(get, path = "/applications/{id}/its-check", tag = "Заявления", summary = "Проверка подписки ИТС ПРОФ: `active`, `deferred`, `used_by_other` или `none`; с `its_login` — поиск по другому логину до его применения", params(("id" = i64, Path, description = "Заявление"), ItsCheckQuery), responses((status = 200, description = "`{outcome, subscriptions, options}`", body = Object), crate::openapi::Refusals))]
async fn its_check(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<ItsCheckQuery>,
) -> AppResult<Json<Value>> {
    user.require(&[Role::Partner, Role::Operator])?;
    let a = service::find(&st, Caller::User(&user), id).await?;
    let login = q
        .its_login
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .or(a.its_login.as_deref());
    Ok(Json(serde_json::to_value(
        service::its_check_for(&st, &a, login).await?,
    )?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ItsLoginBody {
    /// Логин пользователя портала ИТС
    its_login: String,
    /// Адрес электронной почты, привязанный к логину
    #[serde(default)]
    its_email: Option<String>,
}

#[utoipa::path(put, path = "/applications/{id}/its-login", tag = "Заявления", summary = "Изменить логин пользователя портала ИТС до отправки в обработку (партнер); проверка ИТС выполняется по новому логину", params(("id" = i64, Path, description = "Заявление"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), request_body = ItsLoginBody, responses((status = 200, description = "Заявление", body = Object), crate::openapi::Refusals))]
async fn its_login(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ItsLoginBody>,
) -> AppResult<Response> {
    let a = service::change_its_login(
        &st,
        Caller::User(&user),
        id,
        &b.its_login,
        b.its_email.as_deref(),
        if_match(&headers)?,
    )
    .await?;
    Ok(with_etag(a.version, detail(&st, &a).await?, StatusCode::OK))
}

#[utoipa::path(post, path = "/applications/{id}/process", tag = "Заявления", summary = "Отправить в обработку с вариантом подключения и флагами тарифа", params(("id" = i64, Path, description = "Заявление"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), request_body = crate::applications::processing::ProcessRequest, responses((status = 200, description = "Заявление", body = Object), crate::openapi::Refusals))]
async fn process(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ProcessRequest>,
) -> AppResult<Response> {
    fire(&st, &user, &headers, id, Command::SendToProcessing(b)).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    #[serde(default)]
    reason: String,
}

#[utoipa::path(post, path = "/applications/{id}/reject", tag = "Заявления", summary = "Отклонить с причиной (партнер, центр продаж)", params(("id" = i64, Path, description = "Заявление"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), request_body = RejectBody, responses((status = 200, description = "Заявление", body = Object), crate::openapi::Refusals))]
async fn reject(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<RejectBody>,
) -> AppResult<Response> {
    fire(
        &st,
        &user,
        &headers,
        id,
        Command::Reject { reason: b.reason },
    )
    .await
}

#[utoipa::path(post, path = "/applications/{id}/issue", tag = "Заявления", summary = "Очередь обработки: удостоверяющий центр выпустил сертификат (без запроса сертификата — обработка завершена) (оператор)", params(("id" = i64, Path, description = "Заявление"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), responses((status = 200, description = "Заявление", body = Object), crate::openapi::Refusals))]
async fn issue(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let a = service::issue(&st, &user, id, if_match(&headers)?).await?;
    Ok(with_etag(a.version, detail(&st, &a).await?, StatusCode::OK))
}

#[utoipa::path(post, path = "/applications/{id}/refuse", tag = "Заявления", summary = "Очередь обработки: отказ удостоверяющего центра с причиной (оператор)", params(("id" = i64, Path, description = "Заявление"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), request_body = RejectBody, responses((status = 200, description = "Заявление", body = Object), crate::openapi::Refusals))]
async fn refuse(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<RejectBody>,
) -> AppResult<Response> {
    fire(
        &st,
        &user,
        &headers,
        id,
        Command::CaRefused { reason: b.reason },
    )
    .await
}

/// The receipt from the 1C program. The intake gets its own answer only — the state
/// and version — not the application's card.
#[utoipa::path(post, path = "/applications/{id}/receipt", tag = "Заявления", summary = "Расписка абонента о получении сертификата (роль `intake`)", params(("id" = i64, Path, description = "Заявление"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), responses((status = 200, description = "`{id, state, version}`", body = Object), crate::openapi::Refusals))]
async fn receipt(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let a = service::fire(
        &st,
        Caller::User(&user),
        id,
        Command::Receipt,
        if_match(&headers)?,
    )
    .await?;
    if user.role == Role::Intake {
        let body = json!({"id": a.id, "state": a.state, "version": a.version});
        return Ok(with_etag(a.version, body, StatusCode::OK));
    }
    Ok(with_etag(a.version, detail(&st, &a).await?, StatusCode::OK))
}

#[utoipa::path(get, path = "/applications/{id}/documents/{kind}", tag = "Заявления", summary = "Скачать документ", params(("id" = i64, Path, description = "Заявление"), ("kind" = String, Path, description = "Вид документа: `application_form`, `identity_document`, `owner_photo`, …")), responses((status = 200, description = "Файл", body = Object), crate::openapi::Refusals))]
async fn document(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Path((id, kind)): Path<(i64, String)>,
) -> AppResult<Response> {
    let (doc, bytes) = files::read(&st, &user, id, &kind).await?;
    Ok(download(bytes, &doc.content_type, &doc.file_name))
}

#[utoipa::path(get, path = "/applications/{id}/documents.zip", tag = "Заявления", summary = "Все документы заявления одним архивом", params(("id" = i64, Path, description = "Заявление")), responses((status = 200, description = "ZIP", body = Object), crate::openapi::Refusals))]
async fn documents_zip(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let bytes = files::zip_all(&st, &user, id).await?;
    Ok(download(
        bytes,
        "application/zip",
        &format!("application-{id}-documents.zip"),
    ))
}

#[utoipa::path(put, path = "/applications/{id}/documents/{kind}", tag = "Заявления", summary = "Прикрепить или заменить документ (`multipart/form-data`, поле `file`; PDF, JPEG, PNG, TIFF, ZIP до 10 МБ)", params(("id" = i64, Path, description = "Заявление"), ("kind" = String, Path, description = "Вид документа")), request_body(content = String, content_type = "multipart/form-data", description = "Поле `file` — сам файл"), responses((status = 200, description = "`{kind, file_name, content_type, size_bytes, sha256, uploaded_at, uploaded_by}`", body = Object), crate::openapi::Refusals))]
async fn attach(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Path((id, kind)): Path<(i64, String)>,
    mp: Multipart,
) -> AppResult<Response> {
    let up = read_upload(mp).await?;
    let doc = files::attach(&st, &user, id, &kind, &up.file_name, &up.bytes).await?;
    Ok((StatusCode::OK, Json(DocumentView::from(doc))).into_response())
}
