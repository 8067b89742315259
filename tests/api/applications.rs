//! Applications through the API: intake, every transition and refusal, scopes, documents,
//! concurrency.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn an_application_naming_a_partner_is_accepted_by_it() {
    let app = TestApp::spawn().await;
    let r = app.post_application(&sample_application(), None).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["state"], "accepted");
    assert_eq!(body["received_at"], "2025-03-03T09:00:00Z");
    assert_eq!(body["checks"]["passed"], true);
    assert!(
        body["checks"]["mandatory"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["passed"] == true)
    );
    let id = body["id"].as_i64().unwrap();

    let a = app.application("p-klg-1", id).await;
    assert_eq!(a["partner_code"], "p-klg-1");
    assert_eq!(a["owner"]["snils"], "112-233-445 95");
    assert_eq!(a["history"][0]["event"], "submit");
    assert_eq!(a["history"][0]["to"], "accepted");
}

#[tokio::test]
async fn intake_checks_for_another_open_application_of_the_same_inn_and_kpp() {
    let app = TestApp::spawn().await;
    // The intake's answer: its state and whether the check found another open one.
    let submit = |doc: Value| {
        let app = &app;
        async move {
            let body: Value = app.post_application(&doc, None).await.json().await.unwrap();
            let found = body["checks"]["optional"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["code"] == "no_other_open_application")
                .map(|c| c["passed"] == false)
                .unwrap();
            (body["state"].as_str().unwrap().to_owned(), found)
        }
    };
    assert_eq!(
        submit(sample_application()).await,
        ("accepted".into(), false)
    );
    assert_eq!(
        submit(sample_application()).await,
        ("accepted".into(), true)
    );
    // Another КПП of the same ИНН (a branch) is another client.
    let mut branch = sample_application();
    branch["kpp"] = json!("402702001");
    assert_eq!(submit(branch).await, ("accepted".into(), false));
    // Without a partner: unclaimed, the same check.
    let mut unclaimed = sample_application();
    unclaimed["partner_code"] = Value::Null;
    assert_eq!(submit(unclaimed).await, ("submitted".into(), true));
}

#[tokio::test]
async fn an_application_without_a_partner_waits_unclaimed() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["partner_code"] = Value::Null;
    let r = app.post_application(&doc, None).await;
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "submitted");
}

#[tokio::test]
async fn bad_input_is_refused_with_every_field_named_and_nothing_saved() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["inn"] = json!("4027291411");
    doc["owner"]["snils"] = json!("112-233-445 96");
    doc["email"] = json!("info@");
    doc["partner_code"] = json!("p-nowhere");
    doc["region_code"] = json!("99");
    let body = problem(app.post_application(&doc, None).await, 422).await;
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        vec!["email", "inn", "owner.snils", "partner_code", "region_code"]
    );

    let mut doc = sample_application();
    doc["colour"] = json!("red");
    let body = problem(app.post_application(&doc, None).await, 422).await;
    assert_eq!(body["errors"][0]["field"], "colour");

    let mut doc = sample_application();
    doc["legal_form"] = json!("sole_trader");
    doc["kpp"] = Value::Null;
    doc["ogrn"] = Value::Null;
    let body = problem(app.post_application(&doc, None).await, 422).await;
    assert_eq!(body["errors"][0]["field"], "inn");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("12")
    );

    // A document the rules accept, naming what the database does not know: the
    // reference is named, and its idempotency key is not spent.
    for (field, value) in [("partner_code", "p-nowhere"), ("region_code", "99")] {
        let mut doc = sample_application();
        doc[field] = json!(value);
        let body = problem(app.post_application(&doc, Some("1c-refused")).await, 422).await;
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, vec![field], "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("неизвестный код"),
            "{body}"
        );
    }
    assert_eq!(
        app.sql_number(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'application.submit'"
        )
        .await,
        0,
        "nothing was journaled"
    );

    let token = app.token("operator").await;
    let list: Value = app
        .api_get(Some(&token), "/applications")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "nothing was saved");
}

