//! The subscribers pages: the registry and the card.

use crate::extract::{Path, Query};
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use maud::Markup;
use serde::Deserialize;

use super::{licences, service, views};
use crate::AppState;
use crate::auth::{Csrf, CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::tariffs::licence::LicenceEvent;
use crate::web::{Subject, after_action};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/subscribers", get(list))
        .route("/subscribers/export.{format}", get(export))
        .route("/subscribers/{id}", get(card))
        .route("/licences/{id}/action", post(licence_action))
        .route("/subscribers/{id}/manage", post(manage))
        .route("/subscribers/{id}/edit", post(edit))
        .route("/subscribers/{id}/contact-persons", post(add_person))
        .route("/subscribers/{id}/directions", post(add_direction))
        .route(
            "/subscribers/{id}/directions/{direction}/remove",
            post(remove_direction),
        )
        .route("/products/{id}", get(product_info))
        .route("/products/{id}/contacts", post(set_contact))
        .route("/products/{id}/contacts/copy", post(copy_contacts))
        .route("/products/{id}/edit", post(edit_product))
        .route(
            "/subscribers/{id}/registration-file",
            get(super::api::registration_file),
        )
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    pub q: Option<String>,
    pub page: Option<u64>,
}

async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(p): Query<ListParams>,
) -> AppResult<Markup> {
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    let page = p.page.unwrap_or(1).clamp(1, crate::params::MAX_PAGE);
    let (rows, total) = service::search(&st, &user, p.q.as_deref(), page, 50).await?;
    let statuses = service::statuses(&st, &rows).await?;
    Ok(views::list(&user, &rows, &statuses, total, page, &p))
}

#[derive(Deserialize, Default)]
struct CardParams {
    tab: Option<String>,
}

async fn card(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(p): Query<CardParams>,
) -> AppResult<Markup> {
    let s = service::find(&st, &user, id).await?;
    let card = service::card(&st, &s).await?;
    let ids: Vec<i64> = card.licences.iter().map(|l| l.id).collect();
    let history = service::history(&st, &ids).await?;
    let group = super::groups::of_subscriber(&st, s.id).await?;
    let (certificates, revocations) = super::certificates::of_subscriber(&st, s.id).await?;
    let states: Vec<&str> = card.licences.iter().map(|l| l.state.as_str()).collect();
    let people =
        crate::auth::people(&st.db, history.iter().map(|h| h.actor_login.as_str())).await?;
    let model = views::CardModel {
        status: service::Status::of(s.connected, &states),
        people: &people,
        persons: &card.persons,
        directions: &card.directions,
        product_contacts: &card.product_contacts,
        subscriber: &s,
        products: &card.products,
        licences: &card.licences,
        history: &history,
        group: group.as_ref(),
        certificates: &certificates,
        cloud: &super::cloud_signature::service::of_subscriber(&st, s.id).await?,
        revocations: &revocations,
    };
    Ok(views::card(&user, &model, views::tab_key(p.tab.as_deref())))
}

#[derive(Deserialize)]
struct ActionForm {
    action: String,
    version: Option<i32>,
    #[serde(default)]
    reason: String,
}

async fn licence_action(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<ActionForm>,
) -> AppResult<Response> {
    let event = match LicenceEvent::parse(&f.action) {
        Some(e @ (LicenceEvent::Block | LicenceEvent::Resume | LicenceEvent::Revoke)) => e,
        _ => return Err(AppError::invalid("action", "неизвестное действие")),
    };
    let subscriber_id = <crate::entities::licence::Entity as sea_orm::EntityTrait>::find_by_id(id)
        .one(&st.db)
        .await?
        .map(|l| l.subscriber_id)
        .ok_or(AppError::NotFound)?;
    let back = format!("/subscribers/{subscriber_id}?tab=tariffs");
    let result = licences::licence_action(&st, &user, id, event, f.version, Some(f.reason))
        .await
        .map(|l| {
            format!(
                "Лицензия «{}»: {}.",
                l.tariff_name,
                l.state.title_ru().to_lowercase()
            )
        });
    after_action(&st, &user, &back, Subject::Licence, result).await
}

