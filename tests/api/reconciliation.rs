//! The monthly reconciliation (domain.md §5, manual §12, interfaces.md «Reconciliation»):
//! the manual's numbers line by line, the approval chain across the month's end with the
//! injected clock, immutability after approval, edits that reach the card only after
//! both approvals, tenancy, and a race between two approvals.

use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const MARCH: &str = "/reconciliations/p-klg-1/2025-03";

/// An organisation of p-klg-1 registered today through the real pipeline.
pub(crate) async fn register(app: &TestApp, inn: &str, kpp: &str, region: &str, extra: Value) {
    let mut doc = sample_application();
    doc["inn"] = json!(inn);
    doc["kpp"] = json!(kpp);
    doc["region_code"] = json!(region);
    doc["its_login"] = json!("its-nobody");
    doc["directions"] = json!([{ "authority": "fns", "code": "4027", "kpp": kpp }]);
    for (k, v) in extra.as_object().unwrap() {
        doc[k] = v.clone();
    }
    let id = app.submit(&doc).await;
    app.register_submitted(id, json!({"option": "basic_1y"}))
        .await;
}

async fn card_of(app: &TestApp, inn: &str) -> Value {
    let partner = app.as_("p-klg-1");
    let list = partner.get_ok(&format!("/subscribers?q={inn}")).await;
    partner
        .get_ok(&format!("/subscribers/{}", list["items"][0]["id"]))
        .await
}

