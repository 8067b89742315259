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
    assert_eq!(
        sc["items"].as_array().unwrap().len(),
        13,
        "every report of §16"
    );
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        9,
        "less the four «для ЦП»"
    );
    for (query, field) in [
        (
            "/reports/tender_consulting?sales_center=sc-msk",
            "sales_center",
        ),
        ("/reports/partner_activity?partner=", ""),
    ] {
        if field.is_empty() {
            app.as_("sc-klg").get_ok(query).await;
            continue;
        }
        let p = app.as_("sc-klg").get_problem(query, 422).await;
        assert_eq!(
            p["errors"][0]["field"], field,
            "another sales center's code: {p}"
        );
    }
    let long = "я".repeat(101);
    let p = app
        .as_("sc-klg")
        .get_problem(&format!("/reports/partner_activity?partner={long}"), 422)
        .await;
    assert_eq!(p["errors"][0]["field"], "partner");
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
    assert_eq!(tile(&home, "Тарифы заканчиваются в этом месяце"), 0);
    // A year on, in March 2026, the sample's licence ends this month.
    app.advance(Duration::days(340));
    let b = app.signed_in("p-klg-1").await; // a new session: the old one has expired
    let home = app.html(&b, "/").await;
    assert_eq!(tile(&home, "Тарифы заканчиваются в этом месяце"), 1);
    // Another sales center's partner sees none of it.
    let other = app.signed_in("p-msk-1").await;
    let home = app.html(&other, "/").await;
    assert_eq!(tile(&home, "Тарифы заканчиваются в этом месяце"), 0);
}

fn rows(r: &Value) -> &Vec<Value> {
    r["rows"].as_array().unwrap()
}

fn column<'a>(r: &'a Value, key: &str) -> Vec<&'a Value> {
    rows(r).iter().map(|row| &row[key]).collect()
}

