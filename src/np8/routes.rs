//! The edges of «Абоненты — Лицензии на 1С:НП 8»: the two pages of §15 (Выдача, Выданные
//! лицензии) and the API. The issuing page is one form in three steps, each answered with
//! the page itself (nothing to lose on a refusal): «Применить» the portal login and e-mail
//! (the contracts appear under «Опция»), «Выдать лицензию» (the manual's confirmation),
//! and the confirmation's «Выдать лицензию» (the number and the PIN).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::{Markup, html};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Basis;
use super::service::{self, IssueRequest};
use crate::AppState;
use crate::api::ApiJson;
use crate::auth::{Csrf, CurrentUser, Role};
use crate::entities::{its_subscription, np8_licence, partner};
use crate::error::{AppError, AppResult, FieldError};
use crate::extract::{Path, Query};
use crate::params::Params;
use crate::web::components::{datetime_ru, table};
use crate::web::layout::{self, csrf_field};
use crate::web::urlencode;

pub fn web_routes() -> Router<AppState> {
    Router::new()
        .route("/np8-licences", get(registry))
        .route("/np8-licences/export.{format}", get(export))
        .route("/np8-licences/issue", get(issue_page).post(issue_step))
        .route("/np8-licences/{id}/pin", post(web_show_pin))
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_list, api_issue))
        .routes(routes!(api_show))
        .routes(routes!(api_pin))
        .routes(routes!(api_contracts))
}

// ---------------------------------------------------------------- API

