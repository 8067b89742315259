//! «Аналитика — Отчетность» (§16): each report over subscribers registered through the
//! services, within each role's scope, with figures computed by hand.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::*;

/// Registers the sample organisation under `inn` for `partner` (basic_1y, today).
async fn register(app: &TestApp, partner: &str, inn: &str) {
    let mut doc = sample_application();
    doc["inn"] = json!(inn);
    doc["partner_code"] = json!(partner);
    let id = app.submit(&doc).await;
    app.register_submitted_as(partner, id, json!({"option": "basic_1y"}))
        .await;
}

/// On 3 March 2025 three organisations connect for a year: A (the sample) and B with
/// p-klg-1, C with p-msk-1 (another sales center). In December A renews; B and C do not.
/// March 2026 then has, for the Kaluga sales center, 2 paid licences due and 1 renewed.
async fn a_year_of_renewals() -> TestApp {
    let app = TestApp::spawn().await;
    let first = app.registered_subscriber().await; // A: 4027291410, p-klg-1
    register(
        &app,
        "p-klg-1",
        &registrar::applications::generate::inn10(6_100_001),
    )
    .await;
    register(
        &app,
        "p-msk-1",
        &registrar::applications::generate::inn10(6_100_002),
    )
    .await;
    app.advance(Duration::days(300));
    let guid = first["products"][0]["guid"].as_str().unwrap().to_owned();
    let id = app
        .submit(&crate::secondary::secondary("change", Some(&guid)))
        .await;
    app.register_submitted(id, json!({"action": "renewal", "option": "basic_1y"}))
        .await;
    app.advance(Duration::days(100)); // 2026-04-08
    app
}

fn totals(r: &Value) -> &Value {
    &r["totals"]
}

#[tokio::test]
async fn the_plans_report_counts_churn_within_the_sales_centers_partners() {
    let app = a_year_of_renewals().await;
    let march = "from=2026-03-01&to=2026-03-31";
    let sc = app
        .as_("sc-klg")
        .get_ok(&format!("/reports/plans?{march}"))
        .await;
    let t = totals(&sc);
    // By hand: A and B end on 2026-03-03; A's renewal starts the next day; B has none.
    assert_eq!(t["due_paid"], 2, "{sc}");
    assert_eq!(t["renewed_paid"], 1);
    assert_eq!(t["churn_paid"], "50.00");
    assert_eq!(t["churn"], "50.00");
    assert_eq!(t["due_its"], 0);
    assert_eq!(t["churn_its"], Value::Null, "nothing due: no percentage");
    assert_eq!(t["active_at_end"], 1, "only A's renewal runs on 31 March");
    assert_eq!(sc["rows"].as_array().unwrap().len(), 1, "one region: 40");
    assert!(sc["rows"][0]["region"].as_str().unwrap().starts_with("40"));
    assert!(
        sc["notes"][0].as_str().unwrap().contains("% отвала ="),
        "the churn definition is printed under the report"
    );
    // The chart: twelve months to March 2026, March's paid churn 50 %.
    let chart = &sc["chart"];
    assert_eq!(chart["categories"].as_array().unwrap().len(), 12);
    assert_eq!(chart["categories"][11], "март 2026");
    assert_eq!(chart["series"][0]["values"][11], 50.0);
    // The operator sees C too: 3 due, 1 renewed.
    let op = app
        .as_("operator")
        .get_ok(&format!("/reports/plans?{march}"))
        .await;
    assert_eq!(totals(&op)["due_paid"], 3);
    assert_eq!(totals(&op)["churn_paid"], "66.67");
    // A partner builds it over its own subscribers (here all of the Kaluga figures); one of
    // the other sales center's over C alone.
    let own = app
        .as_("p-klg-1")
        .get_ok(&format!("/reports/plans?{march}"))
        .await;
    assert_eq!(totals(&own)["due_paid"], 2);
    let msk = app
        .as_("p-msk-1")
        .get_ok(&format!("/reports/plans?{march}"))
        .await;
    assert_eq!(totals(&msk)["due_paid"], 1);
    assert_eq!(totals(&msk)["churn_paid"], "100.00");
    // The partners report compares partners: a sales center's, not a partner's.
    let p = app
        .as_("p-klg-1")
        .get_problem("/reports/partners", 403)
        .await;
    assert!(p["detail"].as_str().is_some());
    // The region filter: no subscriber of Moscow (77) in the Kaluga scope.
    let none = app
        .as_("sc-klg")
        .get_ok(&format!("/reports/plans?{march}&region=77"))
        .await;
    assert_eq!(totals(&none)["due_paid"], 0);
}

