//! The tamper-evident journal: every row carries the previous row's hash; a changed,
//! removed or inserted row is found by `registrar audit verify`, the operator's page and
//! the API, on SQLite and PostgreSQL alike.

use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::*;

async fn verification(app: &TestApp) -> Value {
    let token = app.token("operator").await;
    verify_with(app, &token).await
}

async fn verify_with(app: &TestApp, token: &str) -> Value {
    let r = app.api_post(Some(token), "/audit/verification").await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn sql(app: &TestApp, statement: &str) {
    app.sql(statement).await;
}

/// Some journal rows: an application taken through a few steps.
async fn some_history(app: &TestApp) -> i64 {
    let id = app.submit(&sample_application()).await;
    app.act(
        "p-klg-1",
        &format!("/applications/{id}/reject"),
        json!({"reason": "Проверка журнала"}),
    )
    .await;
    id
}

async fn row_ids(app: &TestApp) -> Vec<i64> {
    use registrar::entities::audit_log;
    use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
    audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::Id)
        .order_by_asc(audit_log::Column::Id)
        .into_tuple::<i64>()
        .all(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_fresh_journal_verifies_intact() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    let v = verification(&app).await;
    assert_eq!(v["intact"], true, "{v}");
    assert!(v["entries"].as_i64().unwrap() > 10);
}

#[tokio::test]
async fn an_edited_row_is_named() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    let ids = row_ids(&app).await;
    let victim = ids[ids.len() / 2];
    sql(
        &app,
        &format!("UPDATE audit_log SET after = '{{\"state\":\"registered\"}}' WHERE id = {victim}"),
    )
    .await;
    let v = verification(&app).await;
    assert_eq!(v["intact"], false);
    assert_eq!(v["broken_id"], victim);
    assert!(v["reason"].as_str().unwrap().contains("изменено"), "{v}");
}

#[tokio::test]
async fn a_removed_row_breaks_the_link_of_the_next() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    let ids = row_ids(&app).await;
    sql(
        &app,
        &format!("DELETE FROM audit_log WHERE id = {}", ids[5]),
    )
    .await;
    let v = verification(&app).await;
    assert_eq!(v["broken_id"], ids[6], "{v}");
    assert!(v["reason"].as_str().unwrap().contains("удалена"));
}

#[tokio::test]
async fn removing_the_last_rows_is_found_too() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    let token = app.token("operator").await;
    let ids = row_ids(&app).await;
    sql(
        &app,
        &format!("DELETE FROM audit_log WHERE id >= {}", ids[ids.len() - 3]),
    )
    .await;
    let v = verify_with(&app, &token).await;
    assert_eq!(v["intact"], false, "{v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("последние записи удалены"),
        "{v}"
    );
    // The next write after such a removal does not continue the chain either.
    let v = verify_with(&app, &token).await;
    assert_eq!(v["intact"], false, "{v}");
}

/// On PostgreSQL the database hashes the rows it appends (`audit_append`); the product
/// verifies them with its own hash. Text a JSON encoder escapes — quotes, backslashes,
/// control characters, letters outside ASCII, emoji — must hash the same on both sides,
/// in writes of one row and of several; a job's hundreds of rows are hashed by the
/// program, and the chain runs on across both ways.
#[tokio::test]
async fn awkward_text_is_hashed_as_the_verifier_hashes_it() {
    use registrar::audit::{Actor, Change, Write};
    let app = TestApp::spawn().await;
    let awkward = [
        "кавычки «ёлки» \"двойные\" и 'одинарные'",
        "обратная \\ косая, /слэш/, \u{7f}DEL",
        "строки\nс\rпереводами\tи табуляцией \u{8}\u{c}\u{1}\u{1f}",
        "эмодзи 🧾 и иероглифы 登録, суррогаты \u{10FFFF}",
        "",
        "{\"json\": [1, 2.5, null, true]}",
    ];
    let mut w = Write::begin(
        &app.state.db,
        Actor::system("проверка «журнала»\n"),
        app.clock_now(),
    )
    .await
    .unwrap();
    for (i, text) in awkward.iter().enumerate() {
        w.record(
            Change::new(&format!("test.awkward_{i}"), "test", text)
                .before(json!({ "text": text, "n": i }))
                .after(json!(text)),
        );
    }
    w.record(Change::new("test.nothing", "test", "—"));
    w.commit().await.unwrap();
    // A job's many rows take the program's way; the chain runs on across both.
    let mut w = Write::begin(&app.state.db, Actor::system("jobs"), app.clock_now())
        .await
        .unwrap();
    for i in 0..150 {
        let text = awkward[i % awkward.len()];
        w.record(Change::new("test.many", "test_many", i).after(json!({ "text": text })));
    }
    w.commit().await.unwrap();
    for text in awkward {
        let mut w = Write::begin(&app.state.db, Actor::user(1, text), app.clock_now())
            .await
            .unwrap();
        w.record(Change::new(text, text, text).after(json!([text])));
        w.commit().await.unwrap();
    }
    let v = verification(&app).await;
    assert_eq!(v["intact"], true, "{v}");
    // And the rows hold the text as it was given.
    use registrar::entities::audit_log;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let stored: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::ObjectType.eq("test"))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.object_id)
        .collect();
    assert_eq!(stored[..awkward.len()], awkward.map(str::to_owned));
}

#[tokio::test]
async fn concurrent_writers_leave_one_unbroken_chain() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 0..10 {
        let mut doc = sample_application();
        doc["short_name"] = json!(format!("ООО «Поток {i}»"));
        ids.push(app.submit(&doc).await);
    }
    let token = std::sync::Arc::new(app.token("p-klg-1").await);
    let mut tasks = Vec::new();
    for (n, id) in ids.iter().cycle().take(30).enumerate() {
        let (t, url) = (
            token.clone(),
            app.url(&format!("/api/v1/applications/{id}/reject")),
        );
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(t.as_str())
                .json(&json!({"reason": format!("Параллельно {n}")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        let s = t.await.unwrap();
        assert!(s == 200 || s == 409, "{s}");
    }
    let v = verification(&app).await;
    assert_eq!(v["intact"], true, "{v}");
}

#[tokio::test]
async fn the_operator_sees_the_state_and_checks_the_journal_from_its_page() {
    let app = TestApp::spawn().await;
    let b = app.signed_in("operator").await;
    let html = app.html(&b, "/audit").await;
    assert!(html.contains("Ещё не проверялся"));
    let csrf = csrf_in(&html).unwrap();
    let r = b
        .post(app.url("/audit/verify"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/audit");
    let html = app.html(&b, "/audit").await;
    assert!(html.contains("Журнал проверен: цепочка цела"), "{html}");
    assert!(html.contains("Цепочка цела"));
    // Others may not.
    let p = app.signed_in("p-klg-1").await;
    let csrf = csrf_in(&app.html(&p, "/applications").await).unwrap();
    let r = p
        .post(app.url("/audit/verify"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn the_command_line_exits_non_zero_and_names_the_broken_row() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    let db = app.state.config.database_url.clone();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_registrar"))
            .args(["audit", "verify"])
            .env("DATABASE_URL", &db)
            .env("RUST_LOG", "error")
            .output()
            .unwrap()
    };
    let ok = run();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("journal intact: "));
    let ids = row_ids(&app).await;
    let victim = ids[3];
    sql(
        &app,
        &format!("UPDATE audit_log SET actor_login = 'someone-else' WHERE id = {victim}"),
    )
    .await;
    let bad = run();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains(&format!("journal broken at entry {victim} (changed)")),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1);
}
