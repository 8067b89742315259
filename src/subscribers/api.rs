//! `/api/v1/subscribers…` and `/api/v1/licences/{id}/block|resume|revoke`.

use crate::extract::{Path, Query};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service;
use crate::AppState;
use crate::api::{ApiJson, if_match};
use crate::auth::CurrentUser;
use crate::entities::{licence, product_account, subscriber};
use crate::error::AppResult;
use crate::params::Params;
use crate::tariffs::licence::LicenceEvent;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show, update))
        .routes(routes!(registration_file, request_registration_file))
        .routes(routes!(add_contact_person))
        .routes(routes!(add_direction))
        .routes(routes!(remove_direction))
        .routes(routes!(set_product_contact))
        .routes(routes!(update_product))
        .routes(routes!(detach_its))
        .routes(routes!(extend_its))
        .routes(routes!(connect_lk))
        .routes(routes!(record_sends))
        .routes(routes!(copy_contacts))
        .routes(routes!(block))
        .routes(routes!(resume))
        .routes(routes!(licence_block))
        .routes(routes!(licence_resume))
        .routes(routes!(licence_revoke))
}

pub fn subscriber_json(s: &subscriber::Model) -> Value {
    json!({
        "id": s.id, "version": s.version, "inn": s.inn, "kpp": s.kpp, "short_name": s.short_name,
        "full_name": s.full_name, "ogrn": s.ogrn, "legal_form": s.legal_form, "region_code": s.region_code,
        "pfr_number": s.pfr_number, "fss_number": s.fss_number, "legal_address": s.legal_address,
        "actual_address": s.actual_address, "phone": s.phone, "email": s.email,
        "connected": s.connected, "paid_basis_only": s.paid_basis_only, "created_at": s.created_at,
    })
}

pub fn licence_json(l: &licence::Model) -> Value {
    json!({
        "id": l.id, "version": l.version, "tariff_code": l.tariff_code, "tariff_name": l.tariff_name, "kind": l.kind,
        "zone": l.zone, "is_primary": l.is_primary, "state": l.state, "starts_on": l.starts_on, "ends_on": l.ends_on,
        "cost": l.cost, "sales_center_share": l.sales_center_share, "revocable": l.revocable,
        "approved_in_reconciliation": l.approved_in_reconciliation, "connection_option": l.connection_option,
    })
}

