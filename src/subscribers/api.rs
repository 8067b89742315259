//! `/api/v1/subscribers…` and `/api/v1/licences/{id}/block|resume|revoke`.

use crate::extract::{Path, Query};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::service;
use crate::AppState;
use crate::api::{ApiJson, if_match};
use crate::auth::CurrentUser;
use crate::entities::{licence, product_account, subscriber};
use crate::error::AppResult;
use crate::params::Params;
use crate::tariffs::licence::LicenceEvent;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/subscribers", get(list))
        .route("/subscribers/{id}", get(show).patch(update))
        .route(
            "/subscribers/{id}/registration-file",
            get(registration_file),
        )
        .route(
            "/subscribers/{id}/contact-persons",
            post(add_contact_person),
        )
        .route("/subscribers/{id}/directions", post(add_direction))
        .route(
            "/subscribers/{id}/directions/{direction}",
            axum::routing::delete(remove_direction),
        )
        .route(
            "/products/{id}/contacts/{usage}",
            axum::routing::put(set_product_contact),
        )
        .route("/products/{id}", axum::routing::patch(update_product))
        .route("/subscribers/{id}/detach-its", post(detach_its))
        .route("/subscribers/{id}/block", post(block))
        .route("/subscribers/{id}/resume", post(resume))
        .route(
            "/licences/{id}/block",
            post(|s, u, h, p, b| act(s, u, h, p, b, LicenceEvent::Block)),
        )
        .route(
            "/licences/{id}/resume",
            post(|s, u, h, p, b| act(s, u, h, p, b, LicenceEvent::Resume)),
        )
        .route(
            "/licences/{id}/revoke",
            post(|s, u, h, p, b| act(s, u, h, p, b, LicenceEvent::Revoke)),
        )
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

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

async fn list(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let mut p = Params::new();
    let page = p
        .int::<u64>("page", q.page.as_deref(), 1, 1_000_000)
        .unwrap_or(1);
    let per_page = p
        .int::<u64>("per_page", q.per_page.as_deref(), 1, 200)
        .unwrap_or(50);
    p.finish()?;
    let (rows, total) = service::search(&st, &user, q.q.as_deref(), page, per_page).await?;
    Ok(Json(
        json!({ "items": rows.iter().map(subscriber_json).collect::<Vec<_>>(), "total": total, "page": page, "per_page": per_page }),
    ))
}

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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ActBody {
    reason: Option<String>,
}

async fn act(
    State(st): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ActBody>,
    event: LicenceEvent,
) -> AppResult<Json<Value>> {
    let l = service::act(&st, &user, id, event, if_match(&headers)?, b.reason).await?;
    Ok(Json(licence_json(&l)))
}

async fn detach_its(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let revoked = service::detach_its(&st, &user, id).await?;
    Ok(Json(json!({ "revoked": revoked })))
}

async fn resume(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let resumed = service::resume_subscriber(&st, &user, id).await?;
    Ok(Json(json!({ "resumed": resumed })))
}

async fn block(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ActBody>,
) -> AppResult<Json<Value>> {
    let blocked = service::block_subscriber(&st, &user, id, b.reason).await?;
    Ok(Json(json!({ "blocked": blocked })))
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonBody {
    full_name: String,
    position: Option<String>,
    phone: Option<String>,
    email: Option<String>,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectionBody {
    authority: String,
    code: String,
    kpp: Option<String>,
}

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

async fn remove_direction(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((id, direction)): Path<(i64, i64)>,
) -> AppResult<Json<Value>> {
    super::card::remove_direction(&st, &user, id, direction).await?;
    Ok(Json(json!({"removed": direction})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactBody {
    value: String,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductBody {
    alias: Option<String>,
    active: Option<bool>,
}

async fn update_product(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ProductBody>,
) -> AppResult<Json<Value>> {
    let p = super::card::update_product(&st, &user, id, b.alias, b.active).await?;
    Ok(Json(product_json(&p)))
}
