//! The web UI's shell: page layout and navigation, shared components, the error pages,
//! and the middleware that renders problems as HTML for people.

pub mod api_page;
pub mod components;
pub mod files;
pub mod help;
pub mod home;

pub mod layout;
pub mod once;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::error::{AppError, Problem};

/// Turns problem responses of UI routes into pages: 401 becomes a redirect to the login
/// page (returning here afterwards), other errors a Russian error page in the same look.
pub async fn html_errors(req: Request<Body>, next: Next) -> Response {
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let is_get = req.method() == axum::http::Method::GET;
    // A session cookie that no longer signs in: the session ended (expired, signed out
    // elsewhere); the login page says so rather than appearing from nowhere.
    let had_session = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.contains(crate::auth::session::COOKIE));
    let mut response = next.run(req).await;
    let Some(problem) = response.extensions_mut().remove::<Problem>() else {
        return response;
    };
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED {
        let mut query = Vec::new();
        if is_get {
            query.push(format!("next={}", urlencode(&path_and_query)));
        }
        if had_session {
            query.push("expired=1".to_owned());
        }
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{}", query.join("&"))
        };
        return Redirect::to(&format!("/login{query}")).into_response();
    }
    let mut page = (status, Html(layout::error_page(&problem).into_string())).into_response();
    page.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    page
}

/// The UI's 404 for unknown paths.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|e| e[2..].to_owned())
        .unwrap_or_default()
}

pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("app.js"),
    )
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("app.css"),
    )
}

/// After a form action: leaves a one-shot message for the next page and redirects to
/// `back` (post/redirect/get).
///
/// # Errors
/// Database errors.
pub async fn flash_redirect(
    st: &crate::AppState,
    user: &crate::auth::CurrentUser,
    back: &str,
    flash: crate::auth::session::Flash,
) -> Result<Response, AppError> {
    flash_redirect_with(st, user, back, flash, &[]).await
}

/// [`flash_redirect`] for a refused form: what was typed goes back into the form on the
/// page (`errors` mark the fields the refusal names).
///
/// # Errors
/// Database errors.
pub async fn flash_redirect_with(
    st: &crate::AppState,
    user: &crate::auth::CurrentUser,
    back: &str,
    flash: crate::auth::session::Flash,
    errors: &[crate::error::FieldError],
) -> Result<Response, AppError> {
    use crate::auth::session::{FlashKind, FormEcho};
    let echo = (flash.kind == FlashKind::Error)
        .then_some(user.submitted.as_ref())
        .flatten()
        .map(|s| FormEcho {
            action: s.action.clone(),
            values: s.values.clone(),
            errors: errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
        });
    if let Some(s) = &user.session {
        crate::auth::session::set_flash_with(&st.db, s, flash, echo.as_ref()).await?;
    }
    // Targets can carry request data (a `back` field): only same-site paths by allow-list.
    Ok(Redirect::to(crate::auth::routes::safe_next(Some(back))).into_response())
}

/// What a form acted on, for the message when someone else changed it first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Application,
    Card,
    Licence,
    Reconciliation,
    Other,
}

impl Subject {
    fn stale(self, current_state: Option<&str>) -> String {
        match self {
            Subject::Application => format!(
                "Заявление уже изменил другой пользователь{}. Проверьте его и повторите действие.",
                current_state
                    .map(|s| format!(
                        ": сейчас оно в состоянии «{}»",
                        crate::labels::state_title(s)
                    ))
                    .unwrap_or_default()
            ),
            Subject::Card => {
                "Карточку уже изменил другой пользователь. Проверьте данные и повторите.".to_owned()
            }
            Subject::Licence => {
                "Лицензию уже изменил другой пользователь. Проверьте её состояние.".to_owned()
            }
            Subject::Reconciliation => {
                "Сверку уже изменил другой пользователь. Обновите страницу и повторите действие."
                    .to_owned()
            }
            Subject::Other => {
                "Данные уже изменил другой пользователь. Обновите страницу и повторите действие."
                    .to_owned()
            }
        }
    }
}

/// After a form action, the one way back (post/redirect/get): success is a message on
/// `back`; a refusal a person can act on — invalid input (with what was typed, the
/// fields marked), a state that does not allow it, a rule, a lost race — is an error
/// message on `back`; anything else (not found, forbidden, internal) is an error page.
///
/// # Errors
/// The errors that deserve a page; database errors.
pub async fn after_action(
    st: &crate::AppState,
    user: &crate::auth::CurrentUser,
    back: &str,
    subject: Subject,
    result: Result<String, AppError>,
) -> Result<Response, AppError> {
    use crate::auth::session::{Flash, FlashKind};
    let error = |text: String| Flash {
        kind: FlashKind::Error,
        text,
    };
    match result {
        Ok(text) => {
            let flash = Flash {
                kind: FlashKind::Success,
                text,
            };
            flash_redirect(st, user, back, flash).await
        }
        Err(AppError::Invalid(errors)) => {
            let flash = error(crate::labels::invalid_text(&errors));
            flash_redirect_with(st, user, back, flash, &errors).await
        }
        Err(AppError::Stale { current_state }) => {
            let flash = error(subject.stale(current_state.as_deref()));
            flash_redirect(st, user, back, flash).await
        }
        Err(e @ (AppError::Conflict { .. } | AppError::Refused { .. })) => {
            flash_redirect(st, user, back, error(e.problem().detail)).await
        }
        Err(e) => Err(e),
    }
}
