//! One-time form tokens: every state-changing form carries a fresh random token beside
//! its CSRF field; the first POST that brings it is acted on and the token is stored
//! (as SHA-256, with the session), a second POST with the same token — a double click,
//! a resubmission from the browser's history — is not acted on, and the person is told
//! so. Forms without the field (API clients, old pages) are not affected.

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use sea_orm::ActiveValue::Set;
use sea_orm::{EntityTrait, TryInsertResult};

use crate::AppState;
use crate::auth::session::{Flash, FlashKind};
use crate::auth::{WebSession, random_secret, sha256_hex};
use crate::entities::form_submission;
use crate::error::AppError;

/// The form field that carries the token.
pub const FIELD: &str = "once";

/// What the person reads after a repeated submission.
pub const REPEATED: &str = "Эта форма уже была отправлена: действие выполнено один раз, повторная отправка не выполнялась.";

/// A fresh token for one rendering of a form.
pub fn fresh() -> String {
    random_secret()
}

/// Records the token; `true` when this is its first use.
///
/// # Errors
/// Database errors.
pub async fn consume(st: &AppState, session: &WebSession, token: &str) -> Result<bool, AppError> {
    let row = form_submission::ActiveModel {
        nonce: Set(sha256_hex(token)),
        session_id: Set(session.id_hash.clone()),
        at: Set(st.clock.now()),
    };
    let inserted = form_submission::Entity::insert(row)
        .on_conflict_do_nothing()
        .exec_without_returning(&st.db)
        .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(n) if n > 0))
}

/// The answer to a repeated submission: back to the page the form was on, with the
/// message.
///
/// # Errors
/// Database errors.
pub async fn repeated(
    st: &AppState,
    session: &WebSession,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    crate::auth::session::set_flash(
        &st.db,
        session,
        Flash {
            kind: FlashKind::Info,
            text: REPEATED.to_owned(),
        },
    )
    .await?;
    Ok(Redirect::to(back_to(headers)).into_response())
}

/// The same-site path of the page a form was posted from (the `Referer`), or home.
pub fn back_to(headers: &HeaderMap) -> &str {
    let referer = headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("/");
    // Keep only path and query: `http://host/applications/5?tab=files` → the path.
    let path = referer
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or(referer);
    crate::auth::routes::safe_next(Some(path))
}
