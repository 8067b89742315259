//! The card's actions of §11.6–§11.7: «Запросить рег. файл» / «Получить рег. файл» and
//! «Экспорт заявления» of a certificate.

use chrono::Duration;
use serde_json::json;
use std::io::Read as _;

use crate::helpers::*;

#[tokio::test]
async fn the_registration_file_is_requested_again_and_downloaded() {
    let app = TestApp::spawn().await;
    let c = app.registered_subscriber().await;
    let sid = c["id"].as_i64().unwrap();
    let p = app.as_("p-klg-1");
    // A search's «%» is a character, not a wildcard (it matched every subscriber).
    assert_eq!(p.get_ok("/subscribers?q=%25").await["total"], 0);
    assert_eq!(
        p.get_ok("/subscribers?q=%D1%80%D0%BE%D0%BC%D0%B0%D1%88")
            .await["total"],
        1
    );
    let first = p
        .get(&format!("/subscribers/{sid}/registration-file"))
        .await
        .text()
        .await
        .unwrap();
    assert!(first.contains("ИНН=4027291410"), "{first}");
    assert!(first.contains("Сформирован=03.03.2025"), "{first}");

    app.advance(Duration::days(10));
    let r = p
        .post_ok(&format!("/subscribers/{sid}/registration-file"), json!({}))
        .await;
    assert!(
        r["registration_file_at"]
            .as_str()
            .unwrap()
            .starts_with("2025-03-13")
    );
    let again = p
        .get(&format!("/subscribers/{sid}/registration-file"))
        .await
        .text()
        .await
        .unwrap();
    assert!(again.contains("Сформирован=13.03.2025"), "{again}");
    app.as_("p-msk-1")
        .post_problem(
            &format!("/subscribers/{sid}/registration-file"),
            json!({}),
            404,
        )
        .await;
    let journal = app
        .as_("operator")
        .get_ok("/audit?action=subscriber.registration_file")
        .await;
    assert_eq!(journal["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_certificate_application_is_exported_as_a_word_document() {
    let app = TestApp::spawn().await;
    app.registered_subscriber().await;
    let certs = app
        .as_("p-klg-1")
        .get_ok("/certificates?inn=4027291410")
        .await;
    let id = certs["items"][0]["id"].as_i64().unwrap();
    let r = app
        .as_("p-klg-1")
        .get(&format!("/certificates/{id}/application.docx"))
        .await;
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut xml = String::new();
    z.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(xml.contains("Заявление на изготовление квалифицированного сертификата"));
    assert!(xml.contains("Иванов Иван Иванович, СНИЛС 112-233-445 95, Директор"));
    assert!(xml.contains("ИНН 4027291410, КПП 402701001"));
    app.as_("p-msk-1")
        .get_problem(&format!("/certificates/{id}/application.docx"), 404)
        .await;
}

#[tokio::test]
async fn the_certificate_is_exported_as_the_same_x509_file_every_time() {
    let app = TestApp::spawn().await;
    app.registered_subscriber().await;
    let certs = app
        .as_("p-klg-1")
        .get_ok("/certificates?inn=4027291410")
        .await;
    let id = certs["items"][0]["id"].as_i64().unwrap();
    let serial = certs["items"][0]["serial"].as_str().unwrap().to_owned();
    let export = || async {
        let r = app
            .as_("p-klg-1")
            .get(&format!("/certificates/{id}/export.zip"))
            .await;
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut der = Vec::new();
        z.by_name(&format!("{serial}.cer"))
            .unwrap()
            .read_to_end(&mut der)
            .unwrap();
        der
    };
    let first = export().await;
    assert_eq!(first[0], 0x30, "an ASN.1 SEQUENCE");
    let has = |needle: &[u8]| first.windows(needle.len()).any(|w| w == needle);
    assert!(has("Иванов Иван Иванович".as_bytes()), "the owner");
    assert!(has(b"4027291410"), "ИНН");
    assert!(has(b"11223344595"), "СНИЛС");
    let mut integer = vec![0x02, 0x14]; // INTEGER, 20 octets: the serial shown, unchanged
    integer.extend(hex_bytes(&serial));
    assert!(
        has(&integer),
        "the serial {serial}, as the certificate's integer"
    );
    assert_eq!(export().await, first, "the same file again");
    app.as_("p-msk-1")
        .get_problem(&format!("/certificates/{id}/export.zip"), 404)
        .await;
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