#[derive(Deserialize)]
struct ManageForm {
    action: String,
}

/// The Управление tab: «Отключить ИТС» and blocking the whole subscriber.
async fn manage(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<ManageForm>,
) -> AppResult<Response> {
    let result = match f.action.as_str() {
        "detach_its" => licences::detach_its(&st, &user, id)
            .await
            .map(|n| format!("ИТС отключено: отозвано лицензий ИТС — {n}.")),
        "extend_its" => licences::extend_its(&st, &user, id).await.map(|l| {
            format!(
                "ИТС продлено: лицензия ИТС с {} по {}.",
                crate::web::components::date_ru(l.starts_on),
                crate::web::components::date_ru(l.ends_on)
            )
        }),
        "request_registration_file" => super::card::request_registration_file(&st, &user, id)
            .await
            .map(|at| {
                format!(
                    "Регистрационный файл сформирован {} и выложен для скачивания абонентом.",
                    crate::web::components::datetime_ru(at)
                )
            }),
        "connect_lk" => super::lk::connect(&st, &user, id).await.map(|l| {
            format!(
                "ЛК Базовый подключен до {}: {}.",
                crate::web::components::date_ru(l.ends_on),
                super::lk::cost_text(&l)
            )
        }),
        "block" => licences::block_subscriber(&st, &user, id, None)
            .await
            .map(|n| format!("Абонент заблокирован: заблокировано лицензий — {n}.")),
        "resume" => licences::resume_subscriber(&st, &user, id)
            .await
            .map(|n| format!("Абонент разблокирован: возобновлено лицензий — {n}.")),
        _ => Err(AppError::invalid("action", "неизвестное действие")),
    };
    after_action(
        &st,
        &user,
        &format!("/subscribers/{id}?tab=manage"),
        Subject::Card,
        result,
    )
    .await
}

/// The registry (with the search applied) as CSV or XLSX.
async fn export(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(format): Path<String>,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    let (rows, _) = service::search(&st, &user, p.q.as_deref(), 1, 100_000).await?;
    let sheet = crate::export::Sheet {
        title: "Абоненты".to_owned(),
        headers: vec![
            "ИНН",
            "КПП",
            "Краткое наименование",
            "Полное наименование",
            "ОГРН",
            "Рег. номер ПФР",
            "Телефон",
            "E-mail",
            "Подключен",
            "Создан",
        ],
        rows: rows
            .iter()
            .map(|s| {
                vec![
                    s.inn.clone(),
                    s.kpp.clone().unwrap_or_default(),
                    s.short_name.clone(),
                    s.full_name.clone(),
                    s.ogrn.clone().unwrap_or_default(),
                    s.pfr_number.clone().unwrap_or_default(),
                    s.phone.clone(),
                    s.email.clone(),
                    if s.connected { "Да" } else { "Нет" }.to_owned(),
                    crate::web::components::datetime_ru(s.created_at),
                ]
            })
            .collect(),
    };
    crate::export::respond(&sheet, &format, "abonenty")
}

async fn back_with(
    st: &AppState,
    user: &CurrentUser,
    back: String,
    result: AppResult<String>,
) -> AppResult<Response> {
    after_action(st, user, &back, Subject::Card, result).await
}

#[derive(Deserialize)]
struct EditForm {
    tab: Option<String>,
    version: Option<i32>,
    short_name: Option<String>,
    full_name: Option<String>,
    note: Option<String>,
    kpp: Option<String>,
    legal_address: Option<String>,
    actual_address: Option<String>,
    phone: Option<String>,
    fax: Option<String>,
    email: Option<String>,
}

