//! «Аналитика — Тарифный калькулятор» (§13): the form, the comparison, a tariff's full
//! information; the operator's pages for the calculator's tariffs; the API.

use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use maud::{Markup, html};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service::{self, Asked, Comparison, TariffEdit};
use super::{DIRECTIONS, OrganisationType, Taxation};
use crate::AppState;
use crate::api::ApiJson;
use crate::auth::{Csrf, CurrentUser, Role};
use crate::entities::{calculator_tariff, region};
use crate::error::{AppError, AppResult};
use crate::extract::Path;
use crate::web::layout;

/// The cookie that remembers the last comparison of two or more tariffs.
const LAST: &str = "registrar_calculator_last";
const PAGE: &str = "/analytics/calculator";

pub fn web_routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page))
        .route("/analytics/calculator/tariffs/{code}", get(info))
        .route("/reference/calculator-tariffs", get(list).post(save_form))
        .route("/reference/calculator-tariffs/new", get(new_form))
        .route("/reference/calculator-tariffs/{code}/edit", get(edit_form))
        .route(
            "/reference/calculator-tariffs/{code}/edit",
            post(save_form_at),
        )
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_tariffs))
        .routes(routes!(api_compare))
        .routes(routes!(api_save))
}

fn yes_no(v: Option<bool>) -> Markup {
    match v {
        Some(true) => html! { span.badge.badge-ok { "Да" } },
        Some(false) => html! { span.badge.badge-muted { "Нет" } },
        None => html! { span.muted { "нет данных" } },
    }
}

fn money(m: Option<crate::money::Money>) -> Markup {
    match m {
        Some(m) => html! { (m.ru()) },
        None => html! { span.muted { "нет данных" } },
    }
}

async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    jar: CookieJar,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let query = q.unwrap_or_default();
    let asked = Asked::parse(&query);
    let catalog = service::catalog(&st, &user).await?;
    let regions = region::Entity::find()
        .order_by_asc(region::Column::Code)
        .all(&st.db)
        .await?;
    let (status, comparison, errors) = match service::compare(&st, &user, &asked).await {
        Ok(c) => (StatusCode::OK, c, Vec::new()),
        Err(AppError::Invalid(e)) => (StatusCode::UNPROCESSABLE_ENTITY, None, e),
        Err(e) => return Err(e),
    };
    let error_of = |k: &str| {
        errors
            .iter()
            .find(|e| e.field == k)
            .map(|e| e.message.clone())
    };
    let current = comparison.as_ref().map(|c| {
        asked.query(
            &c.columns
                .iter()
                .skip(1)
                .map(|c| c.code.as_str())
                .collect::<Vec<_>>(),
            false,
        )
    });
    let last = jar.get(LAST).map(|c| c.value().to_owned());
    let back = last
        .as_ref()
        .filter(|l| Some(*l) != current.as_ref())
        .cloned();
    let region_shown = match asked.region.clone() {
        Some(r) => r,
        None => service::own_region(&st, &user).await?.unwrap_or_default(),
    };
    let organisation = comparison.as_ref().map_or_else(
        || asked.organisation.clone().unwrap_or_else(|| "ul".into()),
        |c| c.organisation.as_str().to_owned(),
    );
    let taxation = comparison.as_ref().map_or_else(
        || asked.taxation.clone().unwrap_or_else(|| "osno".into()),
        |c| c.taxation.as_str().to_owned(),
    );
    let directions: Vec<String> = match &comparison {
        Some(c) => c.directions.iter().map(|d| d.as_str().to_owned()).collect(),
        None if asked.tariff.is_none() && asked.directions.is_empty() => {
            DIRECTIONS.iter().map(|d| d.as_str().to_owned()).collect()
        }
        None => asked.directions.clone(),
    };
    let body = html! {
        p.muted { "Сравнение тарифов 1С-Отчетности с тарифами конкурентов по региону, типу организации, налогообложению и направлениям. Цены 1С — по тарифной зоне региона." }
        form.card-form.calculator method="get" action=(PAGE) {
            div.form-row {
                label { "Регион"
                    select name="region" {
                        option value="" { "— выберите —" }
                        @for r in &regions {
                            option value=(r.code) selected[r.code == region_shown] { (r.code) " " (r.name) }
                        }
                    }
                    @if let Some(e) = error_of("region") { span.field-error { (e) } }
                }
                fieldset.choices { legend { "Тип организации" }
                    @for o in OrganisationType::ALL {
                        label { input type="radio" name="organisation" value=(o.as_str()) checked[o.as_str() == organisation]; " " (o.short_ru()) }
                    }
                    @if let Some(e) = error_of("organisation") { span.field-error { (e) } }
                }
                fieldset.choices { legend { "Тип налогообложения" }
                    @for t in Taxation::ALL {
                        label { input type="radio" name="taxation" value=(t.as_str()) checked[t.as_str() == taxation]; " " (t.short_ru()) }
                    }
                    @if let Some(e) = error_of("taxation") { span.field-error { (e) } }
                }
                fieldset.choices { legend { "Направления" }
                    @for d in DIRECTIONS {
                        label { input type="checkbox" name="dir" value=(d.as_str()) checked[directions.iter().any(|x| x == d.as_str())]; " " (d.title_ru()) }
                    }
                    @if let Some(e) = error_of("dir") { span.field-error { (e) } }
                }
            }
            div.form-row {
                label.wide { "Тариф"
                    input type="text" name="tariff" list="calculator-tariffs" autocomplete="off" placeholder="Начните печатать название тарифа..." value=(asked.tariff.clone().unwrap_or_default());
                    datalist id="calculator-tariffs" {
                        @for t in &catalog.tariffs { option value=(super::label(t)) {} }
                    }
                    @if let Some(e) = error_of("tariff") { span.field-error { (e) } }
                }
            }
            button.primary type="submit" { "Показать тариф" }
        }
        @if !errors.is_empty() {
            div.flash.flash-error role="alert" { "Тариф не показан. " (crate::labels::invalid_text(&errors)) }
        }
        @if let Some(back) = &back {
            p { a href={ (PAGE) "?" (back) } { "← Вернуться к последнему сравнению" } }
        }
        @if let Some(c) = &comparison {
            (comparison_view(c, &asked))
        }
    };
    let page = layout::page(&user, "analytics", "Тарифный калькулятор", body);
    let jar = match (&comparison, &current) {
        (Some(c), Some(q)) if c.columns.len() > 1 => jar.add(
            Cookie::build((LAST, q.clone()))
                .path(PAGE)
                .http_only(true)
                .same_site(SameSite::Lax)
                .build(),
        ),
        _ => jar,
    };
    Ok((status, jar, page).into_response())
}

