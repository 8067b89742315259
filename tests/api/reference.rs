//! Reference data: pages and API, the calendar through the database, idempotent seeding.

use registrar::seed::{self, DEMO_PASSWORD, Fixture};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::*;

#[tokio::test]
async fn the_catalog_prices_paid_licence_zone_2_at_4900_with_a_2450_share() {
    let app = TestApp::spawn().await;
    let token = app.token("p-msk-1").await;
    let body: serde_json::Value = app
        .api_get(Some(&token), "/tariffs?zone=2&date=2025-03-03")
        .await
        .json()
        .await
        .unwrap();
    let paid = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "paid_licence")
        .unwrap();
    assert_eq!(paid["primary_price"], "4900.00");
    assert_eq!(paid["sales_center_share"], "2450.00");
    assert_eq!(paid["operator_transfer"], "2450.00");
    assert_eq!(paid["name"], "Платная лицензия (годовое обслуживание)");
    let cryptopro = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "cryptopro")
        .unwrap();
    assert_eq!(cryptopro["primary_price"], "590.00");
    assert_eq!(cryptopro["sales_center_share"], "490.00");
    assert_eq!(cryptopro["revocable"], false);
    assert_eq!(body["total"], 23);
}

/// Issue 13 (audit B8, C18): the cloud-signature extension carries the manual's name and
/// no price (l.2842–2847: the cost column is empty) in every zone.
#[tokio::test]
async fn the_cloud_signature_extension_is_named_as_the_manual_and_costs_nothing() {
    let app = TestApp::spawn().await;
    for zone in 1..=3 {
        let body = app
            .as_("p-msk-1")
            .get_ok(&format!("/tariffs?zone={zone}&date=2025-03-03"))
            .await;
        let cloud = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["code"] == "cloud_signature")
            .unwrap_or_else(|| panic!("zone {zone}: {body}"));
        assert_eq!(
            cloud["name"],
            "Расширение на программный продукт \"Астрал - Отчетность\" с применением Облачной подписи"
        );
        assert_eq!(cloud["kind"], "extension");
        assert_eq!(cloud["primary_price"], "0.00", "zone {zone}");
        assert_eq!(cloud["renewal_price"], "0.00");
        assert_eq!(cloud["sales_center_share"], "0.00");
    }
}

#[tokio::test]
async fn the_tariff_page_shows_russian_prices() {
    let app = TestApp::spawn().await;
    let html = app
        .signed_in("p-msk-1")
        .await
        .get(app.url("/reference/tariffs?zone=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Платная лицензия (годовое обслуживание)"));
    assert!(html.contains("4\u{a0}900,00\u{a0}₽"));
    assert!(html.contains("2\u{a0}450,00\u{a0}₽"));
}

#[tokio::test]
async fn ten_working_days_from_28_april_2025_is_15_may() {
    let app = TestApp::spawn().await;
    let token = app.token("p-msk-1").await;
    let body: serde_json::Value = app
        .api_get(
            Some(&token),
            "/calendar/add-working-days?from=2025-04-28&days=10",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["date"], "2025-05-15");
    assert!(
        !registrar::calendar::is_working_day(&app.state.db, "2025-05-09".parse().unwrap())
            .await
            .unwrap()
    );
    assert!(
        registrar::calendar::is_working_day(&app.state.db, "2025-11-01".parse().unwrap())
            .await
            .unwrap()
    );

    let body = problem(
        app.api_get(Some(&token), "/calendar/add-working-days?from=2025-04-28")
            .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "days");
}

#[tokio::test]
async fn the_calendar_knows_each_years_working_days() {
    let app = TestApp::spawn().await;
    let token = app.token("ic-1").await;
    for (year, working) in [(2024, 248), (2025, 247), (2026, 247)] {
        let body: serde_json::Value = app
            .api_get(Some(&token), &format!("/calendar/{year}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["working_days"], working, "{year}");
    }
    let html = app
        .signed_in("ic-1")
        .await
        .get(app.url("/reference/calendar?year=2025"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Рабочих дней: <b>247</b>"));
    assert!(html.contains("День Победы"));
}

#[tokio::test]
async fn identification_centers_are_listed_with_coordinates() {
    let app = TestApp::spawn().await;
    let token = app.token("p-klg-1").await;
    let body: serde_json::Value = app
        .api_get(Some(&token), "/identification-centers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["total"], 4);
    let kaluga = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "ic-3")
        .unwrap();
    assert_eq!(kaluga["region"], "Калужская область");
    assert!((kaluga["latitude"].as_f64().unwrap() - 54.5138).abs() < 1e-9);
    let html = app
        .signed_in("p-klg-1")
        .await
        .get(app.url("/reference/identification-centers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("ул. Ленина, д. 73"));
}

#[tokio::test]
async fn seeding_twice_changes_nothing() {
    let app = TestApp::spawn().await;
    let audit_before = registrar::entities::audit_log::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    let fx = Fixture::combine([
        seed::builtin_reference().unwrap(),
        seed::builtin_demo().unwrap(),
    ]);
    let reports = seed::apply(&app.state.db, &fx, Some(DEMO_PASSWORD), app.clock_now())
        .await
        .unwrap();
    for r in &reports {
        assert_eq!((r.inserted, r.updated), (0, 0), "{}", r.table);
    }
    let audit_after = registrar::entities::audit_log::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(audit_before, audit_after);
    assert_eq!(
        registrar::entities::calendar_day::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        366 + 365 + 365
    );
}

#[tokio::test]
async fn a_changed_fixture_row_is_updated_in_place() {
    let app = TestApp::spawn().await;
    let mut fx = seed::builtin_reference().unwrap();
    fx.partners[0].name = "ООО «Новое имя»".to_owned();
    let reports = seed::apply(&app.state.db, &fx, None, app.clock_now())
        .await
        .unwrap();
    let partners = reports.iter().find(|r| r.table == "partners").unwrap();
    assert_eq!((partners.inserted, partners.updated), (0, 1));
    let token = app.token("operator").await;
    let p: serde_json::Value = app
        .api_get(Some(&token), &format!("/partners/{}", fx.partners[0].code))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["name"], "ООО «Новое имя»");
}

#[tokio::test]
async fn users_are_never_seeded_without_demo() {
    let app = TestApp::spawn().await;
    let fx = seed::builtin_demo().unwrap();
    let err = seed::apply(&app.state.db, &fx, None, app.clock_now())
        .await
        .unwrap_err();
    assert!(matches!(err, registrar::error::AppError::Invalid(ref e) if e[0].field == "users"));
}
