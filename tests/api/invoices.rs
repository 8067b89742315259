//! Invoices (manual §12 «Счета», issue 10 item 5): «Получить счёт» on a reconciliation
//! the sales center approved — one invoice per reconciliation, numbered per sales center
//! and year, a real PDF — «Список счетов», and the period's exports for the sales center.

use chrono::Duration;
use serde_json::json;

use crate::helpers::*;
use crate::reconciliation::register;

const MARCH: &str = "/reconciliations/p-klg-1/2025-03";

/// The month of p-klg-1 approved by both: Платная 5 900 with CryptoPro 590 (zone 3).
async fn approved_march(app: &TestApp) {
    register(
        app,
        "7707083893",
        "770701001",
        "63",
        json!({"cryptopro_licence": true, "owner": {"full_name": "Иванов Иван Иванович", "snils": "112-233-445 95", "position": "Директор", "certificate_type": "qualified_cryptopro", "cloud_signature": false}}),
    )
    .await;
    app.advance(Duration::days(29));
}

#[tokio::test]
async fn an_invoice_is_issued_once_per_approved_month_and_numbered_per_year() {
    let app = TestApp::spawn().await;
    approved_march(&app).await;
    let partner = app.as_("p-klg-1");
    // Not before the sales center approved: 409 naming the state.
    let p = problem(partner.get(&format!("{MARCH}/invoice")).await, 409).await;
    assert_eq!(p["current_state"], "open");
    partner
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    let p = problem(partner.get(&format!("{MARCH}/invoice")).await, 409).await;
    assert_eq!(p["current_state"], "approved_by_partner");
    app.as_("sc-klg")
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;

    let r = partner.get(&format!("{MARCH}/invoice")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("invoice-2025-1-p-klg-1.pdf"),
        "{disposition}"
    );
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // The font travels with the document (a subset), so Cyrillic prints anywhere.
    assert!(pdf.windows(9).any(|w| w == b"FontFile2"));
    if let Ok(dir) = std::env::var("REGISTRAR_KEEP_PDF") {
        std::fs::write(std::path::Path::new(&dir).join("invoice.pdf"), &pdf).unwrap();
    }

    // «Список счетов»: the same invoice on a second click, its sum the month's cost.
    partner.get(&format!("{MARCH}/invoice")).await;
    let list = partner.get_ok("/invoices").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    let i = &items[0];
    assert_eq!(i["number"], 1);
    assert_eq!(i["issued_on"], "2025-04-01");
    assert_eq!(i["period"], "2025-03");
    assert_eq!(i["amount"], "6490.00");
    assert_eq!(i["vat_amount"], "0.00");
    assert_eq!(i["vat_rate"], 20);
    assert_eq!(
        i["documents"],
        json!(["invoice.pdf", "act.pdf", "factura.pdf"])
    );
    for file in ["act.pdf", "factura.pdf"] {
        let r = partner.get(&format!("{MARCH}/{file}")).await;
        assert_eq!(r.status(), 200, "{file}");
        let pdf = r.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        if let Ok(dir) = std::env::var("REGISTRAR_KEEP_PDF") {
            std::fs::write(std::path::Path::new(&dir).join(file), &pdf).unwrap();
        }
    }
    // No part subject to VAT: no such documents.
    assert_eq!(
        partner.get(&format!("{MARCH}/act-vat.pdf")).await.status(),
        404
    );

    // The sales center sees it; another partner and a foreign sales center do not.
    let sc = app.as_("sc-klg").get_ok("/invoices?period=2025-03").await;
    assert_eq!(sc["items"].as_array().unwrap().len(), 1);
    for stranger in ["p-klg-2", "sc-msk"] {
        let r = app.as_(stranger).get(&format!("{MARCH}/invoice.pdf")).await;
        assert_eq!(r.status(), 404, "{stranger}");
        let list = app.as_(stranger).get_ok("/invoices").await;
        assert!(list["items"].as_array().unwrap().is_empty(), "{stranger}");
    }
}

/// Numbers run per sales center and year: the second partner of sc-klg gets № 2.
#[tokio::test]
async fn invoice_numbers_run_per_sales_center() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["partner_code"] = json!("p-klg-2");
    doc["inn"] = json!("4025442625");
    doc["kpp"] = json!("402501001");
    doc["its_login"] = json!("its-nobody");
    let id = app.submit(&doc).await;
    app.register_submitted_as("p-klg-2", id, json!({"option": "basic_1y"}))
        .await;
    approved_march(&app).await;
    let second = "/reconciliations/p-klg-2/2025-03";
    for (partner, path) in [("p-klg-1", MARCH), ("p-klg-2", second)] {
        app.as_(partner)
            .post_ok(&format!("{path}/approve"), json!({}))
            .await;
        app.as_("sc-klg")
            .post_ok(&format!("{path}/approve"), json!({}))
            .await;
    }
    app.as_("sc-klg").get(&format!("{second}/invoice")).await;
    app.as_("p-klg-1").get(&format!("{MARCH}/invoice")).await;
    let list = app.as_("sc-klg").get_ok("/invoices").await;
    let numbers: Vec<(String, i64)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["partner_code"].as_str().unwrap().to_owned(),
                i["number"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(numbers.contains(&("p-klg-2".to_owned(), 1)), "{numbers:?}");
    assert!(numbers.contains(&("p-klg-1".to_owned(), 2)), "{numbers:?}");
}

/// «Экспортировать все данные» and «… по УП»: every partner of the sales center's in one
/// file, nothing of another sales center's.
#[tokio::test]
async fn the_sales_center_exports_the_whole_period() {
    let app = TestApp::spawn().await;
    approved_march(&app).await;
    app.as_("operator")
        .post_ok(
            "/up-transactions",
            json!({
                "quarter": "2025-Q1",
                "representative": {"inn": "7707083893", "kpp": "770701001"},
                "clients": [{"inn": "4027291410", "kpp": "402701001", "name": "ООО Ромашка", "sends": {"fns": 4}}]
            }),
        )
        .await;
    let sc = app.signed_in("sc-klg").await;
    let all = app.html(&sc, "/finance/export.csv?period=2025-03").await;
    assert!(all.starts_with('\u{feff}'));
    assert!(all.contains("p-klg-1;Открыта;"), "{all}");
    assert!(all.contains("5900.00") && all.contains("590.00"), "{all}");
    let up = app.html(&sc, "/finance/export-up.csv?period=2025-03").await;
    assert!(up.contains("p-klg-1;7707083893;770701001;"), "{up}");
    let xlsx = sc
        .get(app.url("/finance/export-up.xlsx?period=2025-03"))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    // Another sales center's export holds none of it.
    let other = app.signed_in("sc-msk").await;
    let theirs = app.html(&other, "/finance/export.csv?period=2025-03").await;
    assert!(!theirs.contains("p-klg-1"), "{theirs}");
    assert_eq!(
        other
            .get(app.url("/finance/export.pdf?period=2025-03"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
