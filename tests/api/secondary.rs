//! Secondary applications (manual §3, audit B3): an organisation already connected sends
//! another application, and «В обработку» names what it is for — a new account, an
//! additional configuration with or without a certificate, a renewal continuing the
//! current licence, or a change of requisites — each taken through the authority's job
//! and the receipt. Also the paperless renewal that skips the partner (l.586–593), the
//! ITS login change (§7) and the manual's special-offer numbers (C5).

use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn card(app: &TestApp, inn: &str) -> Value {
    let partner = app.as_("p-klg-1");
    let list = partner.get_ok(&format!("/subscribers?q={inn}")).await;
    partner
        .get_ok(&format!("/subscribers/{}", list["items"][0]["id"]))
        .await
}

/// The sample organisation's next application: `request_type`, naming `guid`.
pub fn secondary(request_type: &str, guid: Option<&str>) -> Value {
    let mut doc = sample_application();
    doc["request_type"] = json!(request_type);
    doc["product_guid"] = json!(guid);
    doc
}

/// «В обработку» of `id` with `body`, refused: the problem.
async fn refused(app: &TestApp, id: i64, body: Value) -> Value {
    app.as_("p-klg-1")
        .post_problem(&format!("/applications/{id}/process"), body, 422)
        .await
}

/// The owner's documents only: what an action that connects no licence needs.
async fn owner_documents(app: &TestApp, id: i64) {
    for kind in ["application_form", "identity_document", "owner_photo"] {
        app.attach("p-klg-1", id, kind, "scan.pdf", pdf(kind)).await;
    }
}

