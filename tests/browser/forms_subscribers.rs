//! The forms of a subscriber's card, its company group and certificates.

use serde_json::{Value, json};

use crate::harness::with_browser;
use crate::helpers::*;

/// A second registered subscriber of p-klg-1 (for a company group member).
async fn another_subscriber(app: &TestApp) -> i64 {
    let mut doc = sample_application();
    doc["inn"] = json!("4025442625");
    doc["kpp"] = json!("402501001");
    doc["ogrn"] = Value::Null;
    doc["short_name"] = json!("ООО \"Обнинские технологии\"");
    doc["directions"] = json!([{ "authority": "fns", "code": "4025", "kpp": "402501001" }]);
    let id = app.submit(&doc).await;
    app.register_submitted(id, json!({"option": "basic_1y"}))
        .await;
    let token = app.token("p-klg-1").await;
    let list: Value = app
        .api_get(Some(&token), "/subscribers?q=4025442625")
        .await
        .json()
        .await
        .unwrap();
    list["items"][0]["id"].as_i64().unwrap()
}

async fn card(app: &TestApp, id: i64) -> Value {
    let token = app.token("p-klg-1").await;
    app.api_get(Some(&token), &format!("/subscribers/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_main_and_contacts_tabs_save_and_refuse_bad_input_keeping_it() {
    let app = TestApp::spawn().await;
    let id = app.registered_subscriber().await["id"].as_i64().unwrap();
    with_browser(&app, "card-edit", |b| async move {
        b.sign_in("p-klg-1").await;
        let action = format!("/subscribers/{id}/edit");
        b.goto(&format!("/subscribers/{id}")).await;
        b.fill_in(&action, "note", "Звонить после обеда").await;
        b.click("Сохранить").await;
        b.sees("Карточка сохранена.").await;
        b.goto(&format!("/subscribers/{id}?tab=contacts")).await;
        b.fill_in(&action, "phone", "+7 4842 111111").await;
        b.fill_in(&action, "email", "info@").await;
        b.click_in(&action, "Сохранить").await;
        let flash = b.flash().await;
        assert!(flash.starts_with("E-mail:"), "{flash}");
        assert_eq!(b.value_of(&action, "email").await, "info@");
        assert_eq!(b.value_of(&action, "phone").await, "+7 4842 111111");
        assert!(b.marked_invalid(&action, "email").await);
        b.fill_in(&action, "email", "office@example.ru").await;
        b.click_in(&action, "Сохранить").await;
        b.sees("Карточка сохранена.").await;
        b
    })
    .await;
    let c = card(&app, id).await;
    assert_eq!(c["email"], "office@example.ru");
    assert_eq!(c["note"], "Звонить после обеда");
}

#[tokio::test]
async fn contact_persons_and_directions_are_added_and_removed() {
    let app = TestApp::spawn().await;
    let id = app.registered_subscriber().await["id"].as_i64().unwrap();
    with_browser(&app, "persons-directions", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/subscribers/{id}?tab=contacts")).await;
        let persons = format!("/subscribers/{id}/contact-persons");
        b.fill_in(&persons, "full_name", "Петрова Анна").await;
        b.fill_in(&persons, "email", "anna@").await;
        b.click_in(&persons, "Добавить").await;
        assert!(
            b.flash().await.starts_with("E-mail:"),
            "{}",
            b.flash().await
        );
        assert_eq!(b.value_of(&persons, "full_name").await, "Петрова Анна");
        b.fill_in(&persons, "email", "anna@example.ru").await;
        b.click_in(&persons, "Добавить").await;
        b.sees("Петрова Анна").await;

        b.goto(&format!("/subscribers/{id}?tab=directions")).await;
        let dirs = format!("/subscribers/{id}/directions");
        b.fill_in(&dirs, "code", "ABCDEFGHIJKLMNOPQRSTUVWXYZ").await;
        b.fill_in(&dirs, "kpp", "zzz").await;
        b.click_in(&dirs, "Добавить направление").await;
        let flash = b.flash().await;
        assert!(
            flash.contains("Код органа: код органа — не длиннее 20 знаков"),
            "{flash}"
        );
        assert!(flash.contains("КПП:"), "{flash}");
        assert_eq!(b.value_of(&dirs, "kpp").await, "zzz");
        b.fill_in(&dirs, "code", "4029").await;
        b.fill_in(&dirs, "kpp", "402901001").await;
        b.click_in(&dirs, "Добавить направление").await;
        b.sees("4029").await;
        b
    })
    .await;
    let c = card(&app, id).await;
    let added = c["directions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "4029")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    with_browser(&app, "direction-remove", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/subscribers/{id}?tab=directions")).await;
        b.click_in(
            &format!("/subscribers/{id}/directions/{added}/remove"),
            "Удалить",
        )
        .await;
        let text = b.text().await;
        assert!(!text.contains("4029"), "{text}");
        b
    })
    .await;
}

