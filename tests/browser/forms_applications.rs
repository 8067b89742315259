//! The forms of the applications section, valid and invalid, as a person uses them.

use serde_json::{Value, json};

use crate::harness::with_browser;
use crate::helpers::*;

async fn state(app: &TestApp, login: &str, id: i64) -> String {
    app.application(login, id).await["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn unclaimed() -> Value {
    let mut doc = sample_application();
    doc["partner_code"] = Value::Null;
    doc
}

#[tokio::test]
async fn claim_by_inn_and_kpp_takes_the_application() {
    let app = TestApp::spawn().await;
    let id = app.submit(&unclaimed()).await;
    with_browser(&app, "claim-ok", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto("/applications").await;
        b.fill_in("/applications/claim", "inn", "4027291410").await;
        b.fill_in("/applications/claim", "kpp", "402701001").await;
        b.click("Получить заявку").await;
        b.sees("Заявка получена и перемещена в папку «Принятые».")
            .await;
        assert_eq!(b.path().await, format!("/applications/{id}"));
        b
    })
    .await;
    assert_eq!(state(&app, "p-klg-1", id).await, "accepted");
}

#[tokio::test]
async fn claim_with_a_bad_inn_names_the_field_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let id = app.submit(&unclaimed()).await;
    with_browser(&app, "claim-bad", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto("/applications").await;
        b.fill_in("/applications/claim", "inn", "4027291411").await;
        b.fill_in("/applications/claim", "kpp", "402701001").await;
        b.click("Получить заявку").await;
        assert!(b.flash().await.starts_with("ИНН:"), "{}", b.flash().await);
        assert_eq!(b.value_of("/applications/claim", "inn").await, "4027291411");
        assert_eq!(b.value_of("/applications/claim", "kpp").await, "402701001");
        assert!(b.marked_invalid("/applications/claim", "inn").await);
        b
    })
    .await;
    let token = app.token("operator").await;
    let a: Value = app
        .api_get(Some(&token), &format!("/applications/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["state"], "submitted");
}

#[tokio::test]
async fn the_sales_center_assigns_from_distribution_and_from_the_card() {
    let app = TestApp::spawn().await;
    let first = app.submit(&unclaimed()).await;
    let mut doc = unclaimed();
    doc["inn"] = json!("4025442625");
    doc["kpp"] = json!("402501001");
    doc["ogrn"] = Value::Null;
    let second = app.submit(&doc).await;
    app.advance(chrono::Duration::days(3));
    app.run_jobs().await;
    with_browser(&app, "assign", |b| async move {
        b.sign_in("sc-klg").await;
        b.click("Распределение").await;
        let action = format!("/applications/{first}/assign");
        // Without a partner the browser does not send the form.
        b.click_refused_by_browser(&action, "Назначить").await;
        b.select(Some(&action), "partner_code", "p-klg-2").await;
        b.click_in(&action, "Назначить").await;
        b.sees("Заявка назначена партнеру.").await;
        b.goto(&format!("/applications/{second}")).await;
        b.select(None, "partner_code", "p-klg-3").await;
        b.click("Назначить").await;
        b.sees("Заявка назначена партнеру.").await;
        b
    })
    .await;
    assert_eq!(
        app.application("p-klg-2", first).await["partner_code"],
        "p-klg-2"
    );
    assert_eq!(
        app.application("p-klg-3", second).await["partner_code"],
        "p-klg-3"
    );
}

#[tokio::test]
async fn delegating_identification_and_the_centers_answers() {
    let app = TestApp::spawn().await;
    let passed = app.submit(&sample_application()).await;
    let mut doc = sample_application();
    doc["inn"] = json!("4025442625");
    doc["kpp"] = json!("402501001");
    doc["ogrn"] = Value::Null;
    let failed = app.submit(&doc).await;
    with_browser(&app, "delegate", |b| async move {
        b.sign_in("p-klg-1").await;
        for id in [passed, failed] {
            b.goto(&format!("/applications/{id}")).await;
            b.click("Делегировать идентификацию").await;
            b.sees("Центр идентификации").await;
            b.click("Делегировать").await;
            b.sees("Идентификация делегирована").await;
            b.sees("Срок явки на идентификацию").await;
        }
        b
    })
    .await;
    with_browser(&app, "identification", |b| async move {
        b.sign_in("ic-3").await;
        b.goto(&format!("/applications/{passed}")).await;
        b.click("Идентификация пройдена").await;
        b.sees("Отмечено: идентификация пройдена.").await;
        // A reason of spaces is no reason: the field is named, nothing changes.
        let action = format!("/applications/{failed}/identification");
        b.goto(&format!("/applications/{failed}")).await;
        b.fill_in(&action, "reason", "   ").await;
        b.click_in(&action, "Не пройдена").await;
        assert!(
            b.flash().await.contains("Причина: укажите причину"),
            "{}",
            b.flash().await
        );
        b.fill_in(&action, "reason", "Паспорт просрочен").await;
        b.click_in(&action, "Не пройдена").await;
        b.sees("Отмечено: идентификация не пройдена.").await;
        b.sees("Идентификация не пройдена: Паспорт просрочен").await;
        b
    })
    .await;
    assert_eq!(
        state(&app, "p-klg-1", passed).await,
        "identification_passed"
    );
    assert_eq!(
        state(&app, "p-klg-1", failed).await,
        "identification_failed"
    );
}

#[tokio::test]
async fn sending_to_processing_refuses_an_unregistered_offer_number_and_then_sends() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    app.attach_required("p-klg-1", id).await;
    with_browser(&app, "process", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/applications/{id}")).await;
        b.click("В обработку").await;
        let action = format!("/applications/{id}/process");
        b.fill_in(&action, "special_offer_code", "NO-SUCH-1").await;
        b.click("Далее").await;
        // The guard's refusal keeps the partner on the step, beside the field.
        let flash = b.flash().await;
        assert!(flash.contains("Номер специального предложения:"), "{flash}");
        assert_eq!(b.value_of(&action, "special_offer_code").await, "NO-SUCH-1");
        assert!(b.marked_invalid(&action, "special_offer_code").await);
        b.fill_in(&action, "special_offer_code", "").await;
        b.click("Далее").await;
        b.sees("Суммарная информация при отправке заявки в обработку")
            .await;
        // Its PROF subscription is current: the free ITS connection is chosen.
        b.sees("Льготное подключение (ИТС)").await;
        b.sees("Информационно-технологическое сопровождение 1С, 0,00\u{a0}₽")
            .await;
        b.click("В обработку").await;
        b.sees("Заявление отправлено в обработку.").await;
        b
    })
    .await;
    assert_eq!(state(&app, "p-klg-1", id).await, "in_processing");
}

