//! The API's OpenAPI document, generated from the handlers (utoipa).
//!
//! Every API route is registered through `utoipa_axum`'s `routes!`, which takes the path
//! and method from the handler's `#[utoipa::path]` attribute: registering a route *is*
//! documenting it, so the router and `/api/v1/openapi.json` cannot drift apart. The
//! document also renders as the readable page `/api` (`web::api_page`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, Server};
use utoipa::{Modify, OpenApi as _};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// The refusals every operation may answer, as `application/problem+json`.
pub struct Refusals;

impl utoipa::IntoResponses for Refusals {
    fn responses() -> std::collections::BTreeMap<
        String,
        utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
    > {
        use utoipa::openapi::content::ContentBuilder;
        use utoipa::openapi::response::ResponseBuilder;
        use utoipa::openapi::schema::Ref;
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
                .into()
        };
        [
            ("401", "Нет или неверный API-токен"),
            ("403", "Роли вызывающего это действие недоступно"),
            (
                "404",
                "Объект не существует или принадлежит другой организации (её объекты всегда 404)",
            ),
            (
                "409",
                "Действие недоступно в текущем состоянии (`current_state`, `event`) или версия в If-Match устарела",
            ),
            (
                "422",
                "Данные не прошли проверку: `errors[]` называет каждое поле",
            ),
        ]
        .into_iter()
        .map(|(status, d)| (status.to_owned(), problem(d)))
        .collect()
    }
}

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("rg_…")
                    .description(Some(
                        "API-токен из `registrar token create --user LOGIN` (срок — 365 дней)",
                    ))
                    .build(),
            ),
        );
        doc.servers = Some(vec![Server::new("/api/v1")]);
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Регистратор 1С-Отчетности — API",
        description = "JSON API для программы 1С (приём заявлений и расписок), интеграций и автоматизации. \
            Ошибки — application/problem+json с `type`, `title`, `detail` на русском и `errors[]` по полям. \
            Объекты другой организации отвечают 404. Деньги — строки с двумя знаками (\"4900.00\"), даты — ISO 8601.",
        version = "1"
    ),
    modifiers(&Security),
    security(("bearer" = [])),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    tags(
        (name = "Заявления", description = "Приём из 1С, работа с заявлениями, документы"),
        (name = "Абоненты", description = "Карточки, контакты, направления, продукты"),
        (name = "Лицензии", description = "Блокировка, возобновление, отзыв"),
        (name = "Группы компаний"),
        (name = "Сертификаты", description = "Поиск и отзыв сертификатов"),
        (name = "Тарифы", description = "Расчёт стоимости, спецпредложения"),
        (name = "Сверка", description = "Ежемесячная сверка партнера: строки, одобрение, выгрузки"),
        (name = "Отчеты", description = "Аналитика: отчеты §16 в пределах организации вызывающего"),
        (name = "Справочники"),
        (name = "Журнал"),
        (name = "Задания"),
    )
)]
struct ApiDoc;

static DOC: std::sync::OnceLock<Arc<OpenApi>> = std::sync::OnceLock::new();

/// The API router of every module. The document describing it is built alongside, once
/// per process, and served at `/openapi.json`.
pub fn api() -> axum::Router<AppState> {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(utoipa_axum::routes!(openapi_json))
        .merge(crate::reference::routes::api_routes())
        .merge(crate::audit::routes::api_routes())
        .merge(crate::jobs::api_routes())
        .merge(crate::jobs::test_clock::api_routes())
        .merge(crate::applications::api::routes())
        .merge(crate::tariffs::routes::api_routes())
        .merge(crate::tariffs::calculator::routes::api_routes())
        .merge(crate::tariffs::permits::api_routes())
        .merge(crate::subscribers::api::routes())
        .merge(crate::subscribers::groups::api_routes())
        .merge(crate::subscribers::certificates::api_routes())
        .merge(crate::np8::routes::api_routes())
        .merge(crate::subscribers::cloud_signature::routes::api_routes())
        .merge(crate::reconciliation::api::routes())
        .merge(crate::reports::routes::api_routes())
        .split_for_parts();
    let _ = DOC.set(Arc::new(doc));
    router
}

/// The OpenAPI document of the API, as built with its router.
pub fn doc() -> Arc<OpenApi> {
    if DOC.get().is_none() {
        let _ = api();
    }
    DOC.get().cloned().unwrap_or_default()
}

/// This document (OpenAPI 3.1); no token needed.
#[utoipa::path(get, path = "/openapi.json", tag = "Справочники", summary = "Документ OpenAPI этого API",
    security(()), responses((status = 200, description = "Документ OpenAPI 3.1", body = Object)))]
async fn openapi_json(State(_state): State<AppState>) -> Json<Arc<OpenApi>> {
    Json(doc())
}

/// The API's answer for a path it does not have: 404 with its own problem type, so a
/// client (and the test that checks the document against the router) can tell "no such
/// route" from "no such object".
pub async fn no_route() -> axum::response::Response {
    crate::error::Problem {
        kind: "/problems/no-route".to_owned(),
        title: "Не найдено".to_owned(),
        status: 404,
        detail: "Такого адреса в API нет. Список операций — /api/v1/openapi.json.".to_owned(),
        errors: None,
        current_state: None,
        event: None,
        refusal: None,
    }
    .into_response_with(axum::http::StatusCode::NOT_FOUND)
}