#[tokio::test]
async fn a_product_gets_an_alias_and_one_recipient_per_notice() {
    let app = TestApp::spawn().await;
    let s = app.registered_subscriber().await;
    let (id, product) = (
        s["id"].as_i64().unwrap(),
        s["products"][0]["id"].as_i64().unwrap(),
    );
    with_browser(&app, "product", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/subscribers/{id}?tab=products")).await;
        let edit = format!("/products/{product}/edit");
        b.fill_in(&edit, "alias", "Бухгалтерия").await;
        b.click_in(&edit, "Сохранить").await;
        b.goto(&format!("/subscribers/{id}?tab=products")).await;
        assert_eq!(b.value_of(&edit, "alias").await, "Бухгалтерия");
        let contacts = format!("/products/{product}/contacts");
        b.select(Some(&contacts), "usage", "fns_requirements").await;
        b.fill_in(&contacts, "value", "не адрес").await;
        b.click_in(&contacts, "Назначить (один получатель)").await;
        let flash = b.flash().await;
        assert!(flash.starts_with("Получатель:"), "{flash}");
        assert_eq!(b.value_of(&contacts, "value").await, "не адрес");
        b.fill_in(&contacts, "value", "fns@example.ru").await;
        b.click_in(&contacts, "Назначить (один получатель)").await;
        b.sees("fns@example.ru").await;
        b
    })
    .await;
}

#[tokio::test]
async fn licences_are_blocked_resumed_and_revoked_from_the_tariffs_tab() {
    let app = TestApp::spawn().await;
    let s = app.registered_subscriber().await;
    let (id, licence) = (
        s["id"].as_i64().unwrap(),
        s["licences"][0]["id"].as_i64().unwrap(),
    );
    with_browser(&app, "licences", |b| async move {
        b.sign_in("p-klg-1").await;
        let action = format!("/licences/{licence}/action");
        b.goto(&format!("/subscribers/{id}?tab=tariffs")).await;
        b.click_in(&action, "Заблокировать").await;
        assert!(
            b.flash().await.ends_with(": заблокировано."),
            "{}",
            b.flash().await
        );
        b.click_in(&action, "Возобновить").await;
        assert!(
            b.flash().await.ends_with(": зарегистрировано."),
            "{}",
            b.flash().await
        );
        b.click_in(&action, "Отозвать").await;
        assert!(
            b.flash().await.ends_with(": отозвано."),
            "{}",
            b.flash().await
        );
        b
    })
    .await;
    assert_eq!(card(&app, id).await["licences"][0]["state"], "revoked");
}

#[tokio::test]
async fn a_subscriber_is_blocked_and_unblocked_from_the_manage_tab() {
    let app = TestApp::spawn().await;
    let id = app.registered_subscriber().await["id"].as_i64().unwrap();
    with_browser(&app, "manage", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/subscribers/{id}?tab=manage")).await;
        // Nothing to detach: the subscriber has no ITS licence, and the page says so.
        b.click("Отключить ИТС").await;
        b.sees("У абонента нет действующей лицензии ИТС.").await;
        b.click("Заблокировать абонента").await;
        b.sees("Абонент заблокирован").await;
        b.sees("Заблокирован").await;
        b.click("Разблокировать абонента").await;
        b.sees("Абонент разблокирован").await;
        b.sees("Подключен").await;
        b
    })
    .await;
}