async fn patch(
    app: &TestApp,
    login: &str,
    line: i64,
    body: Value,
    version: i64,
) -> reqwest::Response {
    let token = app.token(login).await;
    reqwest::Client::new()
        .patch(app.url(&format!("/api/v1{MARCH}/lines/{line}")))
        .bearer_auth(token)
        .header("If-Match", format!("\"{version}\""))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Manual l.2116, l.2327–2329: zone 2 Платная 4 900 → 2 450; zone 3 5 900 with the
/// CryptoPro extension 590 / 490 as its own non-primary line → 6 490 / 3 440. The
/// transfer to the operator is cost − share.
#[tokio::test]
async fn the_manuals_numbers_are_the_lines_and_totals() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    let d = app.as_("p-klg-1").get_ok(MARCH).await;
    assert_eq!(d["state"], "open");
    assert_eq!(d["closed"], false);
    assert_eq!(d["lines"].as_array().unwrap().len(), 1);
    let l = &d["lines"][0];
    assert_eq!(
        (l["cost"].as_str(), l["sales_center_share"].as_str()),
        (Some("4900.00"), Some("2450.00"))
    );
    assert_eq!(l["zone"], 2);
    assert_eq!(l["primary"], true);
    assert_eq!(l["kind"], "licence");
    assert!(!l["explanation"].as_array().unwrap().is_empty());
    assert_eq!(d["totals"]["transfer_to_operator"], "2450.00");

    // Samara is zone 3: 5 900 + CryptoPro 590.
    let app = TestApp::spawn().await;
    register(
        &app,
        "7707083893",
        "770701001",
        "63",
        json!({"cryptopro_licence": true, "owner": {"full_name": "Иванов Иван Иванович", "snils": "112-233-445 95", "position": "Директор", "certificate_type": "qualified_cryptopro", "cloud_signature": false}}),
    )
    .await;
    let d = app.as_("p-klg-1").get_ok(MARCH).await;
    let lines = d["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["cost"], "5900.00");
    assert_eq!(lines[0]["sales_center_share"], "2950.00");
    assert_eq!(lines[1]["kind"], "cryptopro");
    assert_eq!(lines[1]["primary"], false);
    assert_eq!(lines[1]["cost"], "590.00");
    assert_eq!(lines[1]["sales_center_share"], "490.00");
    assert_eq!(d["totals"]["cost"], "6490.00");
    assert_eq!(d["totals"]["sales_center_share"], "3440.00");
    assert_eq!(d["totals"]["transfer_cryptopro"], "100.00");
    assert_eq!(d["totals"]["transfer_to_operator"], "3050.00");
}

/// The chain with the clock crossing the month's end: no approval before it, the
/// partner by the 3rd working day, then the sales center; once approved the snapshot
/// is final — every write 409 — and the licence carries the approval, so the partner
/// may no longer revoke it.
#[tokio::test]
async fn the_partner_then_the_sales_center_approve_and_it_stays_approved() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    let partner = app.as_("p-klg-1");
    let p = partner
        .post_problem(&format!("{MARCH}/approve"), json!({}), 409)
        .await;
    assert_eq!(p["refusal"], "month_not_ended", "{p}");
    let d = partner.get_ok(MARCH).await;
    assert_eq!(d["due_on"], "2025-04-03");

    app.advance(Duration::days(29)); // 1 April
    let d = partner
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    assert_eq!(d["state"], "approved_by_partner");
    assert_eq!(d["closed"], true);
    // The partner cannot approve twice, nor the sales center skip it for others.
    let p = partner
        .post_problem(&format!("{MARCH}/approve"), json!({}), 409)
        .await;
    assert!(
        p["detail"].as_str().unwrap().contains("Одобрено партнером"),
        "{p}"
    );

    let sc = app.as_("sc-klg");
    let list = sc.get_ok("/reconciliations?period=2025-03").await;
    let row = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["partner_code"] == "p-klg-1")
        .cloned()
        .unwrap();
    assert_eq!(row["state"], "approved_by_partner");
    assert_eq!(row["totals"]["cost"], "4900.00");
    let d = sc.post_ok(&format!("{MARCH}/approve"), json!({})).await;
    assert_eq!(d["state"], "approved");
    assert_eq!(d["snapshot_hash"].as_str().unwrap().len(), 64);
    let history: Vec<&str> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["approve_by_partner", "approve"]);

    // Final: no edit, no approval, no return.
    let line = d["lines"][0]["id"].as_i64().unwrap();
    let r = patch(
        &app,
        "p-klg-1",
        line,
        json!({"tariff_code": "its"}),
        d["version"].as_i64().unwrap(),
    )
    .await;
    assert_eq!(r.status(), 409);
    sc.post_problem(&format!("{MARCH}/return"), json!({"comment": "x"}), 409)
        .await;
    sc.post_problem(&format!("{MARCH}/approve"), json!({}), 409)
        .await;

    // The licence is approved: the partner's revocation is refused by the rule.
    let c = card_of(&app, "4027291410").await;
    assert_eq!(c["licences"][0]["approved_in_reconciliation"], true);
    let p = partner
        .post_problem(
            &format!("/licences/{line}/revoke"),
            json!({"reason": "x"}),
            409,
        )
        .await;
    assert_eq!(p["refusal"], "approved_in_reconciliation");

    // What was approved is what is read, even if the catalog changes afterwards.
    app.sql("UPDATE tariffs SET primary_price = 100000 WHERE code = 'basic_1y'")
        .await;
    let again = partner.get_ok(MARCH).await;
    assert_eq!(again["lines"][0]["cost"], "4900.00");
    assert_eq!(again["snapshot_hash"], d["snapshot_hash"]);
}

/// A return needs a comment; the partner edits and approves again.
#[tokio::test]
async fn the_sales_center_returns_with_a_comment() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    app.advance(Duration::days(29));
    app.as_("p-klg-1")
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    let sc = app.as_("sc-klg");
    let p = sc
        .post_problem(&format!("{MARCH}/return"), json!({"comment": "  "}), 422)
        .await;
    assert_eq!(p["errors"][0]["field"], "comment");
    let d = sc
        .post_ok(
            &format!("{MARCH}/return"),
            json!({"comment": "Проверьте тариф ООО «Ромашка»"}),
        )
        .await;
    assert_eq!(d["state"], "returned");
    assert_eq!(d["comment"], "Проверьте тариф ООО «Ромашка»");
    let d = app
        .as_("p-klg-1")
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    assert_eq!(d["state"], "approved_by_partner");
}