#[tokio::test]
async fn the_partners_report_counts_connections_by_kind_within_scope() {
    let app = a_year_of_renewals().await;
    let march = app
        .as_("sc-klg")
        .get_ok("/reports/partners?from=2025-03-01&to=2025-03-31")
        .await;
    let rows = march["rows"].as_array().unwrap();
    let codes: Vec<&str> = rows.iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes.len(),
        3,
        "every partner of the sales center: {codes:?}"
    );
    assert!(codes.iter().all(|c| c.starts_with("p-klg")), "{codes:?}");
    let klg1 = rows.iter().find(|r| r["code"] == "p-klg-1").unwrap();
    assert_eq!(klg1["paid"], 2);
    assert_eq!(klg1["its_prof"], 0);
    assert_eq!(klg1["bonus"], 0);
    assert_eq!(klg1["total"], 2);
    assert_eq!(totals(&march)["total"], 2);
    // December: A's renewal, counted as a renewal and not as a primary connection.
    let december = "/reports/partners?from=2025-12-01&to=2025-12-31";
    for (connection, expected) in [("renewal", 1), ("primary", 0), ("all", 1)] {
        let r = app
            .as_("sc-klg")
            .get_ok(&format!("{december}&connection={connection}"))
            .await;
        assert_eq!(totals(&r)["paid"], expected, "{connection}");
    }
    let all = app
        .as_("operator")
        .get_ok("/reports/partners?from=2025-03-01&to=2025-03-31")
        .await;
    assert_eq!(totals(&all)["paid"], 3, "the operator counts C too");
}

