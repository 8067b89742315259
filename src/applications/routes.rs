//! The applications pages: registry with folders, the detail page with its tabs, and the
//! actions (claim, assign, delegate, identification, send to processing, reject,
//! documents). Every action goes through `service`, exactly as the API does.

use crate::extract::{Path, Query};
use axum::Router;
use axum::extract::State as AxumState;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;
use sea_orm::{EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;

use super::processing::{ConnectionOption, ProcessFlags, ProcessRequest};
use super::registry::{self, Cursor, Folder, Sort};
use super::service::{self, Caller, Command};
use super::state::State;
use super::{files, views};
use crate::AppState;
use crate::auth::session::{Flash, FlashKind};
use crate::auth::{Csrf, CurrentUser, Role};
use crate::entities::{identification_center, partner};
use crate::error::{AppError, AppResult};
use crate::web::files::CsrfUpload;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/applications", get(registry_page))
        .route(
            "/distribution",
            get(|u: CurrentUser| {
                folder_link(
                    u,
                    &[Role::SalesCenter, Role::Operator],
                    Folder::Distribution,
                )
            }),
        )
        .route(
            "/identification",
            get(|u: CurrentUser| {
                folder_link(u, &[Role::IdentificationCenter], Folder::Identification)
            }),
        )
        .route("/applications/claim", post(claim_by_requisites))
        .route("/applications/{id}", get(detail_page))
        .route("/applications/{id}/claim", post(claim))
        .route("/applications/{id}/assign", post(assign))
        .route(
            "/applications/{id}/delegate",
            get(delegate_page).post(delegate),
        )
        .route("/applications/{id}/identification", post(identification))
        .route(
            "/applications/{id}/process",
            get(process_page).post(process),
        )
        .route("/applications/{id}/reject", post(reject))
        .route("/applications/{id}/issue", post(issue))
        .route("/applications/{id}/refuse", post(refuse))
        .route(
            "/processing",
            get(|u: CurrentUser| folder_link(u, &[Role::Operator], Folder::InProcessing)),
        )
        .route("/applications/{id}/documents.zip", get(documents_zip))
        .route(
            "/applications/{id}/documents/{kind}",
            get(document)
                .post(upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::storage::UPLOAD_BODY_LIMIT,
                )),
        )
}

/// A navigation entry that opens one folder of the registry, for the roles that have it.
async fn folder_link(user: CurrentUser, roles: &[Role], folder: Folder) -> AppResult<Redirect> {
    user.require(roles)?;
    Ok(Redirect::to(&format!(
        "/applications?folder={}",
        folder.key()
    )))
}

#[derive(Deserialize, Default)]
pub struct RegistryParams {
    pub folder: Option<String>,
    pub q: Option<String>,
    pub sort: Option<String>,
    pub after: Option<String>,
    pub page: Option<u64>,
}

async fn registry_page(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Query(p): Query<RegistryParams>,
) -> AppResult<Markup> {
    user.require(&[
        Role::Partner,
        Role::SalesCenter,
        Role::Operator,
        Role::IdentificationCenter,
    ])?;
    let folders = Folder::for_role(user.role);
    // «Заявки» opens the partners' work; distribution has its own navigation entry.
    let default = folders
        .iter()
        .copied()
        .find(|f| *f != Folder::Distribution)
        .unwrap_or(folders[0]);
    let folder = p
        .folder
        .as_deref()
        .and_then(Folder::parse)
        .filter(|f| folders.contains(f))
        .unwrap_or(default);
    let sort = p.sort.as_deref().and_then(Sort::parse).unwrap_or_default();
    let query = registry::Query {
        folder: Some(folder),
        state: None,
        q: p.q.clone(),
        sort,
        page: p.page.unwrap_or(1).clamp(1, crate::params::MAX_PAGE),
        per_page: 50,
        after: p.after.as_deref().and_then(Cursor::decode),
    };
    let page = registry::list(&st.db, &user.scope, &query).await?;
    let counts = registry::counts(&st.db, &user.scope, user.role).await?;
    // The identification center's queue shows when each owner has to come by.
    let mut deadlines = std::collections::HashMap::new();
    let mut owners = std::collections::HashMap::new();
    let delegated: Vec<chrono::DateTime<chrono::Utc>> =
        page.items.iter().filter_map(|a| a.delegated_at).collect();
    if user.role == Role::IdentificationCenter
        && let (Some(first), Some(last)) = (delegated.iter().min(), delegated.iter().max())
    {
        let local = |t: &chrono::DateTime<chrono::Utc>| {
            t.with_timezone(&crate::clock::moscow()).date_naive()
        };
        let cal = crate::calendar::ProductionCalendar::load(
            &st.db,
            local(first),
            local(last) + chrono::Duration::days(60),
        )
        .await?;
        for a in &page.items {
            let owner: crate::organisation::Owner = crate::organisation::stored("owner", &a.owner)?;
            owners.insert(a.id, owner.full_name);
            if let (Some(at), State::Identification) = (a.delegated_at, a.state) {
                deadlines.insert(a.id, super::identification::deadline(at, &cal));
            }
        }
    }
    let next = service::next_actions(&st, &page.items).await?;
    let partners = partner::Entity::find()
        .filter(user.scope.partners())
        .order_by_asc(partner::Column::Code)
        .all(&st.db)
        .await?;
    Ok(views::registry(
        &user,
        &views::RegistryModel {
            folder,
            folders,
            counts,
            page,
            sort,
            params: p,
            partners,
            deadlines,
            owners,
            next,
        },
    ))
}