/// Edits (§12.1–§12.6): each re-prices the line at once, is versioned, and reaches the
/// card only when the sales center approved; the rules of each tariff refuse by field.
#[tokio::test]
async fn an_edit_reprices_the_line_and_reaches_the_card_after_both_approvals() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    let partner = app.as_("p-klg-1");
    let d = partner.get_ok(MARCH).await;
    let line = d["lines"][0]["id"].as_i64().unwrap();

    // ITS needs a usable PROF subscription: its-nobody has none.
    let r = patch(&app, "p-klg-1", line, json!({"tariff_code": "its"}), 0).await;
    let p = problem(r, 422).await;
    assert_eq!(p["errors"][0]["field"], "tariff_code");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("ИТС"));
    // An unknown tariff is named.
    let p = problem(
        patch(&app, "p-klg-1", line, json!({"tariff_code": "gold"}), 0).await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "tariff_code");

    // Платная → Верное решение (one ФНС direction, primary): 1 200 / 600.
    let r = patch(
        &app,
        "p-klg-1",
        line,
        json!({"tariff_code": "right_choice"}),
        0,
    )
    .await;
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["lines"][0]["cost"], "1200.00");
    assert_eq!(d["lines"][0]["sales_center_share"], "600.00");
    assert_eq!(d["lines"][0]["edited"], true);
    assert_eq!(d["version"], 1);
    // A stale version is refused.
    let r = patch(
        &app,
        "p-klg-1",
        line,
        json!({"tariff_code": "right_choice"}),
        0,
    )
    .await;
    assert_eq!(r.status(), 409);
    // The card still shows the licence as sold.
    let c = card_of(&app, "4027291410").await;
    assert_eq!(c["licences"][0]["tariff_code"], "basic_1y");

    app.advance(Duration::days(29));
    partner
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    let c = card_of(&app, "4027291410").await;
    assert_eq!(
        c["licences"][0]["tariff_code"], "basic_1y",
        "one approval is not enough"
    );
    app.as_("sc-klg")
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    let c = card_of(&app, "4027291410").await;
    assert_eq!(c["licences"][0]["tariff_code"], "right_choice");
    assert_eq!(c["licences"][0]["cost"], "1200.00");
}

/// Верное решение needs exactly one ФНС direction (§12.4); revoking from the
/// reconciliation (§12.6) is immediate and disconnects a subscriber with no other licence.
#[tokio::test]
async fn right_choice_needs_one_fns_direction_and_revoking_disconnects() {
    let app = TestApp::spawn().await;
    register(
        &app,
        "4027291410",
        "402701001",
        "40",
        json!({"directions": [
            { "authority": "fns", "code": "4027", "kpp": "402701001" },
            { "authority": "fns", "code": "4028", "kpp": "402701001" }
        ]}),
    )
    .await;
    let d = app.as_("p-klg-1").get_ok(MARCH).await;
    let line = d["lines"][0]["id"].as_i64().unwrap();
    let p = problem(
        patch(
            &app,
            "p-klg-1",
            line,
            json!({"tariff_code": "right_choice"}),
            0,
        )
        .await,
        422,
    )
    .await;
    assert!(
        p["errors"][0]["message"].as_str().unwrap().contains("ФНС"),
        "{p}"
    );

    let r = patch(
        &app,
        "p-klg-1",
        line,
        json!({"revoke": true, "reason": "Клиент отказался"}),
        0,
    )
    .await;
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["lines"][0]["revoked"], true);
    assert_eq!(d["totals"]["cost"], "0.00");
    let c = card_of(&app, "4027291410").await;
    assert_eq!(c["licences"][0]["state"], "revoked");
    assert_eq!(c["connected"], false);
}