/// Лицензия на 1С:Налогоплательщик 8
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Np8Licence {
    pub id: i64,
    /// Рег. номер лицензии
    pub number: String,
    /// ИНН организации
    pub inn: String,
    /// КПП (у ИП — null)
    pub kpp: Option<String>,
    /// Краткое наименование, если организация — абонент партнера; иначе пусто
    pub name: String,
    pub basis: Basis,
    /// Рег. номер договора 1С:ИТС ПРОФ (бесплатная лицензия)
    pub its_subscription: Option<String>,
    /// Код партнера, выдавшего лицензию
    pub partner: String,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    /// Логин выдавшего
    pub issued_by: String,
    /// Вызывающий может один раз запросить пин-код повторно (только партнер, выдавший лицензию)
    pub pin_available: bool,
    /// Когда пин-код был показан повторно (после этого он не хранится)
    pub pin_shown_again_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Выданная лицензия с пин-кодом (показывается при выдаче)
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Np8Issued {
    #[serde(flatten)]
    pub licence: Np8Licence,
    /// Пин-код (15 цифр)
    pub pin: String,
}

/// Реестр выданных лицензий
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Np8List {
    pub items: Vec<Np8Licence>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// Пин-код, показанный повторно
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Np8Pin {
    /// Рег. номер лицензии
    pub number: String,
    /// Пин-код (15 цифр); больше не хранится
    pub pin: String,
}

/// Выдать лицензию на 1С:Налогоплательщик 8
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Np8IssueBody {
    /// ИНН организации или ИП
    inn: String,
    /// КПП организации (у ИП не указывается)
    #[serde(default)]
    kpp: Option<String>,
    basis: Basis,
    /// Рег. номер договора 1С:ИТС ПРОФ — для бесплатной лицензии
    #[serde(default)]
    its_subscription: Option<String>,
    /// Логин портала ИТС, которому принадлежит договор (необязательно)
    #[serde(default)]
    its_login: Option<String>,
    /// Абонент оплатил лицензию — обязательно для платной
    #[serde(default)]
    paid: bool,
}

/// Логин и e-mail портала ИТС
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItsLoginBody {
    /// Логин портала ИТС
    its_login: String,
    /// E-mail, указанный на портале для логина
    email: String,
}

/// Договор 1С:ИТС на портале
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItsContract {
    /// Рег. номер договора
    pub registration_number: String,
    /// Как договор показан в «Опция»
    pub title: String,
    /// Уровень: PROF, TECHNO…
    pub level: String,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    /// ИНН организации, с которой заключен договор
    pub owner_inn: String,
}

/// Договоры логина
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItsContracts {
    pub items: Vec<ItsContract>,
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// ИНН или номер лицензии (начало), рег. номер договора ИТС, часть наименования
    q: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

async fn partner_codes(
    st: &AppState,
    rows: &[np8_licence::Model],
) -> AppResult<HashMap<i32, String>> {
    let ids: Vec<i32> = rows.iter().map(|l| l.partner_id).collect();
    Ok(partner::Entity::find()
        .filter(partner::Column::Id.is_in(ids))
        .all(&st.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect())
}

fn view(user: &CurrentUser, l: &np8_licence::Model, codes: &HashMap<i32, String>) -> Np8Licence {
    Np8Licence {
        id: l.id,
        number: l.number.clone(),
        inn: l.inn.clone(),
        kpp: (!l.kpp.is_empty()).then(|| l.kpp.clone()),
        name: l.name.clone(),
        basis: l.basis,
        its_subscription: l.its_registration_number.clone(),
        partner: codes.get(&l.partner_id).cloned().unwrap_or_default(),
        issued_at: l.issued_at,
        issued_by: l.issued_by.clone(),
        pin_available: service::may_show_pin(user, l),
        pin_shown_again_at: l.pin_shown_again_at,
    }
}

impl From<Np8IssueBody> for IssueRequest {
    fn from(b: Np8IssueBody) -> Self {
        IssueRequest {
            inn: b.inn,
            kpp: b.kpp,
            basis: Some(b.basis),
            its_subscription: b.its_subscription,
            its_login: b.its_login,
            paid: b.paid,
        }
    }
}

#[utoipa::path(get, path = "/np8-licences", tag = "Лицензии", summary = "Выданные лицензии на 1С:Налогоплательщик 8 (партнер — свои, центр продаж — своих партнеров, оператор — все); пин-коды не показываются", params(ListQuery), responses((status = 200, description = "Реестр", body = Np8List), crate::openapi::Refusals))]
async fn api_list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Np8List>> {
    let mut p = Params::new();
    let (page, per_page) = p.paging(q.page.as_deref(), q.per_page.as_deref());
    p.finish()?;
    let (rows, total) = service::search(&st, &user, q.q.as_deref(), page, per_page).await?;
    let codes = partner_codes(&st, &rows).await?;
    Ok(Json(Np8List {
        items: rows.iter().map(|l| view(&user, l, &codes)).collect(),
        total,
        page,
        per_page,
    }))
}

#[utoipa::path(post, path = "/np8-licences", tag = "Лицензии", summary = "Выдать лицензию на 1С:Налогоплательщик 8 (партнер): платно (`basis: paid`, только после оплаты — `paid: true`) или бесплатно по действующему договору 1С:ИТС ПРОФ организации (`basis: its_prof`, `its_subscription`). Одна лицензия на организацию, одна бесплатная на договор. Пин-код показывается в ответе", request_body = Np8IssueBody, responses((status = 201, description = "Лицензия с пин-кодом", body = Np8Issued), crate::openapi::Refusals))]
async fn api_issue(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiJson(b): ApiJson<Np8IssueBody>,
) -> AppResult<Response> {
    let issued = service::issue(&st, &user, &b.into()).await?;
    let codes = partner_codes(&st, std::slice::from_ref(&issued.licence)).await?;
    let body = Np8Issued {
        licence: view(&user, &issued.licence, &codes),
        pin: issued.pin,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[utoipa::path(get, path = "/np8-licences/{id}", tag = "Лицензии", summary = "Лицензия на 1С:Налогоплательщик 8", params(("id" = i64, Path, description = "Лицензия")), responses((status = 200, description = "Лицензия", body = Np8Licence), crate::openapi::Refusals))]
async fn api_show(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Np8Licence>> {
    let l = service::find(&st, &user, id).await?;
    let codes = partner_codes(&st, std::slice::from_ref(&l)).await?;
    Ok(Json(view(&user, &l, &codes)))
}

#[utoipa::path(post, path = "/np8-licences/{id}/pin", tag = "Лицензии", summary = "Показать пин-код повторно: один раз и только партнеру, выдавшему лицензию; после этого пин-код не хранится (`pin_already_shown`). Записывается в журнал", params(("id" = i64, Path, description = "Лицензия")), responses((status = 200, description = "Пин-код", body = Np8Pin), crate::openapi::Refusals))]
async fn api_pin(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Np8Pin>> {
    let (l, pin) = service::show_pin(&st, &user, id).await?;
    Ok(Json(Np8Pin {
        number: l.number,
        pin,
    }))
}

fn contract_json(c: &its_subscription::Model) -> ItsContract {
    ItsContract {
        registration_number: c.registration_number.clone(),
        title: super::option_title(c),
        level: c.level.clone(),
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        owner_inn: c.owner_inn.clone(),
    }
}

#[utoipa::path(post, path = "/np8-licences/its-contracts", tag = "Лицензии", summary = "Договоры 1С:ИТС логина портала ИТС («Изменение параметров подключения ИТС»: логин и e-mail, как на портале) — из них выбирается договор для бесплатной лицензии", request_body = ItsLoginBody, responses((status = 200, description = "Договоры", body = ItsContracts), crate::openapi::Refusals))]
async fn api_contracts(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiJson(b): ApiJson<ItsLoginBody>,
) -> AppResult<Json<ItsContracts>> {
    let list = service::contracts_of_login(&st, &user, &b.its_login, &b.email).await?;
    Ok(Json(ItsContracts {
        items: list.iter().map(contract_json).collect(),
    }))
}

// ---------------------------------------------------------------- pages

fn tabs(user: &CurrentUser, active: &str) -> Markup {
    html! {
        nav.tabs {
            a href="/subscribers" { "Абоненты" }
            @if user.role == Role::Partner {
                a href="/np8-licences/issue" class=[(active == "issue").then_some("active")] { "Выдача лицензий на 1С:НП 8" }
            }
            a href="/np8-licences" class=[(active == "issued").then_some("active")] { "Выданные лицензии на 1С:НП 8" }
        }
    }
}

const TITLE: &str = "Лицензии на 1С:НП 8";

#[derive(Deserialize, Default)]
struct RegistryParams {
    q: Option<String>,
    page: Option<u64>,
}

async fn registry(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(p): Query<RegistryParams>,
) -> AppResult<Markup> {
    let page = p.page.unwrap_or(1).clamp(1, crate::params::MAX_PAGE);
    let (rows, total) = service::search(&st, &user, p.q.as_deref(), page, 50).await?;
    let codes = partner_codes(&st, &rows).await?;
    let q = p.q.clone().unwrap_or_default();
    let many = user.role != Role::Partner;
    let mut headers = vec![
        "Рег. номер лицензии",
        "Пин-код",
        "ИНН",
        "КПП",
        "Наименование",
        "Основание",
        "Договор 1С:ИТС",
    ];
    if many {
        headers.push("Партнер");
    }
    headers.extend(["Выдана", "Выдал"]);
    Ok(layout::page(
        &user,
        "subscribers",
        TITLE,
        html! {
            (tabs(&user, "issued"))
            form.toolbar method="get" action="/np8-licences" {
                label { "ИНН, рег. номер лицензии, номер договора ИТС или наименование" input type="text" name="q" value=(q) size="40"; }
                button.primary type="submit" { "Найти" }
                a.button.secondary href={ "/np8-licences/export.csv?q=" (urlencode(&q)) } { "Экспорт CSV" }
                a.button.secondary href={ "/np8-licences/export.xlsx?q=" (urlencode(&q)) } { "Экспорт XLSX" }
            }
            p.muted { "Передайте абоненту дистрибутив программы 1С:Налогоплательщик 8, рег. номер лицензии и пин-код. Пин-код показывается при выдаче и еще один раз — партнеру, выдавшему лицензию; после этого он не хранится." }
            (table(&headers, rows.iter().map(|l| html! { tr {
                td.nowrap { b { (l.number) } }
                td { (pin_cell(&user, l)) }
                td { (l.inn) } td { (l.kpp) } td { (l.name) }
                td { (l.basis.title_ru()) }
                td { (l.its_registration_number.as_deref().unwrap_or("")) }
                @if many { td { (codes.get(&l.partner_id).map_or("", String::as_str)) } }
                td.nowrap { (datetime_ru(l.issued_at)) }
                td { (l.issued_by) }
            } })))
            div.pager {
                span { "Всего: " b { (total) } }
                span {
                    @if page > 1 { a.button.secondary href={ "/np8-licences?q=" (urlencode(&q)) "&page=" (page - 1) } { "← Назад" } " " }
                    @if page * 50 < total { a.button.secondary href={ "/np8-licences?q=" (urlencode(&q)) "&page=" (page + 1) } { "Дальше →" } }
                }
            }
        },
    ))
}

fn pin_cell(user: &CurrentUser, l: &np8_licence::Model) -> Markup {
    html! {
        @if service::may_show_pin(user, l) {
            form.inline method="post" action={ "/np8-licences/" (l.id) "/pin" } {
                (csrf_field(user))
                button.secondary type="submit" data-confirm="Пин-код можно показать повторно только один раз: после этого он не хранится. Показать сейчас?" { "Показать пин-код" }
            }
        } @else if let Some(at) = l.pin_shown_again_at {
            span.muted { "показан повторно " (datetime_ru(at)) }
        } @else {
            span.muted { "скрыт" }
        }
    }
}

async fn export(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(format): Path<String>,
    Query(p): Query<RegistryParams>,
) -> AppResult<Response> {
    let (rows, _) = service::search(&st, &user, p.q.as_deref(), 1, 0).await?;
    let codes = partner_codes(&st, &rows).await?;
    crate::export::respond(&service::sheet(&rows, &codes), &format, "licenzii-np8")
}

async fn web_show_pin(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(user, _f): Csrf<HashMap<String, String>>,
) -> AppResult<Response> {
    match service::show_pin(&st, &user, id).await {
        Ok((l, pin)) => {
            Ok(layout::page(
                &user,
                "subscribers",
                TITLE,
                html! {
                    (tabs(&user, "issued"))
                    div.flash.flash-success role="status" { "Пин-код показан повторно. Больше он показан не будет: передайте его абоненту сейчас." }
                    (licence_panel(&l, &pin))
                    p { a.button.secondary href="/np8-licences" { "← К выданным лицензиям" } }
                },
            )
            .into_response())
        }
        Err(e) => {
            crate::web::after_action(
                &st,
                &user,
                "/np8-licences",
                crate::web::Subject::Other,
                Err(e),
            )
            .await
        }
    }
}

fn licence_panel(l: &np8_licence::Model, pin: &str) -> Markup {
    html! {
        section.panel.np8-issued {
            dl.kv {
                dt { "Рег. номер лицензии" } dd { b data-np8="number" { (l.number) } }
                dt { "Пин-код" } dd { b data-np8="pin" { (super::server::pin_grouped(pin)) } }
                dt { "ИНН / КПП" } dd { (l.inn) @if !l.kpp.is_empty() { " / " (l.kpp) } }
                @if !l.name.is_empty() { dt { "Абонент" } dd { (l.name) } }
                dt { "Основание" } dd { (l.basis.title_ru()) @if let Some(n) = &l.its_registration_number { ", договор " (n) } }
            }
            ol {
                li { "Передайте абоненту дистрибутив программы 1С:Налогоплательщик 8, рег. номер лицензии и пин-код." }
                li { "Убедитесь, что абонент зарегистрирован как пользователь программы на сайте 1С: " code { "https://login.1c.ru/registration" } "." }
                li { "Настройте автоматическое обновление программы на рабочем месте абонента с пользовательского сайта 1С." }
            }
        }
    }
}

/// The issuing form's fields, as typed.
#[derive(Deserialize, Default, Clone)]
struct IssueForm {
    #[serde(default)]
    step: String,
    #[serde(default)]
    its_login: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    its_subscription: String,
    /// «Базовый договор».
    #[serde(default)]
    basic: Option<String>,
    #[serde(default)]
    inn: String,
    #[serde(default)]
    kpp: String,
}

impl IssueForm {
    fn request(&self, paid: bool) -> IssueRequest {
        let paid_basis = self.basic.is_some();
        IssueRequest {
            inn: self.inn.clone(),
            kpp: Some(self.kpp.clone()),
            basis: Some(if paid_basis {
                Basis::Paid
            } else {
                Basis::ItsProf
            }),
            its_subscription: (!paid_basis).then(|| self.its_subscription.clone()),
            its_login: Some(self.its_login.clone()),
            paid,
        }
    }
}

async fn issue_page(State(_st): State<AppState>, user: CurrentUser) -> AppResult<Markup> {
    user.require(&[Role::Partner])?;
    Ok(layout::page(
        &user,
        "subscribers",
        TITLE,
        issue_view(&user, &IssueForm::default(), &[], None, &[]),
    ))
}

/// The issuing page: the login window, the form, and what went wrong.
fn issue_view(
    user: &CurrentUser,
    f: &IssueForm,
    contracts: &[its_subscription::Model],
    message: Option<(&str, String)>,
    errors: &[FieldError],
) -> Markup {
    let error = |name: &str| {
        errors
            .iter()
            .find(|e| e.field == name)
            .map(|e| e.message.clone())
    };
    let field = |name: &str| -> Markup {
        html! { @if let Some(m) = error(name) { span.field-error { (m) } } }
    };
    let login_applied = !contracts.is_empty();
    let login_refused = error("its_login").is_some() || error("email").is_some();
    // «Базовый договор» is ticked on a fresh form: without a login only the paid way is open.
    let basic = f.basic.is_some() || (f.step.is_empty() && !login_applied);
    html! {
        (tabs(user, "issue"))
        @if let Some((kind, text)) = &message {
            div class={ "flash flash-" (kind) } role=(if *kind == "error" { "alert" } else { "status" }) { (text) }
        }
        p.muted { "Лицензия на 1С:Налогоплательщик 8 нужна пользователям программ на платформе 1С:Предприятие 7.7. Платно — для пользователей базовых версий и договора 1С:ИТС уровня ТЕХНО, только после оплаты; бесплатно — при действующем договоре 1С:ИТС уровня ПРОФ, зарегистрированном на портале ИТС." }
        div.summary {
            span { "Логин: " @if login_applied { b data-np8="login" { (f.its_login) } } @else { span.muted { "не указан — для бесплатной выдачи нажмите «Изменить»" } } }
        }
        details.its-login open[login_refused] {
            summary { "Изменить" }
            form.card-form method="post" action="/np8-licences/issue" {
                h3 { "Изменение параметров подключения ИТС" }
                (csrf_field(user))
                input type="hidden" name="step" value="login";
                label { "Логин" input type="text" name="its_login" value=(f.its_login) required class=[error("its_login").map(|_| "invalid")] aria-invalid=[error("its_login").map(|_| "true")]; (field("its_login")) }
                label { "Email" input type="email" name="email" value=(f.email) required class=[error("email").map(|_| "invalid")] aria-invalid=[error("email").map(|_| "true")]; (field("email")) }
                div.actions { button.primary type="submit" { "Применить" } }
            }
        }
        form.card-form method="post" action="/np8-licences/issue" {
            (csrf_field(user))
            input type="hidden" name="step" value="check";
            input type="hidden" name="its_login" value=(f.its_login);
            input type="hidden" name="email" value=(f.email);
            label { "Опция"
                select name="its_subscription" disabled[!login_applied] class=[error("its_subscription").map(|_| "invalid")] aria-invalid=[error("its_subscription").map(|_| "true")] {
                    @if !login_applied { option value="" { "— сначала укажите логин портала ИТС —" } }
                    @for c in contracts {
                        option value=(c.registration_number) selected[c.registration_number == f.its_subscription] { (super::option_title(c)) }
                    }
                }
                (field("its_subscription"))
            }
            fieldset.choices {
                label { input type="checkbox" name="basic" value="1" checked[basic]; "Базовый договор (платная лицензия)" }
            }
            (field("basis"))
            (field("paid"))
            label { "ИНН" input type="text" name="inn" value=(f.inn) required inputmode="numeric" class=[error("inn").map(|_| "invalid")] aria-invalid=[error("inn").map(|_| "true")]; (field("inn")) }
            label { "КПП" input type="text" name="kpp" value=(f.kpp) inputmode="numeric" class=[error("kpp").map(|_| "invalid")] aria-invalid=[error("kpp").map(|_| "true")]; (field("kpp")) }
            div.actions { button.primary type="submit" { "Выдать лицензию" } }
        }
    }
}

fn render(user: &CurrentUser, status: StatusCode, body: Markup) -> Response {
    (status, layout::page(user, "subscribers", TITLE, body)).into_response()
}

/// One step of the issuing form (see the module's comment).
async fn issue_step(
    State(st): State<AppState>,
    Csrf(user, f): Csrf<IssueForm>,
) -> AppResult<Response> {
    user.require(&[Role::Partner])?;
    // The contracts of the applied login travel with every step (login and e-mail are
    // checked against the portal each time, so a hand-made form learns nothing more).
    let contracts = if f.its_login.trim().is_empty() {
        Ok(Vec::new())
    } else {
        service::contracts_of_login(&st, &user, &f.its_login, &f.email).await
    };
    let refused = |e: AppError, contracts: &[its_subscription::Model]| -> AppResult<Response> {
        match e {
            AppError::Invalid(errors) => Ok(render(
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                issue_view(
                    &user,
                    &f,
                    contracts,
                    Some(("error", crate::labels::invalid_text(&errors))),
                    &errors,
                ),
            )),
            e @ (AppError::Refused { .. } | AppError::Conflict { .. } | AppError::Stale { .. }) => {
                Ok(render(
                    &user,
                    StatusCode::CONFLICT,
                    issue_view(
                        &user,
                        &f,
                        contracts,
                        Some(("error", e.problem().detail)),
                        &[],
                    ),
                ))
            }
            e => Err(e),
        }
    };
    let contracts = match contracts {
        Ok(c) => c,
        Err(e) => return refused(e, &[]),
    };
    match f.step.as_str() {
        "login" => {
            let text = if contracts.iter().any(|c| c.level == "PROF") {
                format!(
                    "Логин {} применен: выберите договор в поле «Опция».",
                    f.its_login.trim()
                )
            } else {
                format!(
                    "Логин {} применен, но договоров 1С:ИТС ПРОФ для него на портале нет: бесплатно лицензию не выдать.",
                    f.its_login.trim()
                )
            };
            let shown = IssueForm {
                basic: None,
                ..f.clone()
            };
            Ok(render(
                &user,
                StatusCode::OK,
                issue_view(&user, &shown, &contracts, Some(("success", text)), &[]),
            ))
        }
        "check" => match service::check(&st, &user, &f.request(false)).await {
            Ok(c) => Ok(render(&user, StatusCode::OK, confirmation(&user, &f, &c))),
            Err(e) => refused(e, &contracts),
        },
        "issue" => match service::issue(&st, &user, &f.request(true)).await {
            Ok(issued) => Ok(render(
                &user,
                StatusCode::OK,
                html! {
                    (tabs(&user, "issue"))
                    div.flash.flash-success role="status" { "Лицензия на 1С:Налогоплательщик 8 выдана. Пин-код показан сейчас и может быть показан еще только один раз." }
                    (licence_panel(&issued.licence, &issued.pin))
                    p {
                        a.button.secondary href="/np8-licences" { "К выданным лицензиям" } " "
                        a.button.secondary href="/np8-licences/issue" { "Выдать еще одну" }
                    }
                },
            )),
            Err(e) => refused(e, &contracts),
        },
        _ => Err(AppError::invalid("step", "неизвестный шаг формы")),
    }
}

/// The manual's message before a licence is issued: «Выдать лицензию» / «Не выдавать
/// лицензию».
fn confirmation(user: &CurrentUser, f: &IssueForm, c: &service::Checked) -> Markup {
    let who = format!(
        "ИНН {}{}{}",
        c.inn,
        c.kpp
            .as_deref()
            .map(|k| format!(", КПП {k}"))
            .unwrap_or_default(),
        if c.name.is_empty() {
            String::new()
        } else {
            format!(" ({})", c.name)
        }
    );
    html! {
        (tabs(user, "issue"))
        section.panel.confirm role="alertdialog" aria-labelledby="np8-confirm" {
            h2 #np8-confirm { "Выдача лицензии на 1С:Налогоплательщик 8" }
            @match c.basis {
                Basis::Paid => {
                    p { "Лицензия будет выдана " b { "платно" } " по базовому договору для " (who) "." }
                    p { "Выдавайте платную лицензию только после того, как абонент оплатил ее стоимость. Если подключать абонента платно не планируется, нажмите «Не выдавать лицензию»." }
                }
                Basis::ItsProf => {
                    p { "Лицензия будет выдана " b { "бесплатно" } " для " (who) " по договору «"
                        (c.contract.as_ref().map(super::option_title).unwrap_or_default()) "»." }
                    p { "По одному договору 1С:ИТС ПРОФ выдается одна лицензия. Если подключать абонента бесплатно не планируется, нажмите «Не выдавать лицензию»." }
                }
            }
            form.actions method="post" action="/np8-licences/issue" {
                (csrf_field(user))
                input type="hidden" name="step" value="issue";
                input type="hidden" name="its_login" value=(f.its_login);
                input type="hidden" name="email" value=(f.email);
                input type="hidden" name="its_subscription" value=(f.its_subscription);
                @if f.basic.is_some() { input type="hidden" name="basic" value="1"; }
                input type="hidden" name="inn" value=(f.inn);
                input type="hidden" name="kpp" value=(f.kpp);
                button.primary type="submit" { "Выдать лицензию" }
                " "
                a.button.secondary href="/np8-licences/issue" { "Не выдавать лицензию" }
            }
        }
    }
}