#[derive(Deserialize, Default)]
struct DetailParams {
    tab: Option<String>,
}

async fn detail_page(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(p): Query<DetailParams>,
) -> AppResult<Markup> {
    let app = service::find(&st, Caller::User(&user), id).await?;
    let state = app.state;
    let documents = files::list(&st, &app).await?;
    let history = service::history(&st, app.id).await?;
    let partner = match app.partner_id {
        Some(pid) => partner::Entity::find_by_id(pid).one(&st.db).await?,
        None => None,
    };
    let center = match app.identification_center_id {
        Some(cid) => {
            identification_center::Entity::find_by_id(cid)
                .one(&st.db)
                .await?
        }
        None => None,
    };
    let partners = if user.role == Role::SalesCenter || user.role == Role::Operator {
        partner::Entity::find()
            .filter(user.scope.partners())
            .order_by_asc(partner::Column::Code)
            .all(&st.db)
            .await?
    } else {
        Vec::new()
    };
    let tab = views::Tab::parse(p.tab.as_deref());
    let people =
        crate::auth::people(&st.db, history.iter().map(|h| h.actor_login.as_str())).await?;
    let identification_deadline = match (state, app.delegated_at) {
        (State::Identification, Some(at)) => {
            let cal = crate::calendar::ProductionCalendar::load_for(
                &st.db,
                at.with_timezone(&crate::clock::moscow()).date_naive(),
                super::identification::WORKING_DAYS,
            )
            .await?;
            Some(super::identification::deadline(at, &cal))
        }
        _ => None,
    };
    Ok(views::detail(
        &user,
        &views::DetailModel {
            app: &app,
            state,
            tab,
            documents,
            history,
            partner,
            center,
            partners,
            people,
            identification_deadline,
            stated: service::stated(&app)?,
            next: service::next_actions(&st, std::slice::from_ref(&app))
                .await?
                .get(&app.id)
                .copied(),
        },
    ))
}

/// After a form action: back to the application with a message (`web::after_action`).
async fn finish(
    st: &AppState,
    user: &CurrentUser,
    back: String,
    result: AppResult<String>,
) -> AppResult<Response> {
    crate::web::after_action(st, user, &back, crate::web::Subject::Application, result).await
}

fn back(id: i64) -> String {
    format!("/applications/{id}")
}

#[derive(Deserialize)]
struct VersionForm {
    version: Option<i32>,
}

#[derive(Deserialize)]
struct ClaimForm {
    inn: String,
    #[serde(default)]
    kpp: String,
}

async fn claim_by_requisites(
    AxumState(st): AxumState<AppState>,
    Csrf(user, f): Csrf<ClaimForm>,
) -> AppResult<Response> {
    user.require(&[Role::Partner])?;
    let (inn, kpp) = match crate::requisites::inn_kpp(&f.inn, Some(&f.kpp)) {
        Ok(x) => x,
        Err(errors) => {
            let refused = Err(AppError::Invalid(errors));
            return finish(&st, &user, "/applications".to_owned(), refused).await;
        }
    };
    match service::claim_by_requisites(&st, &user, &inn, kpp.as_ref()).await {
        Ok(app) => {
            finish(
                &st,
                &user,
                back(app.id),
                Ok("Заявка получена и перемещена в папку «Принятые».".to_owned()),
            )
            .await
        }
        Err(AppError::NotFound) => {
            let flash = Flash {
                kind: FlashKind::Error,
                text: format!(
                    "Заявление с ИНН {inn}{} не найдено среди заявлений, которые ещё не получил ни один партнер. Проверьте реквизиты или дождитесь, пока заявление поступит из программы 1С.",
                    kpp.map(|k| format!(" и КПП {k}")).unwrap_or_default()
                ),
            };
            crate::web::flash_redirect(&st, &user, "/applications", flash).await
        }
        Err(e) => finish(&st, &user, "/applications".to_owned(), Err(e)).await,
    }
}