fn comparison_view(c: &Comparison, asked: &Asked) -> Markup {
    let codes: Vec<&str> = c.columns.iter().map(|t| t.code.as_str()).collect();
    let with = |extra: &[&str]| -> String {
        let mut keep: Vec<&str> = codes.iter().skip(1).copied().collect();
        keep.extend(extra);
        format!("{PAGE}?{}", asked.query(&keep, false))
    };
    let without = |code: &str| -> String {
        let keep: Vec<&str> = codes
            .iter()
            .skip(1)
            .copied()
            .filter(|k| *k != code)
            .collect();
        let mut a = asked.clone();
        a.removed.push(code.to_owned());
        a.all = false;
        format!("{PAGE}?{}", a.query(&keep, false))
    };
    let main: Vec<&service::Capability> = c.capabilities.iter().filter(|k| !k.extra).collect();
    let extra: Vec<&service::Capability> = c.capabilities.iter().filter(|k| k.extra).collect();
    let info = |code: &str| format!("/analytics/calculator/tariffs/{code}?region={}", c.region);
    html! {
        p.report-parameters {
            span { b { "Регион: " } (c.region) " " (c.region_name) } " "
            span { b { "Тарифная зона: " } (c.zone) }
        }
        div.table-wrap {
            table.data.compare {
                thead {
                    tr { th { "Основная информация" } @for _ in &c.columns { th {} } }
                }
                tbody {
                    tr { th { "Продукт:" } @for t in &c.columns { td { @if t.own { span.badge.badge-ok { (t.product) } } @else { (t.product) } } } }
                    tr { th { "Тариф:" }
                        @for (i, t) in c.columns.iter().enumerate() {
                            td {
                                b { (t.title) } " "
                                a.small href=(info(&t.code)) title="Полная информация о тарифе" aria-label={ "Полная информация: " (t.title) } { "подробнее" }
                                @if i > 0 {
                                    " "
                                    a.small.remove href=(without(&t.code)) title="Убрать из сравнения" aria-label={ "Убрать из сравнения: " (t.title) } { "убрать" }
                                }
                            }
                        }
                    }
                    tr { th { "Тип организации:" } td colspan=(c.columns.len()) { (c.organisation.title_ru()) } }
                    tr { th { "Тип налогообложения:" } td colspan=(c.columns.len()) { (c.taxation.title_ru()) } }
                    tr { th { "Направления:" } @for t in &c.columns { td { (t.directions) } } }
                }
            }
        }
        details.calculator-section open {
            summary { "Возможности" }
            div.table-wrap { table.data.compare { tbody {
                @for k in &main {
                    tr { th { (k.title) } @for t in &c.columns { td { (yes_no(t.capabilities.get(&k.code).copied())) } } }
                }
            } } }
        }
        details.calculator-section open {
            summary { "Доп. возможности и цена" }
            div.table-wrap { table.data.compare { tbody {
                @for k in &extra {
                    tr { th { (k.title) } @for t in &c.columns { td { (yes_no(t.capabilities.get(&k.code).copied())) } } }
                }
                tr { th { "Цена:" } @for t in &c.columns { td.num { (money(t.price)) } } }
                tr { th { "Продление лицензии:" } @for t in &c.columns { td.num { (money(t.renewal_price)) } } }
            } } }
        }
        @if !c.to_add.is_empty() {
            div.compare-with {
                span { "Сравнить с:" }
                @for o in &c.to_add {
                    " " a.button.secondary href=(with(&[o.code.as_str()])) { (o.label) }
                }
                " " a.button.primary href={ (PAGE) "?" (asked.query(&codes.iter().skip(1).copied().collect::<Vec<_>>(), true)) } { "Сравнить со всеми" }
            }
        }
        p.muted { "Данные о тарифах конкурентов ведет оператор в справочнике «Тарифы калькулятора»; «нет данных» — сведений нет." }
    }
}

