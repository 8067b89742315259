//! Registration makes subscribers; licences are blocked, resumed and revoked under the
//! rules of §4, through the API and the card.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// Takes an application of p-klg-1 (zone 2) all the way to `registered`.
async fn register(app: &TestApp, doc: Value, option: &str) -> i64 {
    let id = app.submit(&doc).await;
    app.register_submitted(id, json!({"option": option})).await;
    id
}

async fn the_subscriber(app: &TestApp, login: &str, q: &str) -> Value {
    let token = app.token(login).await;
    let list: Value = app
        .api_get(Some(&token), &format!("/subscribers?q={q}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1, "{list}");
    let id = list["items"][0]["id"].as_i64().unwrap();
    app.api_get(Some(&token), &format!("/subscribers/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_registered_application_becomes_a_subscriber_with_its_licence() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["cryptopro_licence"] = json!(true);
    doc["owner"]["certificate_type"] = json!("qualified_cryptopro");
    register(&app, doc, "basic_1y").await;

    let s = the_subscriber(&app, "p-klg-1", "4027291410").await;
    assert_eq!(s["short_name"], "ООО \"Ромашка\"");
    assert_eq!(s["connected"], true);
    let licences = s["licences"].as_array().unwrap();
    assert_eq!(licences.len(), 2);
    assert_eq!(
        (
            licences[0]["tariff_code"].as_str(),
            licences[0]["cost"].as_str(),
            licences[0]["zone"].as_i64()
        ),
        (Some("basic_1y"), Some("4900.00"), Some(2))
    );
    assert_eq!(licences[0]["state"], "registered");
    assert_eq!(licences[0]["starts_on"], "2025-03-03");
    assert_eq!(licences[0]["ends_on"], "2026-03-03");
    assert_eq!(
        (
            licences[1]["tariff_code"].as_str(),
            licences[1]["cost"].as_str(),
            licences[1]["revocable"].as_bool()
        ),
        (Some("cryptopro"), Some("590.00"), Some(false))
    );
    let guid = s["products"][0]["guid"].as_str().unwrap().to_owned();

    // Found by product GUID and ITS login too; another partner sees nothing.
    assert_eq!(the_subscriber(&app, "p-klg-1", &guid).await["id"], s["id"]);
    assert_eq!(
        the_subscriber(&app, "p-klg-1", "its-active").await["id"],
        s["id"]
    );
    let other = app.token("p-klg-2").await;
    problem(
        app.api_get(Some(&other), &format!("/subscribers/{}", s["id"]))
            .await,
        404,
    )
    .await;
    let list: Value = app
        .api_get(Some(&other), "/subscribers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
    // Its sales center sees it.
    assert_eq!(
        app.api_get(
            Some(&app.token("sc-klg").await),
            &format!("/subscribers/{}", s["id"])
        )
        .await
        .status(),
        200
    );
}

#[tokio::test]
async fn licences_are_blocked_resumed_and_revoked_for_good() {
    let app = TestApp::spawn().await;
    register(&app, sample_application(), "basic_1y").await;
    let s = the_subscriber(&app, "p-klg-1", "4027291410").await;
    let lid = s["licences"][0]["id"].as_i64().unwrap();
    let token = app.token("p-klg-1").await;
    let post = |action: &str| {
        let (token, app, path) = (token.clone(), &app, format!("/licences/{lid}/{action}"));
        async move {
            app.api_json(&token, Method::POST, &path, Some(json!({})))
                .await
        }
    };

    assert_eq!(
        post("block").await.json::<Value>().await.unwrap()["state"],
        "blocked"
    );
    assert_eq!(
        problem(post("block").await, 409).await["current_state"],
        "blocked"
    );
    assert_eq!(
        post("resume").await.json::<Value>().await.unwrap()["state"],
        "registered"
    );
    assert_eq!(
        post("revoke").await.json::<Value>().await.unwrap()["state"],
        "revoked"
    );
    for action in ["resume", "block", "revoke"] {
        assert_eq!(
            problem(post(action).await, 409).await["current_state"],
            "revoked",
            "{action}: revoked is final"
        );
    }
    let s = the_subscriber(&app, "p-klg-1", "4027291410").await;
    assert_eq!(s["connected"], false, "the only licence was revoked");
    assert_eq!(
        s["paid_basis_only"], true,
        "a paid subscriber comes back only on a paid basis"
    );
}

#[tokio::test]
async fn after_approval_only_the_sales_center_revokes_and_cryptopro_never() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["cryptopro_licence"] = json!(true);
    doc["owner"]["certificate_type"] = json!("qualified_cryptopro");
    register(&app, doc, "basic_1y").await;
    let s = the_subscriber(&app, "p-klg-1", "4027291410").await;
    let (lid, cp) = (
        s["licences"][0]["id"].as_i64().unwrap(),
        s["licences"][1]["id"].as_i64().unwrap(),
    );
    {
        use registrar::entities::licence;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        licence::Entity::update_many()
            .col_expr(licence::Column::ApprovedInReconciliation, Expr::value(true))
            .filter(licence::Column::Id.eq(lid))
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    let partner = app.token("p-klg-1").await;
    // The partner reads the rule, not «your role cannot».
    let b = problem(
        app.api_json(
            &partner,
            Method::POST,
            &format!("/licences/{lid}/revoke"),
            Some(json!({})),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(b["refusal"], "approved_in_reconciliation");
    assert!(
        b["detail"]
            .as_str()
            .unwrap()
            .starts_with("Лицензия уже одобрена в сверке")
    );
    let b = problem(
        app.api_json(
            &partner,
            Method::POST,
            &format!("/licences/{cp}/revoke"),
            Some(json!({})),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(b["refusal"], "not_revocable");
    assert!(b["detail"].as_str().unwrap().contains("КриптоПро"));
    let sc = app.token("sc-klg").await;
    let r = app
        .api_json(
            &sc,
            Method::POST,
            &format!("/licences/{lid}/revoke"),
            Some(json!({"reason": "ошибочное подключение"})),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "revoked");
    let s = the_subscriber(&app, "p-klg-1", "4027291410").await;
    assert_eq!(
        s["connected"], true,
        "the CryptoPro extension is still live"
    );
}

#[tokio::test]
async fn the_card_offers_the_allowed_actions_with_the_warning() {
    let app = TestApp::spawn().await;
    register(&app, sample_application(), "its_free").await;
    let s = the_subscriber(&app, "p-klg-1", "4027291410").await;
    assert_eq!(
        the_subscriber(&app, "p-klg-1", "ITS-100001").await["id"],
        s["id"],
        "ITS registration number"
    );
    assert_eq!(s["licences"][0]["tariff_code"], "its");
    assert_eq!(s["licences"][0]["cost"], "0.00");
    let id = s["id"].as_i64().unwrap();
    let lid = s["licences"][0]["id"].as_i64().unwrap();
    let b = app.signed_in("p-klg-1").await;
    let html = b
        .get(app.url(&format!("/subscribers/{id}?tab=tariffs")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Заблокировать"));
    assert!(html.contains("Отзыв необратим"));
    assert!(!html.contains(">Возобновить<"));
    let csrf = csrf_in(&html).unwrap();
    // Born «В ожидании» and registered through the machine: version 1 by now.
    assert_eq!(s["licences"][0]["version"], 1);
    let r = b
        .post(app.url(&format!("/licences/{lid}/action")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "block"),
            ("version", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), format!("/subscribers/{id}?tab=tariffs"));
    let html = b
        .get(app.url(&location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("заблокировано"), "{html}");
    assert!(html.contains(">Возобновить<"));
    let history = app
        .html(&b, &format!("/subscribers/{id}?tab=history"))
        .await;
    assert!(
        history.contains("<td>зарегистрирована</td><td>В ожидании</td><td>Зарегистрировано</td>"),
        "{history}"
    );
    let list = b
        .get(app.url("/subscribers?q=ромашка"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("4027291410"));
}

#[tokio::test]
async fn detaching_its_frees_the_subscription_for_another_connection() {
    let app = TestApp::spawn().await;
    register(&app, sample_application(), "its_free").await;
    // Another organisation with the same portal login now finds the subscription taken.
    let mut other = sample_application();
    other["inn"] = json!("5036065113");
    other["kpp"] = json!("503601001");
    other["directions"][0]["kpp"] = json!("503601001");
    let other_id = app.submit(&other).await;
    let token = app.token("p-klg-1").await;
    let check: Value = app
        .api_get(Some(&token), &format!("/applications/{other_id}/its-check"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(check["outcome"], "used_by_other");

    let s = the_subscriber(&app, "p-klg-1", "4027291410").await;
    let r: Value = app
        .act(
            "p-klg-1",
            &format!("/subscribers/{}/detach-its", s["id"]),
            json!({}),
        )
        .await;
    assert_eq!(r["revoked"], 1);
    let s = the_subscriber(&app, "p-klg-1", "4027291410").await;
    assert_eq!(s["licences"][0]["state"], "revoked");
    let check: Value = app
        .api_get(Some(&token), &format!("/applications/{other_id}/its-check"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(check["outcome"], "active", "freed by «Отключить ИТС»");
    let b = problem(
        app.api_json(
            &token,
            Method::POST,
            &format!("/subscribers/{}/detach-its", s["id"]),
            Some(json!({})),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(b["refusal"], "no_current_its_licence");
    assert!(b.get("current_state").is_none(), "no state side channel");
    assert_eq!(b["detail"], "У абонента нет действующей лицензии ИТС.");
}

#[tokio::test]
async fn a_subscriber_with_future_licences_is_blocked_only_after_revoking_them() {
    let app = TestApp::spawn().await;
    register(&app, sample_application(), "basic_1y").await;
    let s = the_subscriber(&app, "p-klg-1", "4027291410").await;
    let sid = s["id"].as_i64().unwrap();
    let future_id = {
        use registrar::entities::licence;
        use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, IntoActiveModel};
        let current: licence::Model = <licence::Entity as sea_orm::EntityTrait>::find_by_id(
            s["licences"][0]["id"].as_i64().unwrap(),
        )
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
        let mut next = current.into_active_model();
        next.id = NotSet;
        next.starts_on = sea_orm::ActiveValue::Set("2026-03-03".parse().unwrap());
        next.ends_on = sea_orm::ActiveValue::Set("2027-03-03".parse().unwrap());
        next.state =
            sea_orm::ActiveValue::Set(registrar::tariffs::licence::LicenceState::Registered);
        next.insert(&app.state.db).await.unwrap().id
    };
    let token = app.token("p-klg-1").await;
    let b = problem(
        app.api_json(
            &token,
            Method::POST,
            &format!("/subscribers/{sid}/block"),
            Some(json!({})),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(b["refusal"], "future_licences_first");
    app.act(
        "p-klg-1",
        &format!("/licences/{future_id}/revoke"),
        json!({}),
    )
    .await;
    let r = app
        .act("p-klg-1", &format!("/subscribers/{sid}/block"), json!({}))
        .await;
    assert_eq!(r["blocked"], 1);
    let s = the_subscriber(&app, "p-klg-1", "4027291410").await;
    assert_eq!(s["licences"][0]["state"], "blocked");
}

#[tokio::test]
async fn a_deferred_its_subscriber_is_blocked_a_month_after_connection() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["its_login"] = json!("its-future");
    // An organisation that owns no ITS subscription of its own.
    doc["inn"] = json!("7707083893");
    doc["kpp"] = json!("770701001");
    doc["directions"][0]["kpp"] = json!("770701001");
    register(&app, doc, "deferred_its").await;
    app.clock.set(instant("2025-04-02T12:00:00+03:00"));
    app.run_jobs().await;
    let s = the_subscriber(&app, "p-klg-1", "7707083893").await;
    assert_eq!(s["licences"][0]["state"], "registered");

    app.clock.set(instant("2025-04-03T12:00:00+03:00"));
    let reports = app.run_jobs().await;
    assert_eq!(
        reports
            .iter()
            .find(|r| r.job == "deferred_its")
            .unwrap()
            .processed,
        1
    );
    let s = the_subscriber(&app, "p-klg-1", "7707083893").await;
    assert_eq!(s["licences"][0]["state"], "blocked");
    app.run_jobs().await;
    let b = app.signed_in("p-klg-1").await;
    let html = b
        .get(app.url(&format!("/subscribers/{}?tab=history", s["id"])))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("подписка 1С:ИТС ПРОФ не зарегистрирована в течение месяца"));
    assert!(html.contains("Система: отложенное подключение ИТС"));
    assert!(!html.contains("system:"));
}

#[tokio::test]
async fn the_card_has_the_manual_tabs() {
    let app = TestApp::spawn().await;
    register(&app, sample_application(), "its_free").await;
    let s = the_subscriber(&app, "p-klg-1", "4027291410").await;
    let b = app.signed_in("p-klg-1").await;
    let html = b
        .get(app.url(&format!("/subscribers/{}?tab=manage", s["id"])))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for tab in ["Основные", "Продукты", "Тарифы", "Управление", "История"]
    {
        assert!(html.contains(&format!(">{tab}</a>")), "{tab}");
    }
    assert!(html.contains("Отключить ИТС"));
    let csrf = csrf_in(&html).unwrap();
    let r = b
        .post(app.url(&format!("/subscribers/{}/manage", s["id"])))
        .form(&[("csrf", csrf.as_str()), ("action", "detach_its")])
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
    assert!(
        html.contains("ИТС отключено: отозвано лицензий ИТС — 1."),
        "{html}"
    );
}

#[tokio::test]
async fn the_registry_exports_to_csv_and_xlsx() {
    let app = TestApp::spawn().await;
    register(&app, sample_application(), "basic_1y").await;
    let b = app.signed_in("p-klg-1").await;
    let csv = b
        .get(app.url("/subscribers/export.csv?q="))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("abonenty.csv")
    );
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("4027291410;402701001;"), "{csv}");
    let xlsx = b
        .get(app.url("/subscribers/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        xlsx.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK\x03\x04"));
    assert_eq!(
        b.get(app.url("/subscribers/export.pdf"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Another partner's export is empty.
    let other = app.signed_in("p-klg-2").await;
    let csv = other
        .get(app.url("/subscribers/export.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 1, "header only");
}

#[tokio::test]
async fn after_a_paid_licence_is_revoked_only_a_paid_reconnection_is_accepted() {
    let app = TestApp::spawn().await;
    register(&app, sample_application(), "basic_1y").await;
    let s = the_subscriber(&app, "p-klg-1", "4027291410").await;
    let lid = s["licences"][0]["id"].as_i64().unwrap();
    app.act("p-klg-1", &format!("/licences/{lid}/revoke"), json!({}))
        .await;

    let id = app.submit(&sample_application()).await;
    app.attach_required("p-klg-1", id).await;
    let token = app.token("p-klg-1").await;
    let b = problem(
        app.api_json(
            &token,
            Method::POST,
            &format!("/applications/{id}/process"),
            Some(json!({"option": "its_free"})),
        )
        .await,
        422,
    )
    .await;
    assert!(
        b["errors"].as_array().unwrap().iter().any(|e| e["message"]
            .as_str()
            .unwrap()
            .contains("только на платной основе")),
        "{b}"
    );
    let a = app
        .act(
            "p-klg-1",
            &format!("/applications/{id}/process"),
            json!({"option": "basic_1y"}),
        )
        .await;
    assert_eq!(a["state"], "in_processing");
}

#[tokio::test]
async fn its_is_extended_within_30_days_of_its_end_while_the_portal_contract_runs() {
    let app = TestApp::spawn().await;
    // 3 March 2025, free under the portal's ITS PROF contract of «its-active» (to 31.12.2027).
    register(&app, sample_application(), "its_free").await;
    let s = the_subscriber(&app, "p-klg-1", "4027291410").await;
    let path = format!("/subscribers/{}/extend-its", s["id"]);
    let p = app.as_("p-klg-1").post_problem(&path, json!({}), 409).await;
    assert_eq!(p["refusal"], "its_not_ending_yet", "{p}");
    // 6 February 2026: the licence ends on 3 March, within 30 days.
    app.advance(chrono::Duration::days(340));
    let l = app.as_("p-klg-1").post_ok(&path, json!({})).await;
    assert_eq!(l["tariff_code"], "its");
    assert_eq!(
        l["starts_on"], "2026-03-04",
        "the day after the current one ends"
    );
    assert_eq!(l["ends_on"], "2027-03-04");
    assert_eq!(l["state"], "registered");
    assert_eq!(l["cost"], "0.00");
    assert_eq!(l["is_primary"], false);
    // Extended already: the next one ends in a year.
    let p = app.as_("p-klg-1").post_problem(&path, json!({}), 409).await;
    assert_eq!(p["refusal"], "its_not_ending_yet");
    // February 2027: again, the contract still runs on 5 March 2027.
    app.advance(chrono::Duration::days(370));
    let again = app.as_("p-klg-1").post_ok(&path, json!({})).await;
    assert_eq!(again["starts_on"], "2027-03-05");
    // February 2028: the portal's contract ended on 31 December 2027.
    app.advance(chrono::Duration::days(365));
    let p = app.as_("p-klg-1").post_problem(&path, json!({}), 409).await;
    assert_eq!(p["refusal"], "no_its_contract", "{p}");
    // Another sales center's partner does not find the subscriber.
    app.as_("p-msk-1").post_problem(&path, json!({}), 404).await;
}
