//! The tariff calculator (§13): a competitor's tariff compared with 1С's own, priced in
//! the region's zone; «Сравнить со всеми», the trash icon; the operator's edits of the
//! competitors' catalog, which a later seed leaves alone.

use serde_json::{Value, json};

use crate::helpers::*;

const FOUR: &str = "dir=fns&dir=pfr&dir=fss&dir=rosstat";

fn codes(c: &Value) -> Vec<&str> {
    c["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect()
}

fn column<'a>(c: &'a Value, code: &str) -> &'a Value {
    c["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == code)
        .unwrap_or_else(|| panic!("{code} in {c}"))
}

#[tokio::test]
async fn a_competitors_tariff_is_compared_with_the_own_one_priced_in_the_regions_zone() {
    let app = TestApp::spawn().await;
    let p = app.as_("p-klg-1");
    // The partner's region (40, zone 2) by default; the tariff as the autocomplete lists it.
    let c = p
        .get_ok(&format!(
            "/calculator/compare?organisation=ul&taxation=osno&{FOUR}&tariff=%D0%9E%D0%BF%D1%82%D0%B8%D0%BC%D0%B0%D0%BB%D1%8C%D0%BD%D1%8B%D0%B9%20(%D0%9A%D0%BE%D0%BD%D1%82%D1%83%D1%80)"
        ))
        .await;
    assert_eq!(c["region"], "40");
    assert_eq!(c["zone"], 2);
    assert_eq!(
        codes(&c),
        ["kontur_optimal", "1c_basic"],
        "1С comes by itself"
    );
    let own = column(&c, "1c_basic");
    // «Основной (1 год)» in zone 2: 4 900 ₽, renewal 2 500 ₽ (the manual's example).
    assert_eq!(own["price"], "4900.00");
    assert_eq!(own["renewal_price"], "2500.00");
    assert_eq!(
        column(&c, "kontur_optimal")["price"],
        Value::Null,
        "no data"
    );
    // The manual's matrix: Правовая база — Да at Контур, Нет at 1С.
    assert_eq!(
        column(&c, "kontur_optimal")["capabilities"]["legal_base"],
        true
    );
    assert_eq!(own["capabilities"]["legal_base"], false);
    assert_eq!(own["capabilities"]["rpn_reporting"], true);
    let offers: Vec<&str> = c["to_add"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["code"].as_str().unwrap())
        .collect();
    assert!(offers.contains(&"sbis_basic"), "{offers:?}");
    assert!(
        !offers.contains(&"sbis_light") && !offers.contains(&"kontur_otchet_ru"),
        "neither serves all four directions: {offers:?}"
    );
    // «Сравнить со всеми»: every tariff that fits; with one direction, Отчет.ру and Легкий too.
    let all = p
        .get_ok(&format!("/calculator/compare?{FOUR}&tariff=1c_basic&all=1"))
        .await;
    assert_eq!(codes(&all).len(), 5, "{:?}", codes(&all));
    let one = p
        .get_ok("/calculator/compare?dir=fns&tariff=1c_basic&all=1")
        .await;
    assert_eq!(codes(&one).len(), 7);
    // The trash icon takes 1С's tariff out again.
    let removed = p
        .get_ok(&format!(
            "/calculator/compare?{FOUR}&tariff=kontur_optimal&remove=1c_basic"
        ))
        .await;
    assert_eq!(codes(&removed), ["kontur_optimal"]);
    // Another region, another zone: Самарская область is zone 3.
    let samara = p
        .get_ok(&format!(
            "/calculator/compare?region=63&{FOUR}&tariff=1c_basic"
        ))
        .await;
    assert_eq!(column(&samara, "1c_basic")["price"], "5900.00");
    assert_eq!(column(&samara, "1c_basic")["renewal_price"], "3000.00");
}

