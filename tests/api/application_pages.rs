//! The applications pages as partner staff, sales centers and identification centers use
//! them: forms with CSRF, messages after actions, the fresh state after a lost race.

use serde_json::{Value, json};

use crate::helpers::*;

async fn page(b: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let r = b.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

#[tokio::test]
async fn a_partner_takes_an_application_by_inn_and_kpp() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["partner_code"] = Value::Null;
    let id = app.submit(&doc).await;
    let b = app.signed_in("p-klg-2").await;
    let html = page(&b, &app, "/applications").await;
    assert!(html.contains("Получить заявку"));
    assert!(html.contains("Принятые <span class=\"count\">0</span>"));

    let csrf = csrf_in(&html).unwrap();
    let r = b
        .post(app.url("/applications/claim"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("inn", "4027291410"),
            ("kpp", "402701001"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), format!("/applications/{id}"));
    let html = page(&b, &app, &location(&r)).await;
    assert!(html.contains("Заявка получена"));
    assert!(html.contains("Принята"));
    let html = page(&b, &app, "/applications").await;
    assert!(html.contains("Принятые <span class=\"count\">1</span>"));
    assert!(html.contains("ООО &quot;Ромашка&quot;") || html.contains("ООО \"Ромашка\""));

    // Nothing left to take.
    let r = b
        .post(app.url("/applications/claim"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("inn", "4027291410"),
            ("kpp", "402701001"),
        ])
        .send()
        .await
        .unwrap();
    let html = page(&b, &app, &location(&r)).await;
    assert!(html.contains("не найдено"));
}

#[tokio::test]
async fn rejecting_from_the_page_needs_a_reason_and_a_lost_race_shows_the_fresh_state() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    let b = app.signed_in("p-klg-1").await;
    let html = page(&b, &app, &format!("/applications/{id}")).await;
    let csrf = csrf_in(&html).unwrap();
    for button in ["Делегировать идентификацию", "В обработку", "Отклонить"]
    {
        assert!(html.contains(button), "{button}");
    }

    let r = b
        .post(app.url(&format!("/applications/{id}/reject")))
        .form(&[("csrf", csrf.as_str()), ("reason", " "), ("version", "0")])
        .send()
        .await
        .unwrap();
    let html = page(&b, &app, &location(&r)).await;
    assert!(html.contains("Причина: укажите причину"), "names the field");

    // Someone else delegates it meanwhile; this page still carries version 0.
    app.act(
        "p-klg-1",
        &format!("/applications/{id}/delegate-identification"),
        json!({}),
    )
    .await;
    let r = b
        .post(app.url(&format!("/applications/{id}/reject")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("reason", "дубль"),
            ("version", "0"),
        ])
        .send()
        .await
        .unwrap();
    let html = page(&b, &app, &location(&r)).await;
    assert!(
        html.contains("Действие «Отклонить» недоступно: заявление в состоянии «Идентификация»"),
        "{html}"
    );
    assert!(
        !html.contains(">Отклонить<"),
        "no reject button while in identification"
    );
    assert!(html.contains("заблокировано до её завершения"));
}

#[tokio::test]
async fn a_stale_form_is_refused_with_the_current_state() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    let b = app.signed_in("p-klg-1").await;
    let csrf = csrf_in(&page(&b, &app, &format!("/applications/{id}")).await).unwrap();
    // The API rejects and re-opens nothing; the version moves on.
    app.act(
        "p-klg-1",
        &format!("/applications/{id}/delegate-identification"),
        json!({}),
    )
    .await;
    app.act(
        "ic-3",
        &format!("/applications/{id}/identification"),
        json!({"result": "passed"}),
    )
    .await;
    let r = b
        .post(app.url(&format!("/applications/{id}/reject")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("reason", "дубль"),
            ("version", "0"),
        ])
        .send()
        .await
        .unwrap();
    let html = page(&b, &app, &location(&r)).await;
    assert!(html.contains("Заявление уже изменил другой пользователь: сейчас оно в состоянии «Идентификация пройдена»"), "{html}");
    assert_eq!(
        app.application("p-klg-1", id).await["state"],
        "identification_passed"
    );
}