async fn claim(
    AxumState(st): AxumState<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<VersionForm>,
) -> AppResult<Response> {
    let r = service::fire(&st, Caller::User(&user), id, Command::Claim, f.version)
        .await
        .map(|_| "Заявка получена.".to_owned());
    finish(&st, &user, back(id), r).await
}

#[derive(Deserialize)]
struct AssignForm {
    partner_code: String,
    version: Option<i32>,
    back: Option<String>,
}

async fn assign(
    AxumState(st): AxumState<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<AssignForm>,
) -> AppResult<Response> {
    let r = service::fire(
        &st,
        Caller::User(&user),
        id,
        Command::Assign {
            partner_code: f.partner_code,
        },
        f.version,
    )
    .await
    .map(|_| "Заявка назначена партнеру.".to_owned());
    finish(&st, &user, back_or(f.back, id), r).await
}

async fn delegate_page(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    let app = service::find(&st, Caller::User(&user), id).await?;
    let ranked = service::ranked_centers(&st, &app).await?;
    Ok(views::delegate(&user, &app, &ranked))
}

#[derive(Deserialize)]
struct DelegateForm {
    center_id: Option<i32>,
    version: Option<i32>,
}

async fn delegate(
    AxumState(st): AxumState<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<DelegateForm>,
) -> AppResult<Response> {
    let r = service::fire(
        &st,
        Caller::User(&user),
        id,
        Command::DelegateIdentification {
            center_id: f.center_id,
        },
        f.version,
    )
    .await
    .map(|_| "Идентификация делегирована; абоненту отправлено письмо с адресом центра.".to_owned());
    finish(&st, &user, back(id), r).await
}

#[derive(Deserialize)]
struct IdentificationForm {
    result: String,
    #[serde(default)]
    reason: String,
    version: Option<i32>,
}

async fn identification(
    AxumState(st): AxumState<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<IdentificationForm>,
) -> AppResult<Response> {
    let passed = f.result == "passed";
    let reason = Some(f.reason).filter(|r| !r.trim().is_empty());
    let r = service::fire(
        &st,
        Caller::User(&user),
        id,
        Command::IdentificationResult { passed, reason },
        f.version,
    )
    .await
    .map(|_| {
        if passed {
            "Отмечено: идентификация пройдена."
        } else {
            "Отмечено: идентификация не пройдена."
        }
        .to_owned()
    });
    finish(&st, &user, back(id), r).await
}

async fn process_page(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    user.require(&[Role::Partner])?;
    let app = service::find(&st, Caller::User(&user), id).await?;
    let check = service::its_check(&st, &app).await?;
    // The strictest case (a paid option); the ITS tariff is marked as the exception.
    let missing = super::documents::missing_required(
        &service::attached_kinds(&st.db, app.id).await?,
        crate::tariffs::connection::ConnectionOption::Basic1y,
    );
    Ok(views::process(&user, &app, &check, &missing))
}

#[derive(Deserialize)]
struct ProcessForm {
    option: String,
    #[serde(default)]
    its_subscription: String,
    #[serde(default)]
    group_head_inn: String,
    #[serde(default)]
    group_head_kpp: String,
    #[serde(default)]
    special_offer_code: String,
    #[serde(default)]
    basic_sole_trader: Option<String>,
    #[serde(default)]
    basic_sole_trader_offered: Option<String>,
    #[serde(default)]
    bonus: Option<String>,
    #[serde(default)]
    right_choice: Option<String>,
    #[serde(default)]
    authorized_representative: Option<String>,
    version: Option<i32>,
}

