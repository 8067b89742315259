//! Authorized representatives' transactions (manual §12.7, issue 10 item 3): the
//! e-filing side reports a representative's sends by client and authority through
//! `POST /up-transactions` or the CSV import; the quarter's last month shows them as the
//! reconciliation's second tab, priced by «Транзакции 1С/УП до 200 за квартал»; a re-send
//! corrects «Новое количество»; one «Одобрить» freezes both tabs.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::reconciliation::register;

const MARCH: &str = "/reconciliations/p-klg-1/2025-03";

/// The manual's row (l.2300): a client with 2 sends to ФНС and 3 to ПФР.
fn report(fns: i64) -> Value {
    json!({
        "quarter": "2025-Q1",
        "representative": {"inn": "4027291410", "kpp": "402701001"},
        "clients": [{
            "inn": "7707083893", "kpp": "770701001",
            "name": "Государственное казенное учреждение Калужской области \"Централизованная бухгалтерия\"",
            "sends": {"fns": fns, "pfr": 3}
        }]
    })
}

#[tokio::test]
async fn a_representatives_sends_become_the_quarters_tab() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    let operator = app.as_("operator");
    let done = operator.post_ok("/up-transactions", report(2)).await;
    assert_eq!(done["partner_code"], "p-klg-1");
    assert_eq!(done["period"], "2025-03");
    assert_eq!(
        (done["added"].as_i64(), done["updated"].as_i64()),
        (Some(2), Some(0))
    );

    let d = app.as_("p-klg-1").get_ok(MARCH).await;
    let up = d["up_transactions"].as_array().unwrap();
    assert_eq!(up.len(), 1, "{up:?}");
    let l = &up[0];
    assert_eq!(l["inn"], "4027291410");
    assert_eq!(l["tariff_code"], "up_transactions_200");
    assert_eq!(l["tariff_name"], "Транзакции 1С/УП до 200 за квартал");
    assert_eq!(l["zone"], 2);
    assert_eq!(l["quarter"], "2025-Q1");
    assert_eq!(
        (l["count"].as_i64(), l["new_count"].as_i64()),
        (Some(5), Some(5))
    );
    assert_eq!(l["cost"], "0.00");
    assert_eq!(l["partner_share"], "0.00");
    assert_eq!(l["sales_center_share"], "0.00");
    assert_eq!(l["registered_on"], "2025-03-03");
    let c = &l["clients"][0];
    assert_eq!(
        (c["total"].as_i64(), c["fns"].as_i64(), c["pfr"].as_i64()),
        (Some(5), Some(2), Some(3))
    );
    // The licences' totals stand: the tab's cost is 0.
    assert_eq!(d["totals"]["cost"], "4900.00");
    // Quarterly: February's reconciliation has no tab.
    let feb = app
        .as_("p-klg-1")
        .get_ok("/reconciliations/p-klg-1/2025-02")
        .await;
    assert!(feb["up_transactions"].as_array().unwrap().is_empty());

    // A re-send corrects the count: «Количество» 5 stays, «Новое количество» 7.
    let done = operator.post_ok("/up-transactions", report(4)).await;
    assert_eq!(
        (done["added"].as_i64(), done["updated"].as_i64()),
        (Some(0), Some(1))
    );
    let d = app.as_("p-klg-1").get_ok(MARCH).await;
    let l = &d["up_transactions"][0];
    assert_eq!(
        (l["count"].as_i64(), l["new_count"].as_i64()),
        (Some(5), Some(7))
    );
    assert!(
        l["explanation"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("уточнено до 7")),
        "{l}"
    );
    let history = d["history"].as_array().unwrap();
    assert!(history.iter().any(|h| h["event"] == "up_transactions"));

    // «Подробнее в Excel» and the tab's export, for the partner; not for another.
    let r = app
        .as_("p-klg-1")
        .get(&format!("{MARCH}/up-{}.xlsx", l["representative_id"]))
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
    let csv = app.as_("p-klg-1").get(&format!("{MARCH}/up.csv")).await;
    let text = csv.text().await.unwrap();
    assert!(
        text.contains("Транзакции 1С/УП до 200 за квартал;2;5;7;0.00"),
        "{text}"
    );
    let r = app
        .as_("p-klg-2")
        .get(&format!("{MARCH}/up-{}.xlsx", l["representative_id"]))
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn only_the_operator_reports_and_bad_reports_name_the_field() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    for login in ["p-klg-1", "sc-klg", "intake"] {
        app.as_(login)
            .post_problem("/up-transactions", report(2), 403)
            .await;
    }
    let operator = app.as_("operator");
    let cases = [
        (json!({"quarter": "2025-Q5"}), "quarter"),
        (json!({"quarter": "2025-Q3"}), "quarter"),
        (
            json!({"representative": {"inn": "7707083893", "kpp": "770701001"}}),
            "representative.inn",
        ),
        (
            json!({"representative": {"inn": "123", "kpp": "402701001"}}),
            "representative.inn",
        ),
        (json!({"clients": []}), "clients"),
        (
            json!({"clients": [{"inn": "7707083893", "name": "ООО", "sends": {"fns": -1}}]}),
            "clients[0].sends.fns",
        ),
        (
            json!({"clients": [{"inn": "7707083893", "name": " ", "sends": {"fns": 1}}]}),
            "clients[0].name",
        ),
    ];
    for (patch, field) in cases {
        let mut body = report(2);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let p = operator.post_problem("/up-transactions", body, 422).await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let mut unknown = report(2);
    unknown["clients"][0]["sends"] = json!({"nalog": 2});
    let p = operator
        .post_problem("/up-transactions", unknown, 422)
        .await;
    assert!(
        p["errors"][0]["field"].as_str().unwrap().contains("sends"),
        "{p}"
    );
    // Nothing was half-written.
    let d = app.as_("p-klg-1").get_ok(MARCH).await;
    assert!(d["up_transactions"].as_array().unwrap().is_empty());
}

