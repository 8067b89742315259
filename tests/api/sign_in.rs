//! Sign-in, lockout, sign-out, sessions and CSRF, as a person at a browser meets them.

use chrono::Duration;

use crate::helpers::*;

#[tokio::test]
async fn the_login_page_is_in_russian_and_protects_its_form() {
    let app = TestApp::spawn().await;
    let r = app.browser().get(app.url("/login")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("registrar_login_csrf="))
    );
    let html = r.text().await.unwrap();
    for text in ["Логин", "Пароль", "Войти"] {
        assert!(html.contains(text), "login page lacks {text}");
    }
    assert!(csrf_in(&html).is_some_and(|t| t.len() == 64));
}

#[tokio::test]
async fn a_signed_in_partner_lands_on_home_with_the_partner_sections() {
    let app = TestApp::spawn().await;
    let b = app.signed_in("p-msk-1").await;
    let html = app.html(&b, "/").await;
    assert!(html.contains("Иванова Мария Петровна"));
    assert!(html.contains("ООО «Бухсофт Подольск»"));
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_the_login_page_and_back() {
    let app = TestApp::spawn().await;
    let b = app.browser();
    let r = b
        .get(app.url("/reference/tariffs?zone=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        "/login?next=%2Freference%2Ftariffs%3Fzone%3D2"
    );

    let csrf = app
        .csrf_of(&b, "/login?next=%2Freference%2Ftariffs%3Fzone%3D2")
        .await;
    let r = b
        .post(app.url("/login"))
        .form(&[
            ("login", "operator"),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/reference/tariffs?zone=2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/reference/tariffs?zone=2");
}

#[tokio::test]
async fn sign_in_never_redirects_off_site() {
    let app = TestApp::spawn().await;
    let b = app.browser();
    let csrf = app.csrf_of(&b, "/login").await;
    let r = b
        .post(app.url("/login"))
        .form(&[
            ("login", "operator"),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_login_get_the_same_message() {
    let app = TestApp::spawn().await;
    let wrong_pw = app.try_login(&app.browser(), "p-msk-1", "nope").await;
    assert_eq!(wrong_pw.status(), 401);
    let wrong_pw = wrong_pw.text().await.unwrap();
    let unknown = app
        .try_login(&app.browser(), "nobody-here", "nope")
        .await
        .text()
        .await
        .unwrap();
    let message = "Неверный логин или пароль.";
    assert!(wrong_pw.contains(message));
    assert!(unknown.contains(message));
}

#[tokio::test]
async fn three_failed_attempts_lock_the_account_for_fifteen_minutes() {
    let app = TestApp::spawn().await;
    let b = app.browser();
    for _ in 0..2 {
        let html = app
            .try_login(&b, "p-klg-1", "wrong")
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains("Неверный логин или пароль."));
    }
    let third = app
        .try_login(&b, "p-klg-1", "wrong")
        .await
        .text()
        .await
        .unwrap();
    assert!(third.contains("Вход временно заблокирован"));

    // The right password does not help while the lock lasts.
    let r = app.try_login(&b, "p-klg-1", PASSWORD).await;
    assert_eq!(r.status(), 401);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Вход временно заблокирован")
    );

    app.advance(Duration::minutes(14));
    assert_eq!(app.try_login(&b, "p-klg-1", PASSWORD).await.status(), 401);

    app.advance(Duration::minutes(1));
    let r = app.try_login(&b, "p-klg-1", PASSWORD).await;
    assert_eq!(r.status(), 303, "the lock ends after 15 minutes");

    // Another user is never affected.
    assert_eq!(
        app.try_login(&app.browser(), "p-klg-2", PASSWORD)
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn a_successful_sign_in_resets_the_failure_count() {
    let app = TestApp::spawn().await;
    let b = app.browser();
    app.try_login(&b, "sc-msk", "wrong").await;
    app.try_login(&b, "sc-msk", "wrong").await;
    assert_eq!(app.try_login(&b, "sc-msk", PASSWORD).await.status(), 303);
    let b2 = app.browser();
    app.try_login(&b2, "sc-msk", "wrong").await;
    app.try_login(&b2, "sc-msk", "wrong").await;
    assert_eq!(
        app.try_login(&b2, "sc-msk", PASSWORD).await.status(),
        303,
        "two new failures do not lock"
    );
}

#[tokio::test]
async fn logout_ends_the_session_for_good() {
    let app = TestApp::spawn().await;
    let b = app.signed_in("p-msk-2").await;
    let stolen_cookie = b.get(app.url("/")).send().await.unwrap().status();
    assert_eq!(stolen_cookie, 200);

    let r = app.sign_out(&b).await;
    assert_eq!(location(&r), "/login?logged_out=1");
    let r = b.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 303, "signed out");

    // The session row is gone: replaying the old cookie value does not work either.
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        registrar::entities::session::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn sessions_expire_after_the_configured_hours() {
    let app = TestApp::spawn().await;
    let b = app.signed_in("p-msk-1").await;
    app.advance(Duration::hours(11));
    assert_eq!(b.get(app.url("/")).send().await.unwrap().status(), 200);
    app.advance(Duration::hours(1));
    assert_eq!(b.get(app.url("/")).send().await.unwrap().status(), 303);
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn().await;

    // The login form itself.
    let b = app.browser();
    app.csrf_of(&b, "/login").await;
    let r = b
        .post(app.url("/login"))
        .form(&[
            ("login", "operator"),
            ("password", PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Форма устарела"));

    // A signed-in form: logout with a wrong token leaves the session alive.
    let b = app.signed_in("operator").await;
    let r = b
        .post(app.url("/logout"))
        .form(&[("csrf", "0".repeat(64))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = b.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        b.get(app.url("/")).send().await.unwrap().status(),
        200,
        "still signed in"
    );
}

#[tokio::test]
async fn sign_ins_and_failures_are_journaled() {
    let app = TestApp::spawn().await;
    app.try_login(&app.browser(), "p-msk-3", "wrong").await;
    app.signed_in("p-msk-3").await;
    let token = app.token("operator").await;
    let body: serde_json::Value = app
        .api_get(Some(&token), "/audit?actor=p-msk-3")
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["auth.login", "auth.login_failed"]);
}

#[tokio::test]
async fn signing_out_everywhere_ends_the_other_browsers_sessions_too() {
    let app = TestApp::spawn().await;
    let office = app.signed_in("p-klg-1").await;
    let home = app.signed_in("p-klg-1").await;
    let page = app.html(&home, "/profile").await;
    assert!(page.contains("этот браузер"));
    assert_eq!(
        page.matches("<tr><td>").count(),
        2,
        "two live sessions listed"
    );
    let csrf = csrf_in(&page).unwrap();
    let r = home
        .post(app.url("/logout-everywhere"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/login?logged_out=1");
    for b in [&office, &home] {
        let r = b.get(app.url("/applications")).send().await.unwrap();
        assert!(location(&r).starts_with("/login"), "signed out");
    }
}
