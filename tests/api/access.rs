//! Who may see and do what: navigation by role, tokens, and the problem+json shapes.

use crate::helpers::*;

#[tokio::test]
async fn each_role_sees_its_own_navigation() {
    let app = TestApp::spawn().await;
    let cases: [(&str, &[&str], &[&str]); 4] = [
        (
            "p-msk-1",
            &["Заявки", "Абоненты", "Финансы", "Аналитика"],
            &["Распределение", "Журнал действий"],
        ),
        (
            "sc-klg",
            &[
                "Заявки",
                "Распределение",
                "Абоненты",
                "Финансы",
                "Аналитика",
            ],
            &["Журнал действий"],
        ),
        (
            "ic-3",
            &["Очередь идентификации"],
            &["Заявки", "Абоненты", "Финансы"],
        ),
        (
            "operator",
            // The navigation offers what the operator's permissions open.
            &["Заявки", "Абоненты", "Справочники", "Журнал действий"],
            &["Распределение", "Финансы"],
        ),
    ];
    for (login, present, absent) in cases {
        let b = app.signed_in(login).await;
        let html = app.html(&b, "/").await;
        let nav = &html[html.find("<nav").unwrap()..html.find("</nav>").unwrap()];
        for p in present {
            assert!(nav.contains(&format!(">{p}<")), "{login} should see {p}");
        }
        for a in absent {
            assert!(
                !nav.contains(&format!(">{a}<")),
                "{login} should not see {a}"
            );
        }
    }
}

#[tokio::test]
async fn a_section_of_another_role_is_forbidden_with_a_russian_page() {
    let app = TestApp::spawn().await;
    let b = app.signed_in("p-msk-1").await;
    for path in ["/distribution", "/audit"] {
        let r = b.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains("Доступ запрещён"), "{path}");
    }
}

#[tokio::test]
async fn unknown_pages_get_a_russian_404_page() {
    let app = TestApp::spawn().await;
    let b = app.signed_in("p-msk-1").await;
    let r = b.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().await.unwrap().contains("Не найдено"));
}

#[tokio::test]
async fn the_api_wants_a_valid_bearer_token() {
    let app = TestApp::spawn().await;
    let body = problem(app.api_get(None, "/me").await, 401).await;
    assert_eq!(body["type"], "/problems/unauthenticated");
    problem(app.api_get(Some("rg_0000"), "/me").await, 401).await;
    problem(app.api_get(Some("not-even-a-token"), "/me").await, 401).await;

    let token = app.token("sc-msk").await;
    assert!(token.starts_with("rg_"));
    let me: serde_json::Value = app.api_get(Some(&token), "/me").await.json().await.unwrap();
    assert_eq!(me["login"], "sc-msk");
    assert_eq!(me["role"], "sales_center");
    assert_eq!(me["organisation"], "Центр продаж «Подмосковье»");
}

#[tokio::test]
async fn a_session_cookie_does_not_open_the_api() {
    let app = TestApp::spawn().await;
    let b = app.signed_in("operator").await;
    let r = b.get(app.url("/api/v1/me")).send().await.unwrap();
    problem(r, 401).await;
}

#[tokio::test]
async fn tokens_are_stored_hashed() {
    let app = TestApp::spawn().await;
    let token = app.token("p-msk-1").await;
    use sea_orm::EntityTrait;
    let rows = registrar::entities::api_token::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].token_hash, token);
    assert!(!rows[0].token_hash.contains(&token[3..]));
    assert_eq!(rows[0].token_hash.len(), 64);
}

#[tokio::test]
async fn a_role_that_may_not_act_gets_403() {
    let app = TestApp::spawn().await;
    let token = app.token("p-msk-1").await;
    let body = problem(app.api_post(Some(&token), "/jobs/run").await, 403).await;
    assert_eq!(body["type"], "/problems/forbidden");
    problem(app.api_get(Some(&token), "/audit").await, 403).await;
}

#[tokio::test]
async fn another_partners_object_is_not_found_not_forbidden() {
    let app = TestApp::spawn().await;
    let token = app.token("p-msk-1").await;
    let own: serde_json::Value = app
        .api_get(Some(&token), "/partners/p-msk-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["name"], "ООО «Бухсофт Подольск»");
    let body = problem(app.api_get(Some(&token), "/partners/p-msk-2").await, 404).await;
    assert_eq!(body["type"], "/problems/not-found");
    // The same answer as for something that does not exist at all.
    let missing = problem(app.api_get(Some(&token), "/partners/p-nowhere").await, 404).await;
    assert_eq!(body, missing);
}

#[tokio::test]
async fn each_scope_lists_only_its_partners() {
    let app = TestApp::spawn().await;
    let codes = |v: serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"].as_str().unwrap().to_owned())
            .collect()
    };
    for (login, expected) in [
        (
            "operator",
            vec![
                "p-klg-1", "p-klg-2", "p-klg-3", "p-msk-1", "p-msk-2", "p-msk-3",
            ],
        ),
        ("sc-msk", vec!["p-msk-1", "p-msk-2", "p-msk-3"]),
        ("sc-klg", vec!["p-klg-1", "p-klg-2", "p-klg-3"]),
        ("p-klg-2", vec!["p-klg-2"]),
        ("ic-1", vec![]),
        ("intake", vec![]),
    ] {
        let token = app.token(login).await;
        let body = app
            .api_get(Some(&token), "/partners")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(codes(body), expected, "{login}");
    }
    // The web page agrees with the API.
    let html = app
        .html(&app.signed_in("sc-klg").await, "/reference/partners")
        .await;
    assert!(html.contains("ООО «Калуга-Софт»"));
    assert!(!html.contains("Бухсофт"));
}