#[tokio::test]
async fn rejecting_needs_a_reason_and_keeps_the_text() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    with_browser(&app, "reject", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/applications/{id}")).await;
        let action = format!("/applications/{id}/reject");
        b.open_details("Отклонить").await;
        b.fill_in(&action, "reason", "  ").await;
        b.click("Отклонить заявление").await;
        assert!(b.flash().await.contains("Причина: укажите причину"));
        b.fill_in(&action, "reason", "Клиент передумал").await;
        b.click("Отклонить заявление").await;
        b.sees("Заявление отклонено.").await;
        b.sees("Причина отклонения: Клиент передумал").await;
        b
    })
    .await;
    assert_eq!(state(&app, "p-klg-1", id).await, "rejected");
}

#[tokio::test]
async fn uploading_a_scan_and_refusing_a_text_file() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    let dir = tempfile::tempdir().unwrap();
    let scan = dir.path().join("паспорт.pdf");
    std::fs::write(&scan, pdf("passport")).unwrap();
    let text = dir.path().join("заметки.txt");
    std::fs::write(&text, "не скан").unwrap();
    with_browser(&app, "upload", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/applications/{id}?tab=files")).await;
        let action = format!("/applications/{id}/documents/identity_document");
        b.attach(&action, &text).await;
        b.click_in(&action, "Прикрепить файл").await;
        let flash = b.flash().await;
        assert!(
            flash.starts_with("Файл:") && flash.contains("PDF"),
            "{flash}"
        );
        b.attach(&action, &scan).await;
        b.click_in(&action, "Прикрепить файл").await;
        b.sees("Файл «паспорт.pdf» прикреплён.").await;
        b
    })
    .await;
    let docs = app.application("p-klg-1", id).await["documents"].clone();
    assert_eq!(docs.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_double_submission_acts_once_and_says_so() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    with_browser(&app, "double-submit", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/applications/{id}")).await;
        let action = format!("/applications/{id}/reject");
        b.open_details("Отклонить").await;
        b.fill_in(&action, "reason", "Дубль").await;
        // The same form sent twice (a double click, or the browser resending it): the
        // second one carries the same one-time token.
        b.c.execute(
            &format!(
                "const f = document.querySelector('form[action=\"{action}\"]'); \
                 const data = new URLSearchParams(new FormData(f)); \
                 return fetch(f.action, {{method: 'POST', body: data, redirect: 'manual'}}) \
                   .then(() => fetch(f.action, {{method: 'POST', body: data, redirect: 'manual'}})) \
                   .then(() => true);"
            ),
            vec![],
        )
        .await
        .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        b.goto(&format!("/applications/{id}")).await;
        b.sees("Эта форма уже была отправлена").await;
        b
    })
    .await;
    let history = app.application("p-klg-1", id).await["history"].clone();
    let rejects = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["event"] == "reject")
        .count();
    assert_eq!(rejects, 1);
}

#[tokio::test]
async fn searching_the_registry_from_its_form() {
    let app = TestApp::spawn().await;
    app.submit(&sample_application()).await;
    with_browser(&app, "registry-search", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto("/applications").await;
        b.fill("q", "ромашка").await;
        b.click("Найти").await;
        b.sees("ООО \"Ромашка\"").await;
        b.fill("q", "нет такого").await;
        b.click("Найти").await;
        b.sees("Нет записей").await;
        b
    })
    .await;
}

