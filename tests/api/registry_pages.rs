//! The registry keeps recent pages under their scope's stamp (issue 11): a kept page is
//! answered only while nothing in its scope changed — whoever changed it: the product,
//! another server on the same database or raw SQL (the CLI, an administrator). These
//! write behind the server's back, so only the database's stamp can tell.

use serde_json::json;

use crate::helpers::*;

/// The short names on one page of the partner's, the sales center's and the operator's
/// web registry and of the partner's API list, each sorted.
async fn seen(app: &TestApp, browsers: &[reqwest::Client], folder: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for b in browsers {
        let html = app.html(b, &format!("/applications?folder={folder}")).await;
        let mut names: Vec<String> = NAMES
            .iter()
            .filter(|n| html.contains(*n))
            .map(|n| (*n).to_owned())
            .collect();
        names.sort();
        out.push(names);
    }
    let list = app
        .as_("p-klg-1")
        .get_ok(&format!("/applications?folder={folder}"))
        .await;
    let mut names: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["short_name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    out.push(names);
    out
}

const NAMES: [&str; 5] = [
    "ООО Альфа",
    "ООО Бета",
    "ООО Гамма",
    "ООО Дельта",
    "ООО Переименованное",
];

/// Every viewer saw exactly `names`.
fn all_saw(seen: &[Vec<String>], names: &[&str]) {
    for (who, got) in ["partner", "sales center", "operator", "API"]
        .iter()
        .zip(seen)
    {
        assert_eq!(got, &names, "{who}");
    }
}

#[tokio::test]
async fn a_kept_page_is_answered_only_while_its_scope_is_unchanged() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for (name, inn) in [
        ("ООО Альфа", "4027291410"),
        ("ООО Бета", "7707083893"),
        ("ООО Гамма", "4025442625"),
    ] {
        let mut doc = sample_application();
        doc["short_name"] = json!(name);
        doc["inn"] = json!(inn);
        ids.push(app.submit(&doc).await);
    }
    let browsers = vec![
        app.signed_in("p-klg-1").await,
        app.signed_in("sc-klg").await,
        app.signed_in("operator").await,
    ];
    let before = app.state.registry_pages.len();
    let three = ["ООО Альфа", "ООО Бета", "ООО Гамма"];
    all_saw(&seen(&app, &browsers, "accepted").await, &three);
    assert!(
        app.state.registry_pages.len() >= before + 3,
        "the pages were kept (the partner's page and API list are one)"
    );
    // Asked again: the kept pages, the same answer.
    all_saw(&seen(&app, &browsers, "accepted").await, &three);

    // A change that moves no count: a rename behind the product's back.
    app.sql(&format!(
        "UPDATE applications SET short_name = 'ООО Переименованное' WHERE id = {}",
        ids[0]
    ))
    .await;
    all_saw(
        &seen(&app, &browsers, "accepted").await,
        &["ООО Бета", "ООО Гамма", "ООО Переименованное"],
    );

    // Two applications trade folders in one statement: every folder's count stays the
    // same, the pages do not.
    app.sql(&format!(
        "UPDATE applications SET state = 'rejected' WHERE id = {}",
        ids[1]
    ))
    .await;
    all_saw(
        &seen(&app, &browsers, "accepted").await,
        &["ООО Гамма", "ООО Переименованное"],
    );
    all_saw(&seen(&app, &browsers, "rejected").await, &["ООО Бета"]);
    app.sql(&format!(
        "UPDATE applications SET state = CASE WHEN id = {b} THEN 'accepted' ELSE 'rejected' END \
         WHERE id IN ({b}, {c})",
        b = ids[1],
        c = ids[2]
    ))
    .await;
    all_saw(
        &seen(&app, &browsers, "accepted").await,
        &["ООО Бета", "ООО Переименованное"],
    );
    all_saw(&seen(&app, &browsers, "rejected").await, &["ООО Гамма"]);

    // Through the product: a new application, and one rejected by the partner.
    let mut doc = sample_application();
    doc["short_name"] = json!("ООО Дельта");
    doc["inn"] = json!("4024011792");
    app.submit(&doc).await;
    all_saw(
        &seen(&app, &browsers, "accepted").await,
        &["ООО Бета", "ООО Дельта", "ООО Переименованное"],
    );
}

