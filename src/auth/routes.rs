//! Sign-in and sign-out pages.

use crate::extract::Query;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use maud::html;
use serde::Deserialize;

use super::session::{self, COOKIE};
use super::{Csrf, NoFields, random_secret, tokens_match};
use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::Form;
use crate::server::{ClientIp, over_https};
use crate::web::layout;

/// Double-submit cookie protecting the login form itself (there is no session yet).
const LOGIN_CSRF_COOKIE: &str = "registrar_login_csrf";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/logout-everywhere", post(logout_everywhere))
        .route("/profile", get(profile))
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    next: Option<String>,
    logged_out: Option<String>,
    expired: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

/// Only same-site relative paths are followed after sign-in: a `/` followed by path and
/// query characters from a short list. Browsers drop tabs and newlines and read `\\` as
/// `/` before resolving a URL, so `/\t/evil.example` would leave the site; a list of
/// what is allowed cannot be outwitted that way, and it keeps the `Location` header valid.
pub fn safe_next(next: Option<&str>) -> &str {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/_-?=&.%".contains(c);
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() <= 2000
                && n.chars().all(allowed) =>
        {
            n
        }
        _ => "/",
    }
}

fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .build()
}

fn login_form(csrf: &str, next: &str, login: &str, message: Option<(&str, &str)>) -> String {
    layout::bare(
        "Вход",
        html! {
            h1 { "Регистратор 1С-Отчетности" }
            p.sub { "Вход для партнеров, центров продаж и центров идентификации" }
            @if let Some((kind, text)) = message {
                div class={ "flash flash-" (kind) } role="alert" { (text) }
            }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="next" value=(next);
                label for="login" { "Логин" }
                input #login type="text" name="login" value=(login) autocomplete="username" required autofocus;
                label for="password" { "Пароль" }
                input #password type="password" name="password" autocomplete="current-password" required;
                button.primary type="submit" { "Войти" }
            }
        },
    )
    .into_string()
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Query(q): Query<LoginQuery>,
) -> Response {
    let token = jar
        .get(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 64);
    let (jar, token) = match token {
        Some(t) => (jar, t),
        None => {
            let t = random_secret();
            (
                jar.add(cookie(
                    LOGIN_CSRF_COOKIE,
                    t.clone(),
                    over_https(&headers, &state.config),
                )),
                t,
            )
        }
    };
    let message = if q.logged_out.is_some() {
        Some(("info", "Вы вышли из системы."))
    } else if q.expired.is_some() {
        Some((
            "info",
            "Сеанс работы завершён (истёк срок или выполнен выход). Войдите снова — после входа откроется та же страница.",
        ))
    } else {
        None
    };
    (
        jar,
        Html(login_form(
            &token,
            safe_next(q.next.as_deref()),
            "",
            message,
        )),
    )
        .into_response()
}

async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    let expected = jar
        .get(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if !tokens_match(&f.csrf, &expected) {
        return Err(AppError::CsrfRejected);
    }
    let next = safe_next(f.next.as_deref()).to_owned();
    let attempt = session::Attempt {
        login: &f.login,
        password: &f.password,
        client,
    };
    match session::sign_in(&state, attempt).await? {
        Ok(s) => {
            let secure = over_https(&headers, &state.config);
            let jar = jar.add(cookie(COOKIE, s.cookie_value, secure));
            Ok((jar, Redirect::to(&next)).into_response())
        }
        Err(refusal) => {
            let mut r = (
                StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::UNAUTHORIZED),
                Html(login_form(
                    &expected,
                    &next,
                    &f.login,
                    Some(("error", &refusal.message())),
                )),
            )
                .into_response();
            if let Some(secs) = refusal.retry_after() {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            Ok(r)
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    Csrf(user, _): Csrf<NoFields>,
) -> AppResult<Response> {
    if let Some(s) = &user.session {
        session::sign_out(&state.db, user.actor(), s, state.clock.now()).await?;
    }
    let jar = jar.remove(Cookie::build(COOKIE).path("/").build());
    Ok((jar, Redirect::to("/login?logged_out=1")).into_response())
}

async fn logout_everywhere(
    State(state): State<AppState>,
    jar: CookieJar,
    Csrf(user, _): Csrf<NoFields>,
) -> AppResult<Response> {
    session::sign_out_everywhere(&state.db, user.actor(), user.id, state.clock.now()).await?;
    let jar = jar.remove(Cookie::build(COOKIE).path("/").build());
    Ok((jar, Redirect::to("/login?logged_out=1")).into_response())
}

/// «Профиль»: who is signed in, the live sessions of the login, and signing out of all
/// of them (a computer left signed in elsewhere).
async fn profile(
    State(state): State<AppState>,
    user: crate::auth::CurrentUser,
) -> AppResult<maud::Markup> {
    use crate::web::components::{datetime_ru, table};
    let sessions = session::live_sessions(&state.db, user.id, state.clock.now()).await?;
    let current = user.session.as_ref().map(|s| s.id_hash.as_str());
    Ok(layout::page(
        &user,
        "profile",
        "Профиль",
        html! {
            dl.kv {
                dt { "ФИО" } dd { (user.full_name) }
                dt { "Логин" } dd { (user.login) }
                dt { "Роль" } dd { (user.role.title_ru()) }
                @if let Some(org) = &user.organisation { dt { "Организация" } dd { (org) } }
            }
            h2 { "Сеансы работы" }
            p.muted { "Открытые входы под вашим логином (в этом и других браузерах). Если вы не уверены, что вышли на чужом компьютере, завершите все сеансы." }
            (table(&["Вход выполнен", "Действует до", ""], sessions.iter().map(|s| html! { tr {
                td { (datetime_ru(s.created_at)) }
                td { (datetime_ru(s.expires_at)) }
                td { @if Some(s.id.as_str()) == current { span.badge.badge-ok { "этот браузер" } } }
            } })))
            form.actions method="post" action="/logout-everywhere" {
                (layout::csrf_field(&user))
                button.danger type="submit" data-confirm="Завершить все сеансы под вашим логином, включая этот?" { "Выйти на всех устройствах" }
            }
        },
    ))
}
