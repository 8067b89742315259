//! Certificate revocation (§8.3): find, request with a reason, the Word application, the
//! signed scan, sending, and the CA's revoked list refreshed daily.

use std::io::Read;

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::*;

async fn registered(app: &TestApp) {
    let id = app.submit(&sample_application()).await;
    app.register_submitted(id, json!({"option": "basic_1y"}))
        .await;
}

/// The registered owner's certificate, as the partner finds it by ИНН/КПП.
async fn the_certificate(app: &TestApp) -> Value {
    registered(app).await;
    let found = app
        .as_("p-klg-1")
        .get_ok("/certificates?inn=4027291410&kpp=402701001")
        .await;
    found["items"][0].clone()
}

/// A revocation request drafted by the partner: `(certificate, request id)`.
async fn a_draft(app: &TestApp) -> (Value, i64) {
    let cert = the_certificate(app).await;
    let cid = cert["id"].as_i64().unwrap();
    let r = app
        .as_("p-klg-1")
        .post_ok(
            &format!("/certificates/{cid}/revocation-requests"),
            json!({"reason": "owner_dismissed"}),
        )
        .await;
    assert_eq!(r["state"], "draft");
    (cert, r["id"].as_i64().unwrap())
}

/// A request sent to the CA with its signed scan; its id.
async fn a_sent_request(app: &TestApp) -> i64 {
    let (_, rid) = a_draft(app).await;
    let partner = app.as_("p-klg-1");
    let scan = partner
        .upload(
            &format!("/revocation-requests/{rid}/scan"),
            "скан.pdf",
            pdf("подписано"),
        )
        .await;
    assert_eq!(scan.json::<Value>().await.unwrap()["scan_attached"], true);
    let r = partner
        .post_ok(&format!("/revocation-requests/{rid}/send"), json!({}))
        .await;
    assert_eq!(r["state"], "sent");
    rid
}

#[tokio::test]
async fn the_owners_certificate_is_found_by_requisites_for_12_months() {
    let app = TestApp::spawn().await;
    let cert = the_certificate(&app).await;
    assert_eq!(cert["owner_name"], "Иванов Иван Иванович");
    // Manual l.1923, l.2862: 24.10.2018–24.10.2019.
    assert_eq!(cert["valid_to"], "2026-03-03", "12 months");
}

#[tokio::test]
async fn a_revocation_needs_a_known_reason_and_one_open_request_at_a_time() {
    let app = TestApp::spawn().await;
    let cid = the_certificate(&app).await["id"].as_i64().unwrap();
    let partner = app.as_("p-klg-1");
    let path = format!("/certificates/{cid}/revocation-requests");
    let p = partner
        .post_problem(&path, json!({"reason": "lost"}), 422)
        .await;
    assert_eq!(p["errors"][0]["field"], "reason");
    partner
        .post_ok(&path, json!({"reason": "owner_dismissed"}))
        .await;
    let p = partner
        .post_problem(&path, json!({"reason": "key_compromised"}), 409)
        .await;
    assert_eq!(p["refusal"], "revocation_request_open");
}