/// «i»: everything the catalog holds about a tariff.
async fn info(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<Markup> {
    let catalog = service::catalog(&st, &user).await?;
    let t = catalog
        .tariffs
        .iter()
        .find(|t| t.code == code)
        .ok_or(AppError::NotFound)?;
    let mut asked = Asked::parse(&q.unwrap_or_default());
    asked.tariff = Some(t.code.clone());
    asked.organisation = t.organisation_types.split(',').next().map(str::to_owned);
    asked.taxation = t.taxation.split(',').next().map(str::to_owned);
    asked.directions = t.directions.split(',').map(str::to_owned).collect();
    asked.directions.truncate(
        t.direction_limit
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(4),
    );
    let priced = service::compare(&st, &user, &asked).await.ok().flatten();
    let col = priced.as_ref().and_then(|c| c.columns.first());
    let caps = super::capabilities(t);
    let list = |s: &str, f: &dyn Fn(&str) -> Option<&'static str>| -> String {
        s.split(',').filter_map(f).collect::<Vec<_>>().join(", ")
    };
    Ok(layout::page(
        &user,
        "analytics",
        &format!("{} — {}", t.product_title, t.title),
        html! {
            p { a href=(PAGE) { "← Тарифный калькулятор" } }
            dl.facts {
                dt { "Продукт" } dd { (t.product_title) }
                dt { "Тариф" } dd { (t.title) }
                dt { "Типы организаций" } dd { (list(&t.organisation_types, &|c| OrganisationType::parse(c).map(OrganisationType::title_ru))) }
                dt { "Налогообложение" } dd { (list(&t.taxation, &|c| Taxation::parse(c).map(Taxation::title_ru))) }
                dt { "Направления" } dd { (t.directions_note) }
                @if let Some(n) = t.direction_limit { dt { "Направлений одновременно" } dd { (n) } }
                @if let Some(c) = &priced { dt { "Цена в регионе" } dd { (c.region) " " (c.region_name) ", зона " (c.zone) } }
                dt { "Цена" } dd { (money(col.and_then(|c| c.price).or(t.price))) }
                dt { "Продление лицензии" } dd { (money(col.and_then(|c| c.renewal_price).or(t.renewal_price))) }
            }
            h3 { "Возможности" }
            div.table-wrap { table.data { tbody {
                @for k in &catalog.capabilities {
                    tr { th { (k.title) } td { (yes_no(caps.get(&k.code).copied())) } }
                }
            } } }
        },
    ))
}

