//! Quotes through the API and the calculator page: the seed examples and the refusals.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn quote(app: &TestApp, body: Value) -> reqwest::Response {
    let token = app.token("p-klg-1").await;
    app.api_json(&token, Method::POST, "/pricing/quote", Some(body))
        .await
}

#[tokio::test]
async fn lk_basic_connected_11_june_costs_400_and_nothing_under_the_promotion() {
    let app = TestApp::spawn().await;
    let q: Value = quote(&app, json!({"item":"lk_basic","date":"2024-06-11","licence_end":"2024-10-15","organisations":1,"group_tariff":false,"apply_promotions":false})).await.json().await.unwrap();
    assert_eq!(
        (q["list_price"].as_str(), q["total"].as_str()),
        (Some("400.00"), Some("400.00"))
    );
    assert!(
        q["explanation"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("полных месяцев 4"))
    );

    let q: Value = quote(
        &app,
        json!({"item":"lk_basic","date":"2024-06-11","licence_end":"2024-10-15","organisations":1}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (q["list_price"].as_str(), q["total"].as_str()),
        (Some("400.00"), Some("0.00"))
    );
    assert_eq!(
        q["lines"].as_array().unwrap().len(),
        2,
        "the promotion is a line of its own"
    );

    let q: Value = quote(&app, json!({"item":"lk_basic","date":"2024-06-17","licence_end":"2024-10-15","apply_promotions":false})).await.json().await.unwrap();
    assert_eq!(q["total"], "300.00");
    let q: Value = quote(&app, json!({"item":"lk_basic","date":"2024-06-11","licence_end":"2024-10-15","organisations":10,"apply_promotions":false})).await.json().await.unwrap();
    assert_eq!(q["total"], "4000.00");
    let q: Value = quote(&app, json!({"item":"lk_basic","date":"2024-06-11","licence_end":"2024-10-15","group_tariff":true,"apply_promotions":false})).await.json().await.unwrap();
    assert_eq!(q["total"], "200.00");
}

#[tokio::test]
async fn refused_combinations_are_422_with_the_reason() {
    let app = TestApp::spawn().await;
    let b = problem(quote(&app, json!({"item":"lk_basic","date":"2024-06-11","licence_end":"2024-10-15","main_tariff":"СФР Бесплатно"})).await, 422).await;
    assert_eq!(b["errors"][0]["field"], "main_tariff");
    let b = problem(
        quote(
            &app,
            json!({"item":"right_choice","date":"2025-03-03","zone":2,"fns_directions":2}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "fns_directions");
    let b = problem(quote(&app, json!({"item":"usn_mo","date":"2025-03-03","region_code":"40","special_offer_registered_on":"2025-03-01"})).await, 422).await;
    assert_eq!(b["errors"][0]["field"], "region_code");
    let b = problem(
        quote(
            &app,
            json!({"item":"paid_licence","date":"2025-03-03","colour":"red"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "colour");
    let b = problem(
        quote(&app, json!({"item":"paid_licence","date":"03.03.2025"})).await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "date");
}

#[tokio::test]
async fn the_paid_licence_in_zone_2_is_4900_with_a_2450_share() {
    let app = TestApp::spawn().await;
    let q: Value = quote(
        &app,
        json!({"item":"paid_licence","date":"2025-03-03","zone":2,"primary":true}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (
            q["total"].as_str(),
            q["sales_center_share"].as_str(),
            q["operator_transfer"].as_str()
        ),
        (Some("4900.00"), Some("2450.00"), Some("2450.00"))
    );
}

#[tokio::test]
async fn the_calculator_page_explains_the_price_line_by_line() {
    let app = TestApp::spawn().await;
    let b = app.signed_in("p-msk-1").await;
    let html = b
        .get(app.url("/reference/calculator?item=lk_basic&date=2024-06-11&zone=1&organisations=1&licence_end=2024-10-15&no_promotions=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Как посчитано"));
    assert!(
        html.contains("4 × 1\u{a0}200,00\u{a0}₽ / 12 = 400,00\u{a0}₽"),
        "{html}"
    );
    let html = b.get(app.url("/reference/calculator?item=lk_basic&date=2024-06-11&licence_end=2024-10-15&main_tariff=x")).send().await.unwrap();
    assert_eq!(html.status(), 200);
}

#[tokio::test]
async fn a_partners_bonus_is_judged_on_its_own_data() {
    let app = TestApp::spawn().await;
    // No bonus held: a new one is quoted; a renewal needs an ended bonus and 5 subscribers.
    let q = quote(&app, json!({"item":"bonus","date":"2025-03-03","zone":2})).await;
    assert_eq!(q.status(), 200);
    let b = problem(
        quote(
            &app,
            json!({"item":"bonus","date":"2025-03-03","zone":2,"primary":false}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "previous_bonus_ended");
    let b = problem(quote(&app, json!({"item":"bonus","date":"2025-03-03","zone":2,"primary":false,"previous_bonus_ended":true})).await, 422).await;
    assert_eq!(
        b["errors"][0]["field"], "current_subscribers",
        "p-klg-1 has no subscribers yet"
    );
}