#[tokio::test]
async fn the_revocation_application_is_a_prefilled_word_document() {
    let app = TestApp::spawn().await;
    let (cert, rid) = a_draft(&app).await;
    let docx = app
        .as_("p-klg-1")
        .get(&format!("/revocation-requests/{rid}/application.docx"))
        .await;
    assert_eq!(
        docx.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let bytes = docx.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(xml.contains("Иванов Иван Иванович"));
    assert!(xml.contains(cert["serial"].as_str().unwrap()));
    assert!(xml.contains("Увольнение владельца сертификата"));
    assert!(zip.by_name("[Content_Types].xml").is_ok());
}

#[tokio::test]
async fn a_draft_is_sent_only_with_a_signed_scan() {
    let app = TestApp::spawn().await;
    let (_, rid) = a_draft(&app).await;
    let partner = app.as_("p-klg-1");
    let send = format!("/revocation-requests/{rid}/send");
    let p = partner.post_problem(&send, json!({}), 422).await;
    assert_eq!(p["errors"][0]["field"], "scan");
    let scan = format!("/revocation-requests/{rid}/scan");
    let not_a_scan = partner
        .upload(&scan, "скан.pdf", b"not a scan".to_vec())
        .await;
    problem(not_a_scan, 422).await;
    assert_eq!(
        partner.get_ok("/certificates?inn=4027291410").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_sent_request_refuses_another_scan_and_another_send_naming_its_state() {
    let app = TestApp::spawn().await;
    let rid = a_sent_request(&app).await;
    let partner = app.as_("p-klg-1");
    let scan = partner
        .upload(
            &format!("/revocation-requests/{rid}/scan"),
            "скан.pdf",
            pdf("другой"),
        )
        .await;
    let p = problem(scan, 409).await;
    assert_eq!(p["current_state"], "sent");
    assert_eq!(
        p["detail"],
        "Действие «Прикрепить скан» недоступно: заявление на отзыв в состоянии «Отправлено в УЦ»."
    );
    let p = partner
        .post_problem(&format!("/revocation-requests/{rid}/send"), json!({}), 409)
        .await;
    assert_eq!(p["event"], "send");
}

#[tokio::test]
async fn the_ca_revokes_a_day_after_sending_and_the_certificate_is_not_offered_again() {
    let app = TestApp::spawn().await;
    a_sent_request(&app).await;
    let partner = app.as_("p-klg-1");
    let offered = || async {
        partner.get_ok("/certificates?inn=4027291410").await["items"]
            .as_array()
            .unwrap()
            .len()
    };
    app.advance(Duration::hours(23));
    app.run_jobs().await;
    assert_eq!(offered().await, 1, "not yet revoked");
    app.advance(Duration::hours(1));
    let reports = app.run_jobs().await;
    let job = reports
        .iter()
        .find(|r| r.job == "certificate_revocations")
        .unwrap();
    assert_eq!(job.processed, 1);
    assert_eq!(
        offered().await,
        0,
        "a revoked certificate is not offered again"
    );
}

#[tokio::test]
async fn another_partner_reaches_none_of_it() {
    let app = TestApp::spawn().await;
    let (_, rid) = a_draft(&app).await;
    let other = app.as_("p-klg-2");
    other
        .get_problem(&format!("/revocation-requests/{rid}/application.docx"), 404)
        .await;
    let none = other.get_ok("/certificates?inn=4027291410").await;
    assert!(none["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_certificates_tab_starts_a_revocation() {
    let app = TestApp::spawn().await;
    registered(&app).await;
    let token = app.token("p-klg-1").await;
    let list: Value = app
        .api_get(Some(&token), "/subscribers?q=4027291410")
        .await
        .json()
        .await
        .unwrap();
    let sid = list["items"][0]["id"].as_i64().unwrap();
    let found: Value = app
        .api_get(Some(&token), "/certificates?inn=4027291410")
        .await
        .json()
        .await
        .unwrap();
    let cid = found["items"][0]["id"].as_i64().unwrap();
    let b = app.signed_in("p-klg-1").await;
    let html = b
        .get(app.url(&format!("/subscribers/{sid}?tab=certificates")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Компрометация ключа электронной подписи"));
    let csrf = csrf_in(&html).unwrap();
    let r = b
        .post(app.url(&format!("/certificates/{cid}/revocation")))
        .form(&[("csrf", csrf.as_str()), ("reason", "key_compromised")])
        .send()
        .await
        .unwrap();
    let html = b
        .get(app.url(&location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Заявление на отзыв создано"), "{html}");
    assert!(html.contains("Заявление (.docx)"));
    assert!(html.contains("Прикрепить скан"));
}

#[tokio::test]
async fn a_certificate_is_viewed_and_printed_with_the_subscribers_certificate_history() {
    let app = TestApp::spawn().await;
    let s = app.registered_subscriber().await;
    let id = s["id"].as_i64().unwrap();
    let found = app
        .as_("p-klg-1")
        .get_ok("/certificates?inn=4027291410")
        .await;
    let cert = found["items"][0]["id"].as_i64().unwrap();
    let b = app.signed_in("p-klg-1").await;
    let card = app
        .html(&b, &format!("/subscribers/{id}?tab=certificates"))
        .await;
    assert!(
        card.contains(&format!("href=\"/certificates/{cert}\"")),
        "linked from the tab"
    );
    let page = app.html(&b, &format!("/certificates/{cert}")).await;
    for needle in [
        "Серийный номер",
        "СНИЛС",
        "Удостоверяющий центр",
        "История сертификатов",
        "Распечатать",
        "Действует",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    // Another sales center's partner does not see it.
    let other = app.signed_in("p-msk-1").await;
    let r = other
        .get(app.url(&format!("/certificates/{cert}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
