//! The edges of the cloud signature: the window «Управление облачной подписью» (a page
//! opened from the card's «Сертификаты» tab), «Принтер готов» and the printable QR page,
//! and the API.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::{Markup, PreEscaped, html};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service::{self, Done};
use super::{AccountEvent, AccountState};
use crate::AppState;
use crate::api::ApiJson;
use crate::auth::{Csrf, CurrentUser};
use crate::entities::{audit_log, certificate, cloud_signature_account as account};
use crate::error::{AppError, AppResult};
use crate::extract::Path;
use crate::web::components::{datetime_ru, table};
use crate::web::layout::{self, csrf_field};
use crate::web::{Subject, after_action};

pub fn web_routes() -> Router<AppState> {
    Router::new()
        .route("/cloud-signatures/{id}", get(window))
        .route("/cloud-signatures/{id}/action", post(web_act))
        .route("/cloud-signatures/{id}/print", get(printer).post(print))
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_show))
        .routes(routes!(api_event))
        .routes(routes!(api_of_subscriber))
}

// ---------------------------------------------------------------- API

/// Учетная запись облачной подписи
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CloudSignature {
    pub id: i64,
    pub subscriber_id: i64,
    pub certificate_id: i64,
    /// Владелец сертификата
    pub owner_name: String,
    /// Мобильный телефон для СМС с кодом активации
    pub phone: String,
    pub state: AccountState,
    /// Номер текущего QR-кода
    pub qr_generation: i32,
    /// Новый QR-код сформирован и еще не обновлен в myDSS
    pub qr_pending: bool,
    /// Новый пароль отправлен, файл автонастройки еще не получен в 1С
    pub password_pending: bool,
    pub activation_sent_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Версия для проверки при действии
    pub version: i32,
    /// Действия, доступные сейчас
    pub actions: Vec<AccountEvent>,
}

/// Результат действия
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CloudSignatureDone {
    pub account: CloudSignature,
    /// Сообщение, как его показывает окно
    pub message: String,
    /// Содержимое QR-кода (только при печати)
    pub qr: Option<String>,
}

/// Облачные подписи абонента
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CloudSignatures {
    pub items: Vec<CloudSignature>,
}

/// Действие с учетной записью облачной подписи
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    event: AccountEvent,
    /// Версия учетной записи, на которую опирается действие
    #[serde(default)]
    version: Option<i32>,
}

fn view(a: &account::Model) -> CloudSignature {
    CloudSignature {
        id: a.id,
        subscriber_id: a.subscriber_id,
        certificate_id: a.certificate_id,
        owner_name: a.owner_name.clone(),
        phone: a.phone.clone(),
        state: a.state,
        qr_generation: a.qr_generation,
        qr_pending: a.qr_pending,
        password_pending: a.password_pending,
        activation_sent_at: a.activation_sent_at,
        version: a.version,
        actions: service::allowed(a),
    }
}