/// A special offer applied in the reconciliation (manual l.549–580): the sales center's
/// number, the client's region.
#[tokio::test]
async fn a_permit_applied_in_the_reconciliation_prices_the_offer() {
    let app = TestApp::spawn().await;
    let sc = app.token("sc-msk").await;
    let r = app
        .api_json(
            &sc,
            Method::POST,
            "/special-offers",
            Some(json!({"offer": "usn_mo", "number": "УСН_МО"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.advance(Duration::days(1));
    let mut doc = sample_application();
    doc["partner_code"] = json!("p-msk-1");
    doc["inn"] = json!("5036065113");
    doc["kpp"] = json!("503601001");
    doc["region_code"] = json!("50");
    doc["its_login"] = json!("its-nobody");
    doc["directions"] = json!([{ "authority": "fns", "code": "5036", "kpp": "503601001" }]);
    let id = app.submit(&doc).await;
    app.attach_required("p-msk-1", id).await;
    app.act(
        "p-msk-1",
        &format!("/applications/{id}/process"),
        json!({"option": "basic_1y"}),
    )
    .await;
    app.run_ca_processing().await;
    app.act("intake", &format!("/applications/{id}/receipt"), json!({}))
        .await;
    let path = "/reconciliations/p-msk-1/2025-03";
    let d = app.as_("p-msk-1").get_ok(path).await;
    assert_eq!(d["lines"][0]["cost"], "4900.00");
    let line = d["lines"][0]["id"].as_i64().unwrap();
    let token = app.token("p-msk-1").await;
    let r = app
        .api_json(
            &token,
            Method::PATCH,
            &format!("{path}/lines/{line}"),
            Some(json!({"special_offer_number": "НЕТ-ТАКОГО"})),
        )
        .await;
    assert_eq!(
        problem(r, 422).await["errors"][0]["field"],
        "special_offer_number"
    );
    let r = app
        .api_json(
            &token,
            Method::PATCH,
            &format!("{path}/lines/{line}"),
            Some(json!({"special_offer_number": "УСН_МО"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["lines"][0]["cost"], "3700.00");
    assert_eq!(d["lines"][0]["special_offer_number"], "УСН_МО");
}

/// Manual l.2130: one member connected in month M, two more in M+1, all in one group →
/// the first is at the nominal price in M; in M+1 the three are active and the new
/// members are priced by the 3-5 tier.
#[tokio::test]
async fn group_members_are_priced_by_the_tier_on_the_months_last_day() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    app.advance(Duration::days(31)); // 3 April
    register(&app, "7707083893", "770701001", "40", json!({})).await;
    register(&app, "4025442625", "402501001", "40", json!({})).await;
    let head = card_of(&app, "4027291410").await["id"].as_i64().unwrap();
    let partner = app.as_("p-klg-1");
    let g = partner
        .post_ok("/company-groups", json!({"head_subscriber_id": head}))
        .await;
    for inn in ["7707083893", "4025442625"] {
        let id = card_of(&app, inn).await["id"].as_i64().unwrap();
        partner
            .post_ok(
                &format!("/company-groups/{}/members", g["id"]),
                json!({"subscriber_id": id}),
            )
            .await;
    }
    let march = partner.get_ok(MARCH).await;
    assert_eq!(
        march["lines"][0]["cost"], "4900.00",
        "nominal: one active member on 31 March"
    );
    assert_eq!(march["lines"][0]["company_group_id"], g["id"]);
    let april = partner.get_ok("/reconciliations/p-klg-1/2025-04").await;
    let lines = april["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    for l in lines {
        assert_eq!(l["tariff_code"], "group_3_5", "{l}");
        assert_eq!(l["cost"], "4400.00");
    }
}

/// Tenancy: another partner and a foreign sales center get 404; an intake token 403.
#[tokio::test]
async fn a_reconciliation_is_seen_only_in_scope() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    app.as_("p-msk-1").get_problem(MARCH, 404).await;
    app.as_("sc-msk").get_problem(MARCH, 404).await;
    app.as_("sc-klg").get_ok(MARCH).await;
    app.as_("operator").get_ok(MARCH).await;
    let list = app
        .as_("sc-msk")
        .get_ok("/reconciliations?period=2025-03")
        .await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["partner_code"].as_str().unwrap().starts_with("p-msk")),
        "{list}"
    );
    app.as_("p-klg-1")
        .get_problem("/reconciliations/p-klg-1/2025-13", 422)
        .await;
    // The export is scoped the same way.
    let r = app.as_("p-msk-1").get(&format!("{MARCH}/export.csv")).await;
    assert_eq!(r.status(), 404);
    let r = app.as_("p-klg-1").get(&format!("{MARCH}/export.csv")).await;
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("4900.00"));
    assert!(text.contains("Перечисление в КА;;;;;;2450.00"), "{text}");
}

/// Two approvals at once: one wins, the other is told someone was first.
#[tokio::test]
async fn two_simultaneous_approvals_one_wins() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    app.advance(Duration::days(29));
    app.as_("p-klg-1")
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    let sc = app.as_("sc-klg");
    let path = format!("{MARCH}/approve");
    let (a, b) = tokio::join!(sc.post(&path, json!({})), sc.post(&path, json!({})));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "one approval wins");
    let d = sc.get_ok(MARCH).await;
    assert_eq!(d["state"], "approved");
    assert_eq!(d["history"].as_array().unwrap().len(), 2);

    // «Одобрить всё за партнёров» has nothing left to approve.
    let all = sc
        .post_ok("/reconciliations/approve-all?period=2025-03", json!({}))
        .await;
    assert_eq!(all["approved"], 0);
}

