//! Processing by the certification authority (interfaces.md; manual l.456, l.506,
//! l.593, l.1343): «В обработку» prepares the subscriber with licences «В ожидании»; the
//! authority's job issues the owner's certificate (→ «Ожидание расписки») or, with none
//! requested, registers; the receipt registers; the operator issues or refuses by hand.

use serde_json::{Value, json};

use crate::helpers::*;

/// An application of `doc` taken to «В обработке» by p-klg-1.
async fn in_processing(app: &TestApp, doc: &Value, process: Value) -> i64 {
    let id = app.submit(doc).await;
    app.attach_required("p-klg-1", id).await;
    let a = app
        .as_("p-klg-1")
        .post_ok(&format!("/applications/{id}/process"), process)
        .await;
    assert_eq!(a["state"], "in_processing");
    id
}

async fn card(app: &TestApp, inn: &str) -> Value {
    let partner = app.as_("p-klg-1");
    let list = partner.get_ok(&format!("/subscribers?q={inn}")).await;
    let id = &list["items"][0]["id"];
    assert!(id.is_i64(), "no subscriber {inn}: {list}");
    partner.get_ok(&format!("/subscribers/{id}")).await
}

#[tokio::test]
async fn an_application_goes_through_the_authority_to_a_registered_subscriber() {
    let app = TestApp::spawn().await;
    let id = in_processing(&app, &sample_application(), json!({"option": "basic_1y"})).await;

    // «В обработку»: the card exists, the licence waits, no certificate yet.
    let c = card(&app, "4027291410").await;
    assert_eq!(c["connected"], false);
    assert_eq!(c["status"], "connecting");
    assert_eq!(c["licences"][0]["state"], "pending");
    assert_eq!(c["licences"][0]["tariff_code"], "basic_1y");
    assert_eq!(c["licences"][0]["cost"], "4900.00");
    let partner = app.as_("p-klg-1");
    let certs = partner.get_ok("/certificates?inn=4027291410").await;
    assert!(certs["items"].as_array().unwrap().is_empty());

    // The authority's job issues the owner's certificate: 12 months from today.
    let report = app.run_ca_processing().await;
    assert_eq!(report.processed, 1);
    assert_eq!(
        app.application("p-klg-1", id).await["state"],
        "awaiting_receipt"
    );
    let certs = partner.get_ok("/certificates?inn=4027291410").await;
    assert_eq!(certs["items"][0]["valid_to"], "2026-03-03");
    assert_eq!(
        card(&app, "4027291410").await["licences"][0]["state"],
        "pending"
    );
    // Run again: nothing more to do.
    assert_eq!(app.run_ca_processing().await.processed, 0);

    // The receipt registers: the licence and the subscriber with it.
    let a = app
        .as_("intake")
        .post_ok(&format!("/applications/{id}/receipt"), json!({}))
        .await;
    assert_eq!(a["state"], "registered");
    let c = card(&app, "4027291410").await;
    assert_eq!(c["connected"], true);
    assert_eq!(c["status"], "connected");
    assert_eq!(c["licences"][0]["state"], "registered");
}

#[tokio::test]
async fn without_a_certificate_requested_the_authority_registers_at_once() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["certificate_requested"] = json!(false);
    let id = in_processing(&app, &doc, json!({"option": "basic_1y"})).await;
    app.run_ca_processing().await;
    assert_eq!(app.application("p-klg-1", id).await["state"], "registered");
    assert_eq!(
        card(&app, "4027291410").await["licences"][0]["state"],
        "registered"
    );
}

#[tokio::test]
async fn the_cryptopro_extension_waits_with_the_licence_and_is_not_primary() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["cryptopro_licence"] = json!(true);
    doc["owner"]["certificate_type"] = json!("qualified_cryptopro");
    in_processing(&app, &doc, json!({"option": "basic_1y"})).await;
    let c = card(&app, "4027291410").await;
    let cryptopro = c["licences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["tariff_code"] == "cryptopro")
        .unwrap()
        .clone();
    assert_eq!(cryptopro["state"], "pending");
    assert_eq!(cryptopro["is_primary"], false, "manual l.2328");
}