#[tokio::test]
async fn tariff_terms_list_the_last_tariff_ending_and_leave_inactive_accounts_out() {
    let app = a_year_of_renewals().await;
    let march = "/reports/tariff_terms?from=2026-03-01&to=2026-03-31";
    // A renewed (its last tariff ends in 2027); B's ends on 3 March 2026; C is Moscow's.
    let sc = app.as_("sc-klg").get_ok(march).await;
    let b_inn = registrar::applications::generate::inn10(6_100_001);
    assert_eq!(column(&sc, "inn"), [&json!(b_inn)], "{sc}");
    let b = &rows(&sc)[0];
    assert_eq!(b["tariff_ends_on"], "2026-03-03");
    assert_eq!(b["tariff_starts_on"], "2025-03-03");
    assert_eq!(b["connected_on"], "2025-03-03");
    assert_eq!(b["tariff"], "Основной (1 год)");
    assert_eq!(b["partner"], "ООО «Калуга-Софт»");
    assert_eq!(
        app.as_("operator").get_ok(march).await["rows"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "B and C"
    );
    let a = app
        .as_("p-klg-1")
        .get_ok("/reports/tariff_terms?from=2027-03-01&to=2027-03-31")
        .await;
    assert_eq!(column(&a, "inn"), [&json!("4027291410")]);
    assert_eq!(rows(&a)[0]["tariff_ends_on"], "2027-03-04");
    // B's product account marked inactive: left out of the expiry report (l.1648–1650).
    let list = app
        .as_("p-klg-1")
        .get_ok(&format!("/subscribers?q={b_inn}"))
        .await;
    let b_id = list["items"][0]["id"].as_i64().unwrap();
    let card = app
        .as_("p-klg-1")
        .get_ok(&format!("/subscribers/{b_id}"))
        .await;
    let product = card["products"][0]["id"].as_i64().unwrap();
    let r = app
        .as_("p-klg-1")
        .send(
            reqwest::Method::PATCH,
            &format!("/products/{product}"),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let after = app.as_("sc-klg").get_ok(march).await;
    assert_eq!(rows(&after).len(), 0, "{after}");
}

#[tokio::test]
async fn products_and_certificates_list_the_accounts_registered_in_the_period() {
    let app = a_year_of_renewals().await;
    let march = "/reports/products_certificates?from=2025-03-01&to=2025-03-31";
    let sc = app.as_("sc-klg").get_ok(march).await;
    assert_eq!(rows(&sc).len(), 2, "A and B: {sc}");
    let a = rows(&sc).iter().find(|r| r["inn"] == "4027291410").unwrap();
    assert_eq!(a["primary"], "Да");
    assert_eq!(a["registered_on"], "2025-03-03");
    assert_eq!(a["guid"].as_str().unwrap().len(), 36, "{a}");
    // The account's latest tariff is the renewal registered in December.
    assert_eq!(a["tariff_starts_on"], "2026-03-04");
    assert_eq!(a["tariff_ends_on"], "2027-03-04");
    let msk = app.as_("p-msk-1").get_ok(march).await;
    assert_eq!(rows(&msk).len(), 1, "C alone");
    let none = app
        .as_("sc-klg")
        .get_ok("/reports/products_certificates?from=2025-04-01&to=2025-04-30")
        .await;
    assert_eq!(rows(&none).len(), 0);
}

#[tokio::test]
async fn the_competence_center_and_regions_reports_count_the_periods_connections() {
    let app = a_year_of_renewals().await;
    let march = "from=2025-03-01&to=2025-03-31";
    let cc = app
        .as_("sc-klg")
        .get_ok(&format!("/reports/competence_center?{march}"))
        .await;
    // p-klg-1 is in zone 2: «Основной (1 год)» 4 900 ₽, the sales center's share 2 450 ₽.
    let basic = rows(&cc)
        .iter()
        .find(|r| r["tariff"] == "Основной (1 год)")
        .unwrap_or_else(|| panic!("{cc}"));
    assert_eq!(basic["organisation"], "ООО «Калуга-Софт»");
    assert_eq!(basic["zone"], 2);
    assert_eq!(basic["count"], 2);
    assert_eq!(basic["reward"], "4900.00", "2 × 2 450,00");
    let total: f64 = rows(&cc)
        .iter()
        .map(|r| r["reward"].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(
        cc["totals"]["reward"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap(),
        total
    );
    app.as_("p-klg-1")
        .get_problem(&format!("/reports/competence_center?{march}"), 403)
        .await;

    let regions = app
        .as_("sc-klg")
        .get_ok(&format!("/reports/regions?{march}"))
        .await;
    assert_eq!(rows(&regions).len(), 2, "A and B, each once: {regions}");
    assert!(
        rows(&regions)
            .iter()
            .all(|r| r["region"].as_str().unwrap().starts_with("40") && r["count"] == 1)
    );
    assert_eq!(regions["totals"]["count"], 2);
    let op = app
        .as_("operator")
        .get_ok(&format!("/reports/regions?{march}"))
        .await;
    assert_eq!(op["totals"]["count"], 3);
}

#[tokio::test]
async fn representatives_sends_are_summed_per_authority_within_the_partner() {
    let app = a_year_of_renewals().await;
    let a = app.as_("p-klg-1").get_ok("/subscribers?q=4027291410").await;
    let kpp = a["items"][0]["kpp"].clone();
    app.as_("operator")
        .post_ok(
            "/up-transactions",
            json!({
                "quarter": "2025-Q2",
                "representative": {"inn": "4027291410", "kpp": kpp},
                "clients": [
                    {"inn": "7707083893", "kpp": "773601001", "name": "ПАО «Клиент один»", "sends": {"fns": 2, "pfr": 3}},
                    {"inn": "500100732259", "name": "ИП Клиентов", "sends": {"fns": 1, "rar": 4}},
                ],
            }),
        )
        .await;
    let q2 = "/reports/representative_sends?from=2025-04-01&to=2025-06-30";
    let r = app.as_("p-klg-1").get_ok(q2).await;
    assert_eq!(rows(&r).len(), 1, "{r}");
    let rep = &rows(&r)[0];
    assert_eq!(rep["inn"], "4027291410");
    assert_eq!(rep["clients"], 2);
    assert_eq!(rep["fns"], 3);
    assert_eq!(rep["pfr"], 3);
    assert_eq!(rep["fss"], 0);
    assert_eq!(rep["other"], 4, "РАР among the other authorities");
    assert_eq!(rep["total"], 10);
    assert_eq!(r["totals"]["total"], 10);
    let other = app.as_("p-msk-1").get_ok(q2).await;
    assert_eq!(rows(&other).len(), 0, "another partner's representative");
    let q3 = app
        .as_("p-klg-1")
        .get_ok("/reports/representative_sends?from=2025-07-01&to=2025-09-30")
        .await;
    assert_eq!(rows(&q3).len(), 0, "another quarter");
}

#[tokio::test]
async fn tender_consulting_lists_a_sales_centers_organisations_with_their_product() {
    let app = a_year_of_renewals().await;
    // Today (8 April 2026) A's renewal runs; B's licence ended on 3 March.
    let sc = app.as_("sc-klg").get_ok("/reports/tender_consulting").await;
    assert_eq!(rows(&sc).len(), 2, "{sc}");
    let has = |inn: &str| {
        rows(&sc)
            .iter()
            .find(|r| r["inn"] == inn)
            .map(|r| r["has_product"].clone())
            .unwrap()
    };
    assert_eq!(has("4027291410"), "Да");
    assert_eq!(
        has(&registrar::applications::generate::inn10(6_100_001)),
        "Нет"
    );
    assert_eq!(rows(&sc)[0]["partner_inn"], "4027291410");
    assert!(rows(&sc)[0]["sales_center"].as_str().unwrap().len() > 3);
    let op = app
        .as_("operator")
        .get_ok("/reports/tender_consulting?sales_center=sc-msk")
        .await;
    assert_eq!(rows(&op).len(), 1, "C alone: {op}");
    let moscow = app
        .as_("operator")
        .get_ok("/reports/tender_consulting?region=77")
        .await;
    assert_eq!(
        rows(&moscow).len(),
        0,
        "every organisation here is in region 40"
    );
    app.as_("p-klg-1")
        .get_problem("/reports/tender_consulting", 403)
        .await;
}

#[tokio::test]
async fn a_signed_certificate_scan_not_uploaded_within_30_days_is_reported() {
    let app = TestApp::spawn().await;
    let application = app.submit(&sample_application()).await;
    app.register_submitted(application, json!({"option": "basic_1y"}))
        .await;
    let march = "/reports/unsigned_certificates?from=2025-03-01&to=2025-03-31";
    app.advance(Duration::days(30));
    let in_time = app.as_("p-klg-1").get_ok(march).await;
    assert_eq!(
        rows(&in_time).len(),
        0,
        "30 days are not over yet: {in_time}"
    );
    app.advance(Duration::days(1));
    let late = app.as_("p-klg-1").get_ok(march).await;
    assert_eq!(rows(&late).len(), 1, "{late}");
    assert_eq!(rows(&late)[0]["days"], 31);
    assert_eq!(rows(&late)[0]["uploaded_on"], Value::Null);
    assert_eq!(rows(&late)[0]["application"], format!("№ {application}"));
    assert_eq!(
        rows(&app.as_("p-msk-1").get_ok(march).await).len(),
        0,
        "another sales center's partner"
    );
    // Uploaded late: still reported, with the day it came.
    let r = app
        .attach(
            "p-klg-1",
            application,
            "signed_certificate",
            "cert.pdf",
            pdf("signed"),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let after = app.as_("sc-klg").get_ok(march).await;
    assert_eq!(rows(&after).len(), 1);
    assert_eq!(rows(&after)[0]["uploaded_on"], "2025-04-03");
    assert_eq!(after["totals"]["uploaded_on"], "не загружено: 0");
}

#[tokio::test]
async fn partner_activity_counts_work_churn_inactive_and_group_sizes() {
    let app = a_year_of_renewals().await;
    let march = "/reports/partner_activity?partner=p-klg-1&from=2026-03-01&to=2026-03-31";
    let r = app.as_("sc-klg").get_ok(march).await;
    assert_eq!(rows(&r).len(), 1, "the filter selects p-klg-1: {r}");
    let row = &rows(&r)[0];
    // By hand: A and B due on 3 March, A renewed; only A's renewal active on 31 March;
    // no sends recorded, so A is inactive.
    assert_eq!(row["new"], 0);
    assert_eq!(row["due_paid"], 2);
    assert_eq!(row["renewed_paid"], 1);
    assert_eq!(row["churn"], "50.00");
    assert_eq!(row["churn_year_paid"], "50.00");
    assert_eq!(row["active"], 1);
    assert_eq!(row["inactive"], 1);
    let groups = &r["sections"][0];
    assert_eq!(groups["rows"][0]["others"], 1, "{groups}");
    assert_eq!(groups["rows"][0]["size_3_5"], 0);
    let parameters = r["parameters"].to_string();
    assert!(
        parameters.contains("Центр продаж"),
        "contacts of the one partner: {parameters}"
    );
    assert!(parameters.contains("+7 4842 40-10-01"));
    // The e-filing side reports A's send on 20 March: A is active.
    let a = app.as_("p-klg-1").get_ok("/subscribers?q=4027291410").await;
    let kpp = a["items"][0]["kpp"].clone();
    let sent = app
        .as_("operator")
        .post_ok(
            "/sends",
            json!({"date": "2026-03-20", "subscribers": [{"inn": "4027291410", "kpp": kpp, "authorities": ["fns", "pfr"]}]}),
        )
        .await;
    assert_eq!(sent["updated"], 2);
    let again = app
        .as_("operator")
        .post_ok(
            "/sends",
            json!({"date": "2026-03-01", "subscribers": [{"inn": "4027291410", "kpp": kpp, "authorities": ["fns"]}]}),
        )
        .await;
    assert_eq!(again["updated"], 0, "an earlier day keeps the last send");
    let r = app.as_("sc-klg").get_ok(march).await;
    assert_eq!(rows(&r)[0]["inactive"], 0);
    // March 2025: two new connections; the chart's twelve months end there.
    let first = app
        .as_("p-klg-1")
        .get_ok("/reports/partner_activity?from=2025-03-01&to=2025-03-31")
        .await;
    assert_eq!(rows(&first)[0]["new"], 2, "{first}");
    assert_eq!(first["chart"]["series"][0]["values"][11], 2.0);
    // Without a filter the sales center sees each of its partners and a total.
    let all = app
        .as_("sc-klg")
        .get_ok("/reports/partner_activity?from=2025-03-01&to=2025-03-31")
        .await;
    assert_eq!(rows(&all).len(), 3);
    assert_eq!(all["totals"]["new"], 2);
    // The feed: the operator's, checked field by field.
    let p = app
        .as_("operator")
        .post_problem(
            "/sends",
            json!({"date": "2026-03-20", "subscribers": [{"inn": "7707083893", "authorities": ["fns"]}]}),
            422,
        )
        .await;
    assert_eq!(p["errors"][0]["field"], "subscribers[0].inn", "{p}");
    let p = app
        .as_("operator")
        .post_problem(
            "/sends",
            json!({"date": "2026-05-01", "subscribers": [{"inn": "4027291410", "authorities": ["fns"]}]}),
            422,
        )
        .await;
    assert_eq!(p["errors"][0]["field"], "date");
    app.as_("p-klg-1")
        .post_problem(
            "/sends",
            json!({"date": "2026-03-20", "subscribers": [{"inn": "4027291410", "authorities": ["fns"]}]}),
            403,
        )
        .await;
}
