//! The operator's journal browser and its API.

use crate::extract::Query;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{JournalQuery, browse};
use crate::AppState;
use crate::auth::session::{Flash, FlashKind};
use crate::auth::{Csrf, CurrentUser, NoFields, Role};
use crate::entities::audit_log;
use crate::error::AppResult;
use crate::params::Params;
use crate::web::components::{datetime_ru, keyset_pager, table};
use std::collections::HashMap;

use crate::labels::{
    action_title, actor_title, journal_key_title, journal_value_title, object_href,
    object_type_title,
};
use crate::web::{layout, urlencode};

pub fn web_routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(page))
        .route("/audit/verify", post(web_verify))
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api))
        .routes(routes!(api_verification, api_verify))
}

/// The state of the chain as the page and the API show it.
fn verification_json(v: Option<&crate::entities::audit_chain::Model>) -> Value {
    match v {
        Some(c) if c.verified_at.is_some() => json!({
            "verified_at": c.verified_at, "entries": c.verified_entries,
            "intact": c.broken_id.is_none(), "broken_id": c.broken_id, "reason": c.broken_reason,
        }),
        _ => json!({ "verified_at": null }),
    }
}

#[utoipa::path(get, path = "/audit/verification", tag = "Журнал", summary = "Результат последней проверки цепочки журнала", responses((status = 200, description = "`{verified_at, entries, intact, broken_id, reason}`", body = Object), crate::openapi::Refusals))]
async fn api_verification(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Json<Value>> {
    user.require(&[Role::Operator])?;
    let last = super::last_verification(&state.db).await?;
    Ok(Json(verification_json(last.as_ref())))
}

#[utoipa::path(post, path = "/audit/verification", tag = "Журнал", summary = "Проверить цепочку журнала сейчас", responses((status = 200, description = "`{verified_at, entries, intact, broken_id, reason}`", body = Object), crate::openapi::Refusals))]
async fn api_verify(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    user.require(&[Role::Operator])?;
    super::verify_and_record(&state.db, user.actor(), state.clock.now()).await?;
    let last = super::last_verification(&state.db).await?;
    Ok(Json(verification_json(last.as_ref())))
}

async fn web_verify(
    State(state): State<AppState>,
    Csrf(user, _): Csrf<NoFields>,
) -> AppResult<axum::response::Response> {
    user.require(&[Role::Operator])?;
    let v = super::verify_and_record(&state.db, user.actor(), state.clock.now()).await?;
    let flash = match &v.broken {
        None => Flash {
            kind: FlashKind::Success,
            text: format!("Журнал проверен: цепочка цела, записей — {}.", v.entries),
        },
        Some((id, b)) => Flash {
            kind: FlashKind::Error,
            text: format!(
                "Журнал проверен: цепочка нарушена на записи №{id} — {}.",
                b.title_ru()
            ),
        },
    };
    crate::web::flash_redirect(&state, &user, "/audit", flash).await
}

/// Partial: what the last verification of the chain found, and the button to run it.
fn verification_panel(
    user: &CurrentUser,
    last: Option<&crate::entities::audit_chain::Model>,
) -> Markup {
    html! {
        div.summary.verification {
            @match last {
                Some(c) if c.verified_at.is_some() => {
                    @if let Some(id) = c.broken_id {
                        span.badge.badge-err { "Цепочка нарушена" }
                        span { "на записи №" (id) ": " (c.broken_reason.as_deref().unwrap_or("")) }
                    } @else {
                        span.badge.badge-ok { "Цепочка цела" }
                    }
                    span.muted { "проверено " (c.verified_at.map(datetime_ru).unwrap_or_default()) ", записей: " (c.verified_entries.unwrap_or(0)) }
                }
                _ => { span.badge.badge-muted { "Ещё не проверялся" } }
            }
            form.inline method="post" action="/audit/verify" {
                (layout::csrf_field(user))
                button.secondary type="submit" { "Проверить журнал" }
            }
            span.muted { "Каждая запись журнала содержит хеш предыдущей: изменение, удаление или вставка записи в обход системы обнаруживается проверкой. Журнал проверяется автоматически раз в сутки." }
        }
    }
}

/// The journal's action groups a person filters by (prefixes of the action codes).
const ACTION_FILTERS: &[(&str, &str)] = &[
    ("auth.", "Вход и выход"),
    ("application.", "Заявления"),
    ("subscriber.", "Абоненты"),
    ("licence.", "Лицензии"),
    ("product.", "Продукты"),
    ("company_group.", "Группы компаний"),
    ("certificate.", "Сертификаты"),
    ("special_offer.", "Спецпредложения"),
    ("token.", "API-токены"),
    ("jobs.", "Запуски заданий"),
    ("seed.", "Справочники"),
];

const OBJECT_TYPES: &[&str] = &[
    "application",
    "subscriber",
    "licence",
    "product_account",
    "certificate",
    "revocation_request",
    "company_group",
    "user",
    "api_token",
];

#[derive(Deserialize, Default, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Filter {
    actor: Option<String>,
    action: Option<String>,
    object_type: Option<String>,
    object_id: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

impl Filter {
    fn query(&self) -> AppResult<JournalQuery> {
        let mut p = Params::new();
        let before_id = p.int::<i64>("before", self.before.as_deref(), 1, i64::MAX);
        let limit = p
            .int::<u64>("limit", self.limit.as_deref(), 1, 500)
            .unwrap_or(50);
        p.finish()?;
        Ok(JournalQuery {
            actor: self.actor.clone(),
            action: self.action.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            before_id,
            limit,
        })
    }
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(f): Query<Filter>,
) -> AppResult<Markup> {
    user.require(&[Role::Operator])?;
    let q = f.query()?;
    let (rows, more) = browse(&state.db, &q).await?;
    let people =
        crate::auth::people(&state.db, rows.iter().map(|r| r.actor_login.as_str())).await?;
    let tariffs: HashMap<String, String> = {
        use sea_orm::EntityTrait;
        crate::entities::tariff::Entity::find()
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.code, t.name))
            .collect()
    };
    let next = more.then(|| {
        let last = rows.last().map_or(0, |r| r.id);
        let keep = |k: &str, v: &Option<String>| {
            v.as_deref()
                .map(|v| format!("&{k}={}", urlencode(v)))
                .unwrap_or_default()
        };
        format!(
            "/audit?before={last}{}{}{}{}",
            keep("actor", &f.actor),
            keep("action", &f.action),
            keep("object_type", &f.object_type),
            keep("object_id", &f.object_id)
        )
    });
    let last = super::last_verification(&state.db).await?;
    Ok(layout::page(
        &user,
        "audit",
        "Журнал действий",
        html! {
            (verification_panel(&user, last.as_ref()))
            form.toolbar method="get" action="/audit" {
                label { "Пользователь" input type="text" name="actor" value=[f.actor.as_deref()]; }
                label { "Действие"
                    select name="action" {
                        option value="" { "— любое —" }
                        @for (code, title) in ACTION_FILTERS {
                            option value=(code) selected[f.action.as_deref() == Some(*code)] { (title) }
                        }
                    }
                }
                label { "Тип объекта"
                    select name="object_type" {
                        option value="" { "— любой —" }
                        @for code in OBJECT_TYPES {
                            option value=(code) selected[f.object_type.as_deref() == Some(*code)] { (object_type_title(code)) }
                        }
                    }
                }
                label { "Объект" input type="text" name="object_id" value=[f.object_id.as_deref()]; }
                button.primary type="submit" { "Найти" }
            }
            (table(&["Когда", "Кто", "Действие", "Объект", "Изменения"], rows.iter().map(|r| row(r, &people, &tariffs))))
            (keyset_pager(next, rows.len()))
        },
    ))
}