async fn process(
    AxumState(st): AxumState<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<ProcessForm>,
) -> AppResult<Response> {
    let Some(option) = ConnectionOption::parse(&f.option) else {
        return finish(
            &st,
            &user,
            format!("/applications/{id}/process"),
            Err(AppError::invalid("option", "выберите вариант подключения")),
        )
        .await;
    };
    let nonempty = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let req = ProcessRequest {
        option,
        its_subscription: nonempty(f.its_subscription),
        flags: ProcessFlags {
            group_head_inn: nonempty(f.group_head_inn),
            group_head_kpp: nonempty(f.group_head_kpp),
            bonus: f.bonus.is_some(),
            right_choice: f.right_choice.is_some(),
            special_offer_code: nonempty(f.special_offer_code),
            basic_sole_trader: f
                .basic_sole_trader_offered
                .is_some()
                .then_some(f.basic_sole_trader.is_some()),
            authorized_representative: f.authorized_representative.is_some(),
        },
    };
    match service::fire(
        &st,
        Caller::User(&user),
        id,
        Command::SendToProcessing(req),
        f.version,
    )
    .await
    {
        Ok(_) => {
            finish(
                &st,
                &user,
                back(id),
                Ok("Заявление отправлено в обработку.".to_owned()),
            )
            .await
        }
        Err(e @ AppError::Invalid(_)) => {
            finish(&st, &user, format!("/applications/{id}/process"), Err(e)).await
        }
        Err(e) => finish(&st, &user, back(id), Err(e)).await,
    }
}

#[derive(Deserialize)]
struct RejectForm {
    #[serde(default)]
    reason: String,
    version: Option<i32>,
}

async fn reject(
    AxumState(st): AxumState<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<RejectForm>,
) -> AppResult<Response> {
    let r = service::fire(
        &st,
        Caller::User(&user),
        id,
        Command::Reject { reason: f.reason },
        f.version,
    )
    .await
    .map(|_| "Заявление отклонено.".to_owned());
    finish(&st, &user, back(id), r).await
}

#[derive(Deserialize)]
struct IssueForm {
    version: Option<i32>,
    /// Where to return: the queue or the application.
    back: Option<String>,
}

/// Back to the registry or the application only (never to another site).
fn back_or(back: Option<String>, id: i64) -> String {
    back.filter(|b| b.starts_with("/applications"))
        .unwrap_or_else(|| self::back(id))
}

/// The operator's queue: the certification authority processed the application.
async fn issue(
    AxumState(st): AxumState<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<IssueForm>,
) -> AppResult<Response> {
    let r = service::issue(&st, &user, id, f.version)
        .await
        .map(|a| match a.state {
            State::AwaitingReceipt => {
                "Сертификат выпущен: заявление ожидает расписку абонента.".to_owned()
            }
            _ => "Заявление обработано: абонент зарегистрирован.".to_owned(),
        });
    finish(&st, &user, back_or(f.back, id), r).await
}

#[derive(Deserialize)]
struct RefuseForm {
    #[serde(default)]
    reason: String,
    version: Option<i32>,
    back: Option<String>,
}

/// The operator's queue: the certification authority refused, with a reason.
async fn refuse(
    AxumState(st): AxumState<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<RefuseForm>,
) -> AppResult<Response> {
    let r = service::fire(
        &st,
        Caller::User(&user),
        id,
        Command::CaRefused { reason: f.reason },
        f.version,
    )
    .await
    .map(|_| "В выпуске отказано: заявление отклонено.".to_owned());
    finish(&st, &user, back_or(f.back, id), r).await
}

async fn document(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Path((id, kind)): Path<(i64, String)>,
) -> AppResult<Response> {
    let (doc, bytes) = files::read(&st, &user, id, &kind).await?;
    Ok(crate::web::files::download(
        bytes,
        &doc.content_type,
        &doc.file_name,
    ))
}

async fn documents_zip(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let bytes = files::zip_all(&st, &user, id).await?;
    Ok(crate::web::files::download(
        bytes,
        "application/zip",
        &format!("zayavlenie-{id}-dokumenty.zip"),
    ))
}

async fn upload(
    AxumState(st): AxumState<AppState>,
    Path((id, kind)): Path<(i64, String)>,
    CsrfUpload(user, up): CsrfUpload,
) -> AppResult<Response> {
    let back_to = format!("/applications/{id}?tab=files");
    let r = match up {
        Ok(up) => files::attach(&st, &user, id, &kind, &up.file_name, &up.bytes)
            .await
            .map(|d| format!("Файл «{}» прикреплён.", d.file_name)),
        Err(e) => Err(e),
    };
    finish(&st, &user, back_to, r).await
}
