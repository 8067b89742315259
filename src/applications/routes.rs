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
use serde::{Deserialize, Serialize};

use super::processing::{ConnectionOption, ProcessFlags, ProcessRequest, SecondaryAction};
use super::registry::{self, Cursor, Folder, Sort};
use super::service::{self, Caller, Command};
use super::state::State;
use super::{files, views};
use crate::AppState;
use crate::auth::session::{Flash, FlashKind};
use crate::auth::{CallerWith, Csrf, CurrentUser, Role};
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
        .route("/applications/{id}/its-login", post(its_login))
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
    CallerWith(user, stamp): CallerWith<registry::KeptStamp>,
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
    // The tabs' counts first: the open folder's is the page's total (with a search, of
    // its matches), so the search is not counted twice.
    let counts = registry::counts(
        &st.db,
        Some(&st.registry_pages),
        &user.scope,
        user.role,
        p.q.as_deref(),
        stamp,
    )
    .await?;
    let query = registry::Query {
        folder: Some(folder),
        state: None,
        q: p.q.clone(),
        sort,
        page: p.page.unwrap_or(1).clamp(1, crate::params::MAX_PAGE),
        per_page: 50,
        after: p.after.as_deref().and_then(|a| Cursor::decode(a, sort)),
        total: counts.by_folder.get(&folder).copied(),
        ids: counts.matched(folder),
        stamp: counts.stamp,
    };
    let page = registry::list_recent(&st.db, &st.registry_pages, &user.scope, &query).await?;
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
        for a in page.items.iter() {
            let owner: crate::organisation::Owner = crate::organisation::stored("owner", &a.owner)?;
            owners.insert(a.id, owner.full_name);
            if let (Some(at), State::Identification) = (a.delegated_at, a.state) {
                deadlines.insert(a.id, super::identification::deadline(at, &cal));
            }
        }
    }
    let next = service::next_actions(&st, &page.items).await?;
    // The assignment select of «Распределение»: every partner of the scope (the partner
    // column reads each row's code, kept with the page).
    let partners = if folder == Folder::Distribution
        && matches!(user.role, Role::SalesCenter | Role::Operator)
    {
        partner::Entity::find()
            .filter(user.scope.partners())
            .order_by_asc(partner::Column::Code)
            .all(&st.db)
            .await?
    } else {
        Vec::new()
    };
    Ok(views::registry(
        &user,
        &views::RegistryModel {
            folder,
            folders,
            counts: counts.by_folder,
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
            next: service::next_actions(&st, &[registry::Row::from(&app)])
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

/// The wizard «Заявление на изменение» / «Параметры подключения» (manual §2.1, §3):
/// Тип заявления (a secondary application only) → Параметры ИТС → Суммарно. Every step
/// is a GET carrying the choices so far, so Back and a refused submission return to
/// them; only the summary's «В обработку» posts.
async fn process_page(
    AxumState(st): AxumState<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(w): Query<WizardForm>,
) -> AppResult<Markup> {
    user.require(&[Role::Partner])?;
    let app = service::find(&st, Caller::User(&user), id).await?;
    let connected = service::connected(&st, &app).await?;
    let step = views::Step::of(w.step.as_deref(), connected.is_some());
    let its_login = w
        .find_login
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty());
    let check = service::its_check(&st, &app).await?;
    let found = match its_login {
        Some(login) => Some(service::its_check_for(&st, &app, Some(login)).await?),
        None => None,
    };
    let attached = service::attached_kinds(&st.db, app.id).await?;
    let mut preview = match (step, w.request()) {
        (views::Step::Summary, Ok(req)) => {
            Some(service::preview_processing(&st, Caller::User(&user), &app, &req).await?)
        }
        (views::Step::Summary, Err(e)) => Some(service::Preview::refused(e)),
        _ => None,
    };
    // Choices the guard refuses do not reach the summary: the step where they are made
    // comes back with each refusal beside its field.
    let mut refusals = Vec::new();
    let mut step = step;
    if let Some(p) = preview.as_mut().filter(|p| !p.refusals.is_empty()) {
        refusals = std::mem::take(&mut p.refusals);
        step = views::Step::Its;
        preview = None;
    }
    let missing = match w.request() {
        Ok(req) => super::documents::missing_required(&attached, &req),
        Err(_) => super::documents::missing_required(&attached, &ProcessRequest::paid()),
    };
    Ok(views::process(&views::WizardModel {
        user: &user,
        app: &app,
        step,
        connected: connected.as_ref(),
        form: &w,
        check: &check,
        looked_up: its_login.zip(found.as_ref()),
        missing: &missing,
        preview: preview.as_ref(),
        refusals: &refusals,
    }))
}

/// The wizard's choices, as query parameters between steps and as the posted form.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(super) struct WizardForm {
    #[serde(default)]
    pub step: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub option: Option<String>,
    #[serde(default)]
    pub its_subscription: String,
    #[serde(default)]
    pub group_head_inn: String,
    #[serde(default)]
    pub group_head_kpp: String,
    #[serde(default)]
    pub special_offer_code: String,
    #[serde(default)]
    pub basic_sole_trader: Option<String>,
    #[serde(default)]
    pub basic_sole_trader_offered: Option<String>,
    #[serde(default)]
    pub bonus: Option<String>,
    #[serde(default)]
    pub right_choice: Option<String>,
    #[serde(default)]
    pub authorized_representative: Option<String>,
    /// «Изменить» → «Найти»: the ITS login looked up before it is applied (§7).
    #[serde(default, skip_serializing)]
    pub find_login: Option<String>,
    #[serde(default, skip_serializing)]
    pub find_email: Option<String>,
    #[serde(default, skip_serializing)]
    pub version: Option<i32>,
}

impl WizardForm {
    /// The request the choices stand for; a choice that is not one of the codes is
    /// named.
    pub fn request(&self) -> AppResult<ProcessRequest> {
        let nonempty = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let action = match self.action.as_deref().filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => Some(
                SecondaryAction::parse(a)
                    .ok_or_else(|| AppError::invalid("action", "выберите действие"))?,
            ),
        };
        let licence = action.is_none_or(SecondaryAction::connects_licence);
        let option = match self.option.as_deref().filter(|o| !o.is_empty()) {
            _ if !licence => None,
            None => return Err(AppError::invalid("option", "выберите вариант подключения")),
            Some(o) => Some(
                ConnectionOption::parse(o)
                    .ok_or_else(|| AppError::invalid("option", "выберите вариант подключения"))?,
            ),
        };
        let flags = if licence {
            ProcessFlags {
                group_head_inn: nonempty(&self.group_head_inn),
                group_head_kpp: nonempty(&self.group_head_kpp),
                bonus: self.bonus.is_some(),
                right_choice: self.right_choice.is_some(),
                special_offer_code: nonempty(&self.special_offer_code),
                basic_sole_trader: self
                    .basic_sole_trader_offered
                    .is_some()
                    .then_some(self.basic_sole_trader.is_some()),
                authorized_representative: self.authorized_representative.is_some(),
            }
        } else {
            ProcessFlags::default()
        };
        Ok(ProcessRequest {
            option,
            action,
            its_subscription: nonempty(&self.its_subscription).filter(|_| licence),
            flags,
        })
    }

    /// The choices as the summary's hidden fields (the posted form).
    pub fn hidden_fields(&self) -> Vec<(String, String)> {
        serde_urlencoded::to_string(self)
            .ok()
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(&q).ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "step")
            .collect()
    }

    /// The wizard's URL at `step` with these choices.
    pub fn href(&self, id: i64, step: &str) -> String {
        let mut q = serde_urlencoded::to_string(self).unwrap_or_default();
        // The step is the one asked for, not the one these choices came from.
        q = q
            .split('&')
            .filter(|kv| !kv.starts_with("step=") && !kv.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        format!("/applications/{id}/process?step={step}&{q}")
    }
}

