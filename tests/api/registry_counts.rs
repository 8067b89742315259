//! The registry's counts and the sales center's scope are kept by the database (issue
//! 11): after intake, claims, assignment, rejections, the time rules and a partner moving
//! to another sales center, the kept counts equal a `COUNT(*)` of the rows, every
//! application carries the sales center that sees it, and the folders' tabs say so.

use chrono::Duration;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::helpers::*;

async fn rows(app: &TestApp, sql: &str) -> Vec<(i64, i64, String, i64)> {
    let db = &app.state.db;
    let mut out: Vec<(i64, i64, String, i64)> = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.try_get_by_index::<i64>(0).unwrap(),
                r.try_get_by_index::<i64>(1).unwrap(),
                r.try_get_by_index::<String>(2).unwrap(),
                r.try_get_by_index::<i64>(3).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The kept counts against the rows, and each row's sales center against its partner's
/// or its region's.
async fn consistent(app: &TestApp) {
    let counted = rows(
        app,
        "SELECT CAST(COALESCE(partner_id, 0) AS BIGINT), CAST(COALESCE(sales_center_id, 0) AS BIGINT), k, CAST(COUNT(*) AS BIGINT) \
         FROM (SELECT partner_id, sales_center_id, \
                 CASE WHEN state = 'submitted' AND distributed_at IS NOT NULL THEN 'distributed' ELSE state END AS k \
               FROM applications) a \
         GROUP BY COALESCE(partner_id, 0), COALESCE(sales_center_id, 0), k",
    )
    .await;
    let kept = rows(
        app,
        "SELECT CAST(partner_id AS BIGINT), CAST(sales_center_id AS BIGINT), state, n FROM application_counts WHERE n <> 0",
    )
    .await;
    assert_eq!(kept, counted, "kept counts vs rows");
    let wrong = rows(
        app,
        "SELECT CAST(a.id AS BIGINT), CAST(COALESCE(a.sales_center_id, 0) AS BIGINT), a.state, CAST(0 AS BIGINT) FROM applications a \
         LEFT JOIN partners p ON p.id = a.partner_id \
         WHERE COALESCE(a.sales_center_id, 0) <> COALESCE(p.sales_center_id, (SELECT MIN(sc.id) FROM sales_centers sc WHERE sc.region_code = a.region_code), 0)",
    )
    .await;
    assert!(
        wrong.is_empty(),
        "applications with the wrong sales center: {wrong:?}"
    );
}

#[tokio::test]
async fn the_kept_counts_follow_every_move() {
    let app = TestApp::spawn().await;
    // Claimed at intake, unclaimed in Kaluga (sc-klg's region), unclaimed in Samara (no
    // sales center of its own).
    let mut ids = Vec::new();
    for (partner, inn, region) in [
        (Some("p-klg-1"), "4027291410", "40"),
        (Some("p-klg-2"), "7707083893", "40"),
        (None, "4025442625", "40"),
        (None, "4024011792", "40"),
        (None, "6316031581", "63"),
    ] {
        let mut doc = sample_application();
        doc["partner_code"] = json!(partner);
        doc["inn"] = json!(inn);
        doc["region_code"] = json!(region);
        ids.push(app.submit(&doc).await);
    }
    consistent(&app).await;
    let sc = app.as_("sc-klg");
    let before = sc.get_ok("/applications?folder=accepted").await;

    // A partner rejects its own, the sales center assigns an unclaimed one after the
    // distribution job, the time rule rejects what is left untouched.
    app.act(
        "p-klg-1",
        &format!("/applications/{}/reject", ids[0]),
        json!({"reason": "Дубль"}),
    )
    .await;
    app.advance(Duration::days(3));
    app.run_jobs().await;
    // The distribution job moved the two unclaimed Kaluga applications into
    // «Распределение»: counted there (kept as `distributed`), listed there.
    consistent(&app).await;
    let distribution = sc.get_ok("/applications?folder=distribution").await;
    assert_eq!(distribution["total"].as_i64(), Some(2), "{distribution}");
    assert_eq!(distribution["items"].as_array().unwrap().len(), 2);
    let page = app.signed_in("sc-klg").await;
    let html = app.html(&page, "/applications?folder=distribution").await;
    assert!(
        html.contains("Распределение <span class=\"count\">2</span>"),
        "the tab's count: {html}"
    );
    app.act(
        "sc-klg",
        &format!("/applications/{}/assign", ids[2]),
        json!({"partner_code": "p-klg-3"}),
    )
    .await;
    consistent(&app).await;
    let after = sc.get_ok("/applications?folder=accepted").await;
    // Each line names its partner (the codes of the partners on the page are loaded).
    let items = after["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for item in items {
        assert!(
            item["partner_code"]
                .as_str()
                .is_some_and(|c| c.starts_with("p-klg-")),
            "{item}"
        );
    }
    let html = app.html(&page, "/applications?folder=accepted").await;
    assert!(html.contains("<td>p-klg-2</td>"), "{html}");
    assert!(html.contains("<td>p-klg-3</td>"), "{html}");
    assert_eq!(
        after["total"].as_i64().unwrap(),
        before["total"].as_i64().unwrap(),
        "one left Принятые (rejected), one came (assigned)"
    );
    app.advance(Duration::days(31));
    app.run_jobs().await;
    consistent(&app).await;
    let rejected = sc.get_ok("/applications?folder=rejected").await;
    assert_eq!(
        rejected["total"].as_i64().unwrap(),
        rejected["items"].as_array().unwrap().len() as i64
    );

    // The API's list without a folder totals the scope's kept counts: the same as the rows.
    for login in ["p-klg-1", "sc-klg", "operator"] {
        let list = app.as_(login).get_ok("/applications?per_page=200").await;
        assert_eq!(
            list["total"].as_i64().unwrap(),
            list["items"].as_array().unwrap().len() as i64,
            "{login}"
        );
    }

    // A partner moves to the other sales center: its applications go with it.
    app.sql("UPDATE partners SET sales_center_id = (SELECT id FROM sales_centers WHERE code = 'sc-msk') WHERE code = 'p-klg-2'")
        .await;
    consistent(&app).await;
    let msk = app
        .as_("sc-msk")
        .get_ok("/applications?folder=rejected")
        .await;
    assert!(
        msk["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == ids[1]),
        "{msk}"
    );
}

/// Search looks through every folder (issue 11 item 2): a client whose only application
/// was rejected is found from the default tab, which says where; case and ё do not
/// matter; the tabs count the matches.
#[tokio::test]
async fn a_search_finds_a_client_in_any_folder() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["short_name"] = json!("ООО \"Зелёная Поляна\"");
    doc["inn"] = json!("7707083893");
    doc["kpp"] = json!("770701001");
    let id = app.submit(&doc).await;
    app.submit(&sample_application()).await;
    app.act(
        "p-klg-1",
        &format!("/applications/{id}/reject"),
        json!({"reason": "Дубль"}),
    )
    .await;
    let b = app.signed_in("p-klg-1").await;
    // The quotes of the name are part of it (a phrase of the search index escapes them).
    for q in [
        "зеленая",
        "ЗЕЛЁНАЯ%20поляна",
        "%22зеленая%20поляна%22",
        "770708",
        // The whole ИНН, and a КПП prefix: index ranges, bounded by the next prefix.
        "7707083893",
        "770701",
    ] {
        let page = app.html(&b, &format!("/applications?q={q}")).await;
        assert!(
            page.contains("В папке «Принятые» совпадений нет. Найдено:"),
            "{q}: {page}"
        );
        assert!(page.contains("Отклонённые (1)"), "{q}");
        let rejected = app
            .html(&b, &format!("/applications?folder=rejected&q={q}"))
            .await;
        assert!(rejected.contains("Зелёная Поляна"), "{q}");
    }
    // A search matching in two folders: each folder lists its own matches (the page
    // looks up the ids the tabs' search found), the tabs count them.
    let accepted = app.html(&b, "/applications?folder=accepted&q=ооо").await;
    assert!(
        accepted.contains("ООО &quot;Ромашка&quot;") || accepted.contains("ООО \"Ромашка\""),
        "{accepted}"
    );
    assert!(!accepted.contains("Зелёная Поляна"));
    assert!(
        accepted.contains("Принятые <span class=\"count\">1</span>"),
        "{accepted}"
    );
    assert!(
        accepted.contains("Отклонённые <span class=\"count\">1</span>"),
        "{accepted}"
    );
    let rejected = app.html(&b, "/applications?folder=rejected&q=ооо").await;
    assert!(rejected.contains("Зелёная Поляна"));
    assert!(!rejected.contains("Ромашка"));
    // A pattern character is a character like any other.
    let page = app
        .html(&b, "/applications?folder=rejected&q=поляна%25")
        .await;
    assert!(!page.contains("Зелёная Поляна"));
    // Digits past the prefix's range are not a match: the ИНН one more, and longer.
    for q in ["7707083894", "77070838930", "770702"] {
        let page = app
            .html(&b, &format!("/applications?folder=rejected&q={q}"))
            .await;
        assert!(!page.contains("Зелёная Поляна"), "{q}");
    }
    // Two letters: no index, the same answer.
    let page = app.html(&b, "/applications?folder=rejected&q=ол").await;
    assert!(page.contains("Зелёная Поляна"));
    // Another partner's client is not found.
    let other = app.signed_in("p-klg-2").await;
    let page = app
        .html(&other, "/applications?folder=rejected&q=поляна")
        .await;
    assert!(!page.contains("Зелёная Поляна"));
}

/// Each role's subscribers' total over the API beside a `COUNT(*)` of the rows it sees.
async fn subscriber_totals(app: &TestApp) -> Vec<(String, i64, i64)> {
    let of_partner = |code: &str| {
        format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM subscribers WHERE partner_id = \
             (SELECT id FROM partners WHERE code = '{code}')"
        )
    };
    let expected = [
        ("p-klg-1", of_partner("p-klg-1")),
        ("p-klg-2", of_partner("p-klg-2")),
        (
            "sc-klg",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM subscribers s JOIN partners p ON p.id = s.partner_id \
             JOIN sales_centers c ON c.id = p.sales_center_id WHERE c.code = 'sc-klg'"
                .to_owned(),
        ),
        (
            "operator",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM subscribers".to_owned(),
        ),
    ];
    let mut out = Vec::new();
    for (login, sql) in expected {
        let token = app.token(login).await;
        let list: serde_json::Value = app
            .api_get(Some(&token), "/subscribers")
            .await
            .json()
            .await
            .unwrap();
        out.push((
            login.to_owned(),
            list["total"].as_i64().unwrap(),
            app.sql_number(&sql).await,
        ));
    }
    out
}