fn row(
    r: &audit_log::Model,
    people: &HashMap<String, String>,
    tariffs: &HashMap<String, String>,
) -> Markup {
    let object = html! {
        (object_type_title(&r.object_type)) " "
        @if let Some(href) = object_href(&r.object_type, &r.object_id) {
            a href=(href) { "№" (r.object_id) }
        } @else if r.object_id.chars().all(|c| c.is_ascii_digit()) {
            "№" (r.object_id)
        } @else if r.object_type == "login" {
            // What was typed at the login form.
            "«" (r.object_id) "»"
        }
    };
    html! { tr {
        td.nowrap { (datetime_ru(r.at)) }
        td { (actor_title(&r.actor_login, people.get(&r.actor_login).map(String::as_str))) }
        td { (action_title(&r.action)) }
        td { (object) }
        td { (changes(r.before.as_deref(), r.after.as_deref(), tariffs)) }
    } }
}

/// The before/after summaries as a small table of fields: what was, what became.
fn changes(before: Option<&str>, after: Option<&str>, tariffs: &HashMap<String, String>) -> Markup {
    let parse = |s: Option<&str>| -> serde_json::Map<String, Value> {
        s.and_then(|s| serde_json::from_str::<Value>(s).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
    };
    let (b, a) = (parse(before), parse(after));
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.retain(|k| k.as_str() != "version");
    if keys.is_empty() {
        return html! { span.muted { "—" } };
    }
    html! {
        table.changes {
            tr { th { "Поле" } th { "Было" } th { "Стало" } }
            @for k in keys {
                tr {
                    td { (journal_key_title(k)) }
                    td { (value_text(k, b.get(k), tariffs)) }
                    td { (value_text(k, a.get(k), tariffs)) }
                }
            }
        }
    }
}

fn value_text(key: &str, v: Option<&Value>, tariffs: &HashMap<String, String>) -> String {
    match v {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::Bool(true)) => "да".to_owned(),
        Some(Value::Bool(false)) => "нет".to_owned(),
        Some(Value::String(s)) if key == "state" || key == "to" || key == "from" => {
            state_title(s).to_owned()
        }
        Some(Value::String(s)) if key == "tariff" || key == "tariff_code" => {
            tariffs.get(s).cloned().unwrap_or_else(|| s.clone())
        }
        Some(Value::String(s)) => {
            journal_value_title(key, s).map_or_else(|| s.clone(), str::to_owned)
        }
        Some(other) => other.to_string(),
    }
}

/// A state code in a journal entry: an application's or a licence's.
fn state_title(code: &str) -> &str {
    if let Ok(s) = code.parse::<crate::applications::state::State>() {
        return s.title_ru();
    }
    let licence: Option<&'static str> = crate::tariffs::licence::LicenceState::ALL
        .into_iter()
        .find(|s| s.as_str() == code)
        .map(crate::tariffs::licence::LicenceState::title_ru);
    licence.unwrap_or(code)
}

#[utoipa::path(get, path = "/audit", tag = "Журнал", summary = "Журнал действий (оператор)", params(Filter), responses((status = 200, description = "`{items, more}`", body = Object), crate::openapi::Refusals))]
async fn api(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(f): Query<Filter>,
) -> AppResult<Json<Value>> {
    user.require(&[Role::Operator])?;
    let (rows, more) = browse(&state.db, &f.query()?).await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id, "at": r.at, "actor": r.actor_login, "action": r.action,
                "object_type": r.object_type, "object_id": r.object_id,
                "before": r.before.and_then(|s| serde_json::from_str::<Value>(&s).ok()),
                "after": r.after.and_then(|s| serde_json::from_str::<Value>(&s).ok()),
            })
        })
        .collect();
    Ok(Json(json!({ "items": items, "more": more })))
}