#[tokio::test]
async fn the_identification_center_works_its_queue() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    app.act(
        "p-klg-1",
        &format!("/applications/{id}/delegate-identification"),
        json!({}),
    )
    .await;
    let b = app.signed_in("ic-3").await;
    let r = b.get(app.url("/identification")).send().await.unwrap();
    assert_eq!(location(&r), "/applications?folder=identification");
    let html = page(&b, &app, "/applications?folder=identification")
        .await
        .replace("&quot;", "\"");
    assert!(html.contains("Очередь идентификации"));
    assert!(html.contains("ООО \"Ромашка\""));
    // The queue names who comes with a passport and by when: delegated Monday 03.03.2025
    // 12:00 Moscow time; 10.03 is a day off (8 March fell on a Saturday), so ten working
    // days later is Tuesday 18.03.2025 12:00.
    assert!(html.contains("Иванов Иван Иванович"));
    assert!(html.contains("18.03.2025 12:00:00"), "{html}");
    let detail = page(&b, &app, &format!("/applications/{id}")).await;
    let csrf = csrf_in(&detail).unwrap();
    let r = b
        .post(app.url(&format!("/applications/{id}/identification")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("result", "passed"),
            ("version", "1"),
        ])
        .send()
        .await
        .unwrap();
    let html = page(&b, &app, &location(&r)).await;
    assert!(html.contains("Отмечено: идентификация пройдена."));
    assert_eq!(
        app.application("p-klg-1", id).await["state"],
        "identification_passed"
    );
    // Other offices see nothing.
    let other = app.signed_in("ic-4").await;
    assert_eq!(
        other
            .get(app.url(&format!("/applications/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn documents_are_uploaded_from_the_files_tab() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    let b = app.signed_in("p-klg-1").await;
    let html = page(&b, &app, &format!("/applications/{id}?tab=files")).await;
    assert!(html.contains("Фото владельца сертификата с паспортом"));
    let csrf = csrf_in(&html).unwrap();
    let upload = |csrf: Option<String>| {
        let mut form = reqwest::multipart::Form::new();
        if let Some(c) = csrf {
            form = form.text("csrf", c);
        }
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(pdf("скан")).file_name("скан паспорта.pdf"),
        );
        b.post(app.url(&format!("/applications/{id}/documents/identity_document")))
            .multipart(form)
            .send()
    };
    assert_eq!(
        upload(None).await.unwrap().status(),
        403,
        "no CSRF token, no upload"
    );
    let r = upload(Some(csrf)).await.unwrap();
    assert_eq!(location(&r), format!("/applications/{id}?tab=files"));
    let html = page(&b, &app, &location(&r)).await;
    assert!(html.contains("Файл «скан паспорта.pdf» прикреплён."));
    assert!(html.contains("Скачать все"));
    let r = b
        .get(app.url(&format!("/applications/{id}/documents/identity_document")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf("скан"));
}

#[tokio::test]
async fn the_sales_center_assigns_from_its_distribution_list() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["partner_code"] = Value::Null;
    let id = app.submit(&doc).await;
    app.advance(chrono::Duration::days(3));
    app.run_jobs().await;
    let b = app.signed_in("sc-klg").await;
    let r = b.get(app.url("/distribution")).send().await.unwrap();
    assert_eq!(location(&r), "/applications?folder=distribution");
    let html = page(&b, &app, "/applications?folder=distribution").await;
    assert!(
        html.contains("Распределение <span class=\"count\">1</span>"),
        "{html}"
    );
    assert!(
        html.contains("ООО «Обнинский учётный центр»"),
        "its own partners to choose from"
    );
    assert!(
        !html.contains("Бухсофт"),
        "no other sales center's partners"
    );
    let csrf = csrf_in(&html).unwrap();
    let r = b
        .post(app.url(&format!("/applications/{id}/assign")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("partner_code", "p-klg-2"),
            ("version", "0"),
            ("back", "/applications?folder=distribution"),
        ])
        .send()
        .await
        .unwrap();
    let html = page(&b, &app, &location(&r)).await;
    assert!(html.contains("Заявка назначена партнеру."));
    assert!(html.contains("Распределение <span class=\"count\">0</span>"));
    assert_eq!(
        app.application("p-klg-2", id).await["partner_code"],
        "p-klg-2"
    );
}