#[tokio::test]
async fn the_subscribers_total_is_kept_through_registration_and_moves() {
    let app = TestApp::spawn().await;
    let before = subscriber_totals(&app).await;
    for (login, kept, counted) in &before {
        assert_eq!(kept, counted, "{login}: {before:?}");
    }
    // A registration adds one to its partner, its sales center and the operator.
    let sub = app.registered_subscriber().await;
    let after = subscriber_totals(&app).await;
    for ((login, kept, counted), (_, was, _)) in after.iter().zip(&before) {
        assert_eq!(kept, counted, "{login}: {after:?}");
        let grew = if login == "p-klg-2" { 0 } else { 1 };
        assert_eq!(*kept, was + grew, "{login}: {before:?} → {after:?}");
    }
    // The subscriber moves to another partner of the same sales center.
    app.sql(&format!(
        "UPDATE subscribers SET partner_id = (SELECT id FROM partners WHERE code = 'p-klg-2') \
         WHERE id = {}",
        sub["id"]
    ))
    .await;
    let moved = subscriber_totals(&app).await;
    for ((login, kept, counted), (_, was, _)) in moved.iter().zip(&after) {
        assert_eq!(kept, counted, "{login}: {moved:?}");
        let change = match login.as_str() {
            "p-klg-1" => -1,
            "p-klg-2" => 1,
            _ => 0,
        };
        assert_eq!(*kept, was + change, "{login}: {after:?} → {moved:?}");
    }
}