#[tokio::test]
async fn the_operator_refuses_with_a_reason_and_the_waiting_licences_are_revoked() {
    let app = TestApp::spawn().await;
    let id = in_processing(&app, &sample_application(), json!({"option": "basic_1y"})).await;
    let operator = app.as_("operator");
    let path = format!("/applications/{id}/refuse");
    let p = operator
        .post_problem(&path, json!({"reason": " "}), 422)
        .await;
    assert_eq!(p["errors"][0]["field"], "reason");
    // Only the operator (or the authority itself) decides for the authority.
    app.as_("p-klg-1")
        .post_problem(&path, json!({"reason": "нет"}), 403)
        .await;
    let a = operator
        .post_ok(
            &path,
            json!({"reason": "Данные владельца не совпадают с паспортом"}),
        )
        .await;
    assert_eq!(a["state"], "rejected");
    assert_eq!(
        a["reject_reason"],
        "Данные владельца не совпадают с паспортом"
    );
    let c = card(&app, "4027291410").await;
    assert_eq!(c["licences"][0]["state"], "revoked");
    assert_eq!(c["connected"], false);
    // A refused application is not processed again.
    assert_eq!(app.run_ca_processing().await.processed, 0);
}

#[tokio::test]
async fn the_operator_issues_by_hand_and_a_stale_version_is_refused() {
    let app = TestApp::spawn().await;
    let id = in_processing(&app, &sample_application(), json!({"option": "basic_1y"})).await;
    let version = app.application("operator", id).await["version"]
        .as_i64()
        .unwrap();
    let operator = app.as_("operator");
    let r = operator
        .send(
            reqwest::Method::POST,
            &format!("/applications/{id}/issue"),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["state"], "awaiting_receipt");
    assert_eq!(a["version"].as_i64().unwrap(), version + 1);
    // Issued already: the machine names the state.
    let p = operator
        .post_problem(&format!("/applications/{id}/issue"), json!(null), 409)
        .await;
    assert_eq!(p["current_state"], "awaiting_receipt");
}

#[tokio::test]
async fn the_processing_queue_is_the_operators_in_processing_folder() {
    let app = TestApp::spawn().await;
    let id = in_processing(&app, &sample_application(), json!({"option": "basic_1y"})).await;
    let b = app.signed_in("operator").await;
    let r = b.get(app.url("/processing")).send().await.unwrap();
    assert_eq!(location(&r), "/applications?folder=in_processing");
    let html = app.html(&b, "/applications?folder=in_processing").await;
    assert!(
        html.contains(&format!("/applications/{id}/issue")),
        "{html}"
    );
    assert!(html.contains("Сертификат выпущен"));
    let partner = app.signed_in("p-klg-1").await;
    let r = partner.get(app.url("/processing")).send().await.unwrap();
    assert_eq!(r.status(), 403);
}

/// C2: a renewal naming its product's GUID answered 500 at the receipt
/// (`UNIQUE constraint failed: product_accounts.guid`); the product is the same one now.
#[tokio::test]
async fn an_application_naming_a_known_product_keeps_that_product() {
    let app = TestApp::spawn().await;
    let first = app.registered_subscriber().await;
    let guid = first["products"][0]["guid"].as_str().unwrap().to_owned();
    let mut doc = sample_application();
    doc["request_type"] = json!("change");
    doc["product_guid"] = json!(guid);
    let id = app.submit(&doc).await;
    app.register_submitted(id, json!({"action": "renewal", "option": "basic_1y"}))
        .await;
    let c = card(&app, "4027291410").await;
    let products = c["products"].as_array().unwrap();
    assert_eq!(products.len(), 1, "{products:?}");
    assert_eq!(products[0]["guid"], guid.as_str());
}

/// Manual l.1343: a waiting licence has no registration date and follows its
/// application; its period runs from the registration.
#[tokio::test]
async fn a_waiting_licence_is_not_acted_on_by_hand_and_runs_from_registration() {
    let app = TestApp::spawn().await;
    let id = in_processing(&app, &sample_application(), json!({"option": "basic_1y"})).await;
    let licence = card(&app, "4027291410").await["licences"][0]["id"]
        .as_i64()
        .unwrap();
    let p = app
        .as_("p-klg-1")
        .post_problem(&format!("/licences/{licence}/revoke"), json!({}), 409)
        .await;
    assert_eq!(p["refusal"], "awaiting_registration");

    app.run_ca_processing().await;
    app.advance(chrono::Duration::days(3));
    app.as_("intake")
        .post_ok(&format!("/applications/{id}/receipt"), json!({}))
        .await;
    let l = card(&app, "4027291410").await["licences"][0].clone();
    assert_eq!(l["state"], "registered");
    assert_eq!(
        (l["starts_on"].as_str(), l["ends_on"].as_str()),
        (Some("2025-03-06"), Some("2026-03-06"))
    );
}