fn tariff_licences(c: &Value) -> Vec<Value> {
    c["licences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "tariff")
        .cloned()
        .collect()
}

async fn certificates(app: &TestApp) -> usize {
    app.as_("p-klg-1")
        .get_ok("/certificates?inn=4027291410")
        .await["items"]
        .as_array()
        .unwrap()
        .len()
}

/// The renewal that crashed (audit B3: 500 on `UNIQUE(product_accounts.guid)`): it keeps
/// the product, is priced at the renewal price and continues from the day after the
/// current licence ends — months before that end, the periods do not overlap.
#[tokio::test]
async fn a_renewal_continues_the_current_licence_on_the_same_product() {
    let app = TestApp::spawn().await;
    let first = app.registered_subscriber().await;
    let guid = first["products"][0]["guid"].as_str().unwrap().to_owned();
    assert_eq!(first["licences"][0]["ends_on"], "2026-03-03");

    app.advance(Duration::days(300));
    let id = app.submit(&secondary("change", Some(&guid))).await;
    app.register_submitted(id, json!({"action": "renewal", "option": "basic_1y"}))
        .await;

    let c = card(&app, "4027291410").await;
    assert_eq!(c["products"].as_array().unwrap().len(), 1);
    let licences = tariff_licences(&c);
    assert_eq!(licences.len(), 2, "{licences:?}");
    let renewal = licences
        .iter()
        .find(|l| l["starts_on"] != "2025-03-03")
        .unwrap();
    assert_eq!(renewal["state"], "registered");
    assert_eq!(
        (renewal["starts_on"].as_str(), renewal["ends_on"].as_str()),
        (Some("2026-03-04"), Some("2027-03-04"))
    );
    assert_eq!(renewal["is_primary"], false);
    assert_eq!(renewal["cost"], "2500.00", "the renewal price of zone 2");
    let history = app.application("p-klg-1", id).await["history"].clone();
    assert!(
        history.to_string().contains("Продление лицензии"),
        "{history}"
    );
}

/// A renewal without a GUID acts on the organisation's only account; with two accounts
/// it must name one.
#[tokio::test]
async fn a_renewal_without_a_guid_needs_a_single_account() {
    let app = TestApp::spawn().await;
    app.registered_subscriber().await;
    let id = app.submit(&secondary("change", None)).await;
    app.register_submitted(id, json!({"action": "renewal", "option": "basic_1y"}))
        .await;
    let c = card(&app, "4027291410").await;
    assert_eq!(c["products"].as_array().unwrap().len(), 1);
    assert_eq!(tariff_licences(&c).len(), 2);

    // A second account, then a renewal that does not say which.
    let id = app
        .submit(&secondary(
            "create",
            Some("7f1c1a9e-0000-4000-8000-000000000001"),
        ))
        .await;
    app.register_submitted(id, json!({"action": "new_account", "option": "basic_1y"}))
        .await;
    let id = app.submit(&secondary("change", None)).await;
    app.attach_required("p-klg-1", id).await;
    let p = refused(&app, id, json!({"action": "renewal", "option": "basic_1y"})).await;
    assert_eq!(p["errors"][0]["field"], "product_guid", "{p}");
}

/// «Создание новой учетной записи»: a second product account with its own licence, a new
/// connection at the primary price; the GUID of an existing account is refused.
#[tokio::test]
async fn a_new_account_adds_a_product_and_a_licence() {
    let app = TestApp::spawn().await;
    let first = app.registered_subscriber().await;
    let old_guid = first["products"][0]["guid"].as_str().unwrap().to_owned();

    let id = app.submit(&secondary("create", Some(&old_guid))).await;
    app.attach_required("p-klg-1", id).await;
    let p = refused(
        &app,
        id,
        json!({"action": "new_account", "option": "basic_1y"}),
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "action");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("GUID"));

    let guid = "7f1c1a9e-0000-4000-8000-000000000002";
    let mut doc = secondary("create", Some(guid));
    doc["configuration"] = json!("1С:ЗАРПЛАТА И УПРАВЛЕНИЕ ПЕРСОНАЛОМ 3.1");
    let id = app.submit(&doc).await;
    app.register_submitted(id, json!({"action": "new_account", "option": "basic_1y"}))
        .await;
    let c = card(&app, "4027291410").await;
    let products = c["products"].as_array().unwrap();
    assert_eq!(products.len(), 2);
    assert!(
        products.iter().any(|p| p["guid"] == guid
            && p["configuration"] == "1С:ЗАРПЛАТА И УПРАВЛЕНИЕ ПЕРСОНАЛОМ 3.1")
    );
    let licences = tariff_licences(&c);
    assert_eq!(licences.len(), 2);
    assert!(
        licences
            .iter()
            .all(|l| l["is_primary"] == true && l["cost"] == "4900.00"),
        "{licences:?}"
    );
}

/// «Подключение дополнительной конфигурации»: a product account for the configuration
/// under the current licence (no new licence); with a certificate the authority makes
/// one and the receipt registers, without one the job registers at once.
#[tokio::test]
async fn an_additional_configuration_keeps_the_licence() {
    let app = TestApp::spawn().await;
    app.registered_subscriber().await;
    assert_eq!(certificates(&app).await, 1);

    let mut doc = secondary("create", Some("7f1c1a9e-0000-4000-8000-000000000003"));
    doc["configuration"] = json!("1С:ЗАРПЛАТА И УПРАВЛЕНИЕ ПЕРСОНАЛОМ 3.1");
    let id = app.submit(&doc).await;
    owner_documents(&app, id).await;
    // No licence is connected: no option, no contract or act demanded.
    let p = refused(
        &app,
        id,
        json!({"action": "additional_configuration_with_certificate", "option": "basic_1y"}),
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "option");
    let a = app
        .as_("p-klg-1")
        .post_ok(
            &format!("/applications/{id}/process"),
            json!({"action": "additional_configuration_with_certificate"}),
        )
        .await;
    assert_eq!(a["state"], "in_processing");
    app.run_ca_processing().await;
    assert_eq!(
        app.application("p-klg-1", id).await["state"],
        "awaiting_receipt"
    );
    assert_eq!(certificates(&app).await, 2);
    app.as_("intake")
        .post_ok(&format!("/applications/{id}/receipt"), json!({}))
        .await;
    let c = card(&app, "4027291410").await;
    assert_eq!(c["products"].as_array().unwrap().len(), 2);
    assert_eq!(tariff_licences(&c).len(), 1, "the licence is the first one");

    // With the same certificate: the job registers, no certificate is made.
    let mut doc = secondary("create", Some("7f1c1a9e-0000-4000-8000-000000000004"));
    doc["configuration"] = json!("1С:УПРАВЛЕНИЕ ТОРГОВЛЕЙ 11");
    let id = app.submit(&doc).await;
    owner_documents(&app, id).await;
    app.as_("p-klg-1")
        .post_ok(
            &format!("/applications/{id}/process"),
            json!({"action": "additional_configuration"}),
        )
        .await;
    app.run_ca_processing().await;
    assert_eq!(app.application("p-klg-1", id).await["state"], "registered");
    assert_eq!(certificates(&app).await, 2);
    let c = card(&app, "4027291410").await;
    assert_eq!(c["products"].as_array().unwrap().len(), 3);
    assert_eq!(tariff_licences(&c).len(), 1);
}

