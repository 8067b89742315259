//! «API»: the OpenAPI document as a page people read — operations by section, their
//! parameters and request fields — rendered from the same document `/api/v1/openapi.json`
//! serves, so the page cannot say something the API does not do.

use axum::Router;
use axum::routing::get;
use maud::{Markup, html};
use serde_json::Value;

use super::layout;
use crate::AppState;
use crate::auth::CurrentUser;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api", get(page))
}

fn type_of(schema: &Value, components: &Value) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r);
        // An enumeration reads best as its values.
        let target = &components["schemas"][name];
        if target["enum"].is_array() {
            return type_of(target, components);
        }
        return name.to_owned();
    }
    if let Some(variants) = schema["oneOf"].as_array() {
        let names: Vec<String> = variants
            .iter()
            .map(|v| type_of(v, components))
            .filter(|t| t != "null")
            .collect();
        return names.join(" | ");
    }
    if let Some(values) = schema["enum"].as_array() {
        return values
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    let t = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "значение".to_owned(),
    };
    match (t.as_str(), schema["format"].as_str()) {
        ("array", _) => format!("[{}]", type_of(&schema["items"], components)),
        (t, Some(f)) => format!("{t} ({f})"),
        (t, None) => t.to_owned(),
    }
}

/// The fields of a request body schema: name (nested objects as `flags.bonus`, list
/// items as `directions[].code`), type, required, description.
fn fields(schema: &Value, components: &Value) -> Vec<(String, String, bool, String)> {
    let mut out = Vec::new();
    collect(schema, components, "", 0, &mut out);
    out
}

fn resolve<'a>(schema: &'a Value, components: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => &components["schemas"][r.rsplit('/').next().unwrap_or(r)],
        None => schema,
    }
}

/// The object schema behind a field, if it is one (through `$ref`, `oneOf` with null,
/// and array items).
fn object_behind<'a>(schema: &'a Value, components: &'a Value) -> Option<(&'a Value, bool)> {
    let s = resolve(schema, components);
    if s["properties"].is_object() {
        return Some((s, false));
    }
    if let Some(v) = s["oneOf"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["type"] != "null"))
    {
        return object_behind(v, components);
    }
    if s["type"] == "array"
        || s["type"]
            .as_array()
            .is_some_and(|t| t.contains(&Value::from("array")))
    {
        return object_behind(&s["items"], components).map(|(o, _)| (o, true));
    }
    None
}

fn collect(
    schema: &Value,
    components: &Value,
    prefix: &str,
    depth: usize,
    out: &mut Vec<(String, String, bool, String)>,
) {
    let resolved = resolve(schema, components);
    let required: Vec<&str> = resolved["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = resolved["properties"].as_object() else {
        return;
    };
    for (name, s) in props {
        let full = format!("{prefix}{name}");
        out.push((
            full.clone(),
            type_of(s, components),
            required.contains(&name.as_str()),
            s["description"].as_str().unwrap_or("").to_owned(),
        ));
        if depth < 2
            && let Some((inner, list)) = object_behind(s, components)
        {
            let p = if list {
                format!("{full}[].")
            } else {
                format!("{full}.")
            };
            collect(inner, components, &p, depth + 1, out);
        }
    }
}

/// Text with `code` in backticks, as the document's descriptions write it.
fn described(text: &str) -> Markup {
    html! {
        @for (i, part) in text.split('`').enumerate() {
            @if i % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

async fn page(user: CurrentUser) -> Markup {
    let doc = serde_json::to_value(crate::openapi::doc().as_ref()).unwrap_or_default();
    let components = &doc["components"];
    let tags: Vec<(String, String)> = doc["tags"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    (
                        t["name"].as_str().unwrap_or("").to_owned(),
                        t["description"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut operations: Vec<(String, String, String, &Value)> = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            if let Some(methods) = item.as_object() {
                for (method, op) in methods {
                    let tag = op["tags"][0].as_str().unwrap_or("").to_owned();
                    operations.push((tag, method.to_uppercase(), path.clone(), op));
                }
            }
        }
    }
    layout::page(
        &user,
        "api",
        "API для интеграций",
        html! {
            p {
                "JSON API по адресу " code { "/api/v1" } " для программы 1С (приём заявлений и расписок), интеграций и автоматизации. "
                "Вход — заголовок " code { "Authorization: Bearer rg_…" } " с API-токеном (его выпускает администратор командой " code { "registrar token create" } "). "
                "Ошибки — " code { "application/problem+json" } ": " code { "title" } " и " code { "detail" } " на русском, " code { "errors[]" } " называет поле. "
                "Объекты другой организации отвечают 404. Деньги — строки с двумя знаками, даты — ISO 8601."
            }
            p { a.button.secondary href="/api/v1/openapi.json" download="openapi.json" { "Скачать описание (OpenAPI 3.1)" } }
            nav.toc {
                @for (i, (name, _)) in tags.iter().enumerate() {
                    @if i > 0 { " · " }
                    a href={ "#tag-" (i) } { (name) }
                }
            }
            @for (i, (name, description)) in tags.iter().enumerate() {
                h2 id={ "tag-" (i) } { (name) }
                @if !description.is_empty() { p.muted { (description) } }
                @for (_, method, path, op) in operations.iter().filter(|o| &o.0 == name) {
                    div.operation {
                        h3 { code class={ "method method-" (method.to_lowercase()) } { (method) } " " code { (path) } }
                        p { (described(op["summary"].as_str().unwrap_or(""))) }
                        @if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
                            table.changes {
                                tr { th { "Параметр" } th { "Где" } th { "Тип" } th { "Описание" } }
                                @for p in params {
                                    tr {
                                        td { code { (p["name"].as_str().unwrap_or("")) } @if p["required"] == true { " *" } }
                                        td { (match p["in"].as_str().unwrap_or("") { "path" => "в адресе", "query" => "в строке запроса", "header" => "заголовок", _ => "" }) }
                                        td { code { (type_of(&p["schema"], components)) } }
                                        td { (described(p["description"].as_str().unwrap_or(""))) }
                                    }
                                }
                            }
                        }
                        @if let Some(content) = op["requestBody"]["content"].as_object() {
                            @for (content_type, media) in content {
                                p.muted { "Тело запроса: " code { (content_type) } @if let Some(d) = op["requestBody"]["description"].as_str() { " — " (described(d)) } }
                                @let fs = fields(&media["schema"], components);
                                @if !fs.is_empty() {
                                    table.changes {
                                        tr { th { "Поле" } th { "Тип" } }
                                        @for (name, ty, required, _) in fs {
                                            tr { td { code { (name) } @if required { " *" } } td { code { (ty) } } }
                                        }
                                    }
                                }
                            }
                        }
                        @if let Some(ok) = op["responses"].as_object().and_then(|r| r.iter().find(|(s, _)| s.starts_with('2'))) {
                            p.muted { "Ответ " (ok.0) ": " (described(ok.1["description"].as_str().unwrap_or(""))) }
                        }
                    }
                }
            }
            p.muted { "* — обязательный параметр или поле." }
        },
    )
}
