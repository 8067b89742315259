//! `POST /api/v1/pricing/quote` and the quote panel (Тарифный калькулятор).

use crate::extract::Query;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::pricing::{Quote, QuoteRequest};
use super::service::{calculator_items, own_zone, partner_facts, quote};
use crate::AppState;
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::web::components::table;
use crate::web::layout;

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_quote))
}

pub fn web_routes() -> Router<AppState> {
    Router::new().route("/reference/calculator", get(page))
}

#[utoipa::path(post, path = "/pricing/quote", tag = "Тарифы", summary = "Стоимость тарифа или расширения с построчным объяснением", request_body = super::pricing::QuoteRequest, responses((status = 200, description = "`{item, list_price, total, lines, explanation}`", body = Object), crate::openapi::Refusals))]
async fn api_quote(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiJson(mut req): ApiJson<QuoteRequest>,
) -> AppResult<Json<Quote>> {
    partner_facts(&st, &user, &mut req).await?;
    Ok(Json(quote(&st, &user, &req).await?))
}

#[derive(Deserialize, Default)]
struct Form {
    item: Option<String>,
    date: Option<String>,
    zone: Option<i16>,
    renewal: Option<String>,
    organisations: Option<u32>,
    licence_end: Option<String>,
    group_tariff: Option<String>,
    no_promotions: Option<String>,
    region_code: Option<String>,
    registered_on: Option<String>,
    active_members: Option<u32>,
    fns_directions: Option<u32>,
}

fn date(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref().and_then(|s| s.parse().ok())
}

async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(f): Query<Form>,
) -> AppResult<Markup> {
    let items = calculator_items(&st).await?;
    let today = st.clock.today();
    // A partner prices in its own tariff zone unless it picks another.
    let own_zone = own_zone(&st, &user).await?;
    let zone = f.zone.or(own_zone);
    let result = match f.item.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(item) => {
            let mut req = QuoteRequest {
                item: item.to_owned(),
                date: date(&f.date).unwrap_or(today),
                zone,
                primary: f.renewal.is_none(),
                organisations: f.organisations.unwrap_or(1),
                apply_promotions: f.no_promotions.is_none(),
                licence_end: date(&f.licence_end),
                group_tariff: f.group_tariff.is_some(),
                region_code: f.region_code.clone().filter(|s| !s.is_empty()),
                special_offer_registered_on: date(&f.registered_on),
                active_members: f.active_members,
                fns_directions: f.fns_directions,
                ..Default::default()
            };
            partner_facts(&st, &user, &mut req).await?;
            Some(quote(&st, &user, &req).await)
        }
    };
    let selected = f.item.clone().unwrap_or_default();
    Ok(layout::page(
        &user,
        "reference",
        "Тарифный калькулятор",
        html! {
            form.toolbar method="get" action="/reference/calculator" {
                label { "Тариф или расширение"
                    select name="item" required {
                        @for (code, name) in &items { option value=(code) selected[*code == selected] { (name) } }
                    }
                }
                label { "Дата подключения" input type="date" name="date" value=(f.date.clone().unwrap_or_else(|| today.to_string())); }
                label { "Тарифная зона" select name="zone" { @for z in 1..=3i16 { option value=(z) selected[zone == Some(z)] { (z) } } } }
                label { "Организаций" input type="number" name="organisations" min="1" value=(f.organisations.unwrap_or(1)); }
                label { "Окончание основной лицензии (для ЛК Базовый)" input type="date" name="licence_end" value=[f.licence_end.as_deref()]; }
                label { "Код региона (для спецпредложений)" input type="text" name="region_code" size="4" value=[f.region_code.as_deref()]; }
                label { "Дата регистрации номера спецпредложения" input type="date" name="registered_on" value=[f.registered_on.as_deref()]; }
                label { "Активных участников группы" input type="number" name="active_members" min="0" value=[f.active_members]; }
                label { "Направлений ФНС" input type="number" name="fns_directions" min="0" value=[f.fns_directions]; }
                label { input type="checkbox" name="renewal" value="1" checked[f.renewal.is_some()]; " продление" }
                label { input type="checkbox" name="group_tariff" value="1" checked[f.group_tariff.is_some()]; " тариф «Группа пользователей»" }
                label { input type="checkbox" name="no_promotions" value="1" checked[f.no_promotions.is_some()]; " без акций" }
                button.primary type="submit" { "Рассчитать" }
            }
            @match &result {
                None => p.muted { "Выберите тариф и параметры подключения." },
                Some(Err(AppError::Invalid(errors))) => div.flash.flash-error { @for e in errors { (e.message) } },
                Some(Err(_)) => div.flash.flash-error { "Не удалось рассчитать стоимость." },
                Some(Ok(q)) => {
                    h2 { (q.name) }
                    (table(&["Строка", "Сумма"], q.lines.iter().map(|l| html! { tr { td { (l.label) } td.num { (l.amount.ru()) } } })))
                    dl.kv {
                        dt { "Цена по прайсу" } dd { b { (q.list_price.ru()) } }
                        dt { "К оплате" } dd { b { (q.total.ru()) } }
                        dt { "Отчисления ЦП" } dd { (q.sales_center_share.ru()) }
                        dt { "Перечисление в КА" } dd { (q.operator_transfer.ru()) }
                    }
                    h2 { "Как посчитано" }
                    ol { @for e in &q.explanation { li { (e) } } }
                }
            }
        },
    ))
}
