//! The time rules, moved by the injected clock: 30 days, 10 working days, 2 days, and the
//! e-mail each sends through a real SMTP server.

use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const AUTO_REJECT_TEXT: &str = "Заявление отклонено автоматически, т.к. не было рассмотрено в течение 30 дней. Рекомендуем отправить заявление повторно и самостоятельно связаться с одним из партнеров фирмы 1С для подключения к 1С-Отчетности.";

#[tokio::test]
async fn an_application_received_1_march_10_00_is_auto_rejected_at_31_march_10_00() {
    let app = TestApp::spawn().await;
    app.clock.set(instant("2025-03-01T10:00:00+03:00"));
    let id = app.submit(&sample_application()).await;
    let untouched_other = {
        app.clock.set(instant("2025-03-02T10:00:00+03:00"));
        app.submit(&sample_application()).await
    };

    app.clock.set(instant("2025-03-31T09:59:59+03:00"));
    app.run_jobs().await;
    assert_eq!(app.application("p-klg-1", id).await["state"], "accepted");

    app.clock.set(instant("2025-03-31T10:00:00+03:00"));
    let reports = app.run_jobs().await;
    let auto = reports.iter().find(|r| r.job == "auto_reject").unwrap();
    assert_eq!(auto.processed, 1);
    let a = app.application("p-klg-1", id).await;
    assert_eq!(a["state"], "auto_rejected");
    assert_eq!(a["reject_reason"], AUTO_REJECT_TEXT);
    assert_eq!(
        a["history"].as_array().unwrap().last().unwrap()["actor"],
        "system:auto_reject"
    );
    assert_eq!(
        app.application("p-klg-1", untouched_other).await["state"],
        "accepted"
    );

    // It cannot be resumed.
    let token = app.token("p-klg-1").await;
    for (path, body) in [
        ("process", json!({"option": "basic_1y"})),
        ("reject", json!({"reason": "x"})),
        ("delegate-identification", json!({})),
    ] {
        let b = problem(
            app.api_json(
                &token,
                Method::POST,
                &format!("/applications/{id}/{path}"),
                Some(body),
            )
            .await,
            409,
        )
        .await;
        assert_eq!(b["current_state"], "auto_rejected");
    }

    // The client got the manual's words, through SMTP, exactly once.
    let mail: Vec<String> = app
        .smtp
        .messages()
        .into_iter()
        .filter(|m| m.contains("info@example.ru"))
        .collect();
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(mail[0].contains(AUTO_REJECT_TEXT), "{}", mail[0]);
    assert!(
        mail[0].contains("Subject: Заявление на подключение к 1С-Отчетности отклонено"),
        "{}",
        mail[0]
    );
    app.run_jobs().await;
    assert_eq!(app.smtp.messages().len(), 1, "never sent twice");
    assert_eq!(app.outbox().await[0].status, "sent");
}

#[tokio::test]
async fn applications_in_processing_are_not_auto_rejected() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    app.attach_required("p-klg-1", id).await;
    app.act(
        "p-klg-1",
        &format!("/applications/{id}/process"),
        json!({"option": "basic_1y"}),
    )
    .await;
    // The 30-day rule stops at «В обработку»: 45 days on, the authority has processed
    // it and nothing rejected it.
    app.advance(Duration::days(45));
    app.run_jobs().await;
    let a = app.application("p-klg-1", id).await;
    assert_eq!(a["state"], "awaiting_receipt");
    let events: Vec<&str> = a["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"].as_str().unwrap())
        .collect();
    assert!(!events.contains(&"auto_reject"), "{events:?}");
}

#[tokio::test]
async fn a_no_show_fails_identification_after_10_working_days_across_the_may_holidays() {
    let app = TestApp::spawn().await;
    app.clock.set(instant("2025-04-25T10:00:00+03:00"));
    let id = app.submit(&sample_application()).await;
    app.clock.set(instant("2025-04-28T10:00:00+03:00"));
    app.act(
        "p-klg-1",
        &format!("/applications/{id}/delegate-identification"),
        json!({}),
    )
    .await;

    // 10 calendar days would be 8 May; 10 working days end on 15 May.
    app.clock.set(instant("2025-05-15T09:59:00+03:00"));
    app.run_jobs().await;
    assert_eq!(
        app.application("p-klg-1", id).await["state"],
        "identification"
    );

    app.clock.set(instant("2025-05-15T10:00:00+03:00"));
    let reports = app.run_jobs().await;
    assert_eq!(
        reports
            .iter()
            .find(|r| r.job == "identification_no_show")
            .unwrap()
            .processed,
        1
    );
    let a = app.application("p-klg-1", id).await;
    assert_eq!(a["state"], "identification_failed");
    let last = a["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["reason"],
        "Абонент не явился на идентификацию в течение 10 рабочих дней"
    );
    assert_eq!(last["actor"], "system:identification_no_show");
}

