//! Server-side sessions kept in the database, sign-in with lockout, and flash messages.
//!
//! The cookie holds a random secret; the table holds its SHA-256, the user, the CSRF
//! token for that session and an optional one-shot flash message.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde_json::json;

use super::{WebSession, password, random_secret, sha256_hex};
use crate::audit::{Actor, Change, Write};
use crate::entities::{session, user};
use crate::error::AppError;

pub const COOKIE: &str = "registrar_session";
/// Three failed attempts lock the account for fifteen minutes.
pub const MAX_FAILED_ATTEMPTS: i32 = 3;
pub const LOCKOUT_MINUTES: i64 = 15;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Error,
    Info,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub kind: FlashKind,
    pub text: String,
}

impl Flash {
    fn encode(&self) -> String {
        let k = match self.kind {
            FlashKind::Success => "success",
            FlashKind::Error => "error",
            FlashKind::Info => "info",
        };
        format!("{k}:{}", self.text)
    }

    fn decode(s: &str) -> Flash {
        let (k, text) = s.split_once(':').unwrap_or(("info", s));
        let kind = match k {
            "success" => FlashKind::Success,
            "error" => FlashKind::Error,
            _ => FlashKind::Info,
        };
        Flash {
            kind,
            text: text.to_owned(),
        }
    }
}

/// Why a sign-in was refused. The wording never tells whether the login exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BadCredentials,
    Locked,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::BadCredentials => "Неверный логин или пароль.",
            Refusal::Locked => {
                "Вход временно заблокирован: три неудачные попытки подряд. Повторите через 15 минут."
            }
        }
    }
}

/// A new session: the cookie value to hand to the browser.
pub struct NewSession {
    pub cookie_value: String,
    pub user: user::Model,
}

/// Checks the password, applies the lockout rule, and opens a session on success.
/// Every outcome is journaled.
///
/// # Errors
/// `Ok(Err(refusal))` for a refused sign-in; `Err` for database failures.
pub async fn sign_in(
    db: &DatabaseConnection,
    login: &str,
    password_given: &str,
    now: DateTime<Utc>,
    session_hours: i64,
) -> Result<Result<NewSession, Refusal>, AppError> {
    let login = login.trim();
    let found = user::Entity::find()
        .filter(user::Column::Login.eq(login))
        .one(db)
        .await?;
    let Some(u) = found.filter(|u| u.active) else {
        let pw = password_given.to_owned();
        tokio::task::spawn_blocking(move || password::verify_dummy(&pw))
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let mut w = Write::begin(db, Actor::system("auth"), now).await?;
        w.record(
            Change::new("auth.login_failed", "login", login)
                .after(json!({"reason": "unknown login"})),
        );
        w.commit().await?;
        return Ok(Err(Refusal::BadCredentials));
    };
    if u.locked_until.is_some_and(|until| until > now) {
        let mut w = Write::begin(db, Actor::user(u.id, &u.login), now).await?;
        w.record(Change::new("auth.login_refused_locked", "user", u.id));
        w.commit().await?;
        return Ok(Err(Refusal::Locked));
    }
    let (pw, hash) = (password_given.to_owned(), u.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || password::verify(&pw, &hash))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;

    let mut w = Write::begin(db, Actor::user(u.id, &u.login), now).await?;
    if !ok {
        let attempts = u.failed_attempts + 1;
        let locks = attempts >= MAX_FAILED_ATTEMPTS;
        let mut am = u.clone().into_active_model();
        am.failed_attempts = Set(if locks { 0 } else { attempts });
        am.locked_until = Set(locks.then(|| now + Duration::minutes(LOCKOUT_MINUTES)));
        am.update(&*w).await?;
        w.record(
            Change::new(
                if locks {
                    "auth.locked"
                } else {
                    "auth.login_failed"
                },
                "user",
                u.id,
            )
            .before(json!({"failed_attempts": u.failed_attempts}))
            .after(json!({"failed_attempts": attempts, "locked": locks})),
        );
        w.commit().await?;
        return Ok(Err(if locks {
            Refusal::Locked
        } else {
            Refusal::BadCredentials
        }));
    }

    let mut am = u.clone().into_active_model();
    am.failed_attempts = Set(0);
    am.locked_until = Set(None);
    let u = am.update(&*w).await?;
    let cookie_value = random_secret();
    session::ActiveModel {
        id: Set(sha256_hex(&cookie_value)),
        user_id: Set(u.id),
        csrf_token: Set(random_secret()),
        flash: Set(None),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(session_hours)),
    }
    .insert(&*w)
    .await?;
    w.record(Change::new("auth.login", "user", u.id));
    w.commit().await?;
    Ok(Ok(NewSession {
        cookie_value,
        user: u,
    }))
}

/// The user and session behind a cookie value, if it is live. A pending flash message is
/// taken (and cleared) here, so it shows exactly once.
///
/// # Errors
/// Database errors.
pub async fn authenticate(
    db: &DatabaseConnection,
    cookie_value: &str,
    now: DateTime<Utc>,
) -> Result<Option<(user::Model, WebSession)>, AppError> {
    let id_hash = sha256_hex(cookie_value);
    let Some(s) = session::Entity::find_by_id(id_hash.clone()).one(db).await? else {
        return Ok(None);
    };
    if s.expires_at <= now {
        return Ok(None);
    }
    let Some(u) = user::Entity::find_by_id(s.user_id)
        .one(db)
        .await?
        .filter(|u| u.active)
    else {
        return Ok(None);
    };
    let flash = s.flash.as_deref().map(Flash::decode);
    if flash.is_some() {
        // A session housekeeping field, not a business change: no journal entry.
        session::Entity::update_many()
            .col_expr(
                session::Column::Flash,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .filter(session::Column::Id.eq(&id_hash))
            .exec(db)
            .await?;
    }
    Ok(Some((
        u,
        WebSession {
            id_hash,
            csrf_token: s.csrf_token,
            flash,
        },
    )))
}

/// Leaves a message for the next page this session renders.
///
/// # Errors
/// Database errors.
pub async fn set_flash(
    db: &DatabaseConnection,
    s: &WebSession,
    flash: Flash,
) -> Result<(), AppError> {
    session::Entity::update_many()
        .col_expr(
            session::Column::Flash,
            sea_orm::sea_query::Expr::value(Some(flash.encode())),
        )
        .filter(session::Column::Id.eq(&s.id_hash))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends a session.
///
/// # Errors
/// Database errors.
pub async fn sign_out(
    db: &DatabaseConnection,
    actor: Actor,
    s: &WebSession,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut w = Write::begin(db, actor.clone(), now).await?;
    session::Entity::delete_by_id(s.id_hash.clone())
        .exec(&*w)
        .await?;
    w.record(Change::new(
        "auth.logout",
        "user",
        actor.user_id.unwrap_or_default(),
    ));
    w.commit().await
}
