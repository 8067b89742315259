//! Several servers on one PostgreSQL (issue 11 item 5): each job runs on one instance at
//! a time (a session advisory lock per job), a due backlog is worked once with every
//! e-mail sent once, and a session opened on one server works on the other. SQLite is
//! one process; there these tests have nothing to prove and return.

use std::sync::Arc;

use chrono::Duration;
use registrar::applications::generate::inn10;
use registrar::clock::Clock;
use registrar::jobs::{self, JobLock};
use registrar::notify::mailer::{Mailer, SmtpSettings};
use registrar::{AppState, build_app, db};
use serde_json::json;

use crate::helpers::*;

/// A second server on the test app's database, with the same clock and mail sink.
async fn second_instance(app: &TestApp) -> Option<(AppState, String)> {
    if !app.state.config.database_url.starts_with("postgres") {
        return None;
    }
    let conn = db::connect(&app.state.config.database_url).await.unwrap();
    let mailer = Mailer::smtp(
        "Регистратор <noreply@registrar.test>",
        &SmtpSettings {
            host: "127.0.0.1".into(),
            port: app.smtp.port,
            username: None,
            password: None,
            security: "none".into(),
        },
    )
    .unwrap();
    let state = AppState::new(
        conn,
        app.clock.clone() as Arc<dyn Clock>,
        (*app.state.config).clone(),
        mailer,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = build_app(state.clone());
    tokio::spawn(async move {
        registrar::server::serve(
            listener,
            router,
            std::time::Duration::from_secs(30),
            std::future::pending(),
        )
        .await
        .unwrap()
    });
    Some((state, base))
}

#[tokio::test]
async fn a_job_runs_on_one_instance_at_a_time() {
    let app = TestApp::spawn().await;
    let Some((other, _)) = second_instance(&app).await else {
        return;
    };
    let held = JobLock::try_acquire(&app.state, "auto_reject")
        .await
        .unwrap()
        .expect("the first instance takes the lock");
    assert!(
        JobLock::try_acquire(&other, "auto_reject")
            .await
            .unwrap()
            .is_none(),
        "the second instance passes while the first runs the job"
    );
    let reports = jobs::run_all(&other, app.clock.now()).await.unwrap();
    let auto = reports.iter().find(|r| r.job == "auto_reject").unwrap();
    assert_eq!(auto.summary, "выполняется другим экземпляром");
    assert!(
        JobLock::try_acquire(&other, "outbox")
            .await
            .unwrap()
            .is_some(),
        "another job's lock is free"
    );
    held.release().await;
    assert!(
        JobLock::try_acquire(&other, "auto_reject")
            .await
            .unwrap()
            .is_some()
    );
}

/// Two schedulers on one backlog: 60 applications due for the 30-day rule, both
/// instances running every job at once — each application rejected once, each e-mail
/// sent once; and a session opened on one server answers on the other.
#[tokio::test]
async fn two_instances_work_a_backlog_once() {
    let app = TestApp::spawn().await;
    let Some((other, other_base)) = second_instance(&app).await else {
        return;
    };
    let mut ids = Vec::new();
    for i in 0..60u64 {
        let mut doc = sample_application();
        doc["inn"] = json!(inn10(7_000_000 + i));
        ids.push(app.submit(&doc).await);
    }
    app.run_jobs().await;
    let mailed_before = app.smtp.messages().len();
    app.advance(Duration::days(31));
    let now = app.clock.now();
    let (a, b) = tokio::join!(jobs::run_all(&app.state, now), jobs::run_all(&other, now));
    a.unwrap();
    b.unwrap();
    // Whatever one left for the other, a second round finishes.
    jobs::run_all(&other, now).await.unwrap();
    for id in &ids {
        let a = app.application("p-klg-1", *id).await;
        assert_eq!(a["state"], "auto_rejected", "{id}");
        let rejections = a["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["to"] == "auto_rejected")
            .count();
        assert_eq!(rejections, 1, "{id} rejected once");
    }
    let mail = app.smtp.messages();
    let new: Vec<&String> = mail[mailed_before..].iter().collect();
    let distinct: std::collections::HashSet<&&String> = new.iter().collect();
    assert_eq!(new.len(), distinct.len(), "no e-mail sent twice");
    assert!(
        new.len() >= ids.len(),
        "every rejection told: {}",
        new.len()
    );

    // A session opened on the first server works on the second.
    let browser = app.signed_in("p-klg-1").await;
    let page = browser
        .get(format!("{other_base}/applications"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
}
