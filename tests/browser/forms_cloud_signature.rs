//! «Управление облачной подписью» in a browser: from the card's «Сертификаты» tab to the
//! window, its warnings, and the printed QR code read back from the screenshot.

use fantoccini::Locator;
use serde_json::json;

use crate::harness::with_browser;
use crate::helpers::*;

/// Decodes the QR code in a PNG screenshot.
fn decode_qr(png_bytes: &[u8]) -> String {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let p = &buf[(y * w + x) * channels..];
        if channels >= 3 {
            ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000) as u8
        } else {
            p[0]
        }
    });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the screenshot");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn a_partner_works_the_cloud_signature_and_prints_a_qr_code_that_scans() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["owner"]["cloud_signature"] = json!(true);
    let id = app.submit(&doc).await;
    app.register_submitted(id, json!({"option": "basic_1y"}))
        .await;
    let list = app.as_("p-klg-1").get_ok("/subscribers?q=4027291410").await;
    let sid = list["items"][0]["id"].as_i64().unwrap();
    let account = {
        use registrar::entities::cloud_signature_account as a;
        use sea_orm::EntityTrait;
        a::Entity::find().one(&app.state.db).await.unwrap().unwrap()
    };
    let window = format!("/cloud-signatures/{}", account.id);
    let action = format!("{window}/action");
    let state = app.state.clone();
    with_browser(&app, "cloud-signature", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/subscribers/{sid}?tab=certificates"))
            .await;
        b.sees("Crypto-Pro GOST R 34.10-2012 HSM CSP").await;
        b.click("Облачная подпись").await;
        assert_eq!(b.path().await, window);
        b.sees("Управление облачной подписью").await;
        b.sees("+7 900 000 0000").await;
        b.sees("QR-код выдан").await;

        b.click_in(&action, "Отправить код активации myDSS").await;
        assert_eq!(
            b.flash().await,
            "На номер телефона +7 900 000 0000 отправлен код активации для приложения myDSS."
        );
        b.sees("Ожидает активации").await;

        // The manual's warning on a second password before the file is received.
        b.click_in(&action, "Новый пароль").await;
        assert!(
            b.flash().await.contains("отправлены в 1С"),
            "{}",
            b.flash().await
        );
        b.click_in(&action, "Новый пароль").await;
        assert!(
            b.flash()
                .await
                .contains("файл автонастройки еще не получен"),
            "{}",
            b.flash().await
        );

        // «Распечатать QR-код» → «Принтер готов» → the page with the four steps.
        b.click("Распечатать QR-код").await;
        b.sees("Предварительного просмотра не будет").await;
        b.click("Принтер готов").await;
        b.sees("Для начала работы с Вашей квалифицированной электронной подписью")
            .await;
        b.sees("Введите 6-ти значный пин-код, полученный в СМС")
            .await;
        let qr =
            b.c.find(Locator::Css("[data-cloud=qr] svg"))
                .await
                .unwrap()
                .screenshot()
                .await
                .unwrap();
        let current = {
            use registrar::entities::cloud_signature_account as a;
            use sea_orm::EntityTrait;
            a::Entity::find().one(&state.db).await.unwrap().unwrap()
        };
        assert_eq!(decode_qr(&qr), current.qr_payload);
        assert!(current.qr_payload.starts_with("mydss://enroll?"));

        // Deleted: the window offers nothing more.
        b.goto(&window).await;
        b.click_in(&action, "Удалить учетную запись").await;
        b.sees("Учетная запись удалена: действия с ней недоступны.")
            .await;
        b
    })
    .await;
}