#[tokio::test]
async fn unclaimed_applications_go_to_the_sales_center_after_two_days() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["partner_code"] = Value::Null;
    let id = app.submit(&doc).await;
    let sc = app.token("sc-klg").await;

    app.advance(Duration::days(2) - Duration::seconds(1));
    app.run_jobs().await;
    assert_eq!(distribution(&app, &sc).await["total"], 0);

    app.advance(Duration::seconds(1));
    let reports = app.run_jobs().await;
    assert_eq!(
        reports
            .iter()
            .find(|r| r.job == "distribution")
            .unwrap()
            .processed,
        1
    );
    assert_eq!(distribution(&app, &sc).await["items"][0]["id"], id);
    assert_eq!(
        distribution(&app, &app.token("sc-msk").await).await["total"],
        0,
        "another region's sales center"
    );

    let mail: Vec<String> = app
        .smtp
        .messages()
        .into_iter()
        .filter(|m| m.contains("sc-klg@registrar.example"))
        .collect();
    assert_eq!(mail.len(), 1);
    assert!(mail[0].contains("4027291410"), "{}", mail[0]);
    app.run_jobs().await;
    assert_eq!(app.smtp.messages().len(), 1, "distributed once");

    // The sales center assigns it to one of its own partners only.
    let b = problem(
        app.api_json(
            &sc,
            Method::POST,
            &format!("/applications/{id}/assign"),
            Some(json!({"partner_code": "p-msk-1"})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "partner_code");
    let a = app
        .act(
            "sc-klg",
            &format!("/applications/{id}/assign"),
            json!({"partner_code": "p-klg-3"}),
        )
        .await;
    assert_eq!(a["state"], "accepted");
    assert_eq!(a["partner_code"], "p-klg-3");
    assert_eq!(app.application("p-klg-3", id).await["state"], "accepted");
    // The list names the partner too, read with the row (and so kept with the page).
    let token = app.token("sc-klg").await;
    let list: Value = app
        .api_get(Some(&token), "/applications?folder=accepted")
        .await
        .json()
        .await
        .unwrap();
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap();
    assert_eq!(item["partner_code"], "p-klg-3");
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_backoff() {
    let app = TestApp::spawn().await;
    app.clock.set(instant("2025-03-01T10:00:00+03:00"));
    let id = app.submit(&sample_application()).await;
    // A mail server that is down: nothing listens on this port.
    let dead = registrar::notify::Mailer::smtp(
        "noreply@registrar.test",
        &registrar::notify::mailer::SmtpSettings {
            host: "127.0.0.1".into(),
            port: 9,
            username: None,
            password: None,
            security: "none".into(),
        },
    )
    .unwrap();
    app.act(
        "p-klg-1",
        &format!("/applications/{id}/delegate-identification"),
        json!({}),
    )
    .await;
    let r = registrar::notify::deliver_due(&app.state.db, &dead, app.clock_now(), 10)
        .await
        .unwrap();
    assert_eq!((r.sent, r.retried), (0, 1));
    let m = &app.outbox().await[0];
    assert_eq!((m.status.as_str(), m.attempts), ("pending", 1));
    assert!(m.last_error.is_some());
    // Not due again until the backoff passes; then the working server gets it.
    let r = registrar::notify::deliver_due(&app.state.db, &app.state.mailer, app.clock_now(), 10)
        .await
        .unwrap();
    assert_eq!(r.sent, 0);
    app.advance(Duration::minutes(2));
    let r = registrar::notify::deliver_due(&app.state.db, &app.state.mailer, app.clock_now(), 10)
        .await
        .unwrap();
    assert_eq!(r.sent, 1);
    assert_eq!(app.smtp.messages().len(), 1);
}

async fn distribution(app: &TestApp, token: &str) -> Value {
    app.api_get(Some(token), "/applications?folder=distribution")
        .await
        .json::<Value>()
        .await
        .unwrap()
}

/// The 30-day rule moves its backlog set-based but version-checked: an application
/// changed after the job read it (here: rejected by its partner a moment before) is
/// skipped, the others move, each with one history row, one e-mail and one journal entry.
/// The rows read carry different versions (the job checks each version's rows apart).
#[tokio::test]
async fn the_set_based_rule_skips_a_row_changed_meanwhile() {
    use registrar::applications::service::{Batch, Transition, transition_many_in};
    use registrar::clock::Clock;
    use registrar::entities::application;
    use sea_orm::{EntityTrait, QueryOrder};
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 0..4u64 {
        let mut doc = sample_application();
        doc["inn"] = json!(registrar::applications::generate::inn10(5_000_000 + i));
        ids.push(app.submit(&doc).await);
    }
    app.sql(&format!(
        "UPDATE applications SET version = version + 7 WHERE id IN ({}, {})",
        ids[0], ids[3]
    ))
    .await;
    app.advance(Duration::days(31));
    // What the job read…
    let read = application::Entity::find()
        .order_by_asc(application::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap();
    // …then the partner rejects the first before the job saves.
    app.act(
        "p-klg-1",
        &format!("/applications/{}/reject", ids[0]),
        json!({"reason": "Клиент отказался"}),
    )
    .await;
    let mut w = registrar::audit::Write::begin(
        &app.state.db,
        registrar::audit::Actor::system("auto_reject"),
        app.clock.now(),
    )
    .await
    .unwrap();
    let mut batch = Batch::default();
    let moved = transition_many_in(&mut w, &mut batch, &read, Transition::auto_reject)
        .await
        .unwrap();
    assert_eq!(moved, 3);
    batch.flush(&w).await.unwrap();
    w.commit().await.unwrap();
    let first = app.application("p-klg-1", ids[0]).await;
    assert_eq!(first["state"], "rejected", "the partner's rejection stands");
    for id in &ids[1..] {
        let a = app.application("p-klg-1", *id).await;
        assert_eq!(a["state"], "auto_rejected");
        let history = a["history"].as_array().unwrap();
        assert_eq!(
            history
                .iter()
                .filter(|h| h["to"] == "auto_rejected")
                .count(),
            1
        );
        assert_eq!(history.last().unwrap()["from"], "accepted");
    }
}