fn product_json(p: &product_account::Model) -> Value {
    json!({
        "id": p.id, "guid": p.guid, "configuration": p.configuration, "state": p.state, "category": p.category,
        "active": p.active, "alias": p.alias, "its_login": p.its_login, "created_at": p.created_at,
    })
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SubscriberListQuery {
    q: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

#[utoipa::path(get, path = "/subscribers", tag = "Абоненты", summary = "Реестр абонентов: поиск по ИНН, наименованию, GUID продукта, логину и рег. номеру ИТС, номеру ПФР", params(SubscriberListQuery), responses((status = 200, description = "`{items, total, page, per_page}`", body = Object), crate::openapi::Refusals))]
async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<SubscriberListQuery>,
) -> AppResult<Json<Value>> {
    let mut p = Params::new();
    let (page, per_page) = p.paging(q.page.as_deref(), q.per_page.as_deref());
    p.finish()?;
    let (rows, total) = service::search(&st, &user, q.q.as_deref(), page, per_page).await?;
    Ok(Json(
        json!({ "items": rows.iter().map(subscriber_json).collect::<Vec<_>>(), "total": total, "page": page, "per_page": per_page }),
    ))
}

#[utoipa::path(get, path = "/subscribers/{id}", tag = "Абоненты", summary = "Карточка абонента: продукты, лицензии, контакты, направления", params(("id" = i64, Path, description = "Абонент")), responses((status = 200, description = "Карточка", body = Object), crate::openapi::Refusals))]
async fn show(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let s = service::find(&st, &user, id).await?;
    let card = service::card(&st, &s).await?;
    let mut v = subscriber_json(&s);
    v["products"] = card.products.iter().map(product_json).collect();
    v["licences"] = card.licences.iter().map(licence_json).collect();
    let states: Vec<&str> = card.licences.iter().map(|l| l.state.as_str()).collect();
    v["status"] = json!(service::Status::of(s.connected, &states).as_str());
    v["next_action"] = json!(service::next_action(&card.licences));
    v["company_group_id"] = json!(super::groups::of_subscriber(&st, s.id).await?.map(|g| g.id));
    v["product_contacts"] = card
        .product_contacts
        .iter()
        .map(|c| json!({"product_account_id": c.product_account_id, "usage": c.usage, "value": c.value}))
        .collect();
    v["contact_persons"] = card
        .persons
        .iter()
        .map(|c| json!({"id": c.id, "full_name": c.full_name, "position": c.position, "phone": c.phone, "email": c.email}))
        .collect();
    v["directions"] = card
        .directions
        .iter()
        .map(|d| json!({"id": d.id, "authority": d.authority, "code": d.code, "kpp": d.kpp}))
        .collect();
    v["fax"] = json!(s.fax);
    v["note"] = json!(s.note);
    v["registration_file_at"] = json!(s.registration_file_at);
    Ok(Json(v))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LicenceActionBody {
    reason: Option<String>,
}

async fn act(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<LicenceActionBody>,
    event: LicenceEvent,
) -> AppResult<Json<Value>> {
    let l = super::licences::licence_action(&st, &user, id, event, if_match(&headers)?, b.reason)
        .await?;
    Ok(Json(licence_json(&l)))
}

#[utoipa::path(post, path = "/licences/{id}/block", tag = "Лицензии", summary = "Заблокировать лицензию (обратимо)", params(("id" = i64, Path, description = "Лицензия"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), request_body = LicenceActionBody, responses((status = 200, description = "Лицензия", body = Object), crate::openapi::Refusals))]
async fn licence_block(
    st: State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    id: Path<i64>,
    body: ApiJson<LicenceActionBody>,
) -> AppResult<Json<Value>> {
    act(st, user, headers, id, body, LicenceEvent::Block).await
}

#[utoipa::path(post, path = "/licences/{id}/resume", tag = "Лицензии", summary = "Возобновить лицензию", params(("id" = i64, Path, description = "Лицензия"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), request_body = LicenceActionBody, responses((status = 200, description = "Лицензия", body = Object), crate::openapi::Refusals))]
async fn licence_resume(
    st: State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    id: Path<i64>,
    body: ApiJson<LicenceActionBody>,
) -> AppResult<Json<Value>> {
    act(st, user, headers, id, body, LicenceEvent::Resume).await
}

#[utoipa::path(post, path = "/licences/{id}/revoke", tag = "Лицензии", summary = "Отозвать лицензию (необратимо; после одобрения сверки — только центр продаж)", params(("id" = i64, Path, description = "Лицензия"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), request_body = LicenceActionBody, responses((status = 200, description = "Лицензия", body = Object), crate::openapi::Refusals))]
async fn licence_revoke(
    st: State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    id: Path<i64>,
    body: ApiJson<LicenceActionBody>,
) -> AppResult<Json<Value>> {
    act(st, user, headers, id, body, LicenceEvent::Revoke).await
}

#[utoipa::path(post, path = "/subscribers/{id}/detach-its", tag = "Абоненты", summary = "Отключить ИТС: отозвать действующие лицензии ИТС и освободить подписку", params(("id" = i64, Path, description = "Абонент")), responses((status = 200, description = "`{revoked, subscriptions_freed}`", body = Object), crate::openapi::Refusals))]
async fn detach_its(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let revoked = super::licences::detach_its(&st, &user, id).await?;
    Ok(Json(json!({ "revoked": revoked })))
}

#[utoipa::path(post, path = "/products/{id}/contacts/copy", tag = "Абоненты", summary = "Копировать из основных реквизитов: e-mail абонента — получатель уведомлений о требованиях ФНС, мобильный телефон — уведомлений о статусах", params(("id" = i64, Path, description = "Продукт")), responses((status = 200, description = "`{items: [{usage, value}]}`", body = Object), crate::openapi::Refusals))]
async fn copy_contacts(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let set = super::card::copy_contacts_from_requisites(&st, &user, id).await?;
    Ok(Json(json!({
        "items": set.iter().map(|c| json!({"usage": c.usage, "value": c.value})).collect::<Vec<_>>(),
    })))
}

#[utoipa::path(post, path = "/sends", tag = "Абоненты", summary = "Отправки абонентов за день (оператор, со стороны документооборота): по каким направлениям были отправки; хранится дата последней отправки по каждому направлению — по ней отчет по активности партнера считает неактивных", request_body = super::sends::SendsReport, responses((status = 200, description = "Что записано", body = super::sends::SendsRecorded), crate::openapi::Refusals))]
async fn record_sends(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiJson(b): ApiJson<super::sends::SendsReport>,
) -> AppResult<Json<super::sends::SendsRecorded>> {
    Ok(Json(super::sends::record(&st, &user, &b).await?))
}

#[utoipa::path(post, path = "/subscribers/{id}/extend-its", tag = "Абоненты", summary = "Продлить ИТС: следующая лицензия ИТС со дня окончания текущей, не раньше чем за 30 дней до ее окончания и при действующем договоре ИТС ПРОФ на портале", params(("id" = i64, Path, description = "Абонент")), responses((status = 200, description = "Новая лицензия ИТС", body = Object), crate::openapi::Refusals))]
async fn extend_its(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let l = super::licences::extend_its(&st, &user, id).await?;
    Ok(Json(licence_json(&l)))
}

#[utoipa::path(post, path = "/subscribers/{id}/registration-file", tag = "Абоненты", summary = "«Запросить рег. файл»: регистрационный файл формируется заново по карточке и выкладывается для скачивания абонентом", params(("id" = i64, Path, description = "Абонент")), responses((status = 200, description = "`{registration_file_at}`", body = Object), crate::openapi::Refusals))]
async fn request_registration_file(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let at = super::card::request_registration_file(&st, &user, id).await?;
    Ok(Json(json!({ "registration_file_at": at })))
}

#[utoipa::path(post, path = "/subscribers/{id}/connect-lk", tag = "Абоненты", summary = "Подключить ЛК: расширение «ЛК Базовый» к действующей основной лицензии до ее окончания; стоимость — полные месяцы до окончания × цена / 12 (1 200 ₽ в год, на тарифе «Группа пользователей» 600 ₽), с учетом акций; недоступно на тарифах «Промо Кадровые решения», «Промо ЕНС», «СФР Бесплатно»", params(("id" = i64, Path, description = "Абонент")), responses((status = 200, description = "Лицензия расширения", body = Object), crate::openapi::Refusals))]
async fn connect_lk(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let l = super::lk::connect(&st, &user, id).await?;
    Ok(Json(licence_json(&l)))
}

#[utoipa::path(post, path = "/subscribers/{id}/resume", tag = "Абоненты", summary = "Разблокировать абонента (все заблокированные лицензии)", params(("id" = i64, Path, description = "Абонент")), responses((status = 200, description = "`{resumed}`", body = Object), crate::openapi::Refusals))]
async fn resume(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let resumed = super::licences::resume_subscriber(&st, &user, id).await?;
    Ok(Json(json!({ "resumed": resumed })))
}

#[utoipa::path(post, path = "/subscribers/{id}/block", tag = "Абоненты", summary = "Заблокировать абонента (все зарегистрированные лицензии)", params(("id" = i64, Path, description = "Абонент")), request_body = LicenceActionBody, responses((status = 200, description = "`{blocked}`", body = Object), crate::openapi::Refusals))]
async fn block(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<LicenceActionBody>,
) -> AppResult<Json<Value>> {
    let blocked = super::licences::block_subscriber(&st, &user, id, b.reason).await?;
    Ok(Json(json!({ "blocked": blocked })))
}

#[utoipa::path(patch, path = "/subscribers/{id}", tag = "Абоненты", summary = "Изменить карточку (новый КПП создаёт новую карточку)", params(("id" = i64, Path, description = "Абонент"), ("If-Match" = Option<String>, Header, description = "Ожидаемая версия объекта (как в `ETag`)")), request_body = super::card::CardPatch, responses((status = 200, description = "Карточка", body = Object), crate::openapi::Refusals))]
async fn update(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(patch): ApiJson<super::card::CardPatch>,
) -> AppResult<Json<Value>> {
    let s = super::card::update(&st, &user, id, patch, if_match(&headers)?).await?;
    Ok(Json(subscriber_json(&s)))
}

/// The registration file as a download (API and the Контакты tab alike).
#[utoipa::path(get, path = "/subscribers/{id}/registration-file", tag = "Абоненты", summary = "Регистрационный файл", params(("id" = i64, Path, description = "Абонент")), responses((status = 200, description = "Текст", body = Object), crate::openapi::Refusals))]
pub(crate) async fn registration_file(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<axum::response::Response> {
    let s = service::find(&st, &user, id).await?;
    let text = s
        .registration_file
        .clone()
        .ok_or(crate::error::AppError::NotFound)?;
    Ok(crate::web::files::download(
        text.into_bytes(),
        "text/plain; charset=utf-8",
        &format!("registration-{}.txt", s.inn),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PersonBody {
    full_name: String,
    position: Option<String>,
    phone: Option<String>,
    email: Option<String>,
}

#[utoipa::path(post, path = "/subscribers/{id}/contact-persons", tag = "Абоненты", summary = "Добавить контактное лицо", params(("id" = i64, Path, description = "Абонент")), request_body = PersonBody, responses((status = 200, description = "`{id, full_name}`", body = Object), crate::openapi::Refusals))]
async fn add_contact_person(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<PersonBody>,
) -> AppResult<Json<Value>> {
    let c =
        super::card::add_contact_person(&st, &user, id, &b.full_name, b.position, b.phone, b.email)
            .await?;
    Ok(Json(json!({"id": c.id, "full_name": c.full_name})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DirectionBody {
    authority: String,
    code: String,
    kpp: Option<String>,
}

#[utoipa::path(post, path = "/subscribers/{id}/directions", tag = "Абоненты", summary = "Добавить направление сдачи отчетности", params(("id" = i64, Path, description = "Абонент")), request_body = DirectionBody, responses((status = 200, description = "Направление", body = Object), crate::openapi::Refusals))]
async fn add_direction(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<DirectionBody>,
) -> AppResult<Json<Value>> {
    let d =
        super::card::add_direction(&st, &user, id, &b.authority, &b.code, b.kpp.as_deref()).await?;
    Ok(Json(
        json!({"id": d.id, "authority": d.authority, "code": d.code, "kpp": d.kpp}),
    ))
}

#[utoipa::path(delete, path = "/subscribers/{id}/directions/{direction}", tag = "Абоненты", summary = "Удалить направление", params(("id" = i64, Path, description = "Абонент"), ("direction" = i64, Path, description = "Направление")), responses((status = 200, description = "`{removed}`", body = Object), crate::openapi::Refusals))]
async fn remove_direction(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((id, direction)): Path<(i64, i64)>,
) -> AppResult<Json<Value>> {
    super::card::remove_direction(&st, &user, id, direction).await?;
    Ok(Json(json!({"removed": direction})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ContactBody {
    value: String,
}

#[utoipa::path(put, path = "/products/{id}/contacts/{usage}", tag = "Абоненты", summary = "Получатель уведомлений продукта (один на назначение)", params(("id" = i64, Path, description = "Продукт"), ("usage" = String, Path, description = "`fns_requirements` (e-mail) или `status_notifications` (мобильный)")), request_body = ContactBody, responses((status = 200, description = "`{product_account_id, usage, value}`", body = Object), crate::openapi::Refusals))]
async fn set_product_contact(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((id, usage)): Path<(i64, String)>,
    ApiJson(b): ApiJson<ContactBody>,
) -> AppResult<Json<Value>> {
    let c = super::card::set_product_contact(&st, &user, id, &usage, &b.value).await?;
    Ok(Json(
        json!({"product_account_id": c.product_account_id, "usage": c.usage, "value": c.value}),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ProductBody {
    alias: Option<String>,
    active: Option<bool>,
}

#[utoipa::path(patch, path = "/products/{id}", tag = "Абоненты", summary = "Псевдоним и активность продукта", params(("id" = i64, Path, description = "Продукт")), request_body = ProductBody, responses((status = 200, description = "Продукт", body = Object), crate::openapi::Refusals))]
async fn update_product(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ProductBody>,
) -> AppResult<Json<Value>> {
    let p = super::card::update_product(&st, &user, id, b.alias, b.active).await?;
    Ok(Json(product_json(&p)))
}
