//! The operator's journal browser and its API.

use crate::extract::Query;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{JournalQuery, browse};
use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::entities::audit_log;
use crate::error::AppResult;
use crate::params::Params;
use crate::web::components::{datetime_ru, keyset_pager, table};
use crate::web::{layout, urlencode};

pub fn web_routes() -> Router<AppState> {
    Router::new().route("/audit", get(page))
}

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/audit", get(api))
}

#[derive(Deserialize, Default, Serialize)]
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
    Ok(layout::page(
        &user,
        "audit",
        "Журнал действий",
        html! {
            form.toolbar method="get" action="/audit" {
                label { "Пользователь" input type="text" name="actor" value=[f.actor.as_deref()]; }
                label { "Действие (начало)" input type="text" name="action" value=[f.action.as_deref()] placeholder="auth."; }
                label { "Тип объекта" input type="text" name="object_type" value=[f.object_type.as_deref()]; }
                label { "Объект" input type="text" name="object_id" value=[f.object_id.as_deref()]; }
                button.primary type="submit" { "Найти" }
            }
            (table(&["Когда", "Кто", "Действие", "Объект", "Было", "Стало"], rows.iter().map(row)))
            (keyset_pager(next, rows.len()))
        },
    ))
}

fn row(r: &audit_log::Model) -> Markup {
    html! { tr {
        td { (datetime_ru(r.at)) }
        td { (r.actor_login) }
        td { code { (r.action) } }
        td { (r.object_type) " " (r.object_id) }
        td { small { (r.before.as_deref().unwrap_or("")) } }
        td { small { (r.after.as_deref().unwrap_or("")) } }
    } }
}

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
