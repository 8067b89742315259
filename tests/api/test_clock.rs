//! The test clock (interfaces.md "Time"): `serve --test-clock` lets the operator move the
//! one clock forward only; every job due up to the new instant runs before the answer;
//! without the flag both endpoints answer 404; pages show a banner.

use chrono::Duration;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

async fn with_test_clock() -> TestApp {
    TestApp::spawn_with(|c| c.test_clock = true).await
}

#[tokio::test]
async fn without_the_flag_the_test_clock_does_not_exist() {
    let app = TestApp::spawn().await;
    let operator = app.as_("operator");
    operator.get_problem("/test/clock", 404).await;
    let r = operator
        .send(
            Method::PUT,
            "/test/clock",
            Some(json!({"now": "2030-01-01T00:00:00Z"})),
        )
        .await;
    problem(r, 404).await;
    let b = app.signed_in("operator").await;
    assert!(
        !app.html(&b, "/applications")
            .await
            .contains("Тестовые часы")
    );
}

#[tokio::test]
async fn the_operator_reads_the_clock_and_others_may_not() {
    let app = with_test_clock().await;
    let now = app.as_("operator").get_ok("/test/clock").await;
    assert_eq!(now["now"], "2025-03-03T09:00:00Z");
    app.as_("p-klg-1").get_problem("/test/clock", 403).await;
    let r = app
        .as_("p-klg-1")
        .send(
            Method::PUT,
            "/test/clock",
            Some(json!({"now": "2030-01-01T00:00:00Z"})),
        )
        .await;
    problem(r, 403).await;
}

#[tokio::test]
async fn the_clock_moves_forward_only_and_names_the_time_it_shows() {
    let app = with_test_clock().await;
    let operator = app.as_("operator");
    let r = operator
        .send(
            Method::PUT,
            "/test/clock",
            Some(json!({"now": "2025-03-02T00:00:00Z"})),
        )
        .await;
    let p = problem(r, 422).await;
    assert_eq!(p["errors"][0]["field"], "now");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("только вперёд: сейчас 03.03.2025 12:00:00 (МСК)"),
        "{p}"
    );
    let r = operator
        .send(Method::PUT, "/test/clock", Some(json!({"now": "вчера"})))
        .await;
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "now");
    // An absurd year is refused, not run through every job.
    let r = operator
        .send(
            Method::PUT,
            "/test/clock",
            Some(json!({"now": "9999-12-31T23:59:59Z"})),
        )
        .await;
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "now");
    assert_eq!(
        operator.get_ok("/test/clock").await["now"],
        "2025-03-03T09:00:00Z"
    );
}

#[tokio::test]
async fn moving_the_clock_runs_the_jobs_due_before_answering() {
    let app = with_test_clock().await;
    let waiting = app.submit(&sample_application()).await;
    let mut doc = sample_application();
    doc["inn"] = json!("7707083893");
    doc["kpp"] = json!("770701001");
    let sent = app.submit(&doc).await;
    app.attach_required("p-klg-1", sent).await;
    app.act(
        "p-klg-1",
        &format!("/applications/{sent}/process"),
        json!({"option": "basic_1y"}),
    )
    .await;

    let operator = app.as_("operator");
    let r = operator
        .send(
            Method::PUT,
            "/test/clock",
            Some(json!({"now": "2025-04-02T09:00:00Z"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let moved: serde_json::Value = r.json().await.unwrap();
    assert_eq!(moved["now"], "2025-04-02T09:00:00Z");
    let processed = |job: &str| {
        moved["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["job"] == job)
            .map(|j| j["processed"].as_u64().unwrap())
    };
    assert_eq!(processed("auto_reject"), Some(1));
    assert_eq!(processed("ca_processing"), Some(1));
    // Done before the answer: the states have moved already.
    assert_eq!(
        app.application("operator", waiting).await["state"],
        "auto_rejected"
    );
    assert_eq!(
        app.application("operator", sent).await["state"],
        "awaiting_receipt"
    );
    // Every rule reads this clock: it keeps the new time.
    assert_eq!(
        operator.get_ok("/test/clock").await["now"],
        "2025-04-02T09:00:00Z"
    );
    app.advance(Duration::minutes(1));
    assert_eq!(
        operator.get_ok("/test/clock").await["now"],
        "2025-04-02T09:01:00Z"
    );
}

#[tokio::test]
async fn pages_show_a_banner_while_a_test_clock_is_in_use() {
    let app = with_test_clock().await;
    let b = app.signed_in("p-klg-1").await;
    let html = app.html(&b, "/applications").await;
    assert!(
        html.contains("Тестовые часы: <b>03.03.2025 12:00:00</b>"),
        "{html}"
    );
}