/// Stored JSON reads back as its type: a corrupt row is an internal error (logged with
/// the column), never an application shown with an empty owner.
#[tokio::test]
async fn a_corrupt_stored_owner_is_an_error_not_a_blank() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    app.sql(&format!(
        "UPDATE applications SET owner = '{{\"full_name\": 5}}' WHERE id = {id}"
    ))
    .await;
    let token = app.token("p-klg-1").await;
    let r = app
        .api_get(Some(&token), &format!("/applications/{id}"))
        .await;
    assert_eq!(problem(r, 500).await["type"], "/problems/internal");
    let b = app.signed_in("p-klg-1").await;
    let r = b
        .get(app.url(&format!("/applications/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert!(!r.text().await.unwrap().contains("full_name"));
}

/// States are typed columns: a row with a state the machine does not know fails to load
/// (an internal error) instead of reaching a page or a rule as some default.
#[tokio::test]
async fn a_stored_state_the_machine_does_not_know_is_an_error() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    app.sql(&format!(
        "UPDATE applications SET state = 'lost' WHERE id = {id}"
    ))
    .await;
    let p = app
        .as_("p-klg-1")
        .get_problem(&format!("/applications/{id}"), 500)
        .await;
    assert_eq!(p["type"], "/problems/internal");
    assert!(!p.to_string().contains("lost"), "{p}");
}

#[tokio::test]
async fn only_the_intake_integration_submits() {
    let app = TestApp::spawn().await;
    let token = app.token("p-klg-1").await;
    let r = app
        .api_json(
            &token,
            Method::POST,
            "/applications",
            Some(sample_application()),
        )
        .await;
    problem(r, 403).await;
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_first_answer_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let first: Value = app
        .post_application(&sample_application(), Some("1c-42"))
        .await
        .json()
        .await
        .unwrap();
    let again = app
        .post_application(&sample_application(), Some("1c-42"))
        .await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(first, again);

    // The same client again under another key: its answer, kept and replayed, shows the
    // first application still open.
    let open = |answer: &Value| {
        answer["checks"]["optional"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "no_other_open_application" && c["passed"] == false)
    };
    assert!(!open(&first), "{first}");
    let second: Value = app
        .post_application(&sample_application(), Some("1c-43"))
        .await
        .json()
        .await
        .unwrap();
    assert!(open(&second), "{second}");
    let replayed: Value = app
        .post_application(&sample_application(), Some("1c-43"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second, replayed);

    let mut other = sample_application();
    other["short_name"] = json!("ООО \"Лютик\"");
    let body = problem(app.post_application(&other, Some("1c-42")).await, 422).await;
    assert_eq!(body["errors"][0]["field"], "Idempotency-Key");

    // Racing repeats still make one application.
    let mut handles = Vec::new();
    for _ in 0..8 {
        let doc = sample_application();
        let base = app.base.clone();
        let token = app.token("intake").await;
        handles.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/api/v1/applications"))
                .bearer_auth(token)
                .header("Idempotency-Key", "race")
                .json(&doc)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()["id"]
                .as_i64()
        }));
    }
    let mut ids = Vec::new();
    for h in handles {
        ids.push(h.await.unwrap().expect("every racer gets an id"));
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one application for one key: {ids:?}");
    let token = app.token("operator").await;
    let list: Value = app
        .api_get(Some(&token), "/applications")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 3);
    // What the losers wrote went with them: one history row and one journal entry per
    // application, and the journal's chain intact (on PostgreSQL the intake is one
    // statement, its journal entry appended by the database).
    {
        use registrar::entities::{application_history, audit_log};
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let db = &app.state.db;
        let submitted = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("application.submit"))
            .all(db)
            .await
            .unwrap();
        let mut journaled: Vec<String> = submitted.into_iter().map(|e| e.object_id).collect();
        journaled.sort();
        let mut expected = vec![
            first["id"].to_string(),
            second["id"].to_string(),
            ids[0].to_string(),
        ];
        expected.sort();
        assert_eq!(journaled, expected);
        let history = application_history::Entity::find()
            .filter(application_history::Column::Event.eq("submit"))
            .count(db)
            .await
            .unwrap();
        assert_eq!(history, 3);
        let v = registrar::audit::verify(db).await.unwrap();
        assert!(v.broken.is_none(), "{:?}", v.broken);
    }
}