async fn notices(app: &TestApp) -> Vec<registrar::entities::outbox::Model> {
    app.outbox()
        .await
        .into_iter()
        .filter(|m| m.related_type.as_deref() == Some("reconciliation_notice"))
        .collect()
}

/// Manual §12.9: on the first working day the partner is told its month is ready and
/// by when to approve; after the due day the sales center gets one digest with the
/// overdue partner; nothing is sent twice, and nothing before the month has ended.
#[tokio::test]
async fn the_partner_is_reminded_and_the_sales_center_told_of_the_overdue() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    app.run_jobs().await;
    assert!(notices(&app).await.is_empty(), "March is still running");

    app.advance(Duration::days(29)); // Tuesday 1 April: the first working day
    app.run_jobs().await;
    app.run_jobs().await;
    let sent = notices(&app).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to_address, "p-klg-1@registrar.example");
    assert!(sent[0].subject.contains("март 2025"));
    assert!(sent[0].body.contains("03.04.2025"), "{}", sent[0].body);

    app.advance(Duration::days(3)); // 4 April: the due day passed
    app.run_jobs().await;
    app.run_jobs().await;
    let sent = notices(&app).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1].to_address, "sc-klg@registrar.example");
    assert!(sent[1].body.contains("просрочено"), "{}", sent[1].body);
    assert!(sent[1].body.contains("p-klg-1"));
}

