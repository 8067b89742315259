//! ЛК Базовый as an extension licence (LK announcement; audit B9): «Подключить ЛК» on the
//! application and the card, refused without a current licence and on the free promo
//! tariffs, prorated to the main licence's end, renewed with it at the full price, free
//! during a promotion (catalog data), and a line of the reconciliation.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::secondary::secondary;

async fn card(app: &TestApp) -> Value {
    let p = app.as_("p-klg-1");
    let list = p.get_ok("/subscribers?q=4027291410").await;
    p.get_ok(&format!("/subscribers/{}", list["items"][0]["id"]))
        .await
}

fn lk_licences(c: &Value) -> Vec<Value> {
    c["licences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| {
            l["tariff_code"]
                .as_str()
                .is_some_and(|c| c.starts_with("lk_basic"))
        })
        .cloned()
        .collect()
}

fn main_licences(c: &Value) -> Vec<Value> {
    c["licences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "tariff")
        .cloned()
        .collect()
}

async fn connect(app: &TestApp, sid: i64) -> reqwest::Response {
    app.as_("p-klg-1")
        .post(&format!("/subscribers/{sid}/connect-lk"), json!({}))
        .await
}

#[tokio::test]
async fn an_application_with_connect_lk_brings_the_extension_to_the_main_licences_end() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["connect_lk"] = json!(true);
    let id = app.submit(&doc).await;
    assert_eq!(app.application("p-klg-1", id).await["connect_lk"], true);
    app.register_submitted(id, json!({"option": "basic_1y"}))
        .await;
    let c = card(&app).await;
    let lk = lk_licences(&c);
    assert_eq!(lk.len(), 1, "{c}");
    let main = &main_licences(&c)[0];
    assert_eq!(lk[0]["tariff_code"], "lk_basic");
    assert_eq!(lk[0]["state"], "registered");
    assert_eq!(lk[0]["cost"], "1200.00", "12 whole months × 1 200 / 12");
    assert_eq!(lk[0]["is_primary"], false);
    assert_eq!(
        (&lk[0]["starts_on"], &lk[0]["ends_on"]),
        (&main["starts_on"], &main["ends_on"])
    );

    // The month's reconciliation has it as a line of its own.
    app.advance(Duration::days(31));
    let d = app
        .as_("p-klg-1")
        .get_ok("/reconciliations/p-klg-1/2025-03")
        .await;
    let lines = d["lines"].as_array().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l["cost"] == "1200.00" && l["primary"] == false),
        "{lines:?}"
    );

    // A renewal brings the next period at the full price, from the day after.
    app.advance(Duration::days(270)); // 2025-12-29
    let guid = c["products"][0]["guid"].as_str().unwrap().to_owned();
    let id = app.submit(&secondary("change", Some(&guid))).await;
    app.register_submitted(id, json!({"action": "renewal", "option": "basic_1y"}))
        .await;
    let c = card(&app).await;
    let lk = lk_licences(&c);
    assert_eq!(lk.len(), 2, "{lk:?}");
    let next = lk.iter().find(|l| l["starts_on"] == "2026-03-04").unwrap();
    assert_eq!(next["ends_on"], "2027-03-04");
    assert_eq!(next["cost"], "1200.00");
    assert_eq!(next["state"], "registered");
}