/// An additional configuration before the first certificate is registered is refused.
#[tokio::test]
async fn an_additional_configuration_waits_for_the_first_certificate() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    app.register_submitted(id, json!({"option": "basic_1y"}))
        .await;
    app.sql("UPDATE certificates SET state = 'revoked'").await;
    let id = app
        .submit(&secondary(
            "create",
            Some("7f1c1a9e-0000-4000-8000-000000000005"),
        ))
        .await;
    app.attach_required("p-klg-1", id).await;
    let p = refused(&app, id, json!({"action": "additional_configuration"})).await;
    assert_eq!(p["errors"][0]["field"], "action");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("сертификат по первой конфигурации")
    );
}

/// «Изменение реквизитов, направлений, замена сертификата»: at registration the card,
/// the account's directions and the configuration become the application's; no licence
/// changes; the replacement certificate is made.
#[tokio::test]
async fn a_change_rewrites_the_card_and_keeps_the_licence() {
    let app = TestApp::spawn().await;
    let first = app.registered_subscriber().await;
    let guid = first["products"][0]["guid"].as_str().unwrap().to_owned();
    let mut doc = secondary("change", Some(&guid));
    doc["short_name"] = json!("ООО \"Ромашка-Плюс\"");
    doc["phone"] = json!("+7 4842 111111");
    doc["configuration"] = json!("1С:БУХГАЛТЕРИЯ КОРП 3.0.150");
    doc["directions"] = json!([
        { "authority": "fns", "code": "4028", "kpp": "402701001" },
        { "authority": "fss", "code": "4001" }
    ]);
    let id = app.submit(&doc).await;
    owner_documents(&app, id).await;
    let a = app
        .as_("p-klg-1")
        .post_ok(
            &format!("/applications/{id}/process"),
            json!({"action": "change"}),
        )
        .await;
    assert_eq!(a["state"], "in_processing");
    // Nothing changes before the authority processed and the receipt came.
    assert_eq!(
        card(&app, "4027291410").await["short_name"],
        "ООО \"Ромашка\""
    );
    app.run_ca_processing().await;
    app.as_("intake")
        .post_ok(&format!("/applications/{id}/receipt"), json!({}))
        .await;

    let c = card(&app, "4027291410").await;
    assert_eq!(c["short_name"], "ООО \"Ромашка-Плюс\"");
    assert_eq!(c["phone"], "+7 4842 111111");
    assert_eq!(
        c["products"][0]["configuration"],
        "1С:БУХГАЛТЕРИЯ КОРП 3.0.150"
    );
    let codes: Vec<&str> = c["directions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["4028", "4001"]);
    assert_eq!(c["licences"].as_array().unwrap().len(), 1);
    assert_eq!(c["licences"][0]["ends_on"], "2026-03-03");
    assert_eq!(certificates(&app).await, 2, "the replacement certificate");
}

/// A connected organisation's application names its action; the refusal lists the
/// choices of its request type. A primary application takes none.
#[tokio::test]
async fn the_action_is_required_and_fits_the_request_type() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    app.attach_required("p-klg-1", id).await;
    let p = refused(&app, id, json!({"action": "renewal", "option": "basic_1y"})).await;
    assert_eq!(p["errors"][0]["field"], "action");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("первичное")
    );
    app.as_("p-klg-1")
        .post_ok(
            &format!("/applications/{id}/process"),
            json!({"option": "basic_1y"}),
        )
        .await;
    app.run_ca_processing().await;
    app.as_("intake")
        .post_ok(&format!("/applications/{id}/receipt"), json!({}))
        .await;

    let id = app.submit(&secondary("change", None)).await;
    app.attach_required("p-klg-1", id).await;
    let p = refused(&app, id, json!({"option": "basic_1y"})).await;
    assert_eq!(p["errors"][0]["field"], "action");
    let message = p["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("Продление лицензии"), "{message}");
    assert!(!message.contains("новой учетной записи"), "{message}");
    let p = refused(
        &app,
        id,
        json!({"action": "new_account", "option": "basic_1y"}),
    )
    .await;
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("«Изменение»")
    );
    let p = refused(&app, id, json!({"action": "rename"})).await;
    assert_eq!(p["errors"][0]["field"], "action");
}

