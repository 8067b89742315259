//! Certificates and their revocation (§8.3): the certificate issued at registration, the
//! revocation request (draft → sent → revoked) with a prefilled Word application, the
//! signed scan, and the daily refresh of the revoked list from the CA.

use std::io::Write as _;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::extract::{Path, Query};
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Months, NaiveDate, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::api::{ApiJson, if_match};
use crate::audit::{Actor, Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::clock::moscow;
use crate::entities::{application, certificate, revocation_request, subscriber};
use crate::error::{AppError, AppResult};
use crate::jobs::JobReport;
use crate::storage;

crate::code_enum! {
    /// Reasons of §8.3.
    #[derive(utoipa::ToSchema)]
    pub enum Reason {
        KeyCompromised = "key_compromised",
        OwnerDismissed = "owner_dismissed",
        DataChanged = "data_changed",
    }
}

impl Reason {
    pub fn title_ru(self) -> &'static str {
        match self {
            Reason::KeyCompromised => "Компрометация ключа электронной подписи",
            Reason::OwnerDismissed => "Увольнение владельца сертификата",
            Reason::DataChanged => "Изменение данных, указанных в сертификате",
        }
    }
}

/// The request lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    Draft,
    Sent,
    Revoked,
}

impl RequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Draft => "draft",
            RequestState::Sent => "sent",
            RequestState::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<RequestState> {
        [
            RequestState::Draft,
            RequestState::Sent,
            RequestState::Revoked,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            RequestState::Draft => "Черновик",
            RequestState::Sent => "Отправлено в УЦ",
            RequestState::Revoked => "Сертификат отозван",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestEvent {
    Send,
    CaRevoked,
}

/// draft → sent → revoked; nothing else.
///
/// # Errors
/// The state the event does not fit.
pub fn apply(s: RequestState, e: RequestEvent) -> Result<RequestState, RequestState> {
    match (s, e) {
        (RequestState::Draft, RequestEvent::Send) => Ok(RequestState::Sent),
        (RequestState::Sent, RequestEvent::CaRevoked) => Ok(RequestState::Revoked),
        (s, _) => Err(s),
    }
}

/// Issues the certificate of a registered application's owner (inside the pipeline).
///
/// # Errors
/// Database errors.
pub async fn issue(
    w: &mut Write,
    sub: &subscriber::Model,
    product: Option<i64>,
    app: &application::Model,
) -> AppResult<certificate::Model> {
    let owner: Value = serde_json::from_str(&app.owner)?;
    let from = w.at().with_timezone(&moscow()).date_naive();
    let c = certificate::ActiveModel {
        id: NotSet,
        subscriber_id: Set(sub.id),
        product_account_id: Set(product),
        serial: Set(hex::encode(rand::random::<[u8; 20]>())),
        owner_name: Set(owner["full_name"].as_str().unwrap_or_default().to_owned()),
        owner_snils: Set(owner["snils"].as_str().unwrap_or_default().to_owned()),
        owner_position: Set(owner["position"].as_str().map(str::to_owned)),
        kind: Set(owner["certificate_type"]
            .as_str()
            .unwrap_or("qualified")
            .to_owned()),
        state: Set("active".to_owned()),
        valid_from: Set(from),
        valid_to: Set(from.checked_add_months(Months::new(15)).unwrap_or(from)),
        container: Set(format!("registrar-{}", uuid::Uuid::new_v4().simple())),
        provider: Set("УЦ «Калуга Астрал»".to_owned()),
        application_id: Set(Some(app.id)),
        created_at: Set(w.at()),
        revoked_at: Set(None),
    }
    .insert(&**w)
    .await?;
    w.record(
        Change::new("certificate.issue", "certificate", c.id)
            .after(json!({"subscriber": sub.id, "serial": c.serial})),
    );
    Ok(c)
}

async fn certificate_in_scope(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<(certificate::Model, subscriber::Model)> {
    let c = certificate::Entity::find_by_id(id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let s = super::service::find(st, user, c.subscriber_id).await?;
    Ok((c, s))
}

async fn request_in_scope(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<(
    revocation_request::Model,
    certificate::Model,
    subscriber::Model,
)> {
    let r = revocation_request::Entity::find_by_id(id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let (c, s) = certificate_in_scope(st, user, r.certificate_id).await?;
    Ok((r, c, s))
}

/// Certificates of a subscriber.
///
/// # Errors
/// Database errors.
pub async fn of_subscriber(
    st: &AppState,
    subscriber_id: i64,
) -> AppResult<(Vec<certificate::Model>, Vec<revocation_request::Model>)> {
    let certs = certificate::Entity::find()
        .filter(certificate::Column::SubscriberId.eq(subscriber_id))
        .order_by_asc(certificate::Column::Id)
        .all(&st.db)
        .await?;
    let requests = revocation_request::Entity::find()
        .filter(revocation_request::Column::SubscriberId.eq(subscriber_id))
        .order_by_desc(revocation_request::Column::Id)
        .all(&st.db)
        .await?;
    Ok((certs, requests))
}

/// Certificates that can still be revoked, found by ИНН/КПП among the user's subscribers.
///
/// # Errors
/// Database errors.
pub async fn find_revocable(
    st: &AppState,
    user: &CurrentUser,
    inn: &str,
    kpp: Option<&str>,
) -> AppResult<Vec<certificate::Model>> {
    let mut subs = subscriber::Entity::find()
        .filter(user.scope.subscribers())
        .filter(subscriber::Column::Inn.eq(inn.trim()));
    if let Some(k) = kpp.map(str::trim).filter(|k| !k.is_empty()) {
        subs = subs.filter(subscriber::Column::Kpp.eq(k));
    }
    let ids: Vec<i64> = subs.all(&st.db).await?.into_iter().map(|s| s.id).collect();
    Ok(certificate::Entity::find()
        .filter(certificate::Column::SubscriberId.is_in(ids))
        .filter(certificate::Column::State.eq("active"))
        .order_by_asc(certificate::Column::Id)
        .all(&st.db)
        .await?)
}

/// Starts a revocation request (a draft).
///
/// # Errors
/// `Conflict` for a revoked certificate or one with an open request; scope errors.
pub async fn request(
    st: &AppState,
    user: &CurrentUser,
    certificate_id: i64,
    reason: Reason,
) -> AppResult<revocation_request::Model> {
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    let (c, s) = certificate_in_scope(st, user, certificate_id).await?;
    if c.state != "active" {
        return Err(AppError::refused(
            "certificate_revoked",
            "Сертификат уже отозван.",
        ));
    }
    let open = revocation_request::Entity::find()
        .filter(revocation_request::Column::CertificateId.eq(c.id))
        .filter(revocation_request::Column::State.ne(RequestState::Revoked.as_str()))
        .one(&st.db)
        .await?;
    if open.is_some() {
        return Err(AppError::refused(
            "revocation_request_open",
            "По сертификату уже есть незавершённое заявление на отзыв.",
        ));
    }
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let r = revocation_request::ActiveModel {
        id: NotSet,
        version: Set(0),
        certificate_id: Set(c.id),
        subscriber_id: Set(s.id),
        reason: Set(reason.as_str().to_owned()),
        state: Set(RequestState::Draft.as_str().to_owned()),
        scan_key: Set(None),
        scan_sha256: Set(None),
        created_by: Set(user.login.clone()),
        created_at: Set(w.at()),
        sent_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&*w)
    .await?;
    w.record(
        Change::new("certificate.revocation_request", "certificate", c.id)
            .after(json!({"request": r.id, "reason": r.reason})),
    );
    w.commit().await?;
    Ok(r)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The revocation application as a real Word document (WordprocessingML in a zip),
/// prefilled from the certificate.
///
/// # Errors
/// The zip writer failed.
pub fn application_docx(
    c: &certificate::Model,
    s: &subscriber::Model,
    reason: Reason,
    today: NaiveDate,
) -> AppResult<Vec<u8>> {
    let paragraphs = [
        (
            "Заявление на отзыв квалифицированного сертификата ключа проверки электронной подписи",
            true,
        ),
        ("В удостоверяющий центр: УЦ «Калуга Астрал»", false),
        (
            &*format!(
                "Заявитель: {} (ИНН {}{})",
                s.full_name,
                s.inn,
                s.kpp
                    .as_deref()
                    .map(|k| format!(", КПП {k}"))
                    .unwrap_or_default()
            ),
            false,
        ),
        (
            &*format!(
                "Владелец сертификата: {}, СНИЛС {}{}",
                c.owner_name,
                c.owner_snils,
                c.owner_position
                    .as_deref()
                    .map(|p| format!(", {p}"))
                    .unwrap_or_default()
            ),
            false,
        ),
        (&*format!("Серийный номер сертификата: {}", c.serial), false),
        (
            &*format!(
                "Срок действия: с {} по {}",
                c.valid_from.format("%d.%m.%Y"),
                c.valid_to.format("%d.%m.%Y")
            ),
            false,
        ),
        (
            &*format!(
                "Прошу отозвать указанный сертификат. Причина: {}.",
                reason.title_ru()
            ),
            false,
        ),
        (&*format!("Дата: {}", today.format("%d.%m.%Y")), false),
        (
            "Руководитель организации ____________________ / ____________________ /",
            false,
        ),
        ("М.П.", false),
    ];
    let body: String = paragraphs
        .iter()
        .map(|(text, bold)| {
            let rpr = if *bold {
                "<w:rPr><w:b/><w:sz w:val=\"28\"/></w:rPr>"
            } else {
                ""
            };
            format!(
                "<w:p><w:r>{rpr}<w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
                xml_escape(text)
            )
        })
        .collect();
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}\
<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1134\" w:right=\"850\" w:bottom=\"1134\" w:left=\"1701\" w:header=\"708\" w:footer=\"708\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>"
    );
    let content_types = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
</Types>";
    let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
</Relationships>";
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let zerr = |e: zip::result::ZipError| AppError::Internal(e.into());
    for (name, text) in [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", rels),
        ("word/document.xml", document.as_str()),
    ] {
        z.start_file(name, opts).map_err(zerr)?;
        z.write_all(text.as_bytes())
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(z.finish().map_err(zerr)?.into_inner())
}

/// Attaches the signed scan of the application to a draft.
///
/// # Errors
/// `Invalid` naming `file`; `Conflict` when the request is not a draft.
pub async fn attach_scan(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    bytes: &[u8],
) -> AppResult<revocation_request::Model> {
    let (r, _, _) = request_in_scope(st, user, id).await?;
    if r.state != RequestState::Draft.as_str() {
        return Err(AppError::conflict(
            r.state.clone(),
            "attach_scan",
            format!(
                "Скан прикрепляется только к черновику: заявление на отзыв в состоянии «{}».",
                crate::labels::state_title(&r.state)
            ),
        ));
    }
    let content_type = storage::check("file", bytes, storage::SCANS)?;
    let sha = hex::encode(Sha256::digest(bytes));
    let key = format!(
        "revocations/{}-{}.{}",
        r.id,
        &sha[..16],
        storage::extension(content_type)
    );
    let root = &st.config.documents_dir;
    storage::put(root, &key, bytes).await?;
    let saved = save_scan(st, user, &r, &key, &sha).await;
    match saved {
        Ok(()) => {
            if let Some(old) = r.scan_key.as_deref().filter(|k| *k != key) {
                storage::remove(root, old).await;
            }
        }
        Err(e) => {
            let referenced = revocation_request::Entity::find()
                .filter(revocation_request::Column::ScanKey.eq(&key))
                .one(&st.db)
                .await
                .map_or(true, |r| r.is_some());
            storage::discard_unless_referenced(root, &key, referenced).await;
            return Err(e);
        }
    }
    revocation_request::Entity::find_by_id(r.id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Records the scan on the request with a version check: of two concurrent uploads one
/// wins, the other is told the request changed.
async fn save_scan(
    st: &AppState,
    user: &CurrentUser,
    r: &revocation_request::Model,
    key: &str,
    sha: &str,
) -> AppResult<()> {
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let updated = revocation_request::Entity::update_many()
        .col_expr(revocation_request::Column::ScanKey, Expr::value(Some(key)))
        .col_expr(
            revocation_request::Column::ScanSha256,
            Expr::value(Some(sha)),
        )
        .col_expr(
            revocation_request::Column::Version,
            Expr::col(revocation_request::Column::Version).add(1),
        )
        .filter(revocation_request::Column::Id.eq(r.id))
        .filter(revocation_request::Column::Version.eq(r.version))
        .exec(&*w)
        .await?
        .rows_affected;
    if updated != 1 {
        return Err(AppError::Stale {
            current_state: None,
        });
    }
    w.record(
        Change::new("certificate.revocation_scan", "revocation_request", r.id)
            .after(json!({"sha256": sha})),
    );
    w.commit().await
}

async fn move_request(
    w: &Write,
    r: &revocation_request::Model,
    to: RequestState,
    at_col: revocation_request::Column,
) -> AppResult<bool> {
    Ok(revocation_request::Entity::update_many()
        .col_expr(revocation_request::Column::State, Expr::value(to.as_str()))
        .col_expr(at_col, Expr::value(Some(w.at())))
        .col_expr(
            revocation_request::Column::Version,
            Expr::col(revocation_request::Column::Version).add(1),
        )
        .filter(revocation_request::Column::Id.eq(r.id))
        .filter(revocation_request::Column::Version.eq(r.version))
        .exec(&**w)
        .await?
        .rows_affected
        == 1)
}

/// Sends a draft with its signed scan to the CA.
///
/// # Errors
/// `Invalid` naming `scan` without one; `Conflict` out of state; `Stale` on a lost race.
pub async fn send(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    expected_version: Option<i32>,
) -> AppResult<revocation_request::Model> {
    let (r, _, _) = request_in_scope(st, user, id).await?;
    let from = RequestState::parse(&r.state)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("bad state")))?;
    apply(from, RequestEvent::Send).map_err(|s| {
        AppError::conflict(
            s.as_str(),
            "send",
            format!(
                "Отправить можно только черновик: заявление на отзыв в состоянии «{}».",
                s.title_ru()
            ),
        )
    })?;
    if r.scan_key.is_none() {
        return Err(AppError::invalid(
            "scan",
            "прикрепите подписанный скан заявления",
        ));
    }
    if expected_version.is_some_and(|v| v != r.version) {
        return Err(AppError::Stale {
            current_state: Some(r.state),
        });
    }
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    if !move_request(
        &w,
        &r,
        RequestState::Sent,
        revocation_request::Column::SentAt,
    )
    .await?
    {
        return Err(AppError::Stale {
            current_state: None,
        });
    }
    w.record(
        Change::new("certificate.revocation_send", "revocation_request", r.id)
            .after(json!({"state": "sent"})),
    );
    w.commit().await?;
    revocation_request::Entity::find_by_id(r.id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// What the CA answers about sent requests. The real CA is behind this port; the
/// built-in one accepts every correctly sent request.
pub trait CertificateAuthority {
    fn revoked(&self, requests: &[revocation_request::Model]) -> Vec<i64>;
}

pub struct LocalCa;

impl CertificateAuthority for LocalCa {
    fn revoked(&self, requests: &[revocation_request::Model]) -> Vec<i64> {
        requests
            .iter()
            .filter(|r| r.scan_key.is_some())
            .map(|r| r.id)
            .collect()
    }
}

pub const JOB: &str = "certificate_revocations";

/// The daily refresh of the revoked list: requests sent more than a day ago that the CA
/// reports revoked mark their certificate revoked.
///
/// # Errors
/// Database errors.
pub async fn refresh_revoked(st: AppState, as_of: DateTime<Utc>) -> Result<JobReport, AppError> {
    let sent = revocation_request::Entity::find()
        .filter(revocation_request::Column::State.eq(RequestState::Sent.as_str()))
        .filter(revocation_request::Column::SentAt.lte(as_of - chrono::Duration::hours(24)))
        .all(&st.db)
        .await?;
    let revoked = LocalCa.revoked(&sent);
    let mut n = 0;
    for r in sent.iter().filter(|r| revoked.contains(&r.id)) {
        let mut w = Write::begin(&st.db, Actor::system(JOB), as_of).await?;
        if !move_request(
            &w,
            r,
            RequestState::Revoked,
            revocation_request::Column::RevokedAt,
        )
        .await?
        {
            continue;
        }
        certificate::Entity::update_many()
            .col_expr(certificate::Column::State, Expr::value("revoked"))
            .col_expr(certificate::Column::RevokedAt, Expr::value(Some(as_of)))
            .filter(certificate::Column::Id.eq(r.certificate_id))
            .exec(&*w)
            .await?;
        w.record(
            Change::new("certificate.revoked", "certificate", r.certificate_id)
                .after(json!({"request": r.id})),
        );
        w.commit().await?;
        n += 1;
    }
    Ok(JobReport {
        job: JOB.to_owned(),
        processed: n,
        summary: format!("отозвано сертификатов: {n}"),
    })
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_find))
        .routes(routes!(api_request))
        .routes(routes!(docx))
        .routes(routes!(api_scan).layer(DefaultBodyLimit::max(storage::UPLOAD_BODY_LIMIT)))
        .routes(routes!(api_send))
}

pub fn web_routes() -> Router<AppState> {
    Router::new()
        .route("/revocation-requests/{id}/application.docx", get(docx))
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
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
    mp: Multipart,
) -> AppResult<Response> {
    let (_, _, s) = request_in_scope(&st, &user, id).await?;
    let up = match crate::web::files::read_upload(mp).await {
        Ok(x) => x,
        Err(e) => return web_done(&st, &user, s.id, Err(e)).await,
    };
    if let Some(repeated) = up.check_form(&st, &user, &headers).await? {
        return Ok(repeated);
    }
    let result = attach_scan(&st, &user, id, &up.bytes)
        .await
        .map(|_| "Подписанный скан прикреплён.".to_owned());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_go_draft_sent_revoked_only() {
        assert_eq!(
            apply(RequestState::Draft, RequestEvent::Send),
            Ok(RequestState::Sent)
        );
        assert_eq!(
            apply(RequestState::Sent, RequestEvent::CaRevoked),
            Ok(RequestState::Revoked)
        );
        assert!(apply(RequestState::Draft, RequestEvent::CaRevoked).is_err());
        assert!(apply(RequestState::Revoked, RequestEvent::Send).is_err());
        assert!(apply(RequestState::Sent, RequestEvent::Send).is_err());
    }
}