#[tokio::test]
async fn active_subscribers_renewals_and_regional_statistics_keep_to_the_partner() {
    let app = a_year_of_renewals().await;
    let on_first = app
        .as_("p-klg-1")
        .get_ok("/reports/active_subscribers?on=2026-03-01")
        .await;
    let inns: Vec<&str> = on_first["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["inn"].as_str().unwrap())
        .collect();
    assert_eq!(inns.len(), 2, "A and B, not p-msk-1's C: {inns:?}");
    assert!(inns.contains(&"4027291410"));
    let on_last = app
        .as_("p-klg-1")
        .get_ok("/reports/active_subscribers?on=2026-03-31")
        .await;
    assert_eq!(on_last["rows"].as_array().unwrap().len(), 1);
    assert_eq!(on_last["rows"][0]["ends_on"], "2027-03-04", "A's renewal");

    let renewals = app
        .as_("p-klg-1")
        .get_ok("/reports/renewals?from=2025-12-01&to=2025-12-31")
        .await;
    assert_eq!(renewals["rows"].as_array().unwrap().len(), 1);
    assert_eq!(renewals["rows"][0]["starts_on"], "2026-03-04");
    let other = app
        .as_("p-msk-1")
        .get_ok("/reports/renewals?from=2025-12-01&to=2025-12-31")
        .await;
    assert_eq!(other["rows"].as_array().unwrap().len(), 0);

    let q1 = app
        .as_("sc-klg")
        .get_ok("/reports/region_statistics?quarter=2025-Q1")
        .await;
    assert_eq!(totals(&q1)["connected"], 2);
    assert_eq!(totals(&q1)["active"], 2);
    let chart = &q1["chart"];
    assert_eq!(chart["categories"][3], "1 квартал 2025 г.");
    assert_eq!(chart["series"][0]["values"][3], 2.0);
    let op = app
        .as_("operator")
        .get_ok("/reports/region_statistics?quarter=2025-Q1")
        .await;
    assert_eq!(totals(&op)["connected"], 3);
    // By the first quarter of 2026's end, B and C have lapsed: only A is active.
    let q1_2026 = app
        .as_("operator")
        .get_ok("/reports/region_statistics?quarter=2026-Q1")
        .await;
    assert_eq!(totals(&q1_2026)["active"], 1);
    assert_eq!(totals(&q1_2026)["connected"], 0);
}

#[tokio::test]
async fn wrong_parameters_are_named_and_other_roles_are_refused() {
    let app = TestApp::spawn().await;
    for (query, field) in [
        ("/reports/plans?from=2025-13-01", "from"),
        ("/reports/plans?from=0001-01-01&to=0001-03-01", "from"),
        ("/reports/plans?from=2025-03-10&to=2025-03-01", "to"),
        ("/reports/region_statistics?quarter=2025-Q7", "quarter"),
        ("/reports/partners?connection=some", "connection"),
        ("/reports/plans?region=Калуга", "region"),
    ] {
        let p = app.as_("sc-klg").get_problem(query, 422).await;
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
        assert!(
            p["errors"][0]["message"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| ('а'..='я').contains(&c)),
            "{p}"
        );
    }
    app.as_("sc-klg").get_problem("/reports/no_such", 404).await;
    app.as_("intake").get_problem("/reports", 403).await;
    app.as_("intake")
        .get_problem("/reports/renewals", 403)
        .await;
    let list = app.as_("p-klg-1").get_ok("/reports").await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"plans") && !names.contains(&"partners"),
        "{names:?}"
    );
    let sc = app.as_("sc-klg").get_ok("/reports").await;
    assert_eq!(sc["items"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn a_report_exports_as_csv_and_as_xlsx_with_its_chart() {
    let app = a_year_of_renewals().await;
    let b = app.signed_in("sc-klg").await;
    let page = app
        .html(&b, "/analytics/reports/plans?from=2026-03-01&to=2026-03-31")
        .await;
    assert!(page.contains("<svg"), "the chart is drawn on the server");
    assert!(page.contains("% отвала по месяцам"));
    assert!(page.contains("50,00"), "March's paid churn in the table");
    let csv = b
        .get(app.url("/analytics/reports/plans/export.csv?from=2026-03-01&to=2026-03-31"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    assert!(
        text.contains("Регион;К продлению Платных;К продлению ИТС"),
        "{text}"
    );
    assert!(text.contains("Итого;2;0;1;0;50,00;50,00;;"), "{text}");
    let xlsx = b
        .get(app.url("/analytics/reports/plans/export.xlsx?from=2026-03-01&to=2026-03-31"))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK");
    let names = String::from_utf8_lossy(&bytes);
    assert!(
        names.contains("xl/charts/chart1.xml"),
        "a native Excel chart"
    );
    // Wrong parameters on the page: the form again, the field named, 422.
    let r = b
        .get(app.url("/analytics/reports/plans?from=2026-03-31&to=2026-03-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("конец периода раньше его начала"), "{html}");
    assert!(html.contains("Построить отчет"));
}

#[tokio::test]
async fn the_home_page_says_what_needs_doing_today() {
    let app = TestApp::spawn().await;
    app.registered_subscriber().await; // ends 2026-03-03
    let mut doc = sample_application();
    doc["inn"] = json!(registrar::applications::generate::inn10(6_200_001));
    app.submit(&doc).await;
    // 28 days later the new application is two days from the 30-day rule.
    app.advance(Duration::days(28));
    let b = app.signed_in("p-klg-1").await;
    let home = app.html(&b, "/").await;
    assert!(home.contains("Требует внимания сегодня"), "{home}");
    let tile = |html: &str, title: &str| -> u64 {
        let at = html.find(title).unwrap_or_else(|| panic!("{title}"));
        let before = &html[..at];
        let count_at = before.rfind("task-count\">").unwrap() + "task-count\">".len();
        before[count_at..]
            .split('<')
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    assert_eq!(tile(&home, "Будут отклонены через 3 дня"), 1, "{home}");
    assert_eq!(tile(&home, "Лицензии заканчиваются в этом месяце"), 0);
    // A year on, in March 2026, the sample's licence ends this month.
    app.advance(Duration::days(340));
    let b = app.signed_in("p-klg-1").await; // a new session: the old one has expired
    let home = app.html(&b, "/").await;
    assert_eq!(tile(&home, "Лицензии заканчиваются в этом месяце"), 1);
    // Another sales center's partner sees none of it.
    let other = app.signed_in("p-msk-1").await;
    let home = app.html(&other, "/").await;
    assert_eq!(tile(&home, "Лицензии заканчиваются в этом месяце"), 0);
}
