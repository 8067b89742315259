//! The cloud signature (§17): the extension licence and the signature account made at
//! registration, and the window's actions with the manual's warnings.

use serde_json::{Value, json};

use crate::helpers::*;

/// The sample application with a cloud signature, registered; the subscriber card.
async fn registered_with_cloud_signature(app: &TestApp) -> Value {
    let mut doc = sample_application();
    doc["owner"]["cloud_signature"] = json!(true);
    let id = app.submit(&doc).await;
    app.register_submitted(id, json!({"option": "basic_1y"}))
        .await;
    let p = app.as_("p-klg-1");
    let list = p.get_ok("/subscribers?q=4027291410").await;
    p.get_ok(&format!("/subscribers/{}", list["items"][0]["id"]))
        .await
}

async fn event(app: &TestApp, login: &str, id: i64, e: &str) -> reqwest::Response {
    app.as_(login)
        .post(
            &format!("/cloud-signatures/{id}/events"),
            json!({"event": e}),
        )
        .await
}

async fn ok(app: &TestApp, login: &str, id: i64, e: &str) -> Value {
    let r = event(app, login, id, e).await;
    assert_eq!(r.status(), 200, "{e}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_cloud_signature_needs_a_mobile_phone_at_intake() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["owner"]["cloud_signature"] = json!(true);
    doc["mobile_phone"] = Value::Null;
    let b = problem(app.post_application(&doc, None).await, 422).await;
    assert!(
        b["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "mobile_phone"),
        "{b}"
    );
}

#[tokio::test]
async fn registration_brings_the_free_extension_and_the_account() {
    let app = TestApp::spawn().await;
    let card = registered_with_cloud_signature(&app).await;
    let ext = card["licences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["tariff_code"] == "cloud_signature")
        .expect("the cloud-signature extension");
    assert_eq!(
        ext["tariff_name"],
        "Расширение на программный продукт \"Астрал - Отчетность\" с применением Облачной подписи"
    );
    assert_eq!(ext["cost"], "0.00");
    assert_eq!(ext["state"], "registered");
    let sid = card["id"].as_i64().unwrap();
    let list = app
        .as_("p-klg-1")
        .get_ok(&format!("/subscribers/{sid}/cloud-signatures"))
        .await;
    let a = &list["items"][0];
    assert_eq!(a["state"], "qr_issued");
    assert_eq!(a["phone"], "+7 900 000 0000");
    assert_eq!(a["owner_name"], "Иванов Иван Иванович");
    assert_eq!(a["qr_generation"], 1);
    assert_eq!(
        a["actions"],
        json!([
            "print_qr",
            "send_activation_code",
            "new_password",
            "new_qr",
            "delete"
        ])
    );
    let certs = app
        .as_("p-klg-1")
        .get_ok("/certificates?inn=4027291410")
        .await;
    assert!(
        certs
            .to_string()
            .contains("Crypto-Pro GOST R 34.10-2012 HSM CSP"),
        "{certs}"
    );
    // Another partner's subscriber's account does not exist for it.
    let id = a["id"].as_i64().unwrap();
    app.as_("p-msk-1")
        .get_problem(&format!("/cloud-signatures/{id}"), 404)
        .await;
    app.as_("sc-msk")
        .post_problem(
            &format!("/cloud-signatures/{id}/events"),
            json!({"event": "delete"}),
            404,
        )
        .await;

    // Without a cloud signature there is neither.
    let app = TestApp::spawn().await;
    let card = app.registered_subscriber().await;
    assert!(!card.to_string().contains("cloud_signature"));
}

#[tokio::test]
async fn the_window_follows_the_account_through_activation_and_warns_as_the_manual_does() {
    let app = TestApp::spawn().await;
    let card = registered_with_cloud_signature(&app).await;
    let sid = card["id"].as_i64().unwrap();
    let list = app
        .as_("p-klg-1")
        .get_ok(&format!("/subscribers/{sid}/cloud-signatures"))
        .await;
    let id = list["items"][0]["id"].as_i64().unwrap();

    // Printing hands the QR code over.
    let d = ok(&app, "p-klg-1", id, "print_qr").await;
    assert_eq!(d["account"]["state"], "awaiting_activation");
    let first_qr = d["qr"].as_str().unwrap().to_owned();
    assert!(first_qr.starts_with("mydss://enroll?"), "{first_qr}");

    // The activation code goes by SMS through the outbox, not by e-mail.
    let d = ok(&app, "p-klg-1", id, "send_activation_code").await;
    assert_eq!(
        d["message"],
        "На номер телефона +7 900 000 0000 отправлен код активации для приложения myDSS."
    );
    let sms: Vec<_> = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.channel == "sms")
        .collect();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].to_address, "+7 900 000 0000");
    let code: String = sms[0].body.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6, "{}", sms[0].body);
    app.run_jobs().await;
    let sms = app
        .outbox()
        .await
        .into_iter()
        .find(|m| m.channel == "sms")
        .unwrap();
    assert_eq!(sms.status, "pending", "the mail sender leaves SMS alone");

    // The service's news are the operator's (the service side) to report.
    let r = event(&app, "p-klg-1", id, "activated").await;
    assert_eq!(r.status(), 403);
    let d = ok(&app, "operator", id, "activated").await;
    assert_eq!(d["account"]["state"], "active");
    let b = problem(
        event(&app, "p-klg-1", id, "send_activation_code").await,
        409,
    )
    .await;
    assert_eq!(b["current_state"], "active");
    let b = problem(event(&app, "p-klg-1", id, "print_qr").await, 409).await;
    assert_eq!(b["current_state"], "active");

    // «Новый QR-код»: one at a time until myDSS has the last.
    let d = ok(&app, "sc-klg", id, "new_qr").await;
    assert_eq!(d["account"]["qr_generation"], 2);
    assert_eq!(d["account"]["qr_pending"], true);
    let b = problem(event(&app, "p-klg-1", id, "new_qr").await, 409).await;
    assert_eq!(b["refusal"], "qr_not_updated");
    let d = ok(&app, "p-klg-1", id, "print_qr").await;
    assert_ne!(d["qr"].as_str().unwrap(), first_qr);
    ok(&app, "operator", id, "qr_updated").await;
    let b = problem(event(&app, "operator", id, "qr_updated").await, 409).await;
    assert_eq!(b["refusal"], "nothing_pending");

    // «Новый пароль»: not again before 1C has the auto-configuration file.
    let d = ok(&app, "p-klg-1", id, "new_password").await;
    assert_eq!(d["account"]["password_pending"], true);
    let b = problem(event(&app, "p-klg-1", id, "new_password").await, 409).await;
    assert_eq!(b["refusal"], "password_file_pending");
    assert!(b["detail"].as_str().unwrap().contains("файл автонастройки"));
    ok(&app, "operator", id, "password_file_received").await;
    ok(&app, "p-klg-1", id, "new_password").await;

    // A stale version is refused, naming the state.
    let b = app
        .as_("p-klg-1")
        .post_problem(
            &format!("/cloud-signatures/{id}/events"),
            json!({"event": "delete", "version": 0}),
            409,
        )
        .await;
    assert_eq!(b["current_state"], "active");

    // Deleted: nothing more.
    let d = ok(&app, "p-klg-1", id, "delete").await;
    assert_eq!(d["account"]["state"], "deleted");
    assert_eq!(d["account"]["actions"], json!([]));
    for e in [
        "print_qr",
        "new_qr",
        "new_password",
        "send_activation_code",
        "delete",
    ] {
        let b = problem(event(&app, "p-klg-1", id, e).await, 409).await;
        assert_eq!(b["current_state"], "deleted", "{e}");
    }
    let journal = app
        .as_("operator")
        .get_ok("/audit?object_type=cloud_signature")
        .await;
    // Opened, then each action above that was carried out: 11 entries.
    let n = journal["items"].as_array().unwrap().len();
    assert_eq!(n, 11, "{journal}");
    assert!(
        !journal.to_string().contains(&code),
        "no activation code in the journal"
    );
}
