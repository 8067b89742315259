//! Special-offer permits (§2.4, §2.8): the sales center registers a permit number for a
//! client; the number can be used from one day after registration, at processing and in
//! quotes.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use maud::{Markup, html};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::ApiJson;
use crate::audit::{Change, Write};
use crate::auth::{Csrf, CurrentUser, Role, Scope};
use crate::entities::{special_offer, special_offer_permit};
use crate::error::{AppError, AppResult};
use crate::web::components::{datetime_ru, table};
use crate::web::layout::{self, csrf_field};

/// When a permit registered at `at` becomes usable.
pub fn usable_from(at: DateTime<Utc>) -> DateTime<Utc> {
    at + Duration::days(1)
}

/// Registers a permit number for a client.
///
/// # Errors
/// `Invalid` naming `offer`, `number` or `inn`; `Forbidden` for other roles.
pub async fn register(
    st: &AppState,
    user: &CurrentUser,
    offer: &str,
    number: &str,
    inn: &str,
) -> AppResult<special_offer_permit::Model> {
    let Scope::SalesCenter { sales_center_id } = user.scope else {
        return Err(AppError::Forbidden);
    };
    if !offers_for(st, sales_center_id)
        .await?
        .iter()
        .any(|o| o.code == offer)
    {
        return Err(AppError::invalid(
            "offer",
            "выберите специальное предложение, действующее в регионе центра продаж",
        ));
    }
    let number = number.trim();
    // The manual's own numbers: «УСН_МО», «Нулевка2020», «Promo50» (audit C5).
    if number.is_empty()
        || number.chars().count() > 32
        || !number
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AppError::invalid(
            "number",
            "номер: до 32 букв, цифр, дефисов или знаков подчеркивания",
        ));
    }
    // A regional offer (УСН, Нулевка) serves every client of the region: the ИНН binds
    // the number to one client only when given.
    let inn = inn.trim();
    if !inn.is_empty() {
        crate::requisites::inn(inn).map_err(|m| AppError::invalid("inn", m))?;
    }
    // Numbers are unique across centers (the column is): a number another center holds
    // is refused the same way, without saying whose it is.
    if find(&st.db, None, number).await?.is_some() {
        return Err(AppError::invalid(
            "number",
            "такой номер уже зарегистрирован",
        ));
    }
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let p = special_offer_permit::ActiveModel {
        id: NotSet,
        sales_center_id: Set(sales_center_id),
        offer_code: Set(offer.to_owned()),
        number: Set(number.to_owned()),
        client_inn: Set(inn.to_owned()),
        registered_by: Set(user.login.clone()),
        registered_at: Set(w.at()),
    }
    .insert(&*w)
    .await?;
    w.record(
        Change::new("special_offer.register", "special_offer_permit", p.id)
            .after(json!({"offer": p.offer_code, "number": p.number, "inn": p.client_inn})),
    );
    w.commit().await?;
    Ok(p)
}

/// The permit a number names among those of a sales center (`None`: the operator, who
/// sees every center's). Numbers are the sales center's own: another center's permit is
/// not usable, nor can its existence be probed (F15).
///
/// # Errors
/// Database errors.
pub async fn find<C: sea_orm::ConnectionTrait>(
    db: &C,
    sales_center_id: Option<i32>,
    number: &str,
) -> AppResult<Option<special_offer_permit::Model>> {
    let mut q = special_offer_permit::Entity::find()
        .filter(special_offer_permit::Column::Number.eq(number.trim()));
    if let Some(sc) = sales_center_id {
        q = q.filter(special_offer_permit::Column::SalesCenterId.eq(sc));
    }
    Ok(q.one(db).await?)
}

/// The sales center whose permits a caller uses: its own, or its partner's center;
/// `None` for the operator; `Some(0)` (no permits) for everyone else.
pub fn center_of(scope: &Scope) -> Option<i32> {
    match *scope {
        Scope::SalesCenter { sales_center_id }
        | Scope::Partner {
            sales_center_id, ..
        } => Some(sales_center_id),
        Scope::Operator => None,
        Scope::IdentificationCenter { .. } | Scope::Intake => Some(0),
    }
}

/// The special offers a sales center can register numbers for: those without a region
/// limit and those limited to regions that include the center's own.
///
/// # Errors
/// Database errors.
pub async fn offers_for(
    st: &AppState,
    sales_center_id: i32,
) -> AppResult<Vec<special_offer::Model>> {
    let region = crate::entities::sales_center::Entity::find_by_id(sales_center_id)
        .one(&st.db)
        .await?
        .map(|c| c.region_code)
        .unwrap_or_default();
    Ok(special_offer::Entity::find()
        .order_by_asc(special_offer::Column::Name)
        .all(&st.db)
        .await?
        .into_iter()
        .filter(|o| o.regions.trim().is_empty() || o.regions.split(',').any(|r| r.trim() == region))
        .collect())
}

