//! Editing the card: requisites with a version check, the registration file regenerated
//! on an address change, a new card on a КПП change, contacts and directions.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn registered_subscriber(app: &TestApp) -> Value {
    app.registered_subscriber().await
}

#[tokio::test]
async fn registration_brings_directions_and_product_contacts_along() {
    let app = TestApp::spawn().await;
    let s = registered_subscriber(&app).await;
    let dirs: Vec<&str> = s["directions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["authority"].as_str().unwrap())
        .collect();
    assert_eq!(dirs, vec!["fns", "pfr"]);
    let usages: Vec<&str> = s["product_contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["usage"].as_str().unwrap())
        .collect();
    assert_eq!(usages, vec!["fns_requirements", "status_notifications"]);
    assert!(s["registration_file_at"].is_string());
}

#[tokio::test]
async fn saving_an_address_regenerates_the_registration_file() {
    let app = TestApp::spawn().await;
    let s = registered_subscriber(&app).await;
    let id = s["id"].as_i64().unwrap();
    let token = app.token("p-klg-1").await;
    let before = app
        .api_get(
            Some(&token),
            &format!("/subscribers/{id}/registration-file"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        before.contains("ФактическийАдрес=248001, Калужская область, г. Калуга, ул. Кирова, д. 1")
    );

    app.advance(chrono::Duration::hours(1));
    let r = app
        .api_json(&token, Method::PATCH, &format!("/subscribers/{id}"), Some(json!({"actual_address": "248000, г. Калуга, ул. Ленина, д. 5", "note": "переехали"})))
        .await;
    assert_eq!(r.status(), 200);
    let after = app
        .api_get(
            Some(&token),
            &format!("/subscribers/{id}/registration-file"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(after.contains("ФактическийАдрес=248000, г. Калуга, ул. Ленина, д. 5"));
    assert_ne!(before, after);

    // Bad input names the field; a stale version is refused.
    let b = problem(
        app.api_json(
            &token,
            Method::PATCH,
            &format!("/subscribers/{id}"),
            Some(json!({"email": "nope", "short_name": " "})),
        )
        .await,
        422,
    )
    .await;
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["short_name", "email"]);
    let stale = reqwest::Client::new()
        .patch(app.url(&format!("/api/v1/subscribers/{id}")))
        .bearer_auth(&token)
        .header("If-Match", "\"0\"")
        .json(&json!({"phone": "+7 4842 111111"}))
        .send()
        .await
        .unwrap();
    problem(stale, 409).await;
    problem(
        app.api_json(
            &app.token("p-klg-2").await,
            Method::PATCH,
            &format!("/subscribers/{id}"),
            Some(json!({"note": "x"})),
        )
        .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn a_new_kpp_makes_a_new_card_and_moves_the_licence_at_no_cost() {
    let app = TestApp::spawn().await;
    let s = registered_subscriber(&app).await;
    let (old_id, licence_id) = (
        s["id"].as_i64().unwrap(),
        s["licences"][0]["id"].as_i64().unwrap(),
    );
    let token = app.token("p-klg-1").await;
    let b = problem(
        app.api_json(
            &token,
            Method::PATCH,
            &format!("/subscribers/{old_id}"),
            Some(json!({"kpp": "40270"})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "kpp");
    let new: Value = app
        .api_json(
            &token,
            Method::PATCH,
            &format!("/subscribers/{old_id}"),
            Some(json!({"kpp": "402702002"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let new_id = new["id"].as_i64().unwrap();
    assert_ne!(new_id, old_id);
    assert_eq!(new["kpp"], "402702002");
    let new_card: Value = app
        .api_get(Some(&token), &format!("/subscribers/{new_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(new_card["licences"][0]["id"], licence_id);
    assert_eq!(
        new_card["licences"][0]["cost"], "4900.00",
        "moved, not charged again"
    );
    assert_eq!(new_card["products"].as_array().unwrap().len(), 1);
    let old_card: Value = app
        .api_get(Some(&token), &format!("/subscribers/{old_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(old_card["licences"].as_array().unwrap().is_empty());
    assert_eq!(old_card["connected"], false);
}

#[tokio::test]
async fn contacts_and_directions_are_kept_one_recipient_per_usage() {
    let app = TestApp::spawn().await;
    let s = registered_subscriber(&app).await;
    let id = s["id"].as_i64().unwrap();
    let pid = s["products"][0]["id"].as_i64().unwrap();
    let token = app.token("p-klg-1").await;
    app.act("p-klg-1", &format!("/subscribers/{id}/contact-persons"), json!({"full_name": "Петрова Ольга Ивановна", "position": "Главный бухгалтер", "email": "buh@example.ru"})).await;
    problem(
        app.api_json(
            &token,
            Method::POST,
            &format!("/subscribers/{id}/contact-persons"),
            Some(json!({"full_name": "Ян", "email": "x"})),
        )
        .await,
        422,
    )
    .await;

    let put = |usage: &str, value: &str| {
        let (token, app, path, value) = (
            token.clone(),
            &app,
            format!("/products/{pid}/contacts/{usage}"),
            value.to_owned(),
        );
        async move {
            app.api_json(&token, Method::PUT, &path, Some(json!({"value": value})))
                .await
        }
    };
    assert_eq!(
        put("fns_requirements", "new@example.ru").await.status(),
        200
    );
    assert_eq!(
        problem(put("fns_requirements", "+7 900 000 00 00").await, 422).await["errors"][0]["field"],
        "value"
    );
    assert_eq!(
        problem(put("status_notifications", "abc").await, 422).await["errors"][0]["field"],
        "value"
    );
    assert_eq!(
        problem(put("fax", "1").await, 422).await["errors"][0]["field"],
        "usage"
    );
    let card: Value = app
        .api_get(Some(&token), &format!("/subscribers/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let fns: Vec<&Value> = card["product_contacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["usage"] == "fns_requirements")
        .collect();
    assert_eq!(fns.len(), 1, "one recipient per usage");
    assert_eq!(fns[0]["value"], "new@example.ru");
    assert_eq!(card["contact_persons"][0]["position"], "Главный бухгалтер");

    let d = app
        .act(
            "p-klg-1",
            &format!("/subscribers/{id}/directions"),
            json!({"authority": "fns", "code": "4028", "kpp": "402801001"}),
        )
        .await;
    problem(
        app.api_json(
            &token,
            Method::POST,
            &format!("/subscribers/{id}/directions"),
            Some(json!({"authority": "mvd", "code": "1"})),
        )
        .await,
        422,
    )
    .await;
    let file = app
        .api_get(
            Some(&token),
            &format!("/subscribers/{id}/registration-file"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(file.contains("Код=4028"));
    let r = app
        .api_json(
            &token,
            Method::DELETE,
            &format!("/subscribers/{id}/directions/{}", d["id"]),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let card: Value = app
        .api_get(Some(&token), &format!("/subscribers/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(card["directions"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_card_is_edited_from_its_tabs() {
    let app = TestApp::spawn().await;
    let s = registered_subscriber(&app).await;
    let id = s["id"].as_i64().unwrap();
    let b = app.signed_in("p-klg-1").await;
    for tab in ["main", "contacts", "products", "directions"] {
        let html = b
            .get(app.url(&format!("/subscribers/{id}?tab={tab}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for t in [
            "Основные",
            "Контакты",
            "Продукты",
            "Тарифы",
            "Направления",
            "Управление",
            "Сертификаты",
        ] {
            assert!(html.contains(&format!(">{t}</a>")), "{tab}: {t}");
        }
    }
    let html = b
        .get(app.url(&format!("/subscribers/{id}?tab=contacts")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Рег. файл"));
    let csrf = csrf_in(&html).unwrap();
    let r = b
        .post(app.url(&format!("/subscribers/{id}/edit")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("version", "0"),
            ("tab", "contacts"),
            ("legal_address", "248000, г. Калуга, ул. Ленина, д. 1"),
            ("actual_address", "248000, г. Калуга, ул. Ленина, д. 1"),
            ("phone", "+7 4842 222222"),
            ("fax", ""),
            ("email", "new@example.ru"),
        ])
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
    assert!(html.contains("Карточка сохранена."), "{html}");
    let file = b
        .get(app.url(&format!("/subscribers/{id}/registration-file")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(file.contains("ЮридическийАдрес=248000, г. Калуга, ул. Ленина, д. 1"));

    // The same page again, now stale.
    let r = b
        .post(app.url(&format!("/subscribers/{id}/edit")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("version", "0"),
            ("tab", "main"),
            ("note", "x"),
        ])
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
    assert!(html.contains("Карточку уже изменил другой пользователь"));

    let r = b
        .post(app.url(&format!("/subscribers/{id}/edit")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("version", "1"),
            ("tab", "main"),
            ("kpp", "402702002"),
        ])
        .send()
        .await
        .unwrap();
    let new_card = location(&r);
    assert_ne!(new_card, format!("/subscribers/{id}"));
    let html = b
        .get(app.url(&new_card))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("создана новая карточка"));
}

#[tokio::test]
async fn a_product_gets_an_alias_and_can_be_made_inactive() {
    let app = TestApp::spawn().await;
    let s = registered_subscriber(&app).await;
    let pid = s["products"][0]["id"].as_i64().unwrap();
    let token = app.token("p-klg-1").await;
    let p: Value = app
        .api_json(
            &token,
            Method::PATCH,
            &format!("/products/{pid}"),
            Some(json!({"alias": "Бухгалтерия главного офиса", "active": false})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (p["alias"].as_str(), p["active"].as_bool()),
        (Some("Бухгалтерия главного офиса"), Some(false))
    );
    problem(
        app.api_json(
            &app.token("p-klg-2").await,
            Method::PATCH,
            &format!("/products/{pid}"),
            Some(json!({"active": true})),
        )
        .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn the_product_information_window_tells_one_account_from_another() {
    let app = TestApp::spawn().await;
    let s = app.registered_subscriber().await;
    let product = &s["products"][0];
    let (id, pid) = (s["id"].as_i64().unwrap(), product["id"].as_i64().unwrap());
    let b = app.signed_in("p-klg-1").await;
    let card = app
        .html(&b, &format!("/subscribers/{id}?tab=products"))
        .await;
    assert!(
        card.contains(&format!("href=\"/products/{pid}\"")),
        "«Информация» on the tab"
    );
    let page = app.html(&b, &format!("/products/{pid}")).await;
    for needle in [
        "Информация о продукте",
        "Версия ПО",
        product["configuration"].as_str().unwrap(),
        product["guid"].as_str().unwrap(),
        "ООО «Калуга-Софт» (Партнер)",
        "Налогоплательщик",
        "Лицензии продукта",
        "Основной (1 год)",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    let other = app.signed_in("p-msk-1").await;
    let r = other
        .get(app.url(&format!("/products/{pid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