#[tokio::test]
async fn a_company_group_is_created_and_members_added_and_removed() {
    let app = TestApp::spawn().await;
    let head = app.registered_subscriber().await["id"].as_i64().unwrap();
    let member = another_subscriber(&app).await;
    with_browser(&app, "group", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/subscribers/{head}")).await;
        b.click("Создать группу (головная)").await;
        b.sees("Экспорт (CSV)").await;
        let group_path = b.path().await;
        let members = format!("{}/members", group_path.split('?').next().unwrap());
        b.fill_in(&members, "inn", "7707083893").await;
        b.click("Добавить в группу").await;
        assert!(b.flash().await.contains("не найден"), "{}", b.flash().await);
        assert_eq!(b.value_of(&members, "inn").await, "7707083893");
        b.fill_in(&members, "inn", "4025442625").await;
        b.fill_in(&members, "kpp", "402501001").await;
        b.click("Добавить в группу").await;
        b.sees("добавлена в группу").await;
        b.click_in(&format!("{members}/{member}/remove"), "Исключить")
            .await;
        b.sees("1 / 1").await;
        b
    })
    .await;
}

#[tokio::test]
async fn a_certificate_revocation_is_requested_scanned_and_sent() {
    let app = TestApp::spawn().await;
    let id = app.registered_subscriber().await["id"].as_i64().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scan = dir.path().join("заявление.pdf");
    std::fs::write(&scan, pdf("signed")).unwrap();
    let text = dir.path().join("заявление.txt");
    std::fs::write(&text, "не скан").unwrap();
    with_browser(&app, "revocation", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/subscribers/{id}?tab=certificates")).await;
        let cert_form = b
            .c
            .execute(
                "return document.querySelector('form[action$=\"/revocation\"]').getAttribute('action');",
                vec![],
            )
            .await
            .unwrap();
        let cert_form = cert_form.as_str().unwrap().to_owned();
        // No reason chosen: the browser keeps the form.
        b.click_refused_by_browser(&cert_form, "Заявление на отзыв").await;
        b.select(Some(&cert_form), "reason", "owner_dismissed").await;
        b.click_in(&cert_form, "Заявление на отзыв").await;
        b.sees("Заявления на отзыв").await;
        let scan_form = b
            .c
            .execute(
                "return document.querySelector('form[action$=\"/scan\"]').getAttribute('action');",
                vec![],
            )
            .await
            .unwrap();
        let scan_form = scan_form.as_str().unwrap().to_owned();
        b.attach(&scan_form, &text).await;
        b.click_in(&scan_form, "Прикрепить скан").await;
        assert!(b.flash().await.starts_with("Файл:"), "{}", b.flash().await);
        b.attach(&scan_form, &scan).await;
        b.click_in(&scan_form, "Прикрепить скан").await;
        b.sees("Подписанный скан прикреплён.").await;
        b.click("Отправить").await;
        b.sees("Заявление на отзыв отправлено в удостоверяющий центр.").await;
        b
    })
    .await;
}

#[tokio::test]
async fn searching_subscribers_from_the_registry_form() {
    let app = TestApp::spawn().await;
    app.registered_subscriber().await;
    with_browser(&app, "subscriber-search", |b| async move {
        b.sign_in("p-klg-1").await;
        b.click("Абоненты").await;
        b.fill("q", "4027").await;
        b.click("Найти").await;
        b.sees("Ромашка").await;
        b.sees("Подключен").await;
        b
    })
    .await;
}