/// «Справочники — Тарифы калькулятора»: what the comparison shows, the operator's to edit.
async fn list(State(st): State<AppState>, user: CurrentUser) -> AppResult<Markup> {
    let catalog = service::catalog(&st, &user).await?;
    let operator = user.role == Role::Operator;
    Ok(layout::page(
        &user,
        "reference",
        "Тарифы калькулятора",
        html! {
            p.muted { "Тарифы, которые сравнивает тарифный калькулятор: свои (цена — из каталога тарифов по зоне региона) и конкурентов." }
            @if operator {
                p { a.button.primary href="/reference/calculator-tariffs/new" { "Добавить тариф конкурента" } }
            }
            div.table-wrap { table.data {
                thead { tr { th { "Продукт" } th { "Тариф" } th { "Направления" } th.num { "Цена" } th.num { "Продление" } @if operator { th {} } } }
                tbody {
                    @for t in &catalog.tariffs {
                        tr {
                            td { (t.product_title) }
                            td { a href={ "/analytics/calculator/tariffs/" (t.code) } { (t.title) } }
                            td { (t.directions_note) }
                            @if t.own {
                                td.num colspan="2" { span.muted { "по каталогу тарифов" } }
                            } @else {
                                td.num { (money(t.price)) }
                                td.num { (money(t.renewal_price)) }
                            }
                            @if operator { td { a href={ "/reference/calculator-tariffs/" (t.code) "/edit" } { "Изменить" } } }
                        }
                    }
                }
            } }
        },
    ))
}

async fn new_form(State(st): State<AppState>, user: CurrentUser) -> AppResult<Markup> {
    user.require(&[Role::Operator])?;
    let catalog = service::catalog(&st, &user).await?;
    Ok(tariff_form(&user, &catalog, None))
}

