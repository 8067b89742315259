//! The applications API (`/api/v1/applications…`), per interfaces.md.

use crate::extract::{Path, Query};
use axum::extract::{DefaultBodyLimit, Multipart, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::checks::Checks;
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

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/applications", post(submit).get(list))
        .route("/applications/claim", post(claim_by_requisites))
        .route("/applications/{id}", get(show))
        .route("/applications/{id}/claim", post(claim))
        .route("/applications/{id}/assign", post(assign))
        .route("/applications/{id}/identification-centers", get(centers))
        .route("/applications/{id}/delegate-identification", post(delegate))
        .route("/applications/{id}/identification", post(identification))
        .route("/applications/{id}/its-check", get(its_check))
        .route("/applications/{id}/process", post(process))
        .route("/applications/{id}/reject", post(reject))
        .route("/applications/{id}/receipt", post(receipt))
        .route("/applications/{id}/documents.zip", get(documents_zip))
        .route(
            "/applications/{id}/documents/{kind}",
            get(document)
                .put(attach)
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

fn summary(a: &application::Model, partner_code: Option<String>) -> Value {
    json!({
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
    let mut v = summary(a, partner_code(st, a.partner_id).await?);
    let checks: Checks = service::checks_of(a);
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
        "certificate_requested": a.certificate_requested, "cryptopro_licence": a.cryptopro_licence,
        "its_email": a.its_email, "authorized_representative_inn": a.authorized_representative_inn,
        "product_guid": a.product_guid,
        "owner": serde_json::from_str::<Value>(&a.owner)?,
        "directions": serde_json::from_str::<Value>(&a.directions)?,
        "delegated_at": a.delegated_at, "reject_reason": a.reject_reason,
        "processing_option": a.processing_option,
        "checks": checks, "documents": documents, "history": history,
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    Ok(v)
}

fn with_etag(version: i32, body: Value, status: StatusCode) -> Response {
    let mut r = (status, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

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
            let body = service::intake_response(&app);
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

#[derive(Deserialize, Default)]
struct ListQuery {
    state: Option<String>,
    folder: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    after: Option<String>,
}

async fn list(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    user.require(&[
        Role::Partner,
        Role::SalesCenter,
        Role::Operator,
        Role::IdentificationCenter,
    ])?;
    let mut p = Params::new();
    let page = p
        .int::<u64>("page", q.page.as_deref(), 1, 1_000_000)
        .unwrap_or(1);
    let per_page = p
        .int::<u64>("per_page", q.per_page.as_deref(), 1, 200)
        .unwrap_or(50);
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
        Some(a) => Cursor::decode(a).or_else(|| {
            p.reject("after", "неверная позиция страницы");
            None
        }),
        None => None,
    };
    p.finish()?;
    let page = registry::list(
        &st.db,
        &user.scope,
        &registry::Query {
            folder,
            state,
            q: q.q,
            sort,
            page,
            per_page,
            after,
        },
    )
    .await?;
    let mut items = Vec::with_capacity(page.items.len());
    let codes: std::collections::HashMap<i32, String> = {
        use sea_orm::EntityTrait;
        partner::Entity::find()
            .all(&st.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.code))
            .collect()
    };
    for a in &page.items {
        items.push(summary(
            a,
            a.partner_id.and_then(|id| codes.get(&id).cloned()),
        ));
    }
    Ok(Json(json!({
        "items": items, "total": page.total, "page": page.page, "per_page": page.per_page,
        "next": page.next.map(Cursor::encode),
    })))
}

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

async fn claim(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    fire(&st, &user, &headers, id, Command::Claim).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimBody {
    inn: String,
    kpp: Option<String>,
}

async fn claim_by_requisites(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    ApiJson(b): ApiJson<ClaimBody>,
) -> AppResult<Response> {
    user.require(&[Role::Partner])?;
    let a = service::claim_by_requisites(&st, &user, &b.inn, b.kpp.as_deref()).await?;
    Ok(with_etag(a.version, detail(&st, &a).await?, StatusCode::OK))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    partner_code: String,
}

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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DelegateBody {
    center_id: Option<i32>,
}

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

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum IdentificationResult {
    Passed,
    Failed,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentificationBody {
    result: IdentificationResult,
    reason: Option<String>,
}

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

async fn its_check(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    user.require(&[Role::Partner, Role::Operator])?;
    let a = service::find(&st, Caller::User(&user), id).await?;
    Ok(Json(serde_json::to_value(
        service::its_check(&st, &a).await?,
    )?))
}

async fn process(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ProcessRequest>,
) -> AppResult<Response> {
    fire(&st, &user, &headers, id, Command::SendToProcessing(b)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    #[serde(default)]
    reason: String,
}

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

/// The receipt from the 1C program. The intake gets its own answer only — the state
/// and version — not the application's card.
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

async fn document(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Path((id, kind)): Path<(i64, String)>,
) -> AppResult<Response> {
    let (doc, bytes) = files::read(&st, &user, id, &kind).await?;
    Ok(download(bytes, &doc.content_type, &doc.file_name))
}

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