#[tokio::test]
async fn what_the_calculator_cannot_read_is_named() {
    let app = TestApp::spawn().await;
    let p = app.as_("p-klg-1");
    for (query, field) in [
        ("tariff=Непонятный", "tariff"),
        ("tariff=1c_basic&region=99", "region"),
        ("tariff=1c_basic&organisation=ooo&dir=fns", "organisation"),
        ("tariff=1c_basic&taxation=psn&dir=fns", "taxation"),
        ("tariff=1c_basic", "dir"),
        ("tariff=1c_basic&dir=rar", "dir"),
    ] {
        let q = if query.contains("dir=") || field == "dir" {
            query.to_owned()
        } else {
            format!("{query}&dir=fns")
        };
        let problem = p
            .get_problem(&format!("/calculator/compare?{q}"), 422)
            .await;
        assert_eq!(problem["errors"][0]["field"], field, "{q}: {problem}");
    }
    // The operator has no region of its own: it must say one.
    let op = app
        .as_("operator")
        .get_problem("/calculator/compare?dir=fns&tariff=1c_basic", 422)
        .await;
    assert_eq!(op["errors"][0]["field"], "region");
    app.as_("intake")
        .get_problem("/calculator/tariffs", 403)
        .await;
}

fn edit(price: &str) -> Value {
    json!({
        "product_title": "Контур",
        "title": "Оптимальный",
        "organisation_types": ["ip", "ul", "gk", "np"],
        "taxation": ["osno", "usn", "budget"],
        "directions": ["fns", "pfr", "fss", "rosstat"],
        "directions_note": "ФНС, ПФР, ФСС, Росстат",
        "capabilities": {"letters": true, "legal_base": true, "expert_questions": true},
        "price": price,
        "renewal_price": "3100.00",
        "version": 1,
    })
}

#[tokio::test]
async fn the_operator_keeps_the_competitors_catalog_and_a_seed_leaves_it_alone() {
    let app = TestApp::spawn().await;
    let put = |login: &'static str, code: &'static str, body: Value| {
        let app = &app;
        async move {
            app.as_(login)
                .send(
                    reqwest::Method::PUT,
                    &format!("/calculator/tariffs/{code}"),
                    Some(body),
                )
                .await
        }
    };
    assert_eq!(
        put("p-klg-1", "kontur_optimal", edit("5200.00"))
            .await
            .status(),
        403
    );
    let r = put("operator", "kontur_optimal", edit("5200.00")).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let c = app
        .as_("p-klg-1")
        .get_ok(&format!("/calculator/compare?{FOUR}&tariff=kontur_optimal"))
        .await;
    let k = column(&c, "kontur_optimal");
    assert_eq!(k["price"], "5200.00");
    assert_eq!(k["renewal_price"], "3100.00");
    assert_eq!(k["capabilities"]["expert_questions"], true);
    assert_eq!(k["capabilities"]["egrul"], Value::Null, "left out: no data");
    // The version the edit was made on is stale now.
    let stale = put("operator", "kontur_optimal", edit("5300.00")).await;
    assert_eq!(stale.status(), 409);
    // 1С's own price comes from the tariff catalog, never from here.
    let mut own = edit("1.00");
    own["title"] = json!("Основной");
    own["product_title"] = json!("1С");
    own["version"] = Value::Null;
    own["renewal_price"] = Value::Null;
    let p = problem(put("operator", "1c_basic", own).await, 422).await;
    assert_eq!(p["errors"][0]["field"], "price", "{p}");
    let mut unknown = edit("10.00");
    unknown["version"] = json!(2);
    unknown["capabilities"] = json!({"teleport": true});
    let p = problem(put("operator", "kontur_optimal", unknown).await, 422).await;
    assert_eq!(p["errors"][0]["field"], "capabilities.teleport");
    // A new competitor's tariff.
    let mut new = edit("990.00");
    new["product"] = json!("taxcom");
    new["product_title"] = json!("Такском");
    new["title"] = json!("Онлайн-Спринтер");
    new["version"] = Value::Null;
    let r = put("operator", "taxcom_sprinter", new).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let list = app.as_("sc-klg").get_ok("/calculator/tariffs").await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["code"] == "taxcom_sprinter" && t["price"] == "990.00")
    );
    // Loading the shipped fixtures again adds nothing and overwrites no edit.
    let fx = registrar::seed::builtin_reference().unwrap();
    registrar::seed::apply(&app.state.db, &fx, None, app.clock_now())
        .await
        .unwrap();
    let c = app
        .as_("p-klg-1")
        .get_ok(&format!("/calculator/compare?{FOUR}&tariff=kontur_optimal"))
        .await;
    assert_eq!(column(&c, "kontur_optimal")["price"], "5200.00");
}