/// The next month beside the last approved one: lines and money by tariff, and a
/// licence the sales center revoked after the approval named — and reversed by an
/// adjustment line in the month of the revocation, the approved month untouched.
#[tokio::test]
async fn a_month_is_compared_with_the_last_approved_one() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    app.advance(Duration::days(29));
    app.as_("p-klg-1")
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    app.as_("sc-klg")
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    register(&app, "7707083893", "770701001", "40", json!({})).await;
    register(&app, "4025442625", "402501001", "40", json!({})).await;
    let april = app
        .as_("p-klg-1")
        .get_ok("/reconciliations/p-klg-1/2025-04")
        .await;
    let c = &april["compared_with"];
    assert_eq!(c["period"], "2025-03");
    assert_eq!(c["lines"], 1);
    assert_eq!(c["totals"]["cost"], "4900.00");
    assert_eq!(c["by_tariff"][0], json!(["Основной (1 год)", 2, 1]));
    assert!(c["revoked_since"].as_array().unwrap().is_empty());

    // The sales center revokes the approved licence: April names it.
    let march_licence = 1;
    app.as_("sc-klg")
        .post_ok(
            &format!("/licences/{march_licence}/revoke"),
            json!({"reason": "Расторжение договора"}),
        )
        .await;
    let april = app
        .as_("p-klg-1")
        .get_ok("/reconciliations/p-klg-1/2025-04")
        .await;
    let revoked = april["compared_with"]["revoked_since"].as_array().unwrap();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["licence_id"], march_licence);
    // April carries the correction: the approved line reversed, in April's totals.
    let fix = april["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "adjustment")
        .expect("an adjustment line");
    assert_eq!(fix["licence_id"], march_licence);
    assert_eq!(fix["adjusts"], "2025-03");
    assert_eq!(fix["cost"], "-4900.00");
    assert_eq!(fix["sales_center_share"], "-2450.00");
    assert_eq!(
        april["totals"]["cost"], "4900.00",
        "two of 4 900, one reversed"
    );
    assert_eq!(april["totals"]["transfer_to_operator"], "2450.00");
    // The approved month itself does not change.
    let march = app.as_("p-klg-1").get_ok(MARCH).await;
    assert_eq!(march["lines"][0]["revoked"], false);
    assert_eq!(march["totals"]["cost"], "4900.00");
    assert!(
        march["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["kind"] != "adjustment")
    );
    // The correction is not a line the partner edits.
    let token = app.token("p-klg-1").await;
    let r = reqwest::Client::new()
        .patch(app.url(&format!(
            "/api/v1/reconciliations/p-klg-1/2025-04/lines/{march_licence}"
        )))
        .bearer_auth(token)
        .header("If-Match", format!("\"{}\"", april["version"]))
        .json(&json!({"tariff_code": "its"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// §12.1 with the login (manual l.1998–2006): the line's ITS login changed in the
/// reconciliation makes ITS usable (0,00 ₽) and reaches the product account with the
/// approvals; a login without a usable PROF subscription is refused by field.
#[tokio::test]
async fn the_its_login_changed_in_the_reconciliation_makes_its_usable() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    let p = problem(
        patch(
            &app,
            "p-klg-1",
            1,
            json!({"tariff_code": "its", "its_login": "its-nobody"}),
            0,
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "tariff_code");
    let p = problem(
        patch(&app, "p-klg-1", 1, json!({"its_login": "a b"}), 0).await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "its_login");
    let r = patch(
        &app,
        "p-klg-1",
        1,
        json!({"tariff_code": "its", "its_login": "its-active"}),
        0,
    )
    .await;
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["lines"][0]["cost"], "0.00");
    assert_eq!(d["lines"][0]["its_login"], "its-active");
    assert_eq!(
        card_of(&app, "4027291410").await["products"][0]["its_login"],
        "its-nobody"
    );

    app.advance(Duration::days(29));
    app.as_("p-klg-1")
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    app.as_("sc-klg")
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    let c = card_of(&app, "4027291410").await;
    assert_eq!(c["products"][0]["its_login"], "its-active");
    assert_eq!(c["licences"][0]["tariff_code"], "its");
    assert_eq!(c["licences"][0]["cost"], "0.00");
}

/// Manual l.549: an offer applied in the reconciliation to a licence sold before its
/// number existed — usable a day after the sales center registered it, then priced.
#[tokio::test]
async fn an_offer_number_registered_after_the_sale_applies_from_the_next_day() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["partner_code"] = json!("p-msk-1");
    doc["inn"] = json!("5036065113");
    doc["kpp"] = json!("503601001");
    doc["region_code"] = json!("50");
    doc["its_login"] = json!("its-nobody");
    doc["directions"] = json!([{ "authority": "fns", "code": "5036", "kpp": "503601001" }]);
    let id = app.submit(&doc).await;
    app.attach_required("p-msk-1", id).await;
    app.act(
        "p-msk-1",
        &format!("/applications/{id}/process"),
        json!({"option": "basic_1y"}),
    )
    .await;
    app.run_ca_processing().await;
    app.act("intake", &format!("/applications/{id}/receipt"), json!({}))
        .await;
    let sc = app.token("sc-msk").await;
    let r = app
        .api_json(
            &sc,
            Method::POST,
            "/special-offers",
            Some(json!({"offer": "nulevka_2020", "number": "Нулевка2020"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let path = "/reconciliations/p-msk-1/2025-03/lines/1";
    let token = app.token("p-msk-1").await;
    let edit = json!({"special_offer_number": "Нулевка2020"});
    let r = app
        .api_json(&token, Method::PATCH, path, Some(edit.clone()))
        .await;
    let p = problem(r, 422).await;
    assert_eq!(p["errors"][0]["field"], "special_offer_number");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("через сутки"),
        "{p}"
    );
    app.advance(Duration::days(1));
    let r = app.api_json(&token, Method::PATCH, path, Some(edit)).await;
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["lines"][0]["cost"], "500.00");
    assert_eq!(d["lines"][0]["sales_center_share"], "250.00");
}

/// What the partner approved is what its sales center approves: a catalog change in
/// between does not slip in; a partial edit keeps an earlier one of the line; a login
/// edit alone does not rewrite the licence's tariff.
#[tokio::test]
async fn the_sales_center_approves_the_figures_the_partner_approved() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    let r = patch(
        &app,
        "p-klg-1",
        1,
        json!({"tariff_code": "right_choice"}),
        0,
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = patch(&app, "p-klg-1", 1, json!({"its_login": "its-active"}), 1).await;
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    assert_eq!(
        d["lines"][0]["tariff_code"], "right_choice",
        "the tariff edit is kept"
    );
    assert_eq!(d["lines"][0]["its_login"], "its-active");

    app.advance(Duration::days(29));
    let approved = app
        .as_("p-klg-1")
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    assert_eq!(approved["totals"]["cost"], "1200.00");
    app.sql("UPDATE tariffs SET primary_price = 999900 WHERE code = 'right_choice'")
        .await;
    let d = app
        .as_("sc-klg")
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    assert_eq!(d["totals"]["cost"], "1200.00");
    assert_eq!(d["snapshot_hash"], approved["snapshot_hash"]);
    let c = card_of(&app, "4027291410").await;
    assert_eq!(c["licences"][0]["cost"], "1200.00");
    assert_eq!(c["products"][0]["its_login"], "its-active");
}

/// A licence revoked on the card while its month waits for the sales center: the
/// approved figures are the frozen ones (the licence counted), and the month of the
/// revocation carries the reversal once the sales center approved.
#[tokio::test]
async fn a_revocation_while_the_sales_center_decides_is_corrected_the_next_month() {
    let app = TestApp::spawn().await;
    register(&app, "4027291410", "402701001", "40", json!({})).await;
    app.advance(Duration::days(29));
    let partner = app.as_("p-klg-1");
    partner
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    partner
        .post_ok("/licences/1/revoke", json!({"reason": "Клиент отказался"}))
        .await;
    let april = partner.get_ok("/reconciliations/p-klg-1/2025-04").await;
    assert!(
        april["lines"].as_array().unwrap().is_empty(),
        "no correction before the sales center approved March"
    );
    let march = app
        .as_("sc-klg")
        .post_ok(&format!("{MARCH}/approve"), json!({}))
        .await;
    assert_eq!(march["state"], "approved");
    assert_eq!(march["totals"]["cost"], "4900.00", "the frozen figures");
    let april = partner.get_ok("/reconciliations/p-klg-1/2025-04").await;
    assert_eq!(april["lines"][0]["kind"], "adjustment");
    assert_eq!(april["totals"]["cost"], "-4900.00");
}