async fn process(
    AxumState(st): AxumState<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<WizardForm>,
) -> AppResult<Response> {
    // A refused request returns to the step where its choices are made.
    let retry = f.href(id, "its");
    let req = match f.request() {
        Ok(req) => req,
        Err(e) => return finish(&st, &user, retry, Err(e)).await,
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
        Err(e @ AppError::Invalid(_)) => finish(&st, &user, retry, Err(e)).await,
        Err(e) => finish(&st, &user, back(id), Err(e)).await,
    }
}

#[derive(Deserialize)]
struct ItsLoginForm {
    #[serde(default)]
    its_login: String,
    #[serde(default)]
    its_email: String,
    #[serde(default)]
    action: Option<String>,
    version: Option<i32>,
}

/// «Применить» (§7): the application takes the login looked up; the wizard's ITS step
/// shows the check by it.
async fn its_login(
    AxumState(st): AxumState<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<ItsLoginForm>,
) -> AppResult<Response> {
    let wizard = WizardForm {
        action: f.action.clone(),
        ..WizardForm::default()
    }
    .href(id, "its");
    let r = service::change_its_login(
        &st,
        Caller::User(&user),
        id,
        &f.its_login,
        Some(f.its_email.as_str()),
        f.version,
    )
    .await
    .map(|a| {
        format!(
            "Заявление связано с пользователем портала ИТС «{}».",
            a.its_login.unwrap_or_default()
        )
    });
    finish(&st, &user, wizard, r).await
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
