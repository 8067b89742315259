//! Several servers on one PostgreSQL (issue 11 item 5): each job runs on one instance at
//! a time (a session advisory lock per job), a due backlog is worked once with every
//! e-mail sent once, and a session opened on one server works on the other. SQLite is
//! one process; there these tests have nothing to prove and return.

use std::sync::Arc;

use chrono::Duration;
use registrar::applications::generate::inn10;
use registrar::auth::kept::KeptSessions;
use registrar::clock::Clock;
use registrar::jobs::{self, JobLock};
use registrar::notify::mailer::{Mailer, SmtpSettings};
use registrar::{AppState, build_app, db};
use sea_orm::ConnectionTrait;
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

/// The other server's page for a session cookie (`name=value`), sent by hand: a browser
/// whose cookie was cleared by signing out would not send it, a stolen one would.
async fn get_with_cookie(base: &str, path: &str, cookie: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}{path}"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

/// Waits — for at most `within` — until `done` holds: a notification crosses from one
/// server to the other through PostgreSQL in a fraction of a millisecond, not at once.
async fn eventually<F: std::future::Future<Output = bool>>(
    within: std::time::Duration,
    mut done: impl FnMut() -> F,
) -> bool {
    let until = std::time::Instant::now() + within;
    loop {
        if done().await {
            return true;
        }
        if std::time::Instant::now() > until {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// A signed-in browser on the first server and its session cookie (`name=value`).
async fn sign_in_for_cookie(app: &TestApp, login: &str) -> (reqwest::Client, String) {
    let b = app.browser();
    let r = app.try_login(&b, login, PASSWORD).await;
    assert_eq!(r.status(), 303);
    let cookie = r
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("registrar_session="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    (b, cookie)
}

/// Whether the other server answers the registry for `cookie` and keeps a session
/// afterwards, within two seconds (a notification of an earlier write may still drop
/// what it kept once).
async fn answered_and_kept(base: &str, kept: &KeptSessions, cookie: &str) -> bool {
    eventually(std::time::Duration::from_secs(2), || async {
        get_with_cookie(base, "/applications", cookie)
            .await
            .status()
            == 200
            && kept.sessions_kept() >= 1
    })
    .await
}

/// Whether the other server sends `cookie` to sign in again, within two seconds.
async fn refused(base: &str, cookie: &str) -> bool {
    eventually(std::time::Duration::from_secs(2), || async {
        get_with_cookie(base, "/applications", cookie)
            .await
            .status()
            == 303
    })
    .await
}

/// What the second server keeps in memory (sessions, the registry's stamps) is dropped
/// the moment the first server — or anyone, in SQL — changes what it was read from, and
/// nothing is kept while the notifications cannot arrive.
#[tokio::test]
async fn what_one_server_keeps_follows_the_changes_made_on_the_other() {
    let app = TestApp::spawn().await;
    let Some((other, other_base)) = second_instance(&app).await else {
        return;
    };
    let second = std::time::Duration::from_secs(2);
    let kept = other.kept_sessions.clone();
    assert!(
        eventually(std::time::Duration::from_secs(10), || async {
            kept.is_listening()
        })
        .await,
        "the second server listens for the database's changes"
    );
    let (browser, cookie) = sign_in_for_cookie(&app, "p-klg-1").await;

    // Read once, then kept: the session and the partner's stamp.
    assert!(
        answered_and_kept(&other_base, &kept, &cookie).await,
        "the second server keeps the session it read"
    );

    // An application sent to the first server shows on the second's kept page.
    let mut doc = sample_application();
    doc["inn"] = json!(inn10(7_100_001));
    app.submit(&doc).await;
    let inn = doc["inn"].as_str().unwrap().to_owned();
    assert!(
        eventually(second, || async {
            let page = get_with_cookie(&other_base, "/applications", &cookie)
                .await
                .text()
                .await
                .unwrap();
            page.contains(&inn)
        })
        .await,
        "the new application shows on the other server"
    );

    // A user switched off in SQL (not through either server) is refused.
    let (_, colleague) = sign_in_for_cookie(&app, "p-klg-2").await;
    assert!(answered_and_kept(&other_base, &kept, &colleague).await);
    app.state
        .db
        .execute_unprepared("UPDATE users SET active = false WHERE login = 'p-klg-2'")
        .await
        .unwrap();
    assert!(
        refused(&other_base, &colleague).await,
        "a switched-off user's session ends on the other server"
    );

    // Signed out on the first server: the cookie no longer works on the second.
    assert!(answered_and_kept(&other_base, &kept, &cookie).await);
    app.sign_out(&browser).await;
    assert!(
        refused(&other_base, &cookie).await,
        "a session signed out on one server ends on the other"
    );

    // The listening connection lost: nothing is kept until it listens again.
    let (_, third) = sign_in_for_cookie(&app, "sc-klg").await;
    assert!(answered_and_kept(&other_base, &kept, &third).await);
    app.state
        .db
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .await
        .unwrap();
    assert!(
        eventually(second, || async { !kept.is_listening() }).await,
        "the lost connection is noticed"
    );
    assert_eq!(kept.sessions_kept(), 0, "nothing kept while not listening");
    assert_eq!(
        get_with_cookie(&other_base, "/applications", &third)
            .await
            .status(),
        200
    );
    assert_eq!(kept.sessions_kept(), 0, "nor kept from a read meanwhile");
    assert!(
        eventually(std::time::Duration::from_secs(10), || async {
            kept.is_listening()
        })
        .await,
        "it listens again"
    );
}