#[tokio::test]
async fn connected_from_the_card_it_is_prorated_and_refused_where_the_rules_say() {
    let app = TestApp::spawn().await;
    let c = app.registered_subscriber().await; // basic_1y 03.03.2025–03.03.2026
    let sid = c["id"].as_i64().unwrap();
    assert!(lk_licences(&c).is_empty());

    // 11.06.2025 → 03.03.2026: 8 whole months, 8 × 1 200 / 12.
    app.advance(Duration::days(100));
    let r = connect(&app, sid).await;
    assert_eq!(r.status(), 200);
    let l: Value = r.json().await.unwrap();
    assert_eq!(l["cost"], "800.00");
    assert_eq!(l["state"], "registered");
    assert_eq!(
        (l["starts_on"].as_str(), l["ends_on"].as_str()),
        (Some("2025-06-11"), Some("2026-03-03"))
    );
    let b = problem(connect(&app, sid).await, 409).await;
    assert_eq!(b["refusal"], "lk_already_connected");

    // After the main licence ends there is nothing to connect to.
    app.advance(Duration::days(270)); // 2026-03-08
    let b = problem(connect(&app, sid).await, 409).await;
    assert_eq!(b["refusal"], "no_current_licence");

    // The free promo tariffs: never.
    let app = TestApp::spawn().await;
    let c = app.registered_subscriber().await;
    let sid = c["id"].as_i64().unwrap();
    app.sql(&format!(
        "UPDATE licences SET tariff_name = 'Промо ЕНС' WHERE subscriber_id = {sid}"
    ))
    .await;
    let b = problem(connect(&app, sid).await, 422).await;
    assert_eq!(b["errors"][0]["field"], "connect_lk");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Промо ЕНС")
    );

    // «Группа пользователей»: half the price.
    let app = TestApp::spawn().await;
    let c = app.registered_subscriber().await;
    let sid = c["id"].as_i64().unwrap();
    app.sql(&format!(
        "UPDATE licences SET tariff_code = 'group_3_5' WHERE subscriber_id = {sid}"
    ))
    .await;
    app.advance(Duration::days(100));
    let l: Value = connect(&app, sid).await.json().await.unwrap();
    assert_eq!(l["tariff_code"], "lk_basic_group");
    assert_eq!(l["cost"], "400.00", "8 × 600 / 12");

    // Another partner's subscriber does not exist for it.
    app.as_("p-msk-1")
        .post_problem(&format!("/subscribers/{sid}/connect-lk"), json!({}), 404)
        .await;
}

#[tokio::test]
async fn the_promotion_is_catalog_data_and_a_renewal_during_it_is_free_too() {
    let app = TestApp::spawn().await;
    // A promotion as the catalog holds them (the 2024 one ended on 31.10.2024).
    app.sql(
        "INSERT INTO promotions (code, name, item, discount_percent, valid_from, valid_to) \
         VALUES ('lk_test_2025', 'ЛК Базовый бесплатно (акция 2025–2026)', 'lk_basic', 100, '2025-01-01', '2026-03-01')",
    )
    .await;
    let mut doc = sample_application();
    doc["connect_lk"] = json!(true);
    let id = app.submit(&doc).await;
    app.register_submitted(id, json!({"option": "its_free"}))
        .await;
    let c = card(&app).await;
    let lk = lk_licences(&c);
    assert_eq!(lk[0]["cost"], "0.00", "free during the promotion");
    let its_end = main_licences(&c)[0]["ends_on"].as_str().unwrap().to_owned();
    assert_eq!(lk[0]["ends_on"], its_end.as_str());

    // «Продлить ИТС» during the promotion renews ЛК with it, free again.
    let sid = c["id"].as_i64().unwrap();
    app.advance(Duration::days(340)); // 2026-02-06
    app.as_("p-klg-1")
        .post_ok(&format!("/subscribers/{sid}/extend-its"), json!({}))
        .await;
    let lk = lk_licences(&card(&app).await);
    assert_eq!(lk.len(), 2, "{lk:?}");
    let next = lk.iter().find(|l| l["starts_on"] == "2026-03-04").unwrap();
    assert_eq!(next["cost"], "0.00");
    assert_eq!(next["state"], "registered");

    // A year on the promotion is over: the renewal pays the full price.
    app.advance(Duration::days(365)); // 2027-02-06
    app.as_("p-klg-1")
        .post_ok(&format!("/subscribers/{sid}/extend-its"), json!({}))
        .await;
    let lk = lk_licences(&card(&app).await);
    let last = lk
        .iter()
        .find(|l| l["starts_on"] == "2027-03-05")
        .unwrap_or_else(|| panic!("{lk:?}"));
    assert_eq!(last["cost"], "1200.00");
}
