//! Certificate revocation (§8.3): find, request with a reason, the Word application, the
//! signed scan, sending, and the CA's revoked list refreshed daily.

use std::io::Read;

use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn registered(app: &TestApp) {
    let id = app.submit(&sample_application()).await;
    app.register_submitted(id, json!({"option": "basic_1y"}))
        .await;
}

#[tokio::test]
async fn a_certificate_is_revoked_through_a_signed_application() {
    let app = TestApp::spawn().await;
    registered(&app).await;
    let token = app.token("p-klg-1").await;
    let found: Value = app
        .api_get(Some(&token), "/certificates?inn=4027291410&kpp=402701001")
        .await
        .json()
        .await
        .unwrap();
    let cert = found["items"][0].clone();
    assert_eq!(cert["owner_name"], "Иванов Иван Иванович");
    assert_eq!(cert["valid_to"], "2026-06-03", "15 months");
    let cid = cert["id"].as_i64().unwrap();

    let b = problem(
        app.api_json(
            &token,
            Method::POST,
            &format!("/certificates/{cid}/revocation-requests"),
            Some(json!({"reason": "lost"})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "reason");
    let r = app
        .act(
            "p-klg-1",
            &format!("/certificates/{cid}/revocation-requests"),
            json!({"reason": "owner_dismissed"}),
        )
        .await;
    assert_eq!(r["state"], "draft");
    let rid = r["id"].as_i64().unwrap();
    problem(
        app.api_json(
            &token,
            Method::POST,
            &format!("/certificates/{cid}/revocation-requests"),
            Some(json!({"reason": "key_compromised"})),
        )
        .await,
        409,
    )
    .await;

    // The application is a real .docx, prefilled.
    let docx = app
        .api_get(
            Some(&token),
            &format!("/revocation-requests/{rid}/application.docx"),
        )
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

    let b = problem(
        app.api_json(
            &token,
            Method::POST,
            &format!("/revocation-requests/{rid}/send"),
            Some(json!({})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "scan");
    let upload = |bytes: Vec<u8>| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name("скан.pdf");
        reqwest::Client::new()
            .put(app.url(&format!("/api/v1/revocation-requests/{rid}/scan")))
            .bearer_auth(&token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
    };
    problem(upload(b"not a scan".to_vec()).await.unwrap(), 422).await;
    assert_eq!(
        upload(pdf("подписано"))
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["scan_attached"],
        true
    );
    let r = app
        .act(
            "p-klg-1",
            &format!("/revocation-requests/{rid}/send"),
            json!({}),
        )
        .await;
    assert_eq!(r["state"], "sent");
    // Sent is past the draft: the machine refuses another scan and another send, naming
    // the state.
    let p = problem(upload(pdf("другой")).await.unwrap(), 409).await;
    assert_eq!(p["current_state"], "sent");
    assert_eq!(
        p["detail"],
        "Действие «Прикрепить скан» недоступно: заявление на отзыв в состоянии «Отправлено в УЦ»."
    );
    let again = app
        .api_json(
            &token,
            reqwest::Method::POST,
            &format!("/revocation-requests/{rid}/send"),
            Some(json!({})),
        )
        .await;
    assert_eq!(problem(again, 409).await["event"], "send");

    // The CA's list is refreshed daily.
    app.advance(Duration::hours(23));
    app.run_jobs().await;
    let found: Value = app
        .api_get(Some(&token), "/certificates?inn=4027291410")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        found["items"].as_array().unwrap().len(),
        1,
        "not yet revoked"
    );
    app.advance(Duration::hours(1));
    let reports = app.run_jobs().await;
    assert_eq!(
        reports
            .iter()
            .find(|r| r.job == "certificate_revocations")
            .unwrap()
            .processed,
        1
    );
    let found: Value = app
        .api_get(Some(&token), "/certificates?inn=4027291410")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        found["items"].as_array().unwrap().is_empty(),
        "a revoked certificate is not offered again"
    );

    // Another partner reaches none of it.
    let other = app.token("p-klg-2").await;
    problem(
        app.api_get(
            Some(&other),
            &format!("/revocation-requests/{rid}/application.docx"),
        )
        .await,
        404,
    )
    .await;
    let none: Value = app
        .api_get(Some(&other), "/certificates?inn=4027291410")
        .await
        .json()
        .await
        .unwrap();
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