/// Checks a permit number for a client at a moment: `Err(message)` when it cannot be used.
pub fn check(
    permit: Option<&special_offer_permit::Model>,
    inn: &str,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let p = permit.ok_or_else(|| {
        "номер специального предложения не зарегистрирован центром продаж".to_owned()
    })?;
    if !p.client_inn.is_empty() && p.client_inn != inn {
        return Err("номер специального предложения выдан для другого клиента".to_owned());
    }
    if now < usable_from(p.registered_at) {
        return Err(format!(
            "номер можно использовать с {} — через сутки после регистрации",
            usable_from(p.registered_at)
                .with_timezone(&crate::clock::moscow())
                .format("%d.%m.%Y %H:%M")
        ));
    }
    Ok(())
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_list, api_register))
}

pub fn web_routes() -> Router<AppState> {
    Router::new().route("/special-offers", get(page).post(web_register))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PermitBody {
    offer: String,
    number: String,
    /// ИНН клиента; пусто или не указан — номер действует для любого клиента региона
    #[serde(default)]
    inn: String,
}

fn permit_json(p: &special_offer_permit::Model) -> Value {
    json!({"id": p.id, "offer": p.offer_code, "number": p.number, "inn": p.client_inn, "registered_at": p.registered_at, "usable_from": usable_from(p.registered_at)})
}

async fn permits_of(
    st: &AppState,
    user: &CurrentUser,
) -> AppResult<Vec<special_offer_permit::Model>> {
    let Scope::SalesCenter { sales_center_id } = user.scope else {
        return Err(AppError::Forbidden);
    };
    Ok(special_offer_permit::Entity::find()
        .filter(special_offer_permit::Column::SalesCenterId.eq(sales_center_id))
        .order_by_desc(special_offer_permit::Column::Id)
        .all(&st.db)
        .await?)
}

#[utoipa::path(get, path = "/special-offers", tag = "Тарифы", summary = "Номера специальных предложений центра продаж", responses((status = 200, description = "`{items}`", body = Object), crate::openapi::Refusals))]
async fn api_list(State(st): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    let items = permits_of(&st, &user).await?;
    Ok(Json(
        json!({ "items": items.iter().map(permit_json).collect::<Vec<_>>() }),
    ))
}

#[utoipa::path(post, path = "/special-offers", tag = "Тарифы", summary = "Зарегистрировать номер специального предложения для клиента (действует через сутки)", request_body = PermitBody, responses((status = 200, description = "Номер", body = Object), crate::openapi::Refusals))]
async fn api_register(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiJson(b): ApiJson<PermitBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(permit_json(
        &register(&st, &user, &b.offer, &b.number, &b.inn).await?,
    )))
}

async fn page(State(st): State<AppState>, user: CurrentUser) -> AppResult<Markup> {
    user.require(&[Role::SalesCenter])?;
    let items = permits_of(&st, &user).await?;
    let Scope::SalesCenter { sales_center_id } = user.scope else {
        return Err(AppError::Forbidden);
    };
    let offers = offers_for(&st, sales_center_id).await?;
    let all_offers = special_offer::Entity::find().all(&st.db).await?;
    Ok(layout::page(
        &user,
        "special_offers",
        "Специальные предложения",
        html! {
            @if offers.is_empty() {
                div.flash.flash-info { "Для региона вашего центра продаж не действует ни одно специальное предложение: регистрировать номера не для чего. Предложения УСН и «Нулевка» ограничены регионами (Московская, Нижегородская, Самарская области)." }
            } @else {
            form.toolbar method="post" action="/special-offers" {
                (csrf_field(&user))
                label { "Предложение" select name="offer" { @for o in &offers { option value=(o.code) { (o.name) } } } }
                label { "Номер спец. разрешения" input type="text" name="number" required; }
                label { "ИНН клиента (пусто — любой клиент региона)" input type="text" name="inn" pattern="[0-9]{10}|[0-9]{12}"; }
                button.primary type="submit" { "Зарегистрировать" }
            }
            }
            p.muted { "Номер можно использовать при отправке в обработку через сутки после регистрации." }
            (table(&["Номер", "Предложение", "ИНН клиента", "Зарегистрирован", "Действует с"], items.iter().map(|p| html! { tr {
                td { (p.number) } td { (all_offers.iter().find(|o| o.code == p.offer_code).map_or(p.offer_code.as_str(), |o| o.name.as_str())) }
                td { @if p.client_inn.is_empty() { "любой клиент региона" } @else { (p.client_inn) } } td { (datetime_ru(p.registered_at)) } td { (datetime_ru(usable_from(p.registered_at))) }
            } })))
        },
    ))
}

async fn web_register(
    State(st): State<AppState>,
    Csrf(user, b): Csrf<PermitBody>,
) -> AppResult<Response> {
    let result = register(&st, &user, &b.offer, &b.number, &b.inn)
        .await
        .map(|p| format!("Номер {} зарегистрирован.", p.number));
    crate::web::after_action(
        &st,
        &user,
        "/special-offers",
        crate::web::Subject::Other,
        result,
    )
    .await
}
