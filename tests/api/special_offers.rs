//! Special-offer permits: the sales center registers a number for a client; it works a
//! day later, in quotes and at processing.

use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_permit_is_usable_one_day_after_the_sales_center_registered_it() {
    let app = TestApp::spawn().await;
    let sc = app.token("sc-msk").await;
    let b = problem(
        app.api_json(
            &sc,
            Method::POST,
            "/special-offers",
            Some(json!({"offer": "usn_xx", "number": "5007055230", "inn": "5036065113"})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "offer");
    let p: Value = app
        .api_json(
            &sc,
            Method::POST,
            "/special-offers",
            Some(json!({"offer": "usn_mo", "number": "5007055230", "inn": "5036065113"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["number"], "5007055230");
    problem(
        app.api_json(
            &app.token("p-msk-1").await,
            Method::POST,
            "/special-offers",
            Some(json!({"offer": "usn_mo", "number": "1", "inn": "5036065113"})),
        )
        .await,
        403,
    )
    .await;

    // A partner's application for that client in the Moscow region.
    let mut doc = sample_application();
    doc["partner_code"] = json!("p-msk-1");
    doc["inn"] = json!("5036065113");
    doc["kpp"] = json!("503601001");
    doc["region_code"] = json!("50");
    doc["directions"] = json!([{ "authority": "fns", "code": "5036", "kpp": "503601001" }]);
    let id = app.submit(&doc).await;
    let partner = app.token("p-msk-1").await;
    for kind in [
        "application_form",
        "identity_document",
        "owner_photo",
        "contract",
        "transfer_act",
    ] {
        app.attach("p-msk-1", id, kind, "scan.pdf", pdf(kind)).await;
    }
    let process = json!({"option": "basic_1y", "flags": {"special_offer_code": "5007055230"}});
    let b = problem(
        app.api_json(
            &partner,
            Method::POST,
            &format!("/applications/{id}/process"),
            Some(process.clone()),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "flags.special_offer_code");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("через сутки")
    );
    let quote = |date: &str| json!({"item": "paid_licence", "special_offer_number": "5007055230", "date": date, "region_code": "50"});
    let q = app
        .api_json(
            &partner,
            Method::POST,
            "/pricing/quote",
            Some(quote("2025-03-03")),
        )
        .await;
    assert_eq!(
        problem(q, 422).await["errors"][0]["field"],
        "special_offer_registered_on"
    );

    app.advance(Duration::days(1));
    let q: Value = app
        .api_json(
            &partner,
            Method::POST,
            "/pricing/quote",
            Some(quote("2025-03-04")),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(q["total"], "3700.00");
    let a = app
        .act("p-msk-1", &format!("/applications/{id}/process"), process)
        .await;
    assert_eq!(a["state"], "in_processing");
    // Audit B4/C4: billed at the offer's price, not the standard 4 900 ₽.
    let partner_api = app.as_("p-msk-1");
    let list = partner_api.get_ok("/subscribers?q=5036065113").await;
    let card = partner_api
        .get_ok(&format!("/subscribers/{}", list["items"][0]["id"]))
        .await;
    assert_eq!(card["licences"][0]["tariff_code"], "usn_mo");
    assert_eq!(card["licences"][0]["cost"], "3700.00");

    // The sales center's page lists it.
    let html = app
        .html(&app.signed_in("sc-msk").await, "/special-offers")
        .await;
    assert!(html.contains("5007055230"));
}

// The walkthrough: every submission of the page's form answered 422 «unknown field
// `csrf`»; and the Kaluga center was offered Moscow-region offers.
#[tokio::test]
async fn the_sales_center_registers_a_number_through_its_page() {
    let app = TestApp::spawn().await;
    let b = app.signed_in("sc-msk").await;
    let page = app.html(&b, "/special-offers").await;
    let csrf = csrf_in(&page).unwrap();
    let post = |number: &'static str, inn: &'static str| {
        let (b, url, csrf) = (b.clone(), app.url("/special-offers"), csrf.clone());
        async move {
            b.post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("offer", "usn_mo"),
                    ("number", number),
                    ("inn", inn),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let r = post("MSK-0001", "5036065113").await;
    assert_eq!(r.status(), 303);
    let html = app.html(&b, &location(&r)).await;
    assert!(html.contains("Номер MSK-0001 зарегистрирован."), "{html}");
    let r = post("MSK-0002", "12345").await;
    let html = app.html(&b, &location(&r)).await;
    assert!(
        html.contains("ИНН клиента") || html.contains("ИНН:"),
        "the field is named: {html}"
    );
    assert!(!html.contains("MSK-0002</td>"));

    let kaluga = app
        .html(&app.signed_in("sc-klg").await, "/special-offers")
        .await;
    assert!(kaluga.contains("не действует ни одно специальное предложение"));
    assert!(
        !kaluga.contains("value=\"usn_mo\""),
        "no Moscow-region offer offered to Kaluga"
    );
}