/// Audit C9: the signed certificate follows its issuance — not demanded before
/// processing, attachable while the receipt is awaited and after registration; the
/// contract and the transfer act are required except for the ITS tariff.
#[tokio::test]
async fn documents_come_in_the_order_the_manual_uses() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    for kind in ["application_form", "identity_document", "owner_photo"] {
        let r = app.attach("p-klg-1", id, kind, "scan.pdf", pdf(kind)).await;
        assert_eq!(r.status(), 200);
    }
    let p = app
        .as_("p-klg-1")
        .post_problem(
            &format!("/applications/{id}/process"),
            json!({"option": "basic_1y"}),
            422,
        )
        .await;
    let documents = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "documents")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(documents, "не прикреплены: Договор, Акт приема-передачи");
    // The ITS tariff needs neither.
    let a = app
        .as_("p-klg-1")
        .post_ok(
            &format!("/applications/{id}/process"),
            json!({"option": "deferred_its"}),
        )
        .await;
    assert_eq!(a["state"], "in_processing");

    app.run_ca_processing().await;
    let signed = || {
        app.attach(
            "p-klg-1",
            id,
            "signed_certificate",
            "cert.pdf",
            pdf("signed"),
        )
    };
    assert_eq!(signed().await.status(), 200, "while the receipt is awaited");
    app.as_("intake")
        .post_ok(&format!("/applications/{id}/receipt"), json!({}))
        .await;
    assert_eq!(signed().await.status(), 200, "after registration");
    let closed = app
        .attach("p-klg-1", id, "contract", "contract.pdf", pdf("contract"))
        .await;
    assert_eq!(problem(closed, 409).await["current_state"], "registered");
}

/// Audit C21: the invitation says what happens after ten working days — identification
/// fails; it is not «rejected».
#[tokio::test]
async fn the_identification_invitation_says_identification_fails_after_ten_working_days() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    app.as_("p-klg-1")
        .post_ok(
            &format!("/applications/{id}/delegate-identification"),
            json!({}),
        )
        .await;
    let mail = app.outbox().await;
    let body = &mail.last().unwrap().body;
    assert!(body.contains("«Идентификация не пройдена»"), "{body}");
    assert!(!body.contains("отклонено"), "{body}");
}

/// Domain.md «Tariff zone» (audit C16): a licence takes the zone of the subscriber's
/// region; the partner's zone is only a default. p-klg-2 is a zone-3 partner in Kaluga,
/// a zone-2 region: its client's licence is priced in zone 2.
#[tokio::test]
async fn a_licence_takes_the_zone_of_the_subscribers_region() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["partner_code"] = json!("p-klg-2");
    let id = app.submit(&doc).await;
    app.attach_required("p-klg-2", id).await;
    app.as_("p-klg-2")
        .post_ok(
            &format!("/applications/{id}/process"),
            json!({"option": "basic_1y"}),
        )
        .await;
    let partner = app.as_("p-klg-2");
    let list = partner.get_ok("/subscribers?q=4027291410").await;
    let c = partner
        .get_ok(&format!("/subscribers/{}", list["items"][0]["id"]))
        .await;
    assert_eq!(c["licences"][0]["zone"], 2);
    assert_eq!(c["licences"][0]["cost"], "4900.00");
}

/// Audit B4/C6: a client of an authorized representative (УП) gets «Дополнительная
/// лицензия для клиентов УП», priced as the calculator prices it.
#[tokio::test]
async fn an_authorized_representatives_client_gets_the_up_licence() {
    let app = TestApp::spawn().await;
    in_processing(
        &app,
        &sample_application(),
        json!({"option": "basic_1y", "flags": {"authorized_representative": true}}),
    )
    .await;
    let l = card(&app, "4027291410").await["licences"][0].clone();
    assert_eq!(l["tariff_code"], "up_additional");
    let quote = app
        .as_("p-klg-1")
        .send(
            reqwest::Method::POST,
            "/pricing/quote",
            Some(json!({"item": "up_additional", "date": "2025-03-03", "zone": 2})),
        )
        .await;
    let quote: Value = quote.json().await.unwrap();
    assert_eq!(l["cost"], quote["total"], "one pricing path");
}

