//! The «В обработку» wizard of a secondary application (manual §3): Тип заявления →
//! Параметры ИТС → Суммарно, with Back keeping the choices, and the ITS login change
//! (§7: «Изменить логин ИТС» → Найти → Применить).

use serde_json::json;

use crate::harness::with_browser;
use crate::helpers::*;

async fn state(app: &TestApp, id: i64) -> String {
    app.application("p-klg-1", id).await["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A renewal through the three steps: the summary shows the action, the period
/// continuing the current licence, the directions, the configuration and the GUID
/// before anything is sent; Back returns with the choice kept.
#[tokio::test]
async fn a_renewal_goes_through_the_three_steps() {
    let app = TestApp::spawn().await;
    let first = app.registered_subscriber().await;
    let guid = first["products"][0]["guid"].as_str().unwrap().to_owned();
    app.advance(chrono::Duration::days(300));
    let mut doc = sample_application();
    doc["request_type"] = json!("change");
    doc["product_guid"] = json!(guid);
    let id = app.submit(&doc).await;
    app.attach_required("p-klg-1", id).await;
    let wizard = format!("/applications/{id}/process");
    with_browser(&app, "wizard-renewal", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/applications/{id}")).await;
        b.click("В обработку").await;
        b.sees("Заявление на изменение").await;
        b.sees("Данная организация уже подключена к сервису «1С-Отчетность».")
            .await;
        b.choose(&wizard, "action", "renewal").await;
        b.click("Далее").await;
        b.sees("Параметры ИТС").await;
        // Its PROF subscription is current: the ITS option comes chosen; pay instead.
        assert_eq!(b.checked(&wizard, "option").await, "its_free");
        b.choose(&wizard, "option", "basic_1y").await;
        b.click("Далее").await;
        b.sees("Действие\nПродление лицензии").await;
        b.sees("с 04.03.2026 до 04.03.2027").await;
        b.sees("Основной (1 год), 2\u{a0}500,00\u{a0}₽").await;
        b.sees("ФНС 4027 (402701001)").await;
        b.sees("1С:БУХГАЛТЕРИЯ КОРП 3.0").await;
        b.sees(&guid).await;
        b.sees("Если существуют расхождения в сроке действия лицензии")
            .await;
        b.click("Назад").await;
        assert_eq!(b.checked(&wizard, "option").await, "basic_1y");
        b.click("Далее").await;
        b.click("В обработку").await;
        b.sees("Заявление отправлено в обработку.").await;
        b
    })
    .await;
    assert_eq!(state(&app, id).await, "in_processing");
    let a = app.application("p-klg-1", id).await;
    assert_eq!(a["processing_option"], "basic_1y");
}

/// «Изменение реквизитов…»: no connection step, the warning the manual shows, and the
/// current period in the summary.
#[tokio::test]
async fn a_change_warns_and_keeps_the_period() {
    let app = TestApp::spawn().await;
    let first = app.registered_subscriber().await;
    let guid = first["products"][0]["guid"].as_str().unwrap().to_owned();
    let mut doc = sample_application();
    doc["request_type"] = json!("change");
    doc["product_guid"] = json!(guid);
    let id = app.submit(&doc).await;
    for kind in ["application_form", "identity_document", "owner_photo"] {
        app.attach("p-klg-1", id, kind, "scan.pdf", pdf(kind)).await;
    }
    let wizard = format!("/applications/{id}/process");
    with_browser(&app, "wizard-change", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&wizard).await;
        b.choose(&wizard, "action", "change").await;
        b.click("Далее").await;
        b.sees("Внимание! Будет произведено изменение данных в учетной записи пользователя.")
            .await;
        b.click("Далее").await;
        b.sees("Изменение реквизитов, направлений, замена сертификата")
            .await;
        b.sees("с 03.03.2025 до 03.03.2026").await;
        b.click("В обработку").await;
        b.sees("Заявление отправлено в обработку.").await;
        b
    })
    .await;
    assert_eq!(state(&app, id).await, "in_processing");
}

/// A choice the rules refuse (an additional configuration before any certificate) keeps
/// the partner on the step with the reason.
#[tokio::test]
async fn a_refused_action_names_the_rule() {
    let app = TestApp::spawn().await;
    app.registered_subscriber().await;
    app.sql("UPDATE certificates SET state = 'revoked'").await;
    let mut doc = sample_application();
    doc["product_guid"] = json!("7f1c1a9e-0000-4000-8000-000000000009");
    let id = app.submit(&doc).await;
    app.attach_required("p-klg-1", id).await;
    let wizard = format!("/applications/{id}/process");
    with_browser(&app, "wizard-refused", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&wizard).await;
        b.choose(&wizard, "action", "additional_configuration")
            .await;
        b.click("Далее").await;
        b.sees("с тем же сертификатом").await;
        b.click("Далее").await;
        let flash = b.flash().await;
        assert!(
            flash.contains("сертификат по первой конфигурации"),
            "{flash}"
        );
        b
    })
    .await;
    assert_eq!(state(&app, id).await, "accepted");
}

/// §7: the partner looks a login up, sees what the portal holds for it, applies it; the
/// check on the step is then made by it.
#[tokio::test]
async fn the_its_login_is_looked_up_and_applied() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["its_login"] = json!("its-nobody");
    let id = app.submit(&doc).await;
    let wizard = format!("/applications/{id}/process");
    let apply = format!("/applications/{id}/its-login");
    with_browser(&app, "its-login", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&wizard).await;
        b.sees("Подписка ИТС ПРОФ на портале ИТС не зарегистрирована")
            .await;
        b.open_details("Изменить логин ИТС").await;
        b.fill_in(&wizard, "find_login", "its-active").await;
        b.fill_in(&wizard, "find_email", "its-active@client.example")
            .await;
        b.click("Найти").await;
        b.sees("Подписки ИТС ПРОФ по логину «its-active»").await;
        b.sees("ITS-100001").await;
        b.click_in(&apply, "Применить").await;
        b.sees("Заявление связано с пользователем портала ИТС «its-active».")
            .await;
        b.sees("Подписка ИТС ПРОФ зарегистрирована на портале ИТС")
            .await;
        b
    })
    .await;
    let a = app.application("p-klg-1", id).await;
    assert_eq!(a["its_login"], "its-active");
    assert_eq!(a["its_email"], "its-active@client.example");
}