#[tokio::test]
async fn invalid_parameters_get_422_naming_each_field() {
    let app = TestApp::spawn().await;
    let token = app.token("operator").await;
    let body = problem(
        app.api_get(Some(&token), "/tariffs?zone=7&date=31.12.2025")
            .await,
        422,
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["zone", "date"]);

    let body = problem(
        app.api_post(Some(&token), "/jobs/run?as_of=yesterday")
            .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "as_of");
}

#[tokio::test]
async fn unknown_api_paths_are_problem_404s() {
    let app = TestApp::spawn().await;
    let token = app.token("operator").await;
    problem(app.api_get(Some(&token), "/no-such-thing").await, 404).await;
}

#[tokio::test]
async fn the_operator_runs_jobs_through_the_api() {
    let app = TestApp::spawn().await;
    let token = app.token("operator").await;
    let r = app
        .api_post(Some(&token), "/jobs/run?as_of=2025-03-03T09:04:00Z")
        .await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["as_of"], "2025-03-03T09:04:00Z");
    let jobs: Vec<&str> = body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job"].as_str().unwrap())
        .collect();
    assert_eq!(
        jobs,
        vec![
            "auto_reject",
            "identification_no_show",
            "distribution",
            "deferred_its",
            "ca_processing",
            "certificate_revocations",
            "audit_verify",
            "sessions",
            "reconciliation_notices",
            "outbox"
        ]
    );
}

#[tokio::test]
async fn the_operator_browses_the_journal_page() {
    let app = TestApp::spawn().await;
    let b = app.signed_in("operator").await;
    let html = app.html(&b, "/audit?action=seed").await;
    assert!(html.contains("Загрузка справочников"));
    assert!(html.contains("Система: загрузка справочников"));
    assert!(!html.contains("Вход в систему<"), "filtered by action");
    // Codes and raw JSON stay out of the page: the changes are a table of fields.
    let html = app.html(&b, "/audit").await;
    for code in ["seed.sync", "system:", "auth.login", "{\"", "&quot;"] {
        assert!(!html.contains(code), "{code} on the journal page");
    }
    assert!(html.contains("<table class=\"changes\">"));
}

#[tokio::test]
async fn every_role_reads_the_help_page_with_the_deadlines_the_product_keeps() {
    let app = TestApp::spawn().await;
    for login in ["p-klg-1", "sc-klg", "ic-1", "operator"] {
        let b = app.signed_in(login).await;
        let html = app.html(&b, "/help").await;
        for text in [
            "Распределение",
            "Ожидание расписки",
            "30 календарных дней",
            "10 рабочих дней",
            "2 дня",
            "3 рабочих дня",
            "не было рассмотрено в течение 30 дней",
        ] {
            assert!(html.contains(text), "{login}: {text}");
        }
    }
}

#[tokio::test]
async fn every_refusal_is_a_russian_page_in_the_ui_and_problem_json_in_the_api() {
    let app = TestApp::spawn().await;
    let b = app.signed_in("p-klg-1").await;
    let page = |path: &'static str| {
        let b = b.clone();
        let url = app.url(path);
        async move {
            let r = b.get(url).send().await.unwrap();
            let status = r.status().as_u16();
            let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
            (status, ct, r.text().await.unwrap())
        }
    };
    // A path id that is not an id, a malformed parameter, a cleared number field.
    let (s, ct, html) = page("/applications/abc").await;
    assert_eq!((s, ct.starts_with("text/html")), (404, true));
    assert!(html.contains("Не найдено") && !html.contains("Invalid URL"));
    let (s, _, html) = page("/applications?page=abc").await;
    assert_eq!(s, 422);
    assert!(
        html.contains("Страница") && html.contains("ожидается целое число"),
        "{html}"
    );
    assert!(!html.contains("Failed to deserialize"));
    let (s, _, html) = page("/reference/calculator?item=paid_licence&organisations=").await;
    assert_eq!(s, 200, "an empty field is simply not given");
    assert!(!html.contains("Failed"));
    // A method the path does not take.
    let r = b.delete(app.url("/help")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let html = r.text().await.unwrap();
    assert!(html.contains("Действие недоступно"), "{html}");

    let token = app.token("p-klg-1").await;
    problem(app.api_get(Some(&token), "/applications/abc").await, 404).await;
    let body = problem(
        app.api_get(Some(&token), "/applications?page=abc").await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "page");
    let r = app
        .api_json(&token, reqwest::Method::DELETE, "/me", None)
        .await;
    let body = problem(r, 405).await;
    assert_eq!(body["title"], "Действие недоступно");
}