/// Audit B4/C8: Верное решение only for an organisation never connected, with exactly
/// one ФНС direction — the refusal names the rule.
#[tokio::test]
async fn right_choice_is_refused_to_a_connected_organisation_and_to_two_fns_directions() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["directions"] = json!([
        { "authority": "fns", "code": "4027", "kpp": "402701001" },
        { "authority": "fns", "code": "4028", "kpp": "402701001" }
    ]);
    let id = app.submit(&doc).await;
    app.attach_required("p-klg-1", id).await;
    let p = app
        .as_("p-klg-1")
        .post_problem(
            &format!("/applications/{id}/process"),
            json!({"option": "basic_1y", "flags": {"right_choice": true}}),
            422,
        )
        .await;
    assert_eq!(p["errors"][0]["field"], "flags.right_choice", "{p}");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ровно одно направление ФНС")
    );

    // Already connected: refused whatever the directions, even for a new account.
    app.registered_subscriber().await;
    let id = app.submit(&sample_application()).await;
    app.attach_required("p-klg-1", id).await;
    let p = app
        .as_("p-klg-1")
        .post_problem(
            &format!("/applications/{id}/process"),
            json!({"action": "new_account", "option": "basic_1y", "flags": {"right_choice": true}}),
            422,
        )
        .await;
    assert_eq!(p["errors"][0]["field"], "flags.right_choice", "{p}");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ещё не были подключены")
    );
}

/// Audit B4/C8: one live bonus licence per partner.
#[tokio::test]
async fn a_partner_holds_one_live_bonus() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    app.register_submitted(id, json!({"option": "basic_1y", "flags": {"bonus": true}}))
        .await;
    assert_eq!(
        card(&app, "4027291410").await["licences"][0]["tariff_code"],
        "bonus"
    );
    let mut doc = sample_application();
    doc["inn"] = json!("7707083893");
    doc["kpp"] = json!("770701001");
    let second = app.submit(&doc).await;
    app.attach_required("p-klg-1", second).await;
    let p = app
        .as_("p-klg-1")
        .post_problem(
            &format!("/applications/{second}/process"),
            json!({"option": "basic_1y", "flags": {"bonus": true}}),
            422,
        )
        .await;
    assert_eq!(p["errors"][0]["field"], "flags.bonus", "{p}");
}

/// Audit C7 (manual l.389–415): «ИНН/КПП группы компаний» at «В обработку» makes the
/// subscriber a member of its head's group at registration; the head must already be a
/// registered subscriber of the partner.
#[tokio::test]
async fn the_group_head_named_at_processing_takes_the_member_in_at_registration() {
    let app = TestApp::spawn().await;
    let mut member = sample_application();
    member["inn"] = json!("7707083893");
    member["kpp"] = json!("770701001");
    let flags = json!({"option": "basic_1y",
        "flags": {"group_head_inn": "4027291410", "group_head_kpp": "402701001"}});

    // No such registered head yet: refused, naming the field.
    let early = app.submit(&member).await;
    app.attach_required("p-klg-1", early).await;
    let p = app
        .as_("p-klg-1")
        .post_problem(
            &format!("/applications/{early}/process"),
            flags.clone(),
            422,
        )
        .await;
    assert_eq!(p["errors"][0]["field"], "flags.group_head_inn", "{p}");

    let head = app.registered_subscriber().await;
    app.register_submitted(early, flags).await;
    let m = card(&app, "7707083893").await;
    let group = head_group(&app, &head).await;
    assert_eq!(m["company_group_id"], group);
    let g = app
        .as_("p-klg-1")
        .get_ok(&format!("/company-groups/{group}"))
        .await;
    assert_eq!(g["total"], 2);
}

async fn head_group(app: &TestApp, head: &Value) -> Value {
    app.as_("p-klg-1")
        .get_ok(&format!("/subscribers/{}", head["id"]))
        .await["company_group_id"]
        .clone()
}
