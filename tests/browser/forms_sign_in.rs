//! Sign-in, sign-out, and ending every session from the profile.

use crate::harness::with_browser;
use crate::helpers::*;

#[tokio::test]
async fn every_role_signs_in_through_the_form_and_lands_on_its_home() {
    let app = TestApp::spawn().await;
    for (login, section) in [
        ("p-klg-1", "Заявки"),
        ("sc-klg", "Распределение"),
        ("ic-1", "Очередь идентификации"),
        ("operator", "Журнал действий"),
    ] {
        with_browser(&app, &format!("sign-in-{login}"), |b| async move {
            b.sign_in(login).await;
            assert_eq!(b.path().await, "/");
            b.sees(section).await;
            b.sees("Здравствуйте").await;
            b
        })
        .await;
    }
}

#[tokio::test]
async fn a_wrong_password_keeps_the_login_and_says_so_in_russian() {
    let app = TestApp::spawn().await;
    with_browser(&app, "sign-in-wrong", |b| async move {
        b.goto("/login").await;
        b.fill("login", "p-klg-1").await;
        b.fill("password", "not-the-password").await;
        b.click("Войти").await;
        b.sees("Неверный логин или пароль.").await;
        assert_eq!(b.value_of("/login", "login").await, "p-klg-1");
        assert!(b.path().await.starts_with("/login"));
        b
    })
    .await;
}

#[tokio::test]
async fn signing_out_ends_the_session_and_back_shows_no_personal_data() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    with_browser(&app, "sign-out", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto(&format!("/applications/{id}")).await;
        b.sees("112-233-445 95").await;
        b.click("Выйти").await;
        b.sees("Вы вышли из системы.").await;
        // Back: the page is not kept by the browser (no-store) and asks to sign in.
        b.c.back().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let text = b.text().await;
        assert!(
            !text.contains("112-233-445 95"),
            "personal data after logout: {text}"
        );
        b
    })
    .await;
}

#[tokio::test]
async fn signing_out_everywhere_from_the_profile_signs_out_the_other_browser() {
    let app = TestApp::spawn().await;
    let other = app.signed_in("p-klg-1").await;
    with_browser(&app, "sign-out-everywhere", |b| async move {
        b.sign_in("p-klg-1").await;
        b.click("Кузнецов Дмитрий Олегович").await;
        b.sees("Сеансы работы").await;
        b.sees("этот браузер").await;
        b.click("Выйти на всех устройствах").await;
        b.sees("Вы вышли из системы.").await;
        b
    })
    .await;
    let r = other.get(app.url("/applications")).send().await.unwrap();
    assert!(location(&r).starts_with("/login"));
}