async fn edit_form(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Markup> {
    user.require(&[Role::Operator])?;
    let catalog = service::catalog(&st, &user).await?;
    let t = catalog
        .tariffs
        .iter()
        .find(|t| t.code == code)
        .ok_or(AppError::NotFound)?;
    Ok(tariff_form(&user, &catalog, Some(t)))
}

fn tariff_form(
    user: &CurrentUser,
    catalog: &service::Catalog,
    t: Option<&calculator_tariff::Model>,
) -> Markup {
    let caps = t.map(super::capabilities).unwrap_or_default();
    let has =
        |list: Option<&str>, code: &str| list.is_some_and(|l| l.split(',').any(|c| c == code));
    let action = match t {
        Some(t) => format!("/reference/calculator-tariffs/{}/edit", t.code),
        None => "/reference/calculator-tariffs".to_owned(),
    };
    let price = |m: Option<crate::money::Money>| m.map(|m| m.to_string()).unwrap_or_default();
    let title = match t {
        Some(t) => format!("{} — {}", t.product_title, t.title),
        None => "Новый тариф конкурента".to_owned(),
    };
    layout::page(
        user,
        "reference",
        &title,
        html! {
            form.card-form method="post" action=(action) {
                (layout::csrf_field(user))
                @if let Some(t) = t {
                    input type="hidden" name="version" value=(t.version);
                } @else {
                    div.form-row {
                        label { "Код тарифа (латиницей)" input type="text" name="code" required maxlength="64" placeholder="kontur_start"; }
                        label { "Код продукта" input type="text" name="product" required maxlength="32" placeholder="kontur"; }
                    }
                }
                div.form-row {
                    label { "Продукт" input type="text" name="product_title" required maxlength="100" value=(t.map_or("", |t| t.product_title.as_str())); }
                    label.wide { "Тариф" input type="text" name="title" required maxlength="200" value=(t.map_or("", |t| t.title.as_str())); }
                }
                div.form-row {
                    fieldset.choices { legend { "Типы организаций" }
                        @for o in OrganisationType::ALL {
                            label { input type="checkbox" name={ "org_" (o.as_str()) } value="1" checked[t.is_none() || has(t.map(|t| t.organisation_types.as_str()), o.as_str())]; " " (o.short_ru()) }
                        }
                    }
                    fieldset.choices { legend { "Налогообложение" }
                        @for x in Taxation::ALL {
                            label { input type="checkbox" name={ "tax_" (x.as_str()) } value="1" checked[t.is_none() || has(t.map(|t| t.taxation.as_str()), x.as_str())]; " " (x.short_ru()) }
                        }
                    }
                    fieldset.choices { legend { "Направления" }
                        @for d in DIRECTIONS {
                            label { input type="checkbox" name={ "dir_" (d.as_str()) } value="1" checked[t.is_none() || has(t.map(|t| t.directions.as_str()), d.as_str())]; " " (d.title_ru()) }
                        }
                    }
                }
                div.form-row {
                    label.wide { "Направления, как их печатает сравнение" input type="text" name="directions_note" required maxlength="300" value=(t.map_or("ФНС, ПФР, ФСС, Росстат", |t| t.directions_note.as_str())); }
                    label { "Направлений одновременно (пусто — все)" input type="number" name="direction_limit" min="1" max="4" value=(t.and_then(|t| t.direction_limit).map(|n| n.to_string()).unwrap_or_default()); }
                }
                @if !t.is_some_and(|t| t.own) {
                    div.form-row {
                        label { "Цена, ₽" input type="text" inputmode="decimal" name="price" value=(price(t.and_then(|t| t.price))); }
                        label { "Продление, ₽" input type="text" inputmode="decimal" name="renewal_price" value=(price(t.and_then(|t| t.renewal_price))); }
                    }
                }
                h3 { "Возможности" }
                div.table-wrap { table.data { tbody {
                    @for k in &catalog.capabilities {
                        @let v = caps.get(&k.code).copied();
                        tr {
                            th { (k.title) @if k.extra { " " span.muted { "(доп.)" } } }
                            td {
                                select name={ "cap_" (k.code) } aria-label=(k.title) {
                                    option value="" selected[v.is_none()] { "нет данных" }
                                    option value="yes" selected[v == Some(true)] { "Да" }
                                    option value="no" selected[v == Some(false)] { "Нет" }
                                }
                            }
                        }
                    }
                } } }
                button.primary type="submit" { "Сохранить" }
                " " a href="/reference/calculator-tariffs" { "Отмена" }
            }
        },
    )
}

/// The form's fields as the API's body: checkboxes `org_ul`, selects `cap_letters` …
fn edit_of(f: &BTreeMap<String, String>) -> (String, TariffEdit, Vec<crate::error::FieldError>) {
    let mut errors = Vec::new();
    let text = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let on = |k: String| f.get(&k).is_some_and(|v| !v.is_empty());
    let mut money = |k: &str| -> Option<crate::money::Money> {
        let v = text(k).replace([' ', '\u{a0}'], "").replace(',', ".");
        if v.is_empty() {
            return None;
        }
        match v.parse::<rust_decimal::Decimal>() {
            Ok(d) => Some(crate::money::Money::new(d)),
            Err(_) => {
                errors.push(crate::error::FieldError::new(
                    k,
                    "сумма в рублях, например 4900 или 4900,50",
                ));
                None
            }
        }
    };
    let price = money("price");
    let renewal_price = money("renewal_price");
    let direction_limit = match text("direction_limit").as_str() {
        "" => None,
        n => match n.parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(crate::error::FieldError::new(
                    "direction_limit",
                    "число от 1 до 4",
                ));
                None
            }
        },
    };
    let capabilities = f
        .iter()
        .filter_map(|(k, v)| {
            let code = k.strip_prefix("cap_")?;
            match v.as_str() {
                "yes" => Some((code.to_owned(), true)),
                "no" => Some((code.to_owned(), false)),
                _ => None,
            }
        })
        .collect();
    let version = text("version").parse().ok();
    let edit = TariffEdit {
        product: Some(text("product")).filter(|p| !p.is_empty()),
        product_title: text("product_title"),
        title: text("title"),
        organisation_types: OrganisationType::ALL
            .into_iter()
            .filter(|o| on(format!("org_{}", o.as_str())))
            .collect(),
        taxation: Taxation::ALL
            .into_iter()
            .filter(|t| on(format!("tax_{}", t.as_str())))
            .collect(),
        directions: DIRECTIONS
            .into_iter()
            .filter(|d| on(format!("dir_{}", d.as_str())))
            .collect(),
        directions_note: text("directions_note"),
        direction_limit,
        capabilities,
        price,
        renewal_price,
        version,
    };
    (text("code"), edit, errors)
}

async fn save_form(
    State(st): State<AppState>,
    Csrf(user, f): Csrf<BTreeMap<String, String>>,
) -> AppResult<Response> {
    let (code, edit, errors) = edit_of(&f);
    save_and_answer(
        &st,
        &user,
        &code,
        edit,
        errors,
        "/reference/calculator-tariffs/new",
    )
    .await
}

async fn save_form_at(
    State(st): State<AppState>,
    Path(code): Path<String>,
    Csrf(user, f): Csrf<BTreeMap<String, String>>,
) -> AppResult<Response> {
    let (_, edit, errors) = edit_of(&f);
    let back = format!("/reference/calculator-tariffs/{code}/edit");
    save_and_answer(&st, &user, &code, edit, errors, &back).await
}

