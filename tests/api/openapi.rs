//! The OpenAPI document: generated from the handlers, and in step with the router.

use serde_json::Value;

use crate::helpers::*;

async fn document(app: &TestApp) -> Value {
    let r = app.api_get(None, "/openapi.json").await;
    assert_eq!(r.status(), 200, "the document needs no token");
    r.json().await.unwrap()
}

#[tokio::test]
async fn the_document_lists_the_contracts_operations() {
    let app = TestApp::spawn().await;
    let d = document(&app).await;
    assert!(d["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(d["servers"][0]["url"], "/api/v1");
    assert!(d["components"]["securitySchemes"]["bearer"].is_object());
    let has = |method: &str, path: &str| d["paths"][path][method].is_object();
    for (method, path) in [
        ("post", "/applications"),
        ("get", "/applications"),
        ("get", "/applications/{id}"),
        ("post", "/applications/claim"),
        ("post", "/applications/{id}/claim"),
        ("post", "/applications/{id}/assign"),
        ("post", "/applications/{id}/delegate-identification"),
        ("post", "/applications/{id}/identification"),
        ("get", "/applications/{id}/its-check"),
        ("post", "/applications/{id}/process"),
        ("post", "/applications/{id}/reject"),
        ("post", "/applications/{id}/receipt"),
        ("put", "/applications/{id}/documents/{kind}"),
        ("get", "/applications/{id}/documents/{kind}"),
        ("get", "/subscribers"),
        ("get", "/subscribers/{id}"),
        ("post", "/licences/{id}/block"),
        ("post", "/licences/{id}/resume"),
        ("post", "/licences/{id}/revoke"),
        ("post", "/subscribers/{id}/detach-its"),
        ("post", "/sends"),
        ("post", "/company-groups"),
        ("get", "/company-groups/{id}"),
        ("post", "/company-groups/{id}/members"),
        ("delete", "/company-groups/{id}/members/{subscriber}"),
        ("post", "/pricing/quote"),
        ("get", "/reconciliations"),
        ("get", "/reconciliations/{partner_code}/{period}"),
        ("post", "/up-transactions"),
        ("get", "/openapi.json"),
        ("post", "/jobs/run"),
        ("get", "/np8-licences"),
        ("post", "/np8-licences"),
        ("post", "/np8-licences/{id}/pin"),
        ("post", "/cloud-signatures/{id}/events"),
        ("post", "/subscribers/{id}/connect-lk"),
        ("get", "/certificates/{id}/export.zip"),
    ] {
        assert!(has(method, path), "{method} {path} is documented");
    }
    // Request bodies come from the handlers' types: the intake document names its fields.
    let intake = &d["components"]["schemas"]["IntakeDocument"]["properties"];
    for field in [
        "partner_code",
        "inn",
        "kpp",
        "owner",
        "directions",
        "product_guid",
    ] {
        assert!(intake[field].is_object(), "IntakeDocument.{field}");
    }
    assert!(d["components"]["schemas"]["Problem"]["properties"]["errors"].is_object());
    // Codes are the wire's (a client generated from the document sends `basic_1y`, not
    // the Rust variant `Basic1y`).
    let schemas = &d["components"]["schemas"];
    assert_eq!(schemas["ConnectionOption"]["enum"][0], "basic_1y");
    assert_eq!(schemas["Category"]["enum"][0], "taxpayer");
    assert_eq!(schemas["Authority"]["enum"][0], "fns");
    assert_eq!(
        schemas["Basis"]["enum"],
        serde_json::json!(["paid", "its_prof"])
    );
    assert_eq!(schemas["AccountState"]["enum"][0], "qr_issued");
}

/// Every documented operation exists in the router: called with placeholder parameters,
/// none answers the router's own "no such route" (404 `/problems/no-route`) or 405.
/// The other direction holds by construction: API routes are registered only through
/// `utoipa_axum::routes!`, which takes them from the handlers' documentation.
#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = TestApp::spawn().await;
    let d = document(&app).await;
    let token = app.token("operator").await;
    let mut checked = 0;
    for (path, item) in d["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let concrete = path
                .replace("{id}", "999999")
                .replace("{kind}", "other")
                .replace("{usage}", "fns_requirements")
                .replace("{code}", "p-klg-1")
                .replace("{year}", "2025")
                .replace("{direction}", "1")
                .replace("{subscriber}", "1");
            let r = reqwest::Client::new()
                .request(
                    method.to_uppercase().parse().unwrap(),
                    app.url(&format!("/api/v1{concrete}")),
                )
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or_default();
            assert_ne!(status, 405, "{method} {path}");
            assert_ne!(body["type"], "/problems/no-route", "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked} operations");
    // And a path that is not in the document is the router's own 404.
    let r = app.api_get(Some(&token), "/no-such-thing").await;
    assert_eq!(problem(r, 404).await["type"], "/problems/no-route");
}

#[tokio::test]
async fn the_api_page_renders_the_document_in_russian() {
    let app = TestApp::spawn().await;
    let b = app.signed_in("p-klg-1").await;
    let html = app.html(&b, "/api").await;
    for text in [
        "API для интеграций",
        "Заявления",
        "/applications/{id}/process",
        "Отправить в обработку с вариантом подключения и флагами тарифа",
        "special_offer_code",
        "/api/v1/openapi.json",
    ] {
        assert!(html.contains(text), "{text}");
    }
}