#[utoipa::path(get, path = "/cloud-signatures/{id}", tag = "Сертификаты", summary = "Учетная запись облачной подписи («Управление облачной подписью»)", params(("id" = i64, Path, description = "Учетная запись")), responses((status = 200, description = "Учетная запись", body = CloudSignature), crate::openapi::Refusals))]
async fn api_show(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<CloudSignature>> {
    let (a, _) = service::find(&st, &user, id).await?;
    Ok(Json(view(&a)))
}

#[utoipa::path(post, path = "/cloud-signatures/{id}/events", tag = "Сертификаты", summary = "Действие с облачной подписью: `print_qr`, `send_activation_code` (СМС с кодом myDSS), `new_password`, `new_qr`, `delete` — партнер, центр продаж, оператор; `activated`, `qr_updated`, `password_file_received` — сообщения сервиса подписи (оператор). Недопустимое в текущем состоянии — 409 с `current_state`; повторный новый пароль до получения файла — `password_file_pending`, повторный новый QR-код до обновления в myDSS — `qr_not_updated`", params(("id" = i64, Path, description = "Учетная запись")), request_body = EventBody, responses((status = 200, description = "Результат", body = CloudSignatureDone), crate::openapi::Refusals))]
async fn api_event(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<EventBody>,
) -> AppResult<Json<CloudSignatureDone>> {
    let Done { account, message } = service::act(&st, &user, id, b.event, b.version).await?;
    let qr = (b.event == AccountEvent::PrintQr).then(|| account.qr_payload.clone());
    Ok(Json(CloudSignatureDone {
        account: view(&account),
        message,
        qr,
    }))
}

#[utoipa::path(get, path = "/subscribers/{id}/cloud-signatures", tag = "Сертификаты", summary = "Облачные подписи абонента", params(("id" = i64, Path, description = "Абонент")), responses((status = 200, description = "Учетные записи", body = CloudSignatures), crate::openapi::Refusals))]
async fn api_of_subscriber(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<CloudSignatures>> {
    let sub = crate::subscribers::service::find(&st, &user, id).await?;
    let list = service::of_subscriber(&st, sub.id).await?;
    Ok(Json(CloudSignatures {
        items: list.iter().map(view).collect(),
    }))
}

// ---------------------------------------------------------------- pages

const TITLE: &str = "Управление облачной подписью";

fn state_badge(s: AccountState) -> Markup {
    let class = match s {
        AccountState::Active => "badge-ok",
        AccountState::QrIssued | AccountState::AwaitingActivation => "badge-info",
        AccountState::Deleted => "badge-err",
    };
    html! { span class={ "badge " (class) } { (s.title_ru()) } }
}

async fn window(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    let (a, sub) = service::find(&st, &user, id).await?;
    let cert = certificate::Entity::find_by_id(a.certificate_id)
        .one(&st.db)
        .await?;
    let history = audit_log::Entity::find()
        .filter(audit_log::Column::ObjectType.eq("cloud_signature"))
        .filter(audit_log::Column::ObjectId.eq(a.id.to_string()))
        .order_by_desc(audit_log::Column::Id)
        .all(&st.db)
        .await?;
    let action = format!("/cloud-signatures/{}/action", a.id);
    let button = |e: AccountEvent, class: &str, confirm: Option<&str>| {
        html! {
            form.inline method="post" action=(action) {
                (csrf_field(&user))
                input type="hidden" name="action" value=(e.as_str());
                input type="hidden" name="version" value=(a.version);
                button class=(class) type="submit" data-confirm=[confirm] { (e.title_ru()) }
            }
        }
    };
    Ok(layout::page(
        &user,
        "subscribers",
        TITLE,
        html! {
            p { a href={ "/subscribers/" (sub.id) "?tab=certificates" } { "← " (sub.short_name) } }
            section.panel {
                dl.kv {
                    dt { "Мобильный телефон" } dd { b data-cloud="phone" { @if a.phone.is_empty() { "не указан" } @else { (a.phone) } } }
                    dt { "Владелец" } dd { (a.owner_name) }
                    @if let Some(c) = &cert {
                        dt { "Сертификат" } dd { a href={ "/certificates/" (c.id) } { code.serial { (c.serial) } } " · " (c.provider) }
                    }
                    dt { "Состояние" } dd data-cloud="state" { (state_badge(a.state)) }
                    dt { "QR-код" } dd { "№ " (a.qr_generation)
                        @if a.qr_pending { span.muted { " — сформирован, еще не обновлен в приложении myDSS" } } }
                    @if let Some(at) = a.activation_sent_at { dt { "Код активации отправлен" } dd { (datetime_ru(at)) } }
                    @if a.password_pending { dt { "Новый пароль" } dd { "отправлен в 1С, файл автонастройки еще не получен" } }
                }
                @if a.state == AccountState::Deleted {
                    p.muted { "Учетная запись удалена: действия с ней недоступны." }
                } @else {
                    div.actions {
                        a.button.primary href={ "/cloud-signatures/" (a.id) "/print" } { "Распечатать QR-код" }
                        (button(AccountEvent::SendActivationCode, "secondary", None))
                        (button(AccountEvent::NewPassword, "secondary", Some("Сформировать новый пароль? Он будет отправлен в 1С вместе с файлом автонастройки.")))
                        (button(AccountEvent::NewQr, "secondary", Some("Сформировать новый QR-код? Абоненту нужно будет отсканировать его в приложении myDSS.")))
                        (button(AccountEvent::Delete, "danger", Some("Удалить учетную запись облачной подписи? Ключ на сервисе подписи будет удален, подписывать им станет невозможно.")))
                        a.button.secondary href="/help#cloud-signature" { "Помощь" }
                    }
                }
            }
            h2 { "История" }
            (table(&["Когда", "Действие", "Кто"], history.iter().map(|h| html! { tr {
                td.nowrap { (datetime_ru(h.at)) }
                td { (crate::labels::action_title(&h.action)) }
                td { (h.actor_login) }
            } })))
        },
    ))
}

#[derive(Deserialize)]
struct ActForm {
    action: String,
    version: Option<i32>,
}

async fn web_act(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<ActForm>,
) -> AppResult<Response> {
    let back = format!("/cloud-signatures/{id}");
    let event = AccountEvent::parse(&f.action)
        .filter(|e| !e.from_service() && *e != AccountEvent::PrintQr)
        .ok_or_else(|| AppError::invalid("action", "неизвестное действие"))?;
    let result = service::act(&st, &user, id, event, f.version)
        .await
        .map(|d| d.message);
    after_action(&st, &user, &back, Subject::Other, result).await
}

/// «Распечатать QR-код»: the printer's readiness first, as the manual has it.
async fn printer(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    let (a, _) = service::find(&st, &user, id).await?;
    Ok(layout::page(
        &user,
        "subscribers",
        "Печать QR-кода",
        html! {
            section.panel {
                p { "Принтер должен быть подключен к этому компьютеру или находиться с ним в одной сети." }
                p { "Предварительного просмотра не будет: после нажатия «Принтер готов» страница с QR-кодом сразу уйдет на печать." }
                form.actions method="post" action={ "/cloud-signatures/" (a.id) "/print" } {
                    (csrf_field(&user))
                    input type="hidden" name="version" value=(a.version);
                    button.primary type="submit" { "Принтер готов" }
                    a.button.secondary href={ "/cloud-signatures/" (a.id) } { "Отмена" }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
struct PrintForm {
    version: Option<i32>,
}

async fn print(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<PrintForm>,
) -> AppResult<Response> {
    match service::act(&st, &user, id, AccountEvent::PrintQr, f.version).await {
        Ok(d) => Ok(qr_page(&user, &d.account).into_response()),
        Err(e) => {
            after_action(
                &st,
                &user,
                &format!("/cloud-signatures/{id}"),
                Subject::Other,
                Err(e),
            )
            .await
        }
    }
}

/// The printed page: the four steps of the manual (l.2904–2918) and the QR code.
fn qr_page(user: &CurrentUser, a: &account::Model) -> Markup {
    let svg = super::dss::qr_svg(&a.qr_payload, 240);
    let svg = svg.find("<svg").map_or("", |i| &svg[i..]).to_owned();
    layout::page(
        user,
        "subscribers",
        "QR-код облачной подписи",
        html! {
            div data-autoprint {}
            p.no-print {
                a href={ "/cloud-signatures/" (a.id) } { "← " (TITLE) }
                " "
                button.secondary type="button" data-print { "Распечатать еще раз" }
            }
            section.panel.qr-sheet {
                h2 { "Для начала работы с Вашей квалифицированной электронной подписью:" }
                p.muted { (a.owner_name) " · QR-код № " (a.qr_generation) }
                ol.qr-steps {
                    li { "Скачайте и установите приложение myDSS из магазина приложений телефона." }
                    li {
                        "Зайдите в приложение myDSS и отсканируйте QR-код:"
                        div.qr data-cloud="qr" { (PreEscaped(svg)) }
                    }
                    li { "Введите 6-ти значный пин-код, полученный в СМС на номер " (a.phone) ": " b { "******" } }
                    li { "Ваша КЭП готова к использованию." }
                }
            }
        },
    )
}