async fn save_and_answer(
    st: &AppState,
    user: &CurrentUser,
    code: &str,
    edit: TariffEdit,
    errors: Vec<crate::error::FieldError>,
    back: &str,
) -> AppResult<Response> {
    let result = if errors.is_empty() {
        service::save(st, user, code, &edit).await
    } else {
        Err(AppError::Invalid(errors))
    };
    match result {
        Ok(t) => {
            crate::web::after_action(
                st,
                user,
                "/reference/calculator-tariffs",
                crate::web::Subject::Other,
                Ok(format!(
                    "Тариф «{} — {}» сохранен.",
                    t.product_title, t.title
                )),
            )
            .await
        }
        Err(e) => {
            crate::web::after_action(st, user, back, crate::web::Subject::Other, Err(e)).await
        }
    }
}

fn tariff_json(t: &calculator_tariff::Model) -> Value {
    json!({
        "code": t.code, "product": t.product, "product_title": t.product_title, "title": t.title,
        "own": t.own, "catalog_item": t.catalog_item,
        "organisation_types": t.organisation_types.split(',').collect::<Vec<_>>(),
        "taxation": t.taxation.split(',').collect::<Vec<_>>(),
        "directions": t.directions.split(',').collect::<Vec<_>>(),
        "directions_note": t.directions_note, "direction_limit": t.direction_limit,
        "capabilities": super::capabilities(t),
        "price": t.price, "renewal_price": t.renewal_price, "version": t.version,
    })
}

#[utoipa::path(get, path = "/calculator/tariffs", tag = "Тарифы", summary = "Тарифы тарифного калькулятора: свои и конкурентов, с возможностями и ценами",
    responses((status = 200, description = "`{capabilities, items}`", body = Object), crate::openapi::Refusals))]
async fn api_tariffs(State(st): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    let c = service::catalog(&st, &user).await?;
    Ok(Json(json!({
        "capabilities": c.capabilities.iter().map(|k| json!({"code": k.code, "title": k.title, "extra": k.extra})).collect::<Vec<_>>(),
        "items": c.tariffs.iter().map(tariff_json).collect::<Vec<_>>(),
    })))
}

#[utoipa::path(get, path = "/calculator/compare", tag = "Тарифы",
    summary = "Сравнение тарифов: выбранный тариф, тариф 1С к тарифу конкурента, добавленные или все подходящие; цены 1С — по тарифной зоне региона",
    params(
        ("region" = Option<String>, Query, description = "Код региона (без него — регион партнера или центра продаж)"),
        ("organisation" = Option<String>, Query, description = "Тип организации: `ip`, `ul`, `gk`, `np` (по умолчанию `ul`)"),
        ("taxation" = Option<String>, Query, description = "Налогообложение: `osno`, `usn`, `budget` (по умолчанию `osno`)"),
        ("dir" = Option<Vec<String>>, Query, description = "Направления, повторяемый параметр: `fns`, `pfr`, `fss`, `rosstat`"),
        ("tariff" = String, Query, description = "Код или название тарифа"),
        ("compare" = Option<Vec<String>>, Query, description = "Коды тарифов для сравнения, повторяемый параметр"),
        ("all" = Option<String>, Query, description = "`1` — сравнить со всеми подходящими"),
        ("remove" = Option<Vec<String>>, Query, description = "Коды тарифов, убранных из сравнения"),
    ),
    responses((status = 200, description = "Сравнение", body = service::Comparison), crate::openapi::Refusals))]
async fn api_compare(
    State(st): State<AppState>,
    user: CurrentUser,
    RawQuery(q): RawQuery,
) -> AppResult<Json<Comparison>> {
    let mut asked = Asked::parse(&q.unwrap_or_default());
    if asked.tariff.is_none() {
        asked.tariff = Some(String::new());
    }
    service::compare(&st, &user, &asked)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::invalid("tariff", "укажите тариф"))
}

#[utoipa::path(put, path = "/calculator/tariffs/{code}", tag = "Тарифы",
    summary = "Сохранить тариф калькулятора (оператор): название, критерии, возможности, цены конкурента; новый код добавляет тариф конкурента",
    params(("code" = String, Path, description = "Код тарифа")),
    request_body = TariffEdit,
    responses((status = 200, description = "Тариф", body = Object), crate::openapi::Refusals))]
async fn api_save(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<TariffEdit>,
) -> AppResult<Json<Value>> {
    Ok(Json(tariff_json(
        &service::save(&st, &user, &code, &b).await?,
    )))
}