/// «Дальше →» goes on from the last row shown in every order, not only the newest first:
/// 52 applications by name make two pages, the second holds the last two names and none
/// of the first page's, and «← В начало» goes back.
#[tokio::test]
async fn the_registry_pages_on_by_name() {
    let app = TestApp::spawn().await;
    for i in 0..52u64 {
        let mut doc = sample_application();
        doc["inn"] = json!(registrar::applications::generate::inn10(700 + i));
        doc["short_name"] = json!(format!("ООО Лист {i:02}"));
        app.submit(&doc).await;
    }
    with_browser(&app, "registry-pages-by-name", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto("/applications").await;
        b.click("Наименование").await;
        let first = b.text().await;
        assert!(first.contains("ООО Лист 00") && first.contains("ООО Лист 49"));
        assert!(!first.contains("ООО Лист 50"), "{first}");
        b.click("Дальше →").await;
        let second = b.text().await;
        assert!(second.contains("ООО Лист 50") && second.contains("ООО Лист 51"));
        assert!(!second.contains("ООО Лист 49"), "{second}");
        assert!(!second.contains("Дальше →"), "the last page");
        b.click("← В начало").await;
        b.sees("ООО Лист 00").await;
        b
    })
    .await;
}

/// The operator's processing queue («В обработке»): refusing needs a reason and keeps
/// the text; «Сертификат выпущен» moves the application on.
#[tokio::test]
async fn the_operator_refuses_and_issues_from_the_processing_queue() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for inn in ["4027291410", "7707083893"] {
        let mut doc = sample_application();
        doc["inn"] = serde_json::json!(inn);
        doc["kpp"] = serde_json::json!(format!("{}01001", &inn[..4]));
        let id = app.submit(&doc).await;
        app.attach_required("p-klg-1", id).await;
        app.act(
            "p-klg-1",
            &format!("/applications/{id}/process"),
            serde_json::json!({"option": "basic_1y"}),
        )
        .await;
        ids.push(id);
    }
    let (refused, issued) = (ids[0], ids[1]);
    with_browser(&app, "processing-queue", |b| async move {
        b.sign_in("operator").await;
        b.goto("/processing").await;
        b.sees("Удостоверяющий центр").await;
        let refuse = format!("/applications/{refused}/refuse");
        b.open_details_of(&refuse).await;
        b.fill_in(&refuse, "reason", " ").await;
        b.click_in(&refuse, "Отказать в выпуске").await;
        assert!(
            b.flash().await.contains("Причина: укажите причину"),
            "{}",
            b.flash().await
        );
        assert_eq!(b.path().await, "/applications?folder=in_processing");
        // The refused form comes back open, holding what was typed.
        b.fill_in(&refuse, "reason", "Паспортные данные не совпадают")
            .await;
        b.click_in(&refuse, "Отказать в выпуске").await;
        b.sees("В выпуске отказано: заявление отклонено.").await;
        let issue = format!("/applications/{issued}/issue");
        b.click_in(&issue, "Сертификат выпущен").await;
        b.sees("Сертификат выпущен: заявление ожидает расписку абонента.")
            .await;
        b
    })
    .await;
    assert_eq!(state(&app, "operator", refused).await, "rejected");
    assert_eq!(state(&app, "operator", issued).await, "awaiting_receipt");
}

/// §2.2: a sole trader gets «Основной для ИП» unless the partner unticks it on the form.
#[tokio::test]
async fn a_sole_trader_is_connected_on_basic_unless_basic_for_sole_traders_is_unticked() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["legal_form"] = serde_json::json!("sole_trader");
    doc["inn"] = serde_json::json!("500100732890");
    doc["kpp"] = serde_json::Value::Null;
    doc["ogrn"] = serde_json::Value::Null;
    doc["directions"] = serde_json::json!([{ "authority": "fns", "code": "4027" }]);
    let id = app.submit(&doc).await;
    app.attach_required("p-klg-1", id).await;
    with_browser(&app, "sole-trader", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/applications/{id}/process")).await;
        let action = format!("/applications/{id}/process");
        b.sees("Основной для ИП").await;
        b.choose(&action, "option", "basic_1y").await;
        b.toggle(&action, "basic_sole_trader").await;
        b.click("Далее").await;
        b.sees("Основной (1 год), 4\u{a0}900,00\u{a0}₽").await;
        b.click("В обработку").await;
        b.sees("Заявление отправлено в обработку.").await;
        b
    })
    .await;
    let partner = app.as_("p-klg-1");
    let list = partner.get_ok("/subscribers?q=500100732890").await;
    let card = partner
        .get_ok(&format!("/subscribers/{}", list["items"][0]["id"]))
        .await;
    assert_eq!(card["licences"][0]["tariff_code"], "basic_1y");
}