async fn edit(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<EditForm>,
) -> AppResult<Response> {
    let patch = super::card::CardPatch {
        short_name: f.short_name,
        full_name: f.full_name,
        note: f.note,
        legal_address: f.legal_address,
        actual_address: f.actual_address,
        phone: f.phone,
        fax: f.fax,
        email: f.email,
        kpp: f.kpp,
    };
    let tab = views::tab_key(f.tab.as_deref());
    match super::card::update(&st, &user, id, patch, f.version).await {
        Ok(s) if s.id != id => back_with(&st, &user, format!("/subscribers/{}", s.id), Ok("КПП изменён: создана новая карточка, действующие лицензии перенесены на неё без оплаты.".to_owned())).await,
        Ok(_) => back_with(&st, &user, format!("/subscribers/{id}?tab={tab}"), Ok("Карточка сохранена.".to_owned())).await,
        Err(e) => back_with(&st, &user, format!("/subscribers/{id}?tab={tab}"), Err(e)).await,
    }
}

#[derive(Deserialize)]
struct PersonForm {
    full_name: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

async fn add_person(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<PersonForm>,
) -> AppResult<Response> {
    let r = super::card::add_contact_person(
        &st,
        &user,
        id,
        &f.full_name,
        Some(f.position),
        Some(f.phone),
        Some(f.email),
    )
    .await
    .map(|c| format!("Контактное лицо «{}» добавлено.", c.full_name));
    back_with(&st, &user, format!("/subscribers/{id}?tab=contacts"), r).await
}

#[derive(Deserialize)]
struct DirectionForm {
    authority: String,
    code: String,
    #[serde(default)]
    kpp: String,
}

async fn add_direction(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<DirectionForm>,
) -> AppResult<Response> {
    let r = super::card::add_direction(&st, &user, id, &f.authority, &f.code, Some(&f.kpp))
        .await
        .map(|_| "Направление добавлено.".to_owned());
    back_with(&st, &user, format!("/subscribers/{id}?tab=directions"), r).await
}

async fn remove_direction(
    State(st): State<AppState>,
    Path((id, direction)): Path<(i64, i64)>,
    Csrf(user, _): Csrf<crate::auth::NoFields>,
) -> AppResult<Response> {
    let r = super::card::remove_direction(&st, &user, id, direction)
        .await
        .map(|()| "Направление удалено.".to_owned());
    back_with(&st, &user, format!("/subscribers/{id}?tab=directions"), r).await
}

#[derive(Deserialize)]
struct ContactForm {
    usage: String,
    value: String,
}

/// The card's «Продукты» tab of the product's subscriber: where its forms return.
async fn products_tab_of(st: &AppState, product_id: i64) -> AppResult<String> {
    let sub =
        <crate::entities::product_account::Entity as sea_orm::EntityTrait>::find_by_id(product_id)
            .one(&st.db)
            .await?
            .map(|p| p.subscriber_id)
            .ok_or(AppError::NotFound)?;
    Ok(format!("/subscribers/{sub}?tab=products"))
}

async fn set_contact(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<ContactForm>,
) -> AppResult<Response> {
    let back = products_tab_of(&st, id).await?;
    let r = super::card::set_product_contact(&st, &user, id, &f.usage, &f.value)
        .await
        .map(|_| "Получатель уведомлений сохранён.".to_owned());
    back_with(&st, &user, back, r).await
}

async fn copy_contacts(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(user, _): Csrf<crate::auth::NoFields>,
) -> AppResult<Response> {
    let back = products_tab_of(&st, id).await?;
    let r = super::card::copy_contacts_from_requisites(&st, &user, id)
        .await
        .map(|set| {
            if set.len() == 2 {
                "Получатели уведомлений скопированы из основных реквизитов: e-mail и мобильный телефон.".to_owned()
            } else {
                "E-mail скопирован из основных реквизитов; телефон в реквизитах не мобильный — получателя уведомлений о статусах укажите вручную.".to_owned()
            }
        });
    back_with(&st, &user, back, r).await
}

#[derive(Deserialize)]
struct ProductForm {
    #[serde(default)]
    alias: String,
    active: Option<String>,
}

async fn edit_product(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<ProductForm>,
) -> AppResult<Response> {
    let p =
        super::card::update_product(&st, &user, id, Some(f.alias), Some(f.active.is_some())).await;
    let back = match &p {
        Ok(p) => format!("/subscribers/{}?tab=products", p.subscriber_id),
        Err(_) => products_tab_of(&st, id).await?,
    };
    back_with(&st, &user, back, p.map(|_| "Продукт сохранён.".to_owned())).await
}

/// «Информация о продукте» (l.1818–1840): what the product account holds, to tell one
/// account of a subscriber from another (the configuration the application came from).
async fn product_info(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    use crate::entities::{certificate, licence, partner, product_account};
    use crate::web::components::datetime_ru;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let p = product_account::Entity::find_by_id(id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let s = service::find(&st, &user, p.subscriber_id).await?;
    let agent = partner::Entity::find_by_id(s.partner_id)
        .one(&st.db)
        .await?
        .map(|pt| pt.name)
        .unwrap_or_default();
    let licences = licence::Entity::find()
        .filter(licence::Column::ProductAccountId.eq(p.id))
        .order_by_desc(licence::Column::StartsOn)
        .all(&st.db)
        .await?;
    let cert = certificate::Entity::find()
        .filter(certificate::Column::ProductAccountId.eq(p.id))
        .order_by_desc(certificate::Column::ValidTo)
        .one(&st.db)
        .await?;
    let live = |l: &&licence::Model| l.state.is_live();
    let bonus = licences
        .iter()
        .filter(live)
        .any(|l| l.tariff_code == "bonus");
    let its = p.its_login.is_some() || licences.iter().filter(live).any(|l| l.tariff_code == "its");
    let zone = licences.iter().find(|l| l.kind == "tariff").map(|l| l.zone);
    let updated = licences
        .iter()
        .map(|l| l.created_at)
        .max()
        .unwrap_or(p.created_at);
    let yes = |b: bool| if b { "Да" } else { "Нет" };
    let rows: Vec<(&str, String)> = vec![
        ("Агент", format!("{agent} (Партнер)")),
        ("Бонусная", yes(bonus).to_owned()),
        ("Версия ПО", p.configuration.clone()),
        ("Вместе с ИТС", yes(its).to_owned()),
        ("Гуид", p.guid.clone()),
        ("Дата обновления", datetime_ru(updated)),
        ("Дата создания", datetime_ru(p.created_at)),
        (
            "Категория",
            super::category::Category::title_of(&p.category).to_owned(),
        ),
        (
            "Логин ИТС",
            p.its_login.clone().unwrap_or_else(|| "—".to_owned()),
        ),
        ("Продукт", "1С-Отчетность".to_owned()),
        (
            "Состояние",
            crate::labels::product_state_title(&p.state).to_owned(),
        ),
        ("Активен", yes(p.active).to_owned()),
        (
            "Тарифная зона",
            zone.map_or_else(|| "—".to_owned(), |z| z.to_string()),
        ),
        (
            "УЦ",
            cert.as_ref()
                .map_or_else(|| "—".to_owned(), |c| c.provider.clone()),
        ),
        (
            "Комментарий",
            p.alias.clone().unwrap_or_else(|| "—".to_owned()),
        ),
        (
            "Заявление",
            p.application_id
                .map_or_else(|| "—".to_owned(), |a| format!("№ {a}")),
        ),
    ];
    Ok(crate::web::layout::page(
        &user,
        "subscribers",
        "Информация о продукте",
        maud::html! {
            p { a href={ "/subscribers/" (s.id) "?tab=products" } { "← " (s.short_name) } }
            (crate::web::components::table(&["Реквизит", "Значение"], rows.iter().map(|(k, v)| maud::html! {
                tr { td { (k) } td { (v) } }
            })))
            h2 { "Лицензии продукта" }
            (crate::web::components::table(&["Тариф", "Начало", "Окончание", "Зона", "Состояние"], licences.iter().map(|l| maud::html! { tr {
                td { (l.tariff_name) }
                td.nowrap { (crate::web::components::date_ru(l.starts_on)) }
                td.nowrap { (crate::web::components::date_ru(l.ends_on)) }
                td { (l.zone) }
                td { (l.state.title_ru()) }
            } })))
        },
    ))
}