/// Безбумажное продление (manual l.586–593, l.828): a renewal of a known account goes to
/// the authority without the partner; the receipt registers it. An unknown GUID stays
/// with the partner as any application.
#[tokio::test]
async fn a_paperless_renewal_skips_the_partner() {
    let app = TestApp::spawn().await;
    let first = app.registered_subscriber().await;
    let guid = first["products"][0]["guid"].as_str().unwrap().to_owned();
    app.advance(Duration::days(330));
    let mut doc = secondary("change", Some(&guid));
    doc["paperless_renewal"] = json!(true);
    doc["partner_code"] = json!(null);
    let r = app.post_application(&doc, Some("paperless-1")).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["state"], "in_processing", "{body}");
    let id = body["id"].as_i64().unwrap();
    // A repeat answers as the first did.
    let again: Value = app
        .post_application(&doc, Some("paperless-1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["state"], "in_processing");

    let a = app.application("p-klg-1", id).await;
    let sent = a["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["event"] == "send_to_processing")
        .cloned()
        .unwrap();
    assert!(
        sent["actor"]
            .as_str()
            .unwrap()
            .contains("paperless_renewal"),
        "{sent}"
    );
    app.run_ca_processing().await;
    app.as_("intake")
        .post_ok(&format!("/applications/{id}/receipt"), json!({}))
        .await;
    let c = card(&app, "4027291410").await;
    let licences = tariff_licences(&c);
    assert_eq!(licences.len(), 2);
    // Its PROF subscription is current: the renewal is by the ITS tariff.
    assert!(
        licences
            .iter()
            .any(|l| l["tariff_code"] == "its" && l["starts_on"] == "2026-03-04"),
        "{licences:?}"
    );

    let mut doc = secondary("change", Some("7f1c1a9e-0000-4000-8000-00000000dead"));
    doc["paperless_renewal"] = json!(true);
    let id = app.submit(&doc).await;
    assert_eq!(app.application("p-klg-1", id).await["state"], "accepted");
}

/// §7: the partner links the application to another ITS portal user — looked up first,
/// then applied; the check is made by it; the history keeps the change. Only before
/// processing, only the partner.
#[tokio::test]
async fn the_its_login_is_changed_before_processing() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["its_login"] = json!("its-nobody");
    let id = app.submit(&doc).await;
    let partner = app.as_("p-klg-1");
    let check = partner
        .get_ok(&format!("/applications/{id}/its-check"))
        .await;
    assert_eq!(check["outcome"], "none");
    let found = partner
        .get_ok(&format!(
            "/applications/{id}/its-check?its_login=its-active"
        ))
        .await;
    assert_eq!(found["outcome"], "active");
    assert_eq!(
        found["subscriptions"][0]["registration_number"],
        "ITS-100001"
    );

    let token = app.token("p-klg-1").await;
    let p = problem(
        app.api_json(
            &token,
            Method::PUT,
            &format!("/applications/{id}/its-login"),
            Some(json!({"its_login": "its-active", "its_email": "не почта"})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "its_email");
    let r = app
        .api_json(
            &token,
            Method::PUT,
            &format!("/applications/{id}/its-login"),
            Some(json!({"its_login": "its-active", "its_email": "its-active@client.example"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["its_login"], "its-active");
    let changed = a["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["event"] == "its_login_changed")
        .cloned()
        .unwrap();
    assert!(changed["reason"].as_str().unwrap().contains("its-nobody"));
    let check = partner
        .get_ok(&format!("/applications/{id}/its-check"))
        .await;
    assert_eq!(check["outcome"], "active");

    let sc = app.token("sc-klg").await;
    let r = app
        .api_json(
            &sc,
            Method::PUT,
            &format!("/applications/{id}/its-login"),
            Some(json!({"its_login": "its-used"})),
        )
        .await;
    assert_eq!(r.status(), 403);

    app.attach_required("p-klg-1", id).await;
    partner
        .post_ok(
            &format!("/applications/{id}/process"),
            json!({"option": "its_free"}),
        )
        .await;
    let p = problem(
        app.api_json(
            &token,
            Method::PUT,
            &format!("/applications/{id}/its-login"),
            Some(json!({"its_login": "its-used"})),
        )
        .await,
        409,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("В обработке"), "{p}");
}

/// Audit C5: the manual's numbers («УСН_МО», «Нулевка2020», «Promo50») are valid, and a
/// regional offer registered without a client's ИНН serves any client of the region.
#[tokio::test]
async fn a_regional_offer_number_serves_any_client_of_the_region() {
    let app = TestApp::spawn().await;
    let sc = app.token("sc-msk").await;
    for number in ["УСН_МО", "Нулевка2020", "Promo50"] {
        let r = app
            .api_json(
                &sc,
                Method::POST,
                "/special-offers",
                Some(json!({"offer": "usn_mo", "number": number})),
            )
            .await;
        assert_eq!(r.status(), 200, "{number}: {}", r.text().await.unwrap());
    }
    let p = problem(
        app.api_json(
            &sc,
            Method::POST,
            "/special-offers",
            Some(json!({"offer": "usn_mo", "number": "УСН МО"})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "number");
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
    app.as_("p-msk-1")
        .post_ok(
            &format!("/applications/{id}/process"),
            json!({"option": "basic_1y", "flags": {"special_offer_code": "УСН_МО"}}),
        )
        .await;
    let partner = app.as_("p-msk-1");
    let list = partner.get_ok("/subscribers?q=5036065113").await;
    let c = partner
        .get_ok(&format!("/subscribers/{}", list["items"][0]["id"]))
        .await;
    assert_eq!(c["licences"][0]["tariff_code"], "usn_mo");
    assert_eq!(c["licences"][0]["cost"], "3700.00");
}

/// A number another sales center registered is refused as taken (422 naming the field,
/// not a database error), without saying whose it is.
#[tokio::test]
async fn a_number_taken_by_another_center_is_refused_by_field() {
    let app = TestApp::spawn().await;
    app.sql(
        "INSERT INTO special_offer_permits (sales_center_id, offer_code, number, client_inn, registered_by, registered_at) \
         SELECT id, 'usn_so', 'Promo50', '', 'sc-other', '2025-03-01T00:00:00Z' FROM sales_centers WHERE code = 'sc-klg'",
    )
    .await;
    let token = app.token("sc-msk").await;
    let r = app
        .api_json(
            &token,
            Method::POST,
            "/special-offers",
            Some(json!({"offer": "usn_mo", "number": "Promo50"})),
        )
        .await;
    let p = problem(r, 422).await;
    assert_eq!(p["errors"][0]["field"], "number");
    assert!(!p.to_string().contains("sc-klg"), "{p}");
}