#[tokio::test]
async fn another_partners_change_keeps_a_partners_page() {
    // Stamps are per scope: p-klg-2's new application leaves p-klg-1's page kept, and
    // moves the sales center's and the operator's on.
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["short_name"] = json!("ООО Альфа");
    app.submit(&doc).await;
    let partner = app.as_("p-klg-1");
    let first = partner.get_ok("/applications?folder=accepted").await;
    let kept = app.state.registry_pages.len();
    let mut other = sample_application();
    other["partner_code"] = json!("p-klg-2");
    other["short_name"] = json!("ООО Бета");
    other["inn"] = json!("7707083893");
    app.submit(&other).await;
    assert_eq!(partner.get_ok("/applications?folder=accepted").await, first);
    assert_eq!(
        app.state.registry_pages.len(),
        kept,
        "p-klg-1's page answered from the kept one"
    );
    let center = app
        .as_("sc-klg")
        .get_ok("/applications?folder=accepted")
        .await;
    assert_eq!(center["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_kept_search_follows_every_change_in_its_scope() {
    // A search is kept with its tabs' counts and its page, under the scope's stamp: the
    // same search asked again is answered from memory, and after any change in the
    // scope it is searched again (a new match, a match moving folders).
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["short_name"] = json!("ООО Альфа");
    app.submit(&doc).await;
    let mut doc = sample_application();
    doc["short_name"] = json!("ООО Бета");
    doc["inn"] = json!("7707083893");
    app.submit(&doc).await;
    let b = app.signed_in("p-klg-1").await;
    let api = app.as_("p-klg-1");
    let tab = |folder: &str, n: u64| format!("{folder} <span class=\"count\">{n}</span>");

    let before = app.state.registry_pages.len();
    let page = app.html(&b, "/applications?q=альфа").await;
    assert!(
        page.contains("ООО Альфа") && !page.contains("ООО Бета"),
        "{page}"
    );
    assert!(page.contains(&tab("Принятые", 1)), "{page}");
    assert_eq!(api.get_ok("/applications?q=альфа").await["total"], 1);
    let kept = app.state.registry_pages.len();
    assert!(
        kept >= before + 2,
        "the web page and the API's page were kept"
    );
    // Asked again: the same answer, nothing new kept.
    let again = app.html(&b, "/applications?q=альфа").await;
    assert!(again.contains("ООО Альфа") && !again.contains("ООО Бета"));
    assert!(again.contains(&tab("Принятые", 1)), "{again}");
    assert_eq!(app.state.registry_pages.len(), kept);

    // A new match: found by the same search at once, on the page and in the API.
    let mut doc = sample_application();
    doc["short_name"] = json!("ООО Альфа-Плюс");
    doc["inn"] = json!("4025442625");
    let plus = app.submit(&doc).await;
    let page = app.html(&b, "/applications?q=альфа").await;
    assert!(page.contains("ООО Альфа-Плюс"), "{page}");
    assert!(page.contains(&tab("Принятые", 2)), "{page}");
    assert_eq!(api.get_ok("/applications?q=альфа").await["total"], 2);

    // A match moves folders: the tabs count it where it is now.
    app.act(
        "p-klg-1",
        &format!("/applications/{plus}/reject"),
        json!({"reason": "Дубль"}),
    )
    .await;
    let page = app.html(&b, "/applications?q=альфа").await;
    assert!(page.contains(&tab("Принятые", 1)), "{page}");
    assert!(page.contains(&tab("Отклонённые", 1)), "{page}");
    assert!(!page.contains("ООО Альфа-Плюс"), "{page}");
    let rejected = app.html(&b, "/applications?folder=rejected&q=альфа").await;
    assert!(rejected.contains("ООО Альфа-Плюс"), "{rejected}");
    assert_eq!(
        api.get_ok("/applications?folder=accepted&q=альфа").await["total"],
        1
    );
}

#[tokio::test]
async fn the_counts_read_beside_the_session_are_the_callers_scope() {
    // From its second page on, a session's registry reads its scope's kept counts in the
    // session's own query, for the scope its session had before. A user moved to another
    // partner meanwhile must get the new partner's tabs and rows, a deactivated one
    // nothing.
    let app = TestApp::spawn().await;
    for (name, inn) in [("ООО Альфа", "4027291410"), ("ООО Бета", "7707083893")] {
        let mut doc = sample_application();
        doc["short_name"] = json!(name);
        doc["inn"] = json!(inn);
        app.submit(&doc).await;
    }
    let mut other = sample_application();
    other["partner_code"] = json!("p-klg-2");
    other["short_name"] = json!("ООО Гамма");
    other["inn"] = json!("4025442625");
    app.submit(&other).await;
    let tab = |n: u64| format!("Принятые <span class=\"count\">{n}</span>");

    let b = app.signed_in("p-klg-1").await;
    for _ in 0..3 {
        let page = app.html(&b, "/applications?folder=accepted").await;
        assert!(page.contains(&tab(2)), "{page}");
        assert!(page.contains("ООО Альфа") && page.contains("ООО Бета"));
        assert!(!page.contains("ООО Гамма"), "{page}");
    }
    // A new application shows on the next page, counted.
    let mut doc = sample_application();
    doc["short_name"] = json!("ООО Дельта");
    doc["inn"] = json!("4024011792");
    app.submit(&doc).await;
    let page = app.html(&b, "/applications?folder=accepted").await;
    assert!(
        page.contains(&tab(3)) && page.contains("ООО Дельта"),
        "{page}"
    );

    // The user now works for p-klg-2 (an administrator's change, behind the server).
    app.sql(
        "UPDATE users SET partner_id = (SELECT id FROM partners WHERE code = 'p-klg-2') \
         WHERE login = 'p-klg-1'",
    )
    .await;
    for _ in 0..2 {
        let page = app.html(&b, "/applications?folder=accepted").await;
        assert!(page.contains(&tab(1)), "{page}");
        assert!(page.contains("ООО Гамма"), "{page}");
        assert!(!page.contains("ООО Альфа"), "{page}");
    }

    // Deactivated: the session opens nothing, on the first request after.
    app.sql("UPDATE users SET active = false WHERE login = 'p-klg-1'")
        .await;
    let r = b
        .get(app.url("/applications?folder=accepted"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "sent to sign in");
    assert!(location(&r).starts_with("/login"), "{}", location(&r));
}

#[tokio::test]
async fn kept_rows_show_the_deadline_of_the_calendar_in_force() {
    // A kept page's rows are rendered once — but the identification deadline on them is
    // counted in the production calendar, which changes without moving the page's stamp.
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    app.as_("p-klg-1")
        .post_ok(
            &format!("/applications/{id}/delegate-identification"),
            json!({}),
        )
        .await;
    let b = app.signed_in("p-klg-1").await;
    let due = |d: &str| format!("неявка<br><span class=\"nowrap\">{d}.2025 12:00");
    for _ in 0..3 {
        let page = app.html(&b, "/applications?folder=identification").await;
        assert!(page.contains(&due("18.03")), "{page}");
    }
    // 11 March becomes a day off (a government decree, loaded by the operator).
    app.sql("UPDATE calendar_days SET is_working = false WHERE day = '2025-03-11'")
        .await;
    for _ in 0..2 {
        let page = app.html(&b, "/applications?folder=identification").await;
        assert!(page.contains(&due("19.03")), "{page}");
        assert!(!page.contains(&due("18.03")), "{page}");
    }
}