/// The whole happy path: claim, delegate, identify, documents, process, certificate,
/// receipt — with the history to show for it.
#[tokio::test]
async fn an_application_goes_from_submission_to_registration() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["partner_code"] = Value::Null;
    doc["actual_address"] = json!("249030, Калужская обл., г. Обнинск, ул. Курчатова, д. 3");
    let id = app.submit(&doc).await;

    // Requisites are parsed at the edge: a bad ИНН and КПП are named, not «not found».
    let token = app.token("p-klg-2").await;
    let bad = app
        .api_json(
            &token,
            reqwest::Method::POST,
            "/applications/claim",
            Some(json!({"inn": "4027291411", "kpp": "40270100"})),
        )
        .await;
    let fields: Vec<Value> = problem(bad, 422).await["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(fields, [json!("inn"), json!("kpp")]);

    let a = app
        .act(
            "p-klg-2",
            "/applications/claim",
            json!({"inn": "4027291410", "kpp": "402701001"}),
        )
        .await;
    assert_eq!(
        (a["id"].as_i64().unwrap(), a["state"].as_str().unwrap()),
        (id, "accepted")
    );
    assert_eq!(a["partner_code"], "p-klg-2");

    // The nearest center to Obninsk is the Obninsk office.
    let centers: Value = app
        .api_get(
            Some(&token),
            &format!("/applications/{id}/identification-centers"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(centers["items"][0]["code"], "ic-4");
    assert!(centers["items"][0]["distance_km"].as_f64().unwrap() < 5.0);
    assert_eq!(
        centers["items"].as_array().unwrap().len(),
        2,
        "only the region's centers"
    );

    let a = app
        .act(
            "p-klg-2",
            &format!("/applications/{id}/delegate-identification"),
            json!({}),
        )
        .await;
    assert_eq!(a["state"], "identification");
    let mail = app.outbox().await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to_address, "info@example.ru");
    assert!(
        mail[0]
            .body
            .contains("249030, Калужская обл., г. Обнинск, пр-т Маркса, д. 45")
    );
    assert!(mail[0].body.contains("Пн–Пт 9:00–17:00"));
    assert!(mail[0].body.contains("+7 484 395-00-40"));

    // Another center does not see it; the chosen one does.
    problem(
        app.api_get(
            Some(&app.token("ic-3").await),
            &format!("/applications/{id}"),
        )
        .await,
        404,
    )
    .await;
    let a = app
        .act(
            "ic-4",
            &format!("/applications/{id}/identification"),
            json!({"result": "passed"}),
        )
        .await;
    assert_eq!(a["state"], "identification_passed");

    // Processing needs the documents.
    let token = app.token("p-klg-2").await;
    let body = problem(
        app.api_json(
            &token,
            Method::POST,
            &format!("/applications/{id}/process"),
            Some(json!({"option": "basic_1y"})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "documents");
    app.attach_required("p-klg-2", id).await;

    let check: Value = app
        .api_get(Some(&token), &format!("/applications/{id}/its-check"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(check["outcome"], "active");
    let a = app
        .act(
            "p-klg-2",
            &format!("/applications/{id}/process"),
            json!({"option": "its_free"}),
        )
        .await;
    assert_eq!(a["state"], "in_processing");
    assert_eq!(a["processing_option"], "its_free");

    // The processing pipeline issues the certificate; the receipt comes from 1C.
    use registrar::applications::service::{self, Caller, Command};
    service::fire(
        &app.state,
        Caller::System("processing"),
        id,
        Command::CertificateIssued,
        None,
    )
    .await
    .unwrap();
    let receipt = app
        .act("intake", &format!("/applications/{id}/receipt"), json!({}))
        .await;
    assert_eq!(receipt["state"], "registered");
    // The intake reads nothing back but its own answer (F2).
    assert!(receipt.get("owner").is_none() && receipt.get("history").is_none());
    let a = app.application("p-klg-2", id).await;

    let events: Vec<&str> = a["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        vec![
            "submit",
            "claim",
            "delegate_identification",
            "identification_passed",
            "send_to_processing",
            "certificate_issued",
            "receipt"
        ]
    );
    assert_eq!(a["history"][1]["actor"], "p-klg-2");
    assert_eq!(a["history"][3]["actor"], "ic-4");
}

#[tokio::test]
async fn refusals_name_the_current_state() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    let token = app.token("p-klg-1").await;
    let post = |path: String, body: Value| {
        let token = token.clone();
        let app = &app;
        async move { app.api_json(&token, Method::POST, &path, Some(body)).await }
    };

    // Claiming an accepted application.
    let body = problem(
        post(format!("/applications/{id}/claim"), json!({})).await,
        409,
    )
    .await;
    assert_eq!(
        (body["current_state"].as_str(), body["event"].as_str()),
        (Some("accepted"), Some("claim"))
    );
    // The detail is a sentence people read: the event and the state by their titles.
    assert_eq!(
        body["detail"],
        "Действие «Получить заявку» недоступно: заявление в состоянии «Принята»."
    );

    // While in identification the partner can neither process nor reject.
    post(
        format!("/applications/{id}/delegate-identification"),
        json!({}),
    )
    .await;
    for (path, body) in [
        ("process", json!({"option": "basic_1y"})),
        ("reject", json!({"reason": "передумали"})),
    ] {
        let b = problem(post(format!("/applications/{id}/{path}"), body).await, 409).await;
        assert_eq!(b["current_state"], "identification");
    }

    // A failed identification needs a reason; then only rejection remains.
    let ic = app.token("ic-3").await;
    let b = problem(
        app.api_json(
            &ic,
            Method::POST,
            &format!("/applications/{id}/identification"),
            Some(json!({"result": "failed"})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "reason");
    let r = app
        .api_json(
            &ic,
            Method::POST,
            &format!("/applications/{id}/identification"),
            Some(json!({"result": "failed", "reason": "паспорт недействителен"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    problem(
        post(
            format!("/applications/{id}/process"),
            json!({"option": "basic_1y"}),
        )
        .await,
        409,
    )
    .await;

    // Rejection needs a reason.
    let b = problem(
        post(
            format!("/applications/{id}/reject"),
            json!({"reason": "  "}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "reason");
    let r = post(
        format!("/applications/{id}/reject"),
        json!({"reason": "Клиент не прошёл идентификацию"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["state"], "rejected");
    assert_eq!(a["reject_reason"], "Клиент не прошёл идентификацию");
    let b = problem(
        post(
            format!("/applications/{id}/reject"),
            json!({"reason": "ещё раз"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(b["current_state"], "rejected");
}

#[tokio::test]
async fn roles_that_may_not_fire_an_event_get_403() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    let sc = app.token("sc-klg").await;
    problem(
        app.api_json(
            &sc,
            Method::POST,
            &format!("/applications/{id}/process"),
            Some(json!({"option": "basic_1y"})),
        )
        .await,
        403,
    )
    .await;
    let partner = app.token("p-klg-1").await;
    problem(
        app.api_json(
            &partner,
            Method::POST,
            &format!("/applications/{id}/receipt"),
            Some(json!({})),
        )
        .await,
        403,
    )
    .await;
}

#[tokio::test]
async fn another_partners_application_is_not_found_in_api_and_ui() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    let other = app.token("p-klg-2").await;
    let b = problem(
        app.api_get(Some(&other), &format!("/applications/{id}"))
            .await,
        404,
    )
    .await;
    let missing = problem(app.api_get(Some(&other), "/applications/999999").await, 404).await;
    assert_eq!(b, missing);
    problem(
        app.api_json(
            &other,
            Method::POST,
            &format!("/applications/{id}/reject"),
            Some(json!({"reason": "x"})),
        )
        .await,
        404,
    )
    .await;
    let r = app
        .api_get(
            Some(&other),
            &format!("/applications/{id}/documents/application_form"),
        )
        .await;
    problem(r, 404).await;
    let list: Value = app
        .api_get(Some(&other), "/applications")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
    // Another region's sales center does not see it either; its own does.
    problem(
        app.api_get(
            Some(&app.token("sc-msk").await),
            &format!("/applications/{id}"),
        )
        .await,
        404,
    )
    .await;
    assert_eq!(
        app.api_get(
            Some(&app.token("sc-klg").await),
            &format!("/applications/{id}")
        )
        .await
        .status(),
        200
    );

    let b = app.signed_in("p-klg-2").await;
    let r = b
        .get(app.url(&format!("/applications/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("Не найдено"));
}

async fn race_claims(app: &TestApp, id: i64, logins: &[String]) -> Vec<(u16, Value)> {
    let mut handles = Vec::new();
    for login in logins {
        let token = app.token(login).await;
        let url = app.url(&format!("/api/v1/applications/{id}/claim"));
        handles.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut outcomes = Vec::new();
    for h in handles {
        outcomes.push(h.await.unwrap());
    }
    outcomes
}

#[tokio::test]
async fn ten_parallel_claims_have_exactly_one_winner() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["partner_code"] = Value::Null;
    let id = app.submit(&doc).await;
    // Ten people of one partner click "Получить заявку" at once.
    let mut logins = Vec::new();
    for i in 0..10 {
        let login = format!("p-klg-1-staff-{i}");
        app.create_user(&login, "partner", Some("p-klg-1")).await;
        logins.push(login);
    }
    let outcomes = race_claims(&app, id, &logins).await;
    let winners = outcomes.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(winners, 1, "{outcomes:?}");
    for (status, body) in outcomes.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(*status, 409, "{body}");
        assert_eq!(body["current_state"], "accepted", "{body}");
    }
    let a = app.application("p-klg-1", id).await;
    assert_eq!(
        a["history"].as_array().unwrap().len(),
        2,
        "one claim recorded"
    );
}

#[tokio::test]
async fn when_partners_race_for_an_application_one_wins_and_the_others_lose_sight_of_it() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["partner_code"] = Value::Null;
    let id = app.submit(&doc).await;
    let logins: Vec<String> = [
        "p-klg-1", "p-klg-2", "p-klg-3", "p-msk-1", "p-msk-2", "p-msk-3",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let outcomes = race_claims(&app, id, &logins).await;
    assert_eq!(
        outcomes.iter().filter(|(s, _)| *s == 200).count(),
        1,
        "{outcomes:?}"
    );
    // A loser either lost the version race (409) or arrived when it was already another
    // partner's (404, which never reveals whose).
    assert!(
        outcomes.iter().all(|(s, _)| matches!(s, 200 | 404 | 409)),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn a_stale_if_match_is_refused() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    let token = app.token("p-klg-1").await;
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/applications/{id}/reject")))
        .bearer_auth(&token)
        .header("If-Match", "\"7\"")
        .json(&json!({"reason": "дубль"}))
        .send()
        .await
        .unwrap();
    let b = problem(r, 409).await;
    assert_eq!(b["type"], "/problems/stale-version");
    assert_eq!(b["current_state"], "accepted");
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/applications/{id}/reject")))
        .bearer_auth(&token)
        .header("If-Match", "\"0\"")
        .json(&json!({"reason": "дубль"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"1\"");
}

#[tokio::test]
async fn documents_are_checked_stored_replaced_and_zipped() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    let r = app
        .attach(
            "p-klg-1",
            id,
            "identity_document",
            "passport.exe",
            b"MZ\x90\x00 not a scan".to_vec(),
        )
        .await;
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "file");
    let r = app.attach("p-klg-1", id, "selfie", "a.pdf", pdf("x")).await;
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "kind");
    let mut big = pdf("big");
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let r = app
        .attach("p-klg-1", id, "identity_document", "big.pdf", big)
        .await;
    assert_eq!(r.status(), 422);

    let first = pdf("первый паспорт");
    let r = app
        .attach(
            "p-klg-1",
            id,
            "identity_document",
            "паспорт.pdf",
            first.clone(),
        )
        .await;
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["content_type"], "application/pdf");
    assert_eq!(d["size_bytes"], first.len());
    let token = app.token("p-klg-1").await;
    let r = app
        .api_get(
            Some(&token),
            &format!("/applications/{id}/documents/identity_document"),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''%D0%BF")
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), first);

    let second = pdf("второй паспорт");
    app.attach(
        "p-klg-1",
        id,
        "identity_document",
        "паспорт-2.pdf",
        second.clone(),
    )
    .await;
    let r = app
        .api_get(
            Some(&token),
            &format!("/applications/{id}/documents/identity_document"),
        )
        .await;
    assert_eq!(r.bytes().await.unwrap().to_vec(), second, "replaced");
    app.attach("p-klg-1", id, "egrul_extract", "выписка.pdf", pdf("егрюл"))
        .await;

    let r = app
        .api_get(Some(&token), &format!("/applications/{id}/documents.zip"))
        .await;
    assert_eq!(r.headers()["content-type"], "application/zip");
    let zip = r.bytes().await.unwrap().to_vec();
    assert!(zip.starts_with(b"PK\x03\x04"));
    let a = app.application("p-klg-1", id).await;
    assert_eq!(a["documents"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_its_check_reports_each_outcome() {
    let app = TestApp::spawn().await;
    for (login, outcome, free_offered) in [
        ("its-active", "active", true),
        ("its-future", "deferred", false),
        ("its-used", "used_by_other", false),
        ("its-nobody", "none", false),
        ("its-techno", "none", false),
    ] {
        let mut doc = sample_application();
        doc["its_login"] = json!(login);
        let id = app.submit(&doc).await;
        let token = app.token("p-klg-1").await;
        let check: Value = app
            .api_get(Some(&token), &format!("/applications/{id}/its-check"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(check["outcome"], outcome, "{login}");
        let offered = check["options"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "its_free");
        assert_eq!(offered, free_offered, "{login}");
    }
}

#[tokio::test]
async fn processing_refuses_the_free_option_without_a_current_subscription() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["its_login"] = json!("its-future");
    let id = app.submit(&doc).await;
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
    assert_eq!(b["errors"][0]["field"], "option");
    let a = app
        .act(
            "p-klg-1",
            &format!("/applications/{id}/process"),
            json!({"option": "deferred_its"}),
        )
        .await;
    assert_eq!(a["state"], "in_processing");
}

#[tokio::test]
async fn the_registry_lists_searches_and_pages_within_scope() {
    let app = TestApp::spawn().await;
    let names = ["Ромашка", "Лютик", "Василёк", "Одуванчик", "Ромашка-Плюс"];
    for (i, n) in names.iter().enumerate() {
        let mut doc = sample_application();
        doc["short_name"] = json!(format!("ООО \"{n}\""));
        doc["full_name"] = json!(format!("Общество с ограниченной ответственностью \"{n}\""));
        app.submit(&doc).await;
        app.advance(chrono::Duration::minutes(i64::try_from(i).unwrap() + 1));
    }
    let token = app.token("p-klg-1").await;
    let page: Value = app
        .api_get(Some(&token), "/applications?per_page=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 5);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["items"][0]["short_name"], "ООО \"Ромашка-Плюс\"",
        "newest first"
    );
    let next = page["next"].as_str().unwrap().to_owned();
    let page2: Value = app
        .api_get(
            Some(&token),
            &format!("/applications?per_page=2&after={next}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page2["items"][0]["short_name"], "ООО \"Василёк\"");
    let page3: Value = app
        .api_get(Some(&token), "/applications?per_page=2&page=3")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page3["items"][0]["short_name"], "ООО \"Ромашка\"");

    let found: Value = app
        .api_get(Some(&token), "/applications?q=ромашка")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 2, "case-insensitive Cyrillic search");
    let found: Value = app
        .api_get(Some(&token), "/applications?q=ВАСИЛЕК")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 1, "ё and е match");
    let found: Value = app
        .api_get(Some(&token), "/applications?q=40272")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 5, "ИНН prefix");
    let sorted: Value = app
        .api_get(Some(&token), "/applications?sort=name&per_page=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sorted["items"][0]["short_name"], "ООО \"Василёк\"");
    let b = problem(
        app.api_get(Some(&token), "/applications?state=lost&sort=weird")
            .await,
        422,
    )
    .await;
    assert_eq!(b["errors"].as_array().unwrap().len(), 2);
}

/// One page of the partner's API list for `query`: its ids, and the cursor it hands out.
async fn page_ids(
    app: &TestApp,
    token: &str,
    query: &[(&str, &str)],
) -> (Vec<i64>, Option<String>) {
    let url = format!(
        "/applications?{}",
        serde_urlencoded::to_string(query).unwrap()
    );
    let page: Value = app.api_get(Some(token), &url).await.json().await.unwrap();
    let ids = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    (ids, page["next"].as_str().map(str::to_owned))
}

/// The ids of `sort`'s order, walked two at a time by the cursor each page hands out.
async fn walk(app: &TestApp, token: &str, sort: &str) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = vec![("sort", sort), ("per_page", "2")];
        query.extend(after.as_deref().map(|a| ("after", a)));
        let (ids, next) = page_ids(app, token, &query).await;
        seen.extend(ids);
        match next {
            Some(next) => after = Some(next),
            None => return seen,
        }
        assert!(seen.len() < 100, "the walk does not end: {seen:?}");
    }
}

#[tokio::test]
async fn every_order_pages_by_cursor_and_a_new_arrival_neither_repeats_nor_skips_a_row() {
    // Names that tie (told apart by id), or hold `_`, `&`, quotes and ё: the cursor
    // carries the last name, and the link must carry it whole.
    let app = TestApp::spawn().await;
    let names = [
        "ООО Бета",
        "ООО Альфа_1",
        "ООО Альфа & Ко",
        "ООО \"Ёж\"",
        "ООО Бета",
        "ООО Альфа",
    ];
    for (i, n) in names.iter().enumerate() {
        let mut doc = sample_application();
        doc["inn"] = json!(registrar::applications::generate::inn10(500 + i as u64));
        doc["short_name"] = json!(n);
        app.submit(&doc).await;
        app.advance(chrono::Duration::minutes(1));
    }
    let token = app.token("p-klg-1").await;
    for sort in ["-received", "received", "name", "inn"] {
        let (whole, _) = page_ids(&app, &token, &[("sort", sort), ("per_page", "50")]).await;
        assert_eq!(whole.len(), names.len());
        assert_eq!(walk(&app, &token, sort).await, whole, "sort={sort}");
    }

    // A new application sorting first arrives after the first page by name: the next
    // page goes on from the last name shown (a page number would show a row again).
    let (shown, next) = page_ids(&app, &token, &[("sort", "name"), ("per_page", "2")]).await;
    let mut doc = sample_application();
    doc["inn"] = json!(registrar::applications::generate::inn10(600));
    doc["short_name"] = json!("ООО А");
    let newcomer = app.submit(&doc).await;
    let next = next.unwrap();
    let (rest, _) = page_ids(
        &app,
        &token,
        &[("sort", "name"), ("per_page", "50"), ("after", &next)],
    )
    .await;
    assert_eq!(rest.len(), names.len() - 2, "{rest:?}");
    assert!(!rest.contains(&newcomer));
    assert!(
        shown.iter().all(|id| !rest.contains(id)),
        "{shown:?} {rest:?}"
    );

    // A cursor that is not one of the order is refused, naming the field.
    let b = problem(
        app.api_get(Some(&token), "/applications?sort=name&after=x_ООО")
            .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "after", "{b}");
    // A moment before any PostgreSQL can hold was a 500 there.
    let b = problem(
        app.api_get(Some(&token), "/applications?after=-6311390400000000000_1")
            .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "after", "{b}");
}

#[tokio::test]
async fn keyset_pages_walk_applications_received_at_the_same_moment() {
    // The cursor is (received_at, id): rows sharing a moment are told apart by id, none
    // skipped or repeated across pages.
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for (i, inn) in [
        "4027291410",
        "7707083893",
        "4025442625",
        "4024011792",
        "5036065113",
    ]
    .iter()
    .enumerate()
    {
        let mut doc = sample_application();
        doc["inn"] = json!(inn);
        doc["short_name"] = json!(format!("ООО Одновременно {i}"));
        ids.push(app.submit(&doc).await);
        if i == 2 {
            app.advance(chrono::Duration::minutes(1));
        }
    }
    let token = app.token("p-klg-1").await;
    let mut seen = Vec::new();
    let mut url = "/applications?per_page=2".to_owned();
    loop {
        let page: Value = app.api_get(Some(&token), &url).await.json().await.unwrap();
        for a in page["items"].as_array().unwrap() {
            seen.push(a["id"].as_i64().unwrap());
        }
        match page["next"].as_str() {
            Some(next) => url = format!("/applications?per_page=2&after={next}"),
            None => break,
        }
    }
    // Newest moment first (the last two), then the first three; by id, highest first.
    let expected = vec![ids[4], ids[3], ids[2], ids[1], ids[0]];
    assert_eq!(seen, expected);
}