#[tokio::test]
async fn a_member_joins_a_group_and_a_product_copies_its_recipients_from_the_card() {
    let app = TestApp::spawn().await;
    let head = app.registered_subscriber().await;
    let head_id = head["id"].as_i64().unwrap();
    let product = head["products"][0]["id"].as_i64().unwrap();
    let member = another_subscriber(&app).await;
    app.as_("p-klg-1")
        .post_ok("/company-groups", json!({"head_subscriber_id": head_id}))
        .await;
    with_browser(&app, "join-and-copy", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/subscribers/{member}")).await;
        let join = format!("/subscribers/{member}/join-group");
        // A head that heads nothing: named, what was typed kept.
        b.fill_in(&join, "head_inn", "4025442625").await;
        b.fill_in(&join, "head_kpp", "402501001").await;
        b.click_in(&join, "Вступить в группу").await;
        b.sees("не возглавляет группу компаний").await;
        assert_eq!(b.value_of(&join, "head_inn").await, "4025442625");
        b.fill_in(&join, "head_inn", "4027291410").await;
        b.fill_in(&join, "head_kpp", "402701001").await;
        b.click_in(&join, "Вступить в группу").await;
        assert!(
            b.flash().await.contains("вступила в группу"),
            "{}",
            b.flash().await
        );
        // The head's product: its recipient changed by hand, then copied back.
        b.goto(&format!("/subscribers/{head_id}?tab=products"))
            .await;
        let contacts = format!("/products/{product}/contacts");
        b.select(Some(&contacts), "usage", "fns_requirements").await;
        b.fill_in(&contacts, "value", "other@example.ru").await;
        b.click_in(&contacts, "Назначить (один получатель)").await;
        b.sees("other@example.ru").await;
        let copy = format!("/products/{product}/contacts/copy");
        b.click_in(&copy, "Копировать из основных реквизитов").await;
        assert!(
            b.flash().await.contains("скопированы"),
            "{}",
            b.flash().await
        );
        b.sees("info@example.ru").await;
        b
    })
    .await;
}

#[tokio::test]
async fn its_is_extended_from_the_manage_tab() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    app.register_submitted(id, json!({"option": "its_free"}))
        .await;
    let list = app.as_("p-klg-1").get_ok("/subscribers?q=4027291410").await;
    let sid = list["items"][0]["id"].as_i64().unwrap();
    with_browser(&app, "extend-its", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/subscribers/{sid}?tab=manage")).await;
        let manage = format!("/subscribers/{sid}/manage");
        b.click_in(&manage, "Продлить ИТС").await;
        assert!(
            b.flash().await.contains("не раньше чем за 30 дней"),
            "{}",
            b.flash().await
        );
        b
    })
    .await;
    app.advance(chrono::Duration::days(340));
    with_browser(&app, "extend-its-due", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/subscribers/{sid}?tab=manage")).await;
        let manage = format!("/subscribers/{sid}/manage");
        b.click_in(&manage, "Продлить ИТС").await;
        assert!(
            b.flash()
                .await
                .contains("ИТС продлено: лицензия ИТС с 04.03.2026"),
            "{}",
            b.flash().await
        );
        b
    })
    .await;
}

#[tokio::test]
async fn lk_is_connected_from_the_manage_tab() {
    let app = TestApp::spawn().await;
    let c = app.registered_subscriber().await;
    let sid = c["id"].as_i64().unwrap();
    app.advance(chrono::Duration::days(100));
    with_browser(&app, "connect-lk", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/subscribers/{sid}?tab=manage")).await;
        let manage = format!("/subscribers/{sid}/manage");
        b.click_in(&manage, "Подключить ЛК").await;
        let flash = b.flash().await;
        assert!(
            flash.contains("ЛК Базовый подключен до 03.03.2026"),
            "{flash}"
        );
        assert!(flash.contains("800,00"), "{flash}");
        b.click_in(&manage, "Подключить ЛК").await;
        assert!(
            b.flash().await.contains("уже подключен"),
            "{}",
            b.flash().await
        );
        b.goto(&format!("/subscribers/{sid}?tab=tariffs")).await;
        b.sees("Личный кабинет (ЛК) Базовый").await;
        b
    })
    .await;
}

#[tokio::test]
async fn the_registration_file_is_requested_from_the_manage_tab() {
    let app = TestApp::spawn().await;
    let c = app.registered_subscriber().await;
    let sid = c["id"].as_i64().unwrap();
    app.advance(chrono::Duration::days(10));
    with_browser(&app, "registration-file", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/subscribers/{sid}?tab=manage")).await;
        b.click_in(&format!("/subscribers/{sid}/manage"), "Запросить рег. файл")
            .await;
        let flash = b.flash().await;
        assert!(
            flash.contains("Регистрационный файл сформирован 13.03.2025"),
            "{flash}"
        );
        b.sees("Получить рег. файл").await;
        b
    })
    .await;
}