/// One «Одобрить» approves both tabs: the tab is in the snapshot, and a count after the
/// partner's approval is refused naming the state.
#[tokio::test]
async fn the_partners_approval_freezes_the_tab() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    let operator = app.as_("operator");
    operator.post_ok("/up-transactions", report(2)).await;
    app.advance(Duration::days(29));
    let d = app
        .as_("p-klg-1")
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    assert_eq!(d["state"], "approved_by_partner");
    let p = operator
        .post_problem("/up-transactions", report(9), 409)
        .await;
    assert_eq!(p["current_state"], "approved_by_partner", "{p}");
    let d = app
        .as_("sc-klg")
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    assert_eq!(d["state"], "approved");
    assert_eq!(d["up_transactions"][0]["new_count"], 5);
    let snapshot: String = {
        use sea_orm::EntityTrait;
        registrar::entities::reconciliation::Entity::find()
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .snapshot
            .unwrap()
    };
    assert!(snapshot.contains("\"new_count\":5"), "{snapshot}");
}

/// `registrar up-transactions import FILE --user operator`: all rows or none, every bad
/// line named; the imported counts are the tab's.
#[tokio::test]
async fn the_csv_import_records_all_rows_or_none() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |file: &std::path::Path, user: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_registrar"))
            .args(["up-transactions", "import"])
            .arg(file)
            .args(["--user", user])
            .env("DATABASE_URL", &app.state.config.database_url)
            .env("RUST_LOG", "error")
            .output()
            .unwrap()
    };
    let head = "quarter;representative_inn;representative_kpp;client_inn;client_kpp;client_name;authority;count\n";
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("{head}2025-Q1;4027291410;402701001;7707083893;770701001;ООО;fns;2\n2025-Q1;4027291410;402701001;7707083893;770701001;ООО;nalog;2\n"),
    )
    .unwrap();
    let out = run(&bad, "operator");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("строка 3"));
    let stranger = dir.path().join("stranger.csv");
    std::fs::write(
        &stranger,
        format!("{head}2025-Q1;4027291410;402701001;7707083893;770701001;ООО;fns;2\n2025-Q1;7702070139;770201001;7707083893;770701001;ООО;fns;2\n"),
    )
    .unwrap();
    let out = run(&stranger, "operator");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("[1].representative.inn"));
    let d = app.as_("p-klg-1").get_ok(MARCH).await;
    assert!(
        d["up_transactions"].as_array().unwrap().is_empty(),
        "none of the file"
    );
    assert!(!run(&stranger, "p-klg-1").status.success());

    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        format!("\u{feff}{head}2025-Q1;4027291410;402701001;7707083893;770701001;\"ООО \"\"Ромашка\"\"\";fns;2\n2025-Q1;4027291410;402701001;7707083893;770701001;\"ООО \"\"Ромашка\"\"\";pfr;3\n"),
    )
    .unwrap();
    let out = run(&good, "operator");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 reports imported"));
    let d = app.as_("p-klg-1").get_ok(MARCH).await;
    let l = &d["up_transactions"][0];
    assert_eq!(l["new_count"], 5);
    assert_eq!(l["clients"][0]["name"], "ООО \"Ромашка\"");
}
