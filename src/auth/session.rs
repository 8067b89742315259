//! Server-side sessions kept in the database, sign-in with lockout, and flash messages.
//!
//! The cookie holds a random secret; the table holds its SHA-256, the user, the CSRF
//! token for that session and an optional one-shot flash message.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
};
use serde_json::json;

use super::{Role, WebSession, password, random_secret, sha256_hex};
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

/// What a person typed into a form that was refused, so the page they are sent back to
/// can put it back into the form (and mark the fields the refusal names).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct FormEcho {
    /// The path the form posts to: the form on the page with this `action` is refilled.
    pub action: String,
    pub values: Vec<(String, String)>,
    /// Field name → the refusal's message for it.
    pub errors: Vec<(String, String)>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    kind: String,
    text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    form: Option<FormEcho>,
}

impl Flash {
    fn kind_str(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "success",
            FlashKind::Error => "error",
            FlashKind::Info => "info",
        }
    }

    fn encode(&self, form: Option<&FormEcho>) -> String {
        serde_json::to_string(&Stored {
            kind: self.kind_str().to_owned(),
            text: self.text.clone(),
            form: form.cloned(),
        })
        .unwrap_or_default()
    }

    fn decode(s: &str) -> (Flash, Option<FormEcho>) {
        let (k, text, form) = match serde_json::from_str::<Stored>(s) {
            Ok(st) => (st.kind, st.text, st.form),
            // Sessions written before the JSON form: `kind:text`.
            Err(_) => {
                let (k, t) = s.split_once(':').unwrap_or(("info", s));
                (k.to_owned(), t.to_owned(), None)
            }
        };
        let kind = match k.as_str() {
            "success" => FlashKind::Success,
            "error" => FlashKind::Error,
            _ => FlashKind::Info,
        };
        (Flash { kind, text }, form)
    }
}

/// Why a sign-in was refused. The wording never tells whether the login exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BadCredentials,
    Locked,
    /// The client's address used up its attempts; the seconds to wait.
    TooMany(u64),
    /// Every password-hashing thread is busy and the queue is full.
    Busy,
}

impl Refusal {
    pub fn message(self) -> String {
        match self {
            Refusal::BadCredentials => "Неверный логин или пароль.".to_owned(),
            Refusal::Locked => {
                "Вход временно заблокирован: три неудачные попытки подряд. Повторите через 15 минут."
                    .to_owned()
            }
            Refusal::TooMany(secs) => format!(
                "Слишком много попыток входа с вашего адреса. Повторите через {}.",
                crate::web::components::seconds_ru(secs)
            ),
            Refusal::Busy => {
                "Сервер сейчас занят проверкой паролей. Повторите вход через несколько секунд."
                    .to_owned()
            }
        }
    }

    /// The HTTP status of the refused sign-in.
    pub fn status(self) -> u16 {
        match self {
            Refusal::BadCredentials | Refusal::Locked => 401,
            Refusal::TooMany(_) => 429,
            Refusal::Busy => 503,
        }
    }

    /// Seconds for `Retry-After`, when waiting helps.
    pub fn retry_after(self) -> Option<u64> {
        match self {
            Refusal::TooMany(s) => Some(s),
            Refusal::Busy => Some(2),
            Refusal::BadCredentials | Refusal::Locked => None,
        }
    }
}

/// A new session: the cookie value to hand to the browser.
pub struct NewSession {
    pub cookie_value: String,
    pub user: user::Model,
}

/// One sign-in attempt as the login form sends it.
pub struct Attempt<'a> {
    pub login: &'a str,
    pub password: &'a str,
    pub client: IpAddr,
}

/// Checks the password, applies the limits and the lockout rule, and opens a session on
/// success.
///
/// The order matters for a flood: the address's allowance is taken before anything is
/// read or hashed; an account's attempt is *reserved* (its failure counter raised
/// atomically, refused once three are counted) before its password is hashed, so
/// parallel guesses cannot all be evaluated against one reading of the counter; a
/// correct password signs in only if no concurrent failure locked the account meanwhile.
/// Unknown names, locked accounts and API-only accounts run the same dummy hash and get
/// the same answers as real ones. Failures of unknown names stay out of the journal (a
/// flood would fill it); those of real accounts are journaled.
///
/// # Errors
/// `Ok(Err(refusal))` for a refused sign-in; `Err` for database failures.
pub async fn sign_in(
    st: &crate::AppState,
    attempt: Attempt<'_>,
) -> Result<Result<NewSession, Refusal>, AppError> {
    let db = &st.db;
    let now = st.clock.now();
    let throttle = &st.login_throttle;
    let login = attempt.login.trim();
    if let Err(wait) = throttle.admit(attempt.client, now) {
        return Ok(Err(Refusal::TooMany(wait)));
    }
    let found = user::Entity::find()
        .filter(user::Column::Login.eq(login))
        .one(db)
        .await?
        .filter(|u| u.active && u.role != Role::Intake && u.password_hash != password::NO_PASSWORD);
    let Some(u) = found else {
        return Ok(Err(unknown_login(st, &attempt, login, now).await));
    };

    let Some(attempts) = reserve_attempt(db, &u, now).await? else {
        if password::verify_async(attempt.password.to_owned(), None)
            .await
            .is_err()
        {
            return Ok(Err(Refusal::Busy));
        }
        let mut w = Write::begin(db, Actor::user(u.id, &u.login), now).await?;
        w.record(
            Change::new("auth.login_refused_locked", "user", u.id)
                .after(json!({"client": attempt.client.to_string()})),
        );
        w.commit().await?;
        return Ok(Err(Refusal::Locked));
    };
    let ok =
        match password::verify_async(attempt.password.to_owned(), Some(u.password_hash.clone()))
            .await
        {
            Ok(ok) => ok,
            Err(password::Busy) => {
                // Not evaluated: give the reservation back.
                user::Entity::update_many()
                    .col_expr(
                        user::Column::FailedAttempts,
                        Expr::col(user::Column::FailedAttempts).sub(1),
                    )
                    .filter(user::Column::Id.eq(u.id))
                    .filter(user::Column::FailedAttempts.gt(0))
                    .exec(db)
                    .await?;
                return Ok(Err(Refusal::Busy));
            }
        };

    let mut w = Write::begin(db, Actor::user(u.id, &u.login), now).await?;
    if !ok {
        return Ok(Err(
            wrong_password(st, w, &u, &attempt, attempts, now).await?
        ));
    }

    let cleared = user::Entity::update_many()
        .col_expr(user::Column::FailedAttempts, Expr::value(0))
        .col_expr(
            user::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(user::Column::Id.eq(u.id))
        .filter(
            Condition::any()
                .add(user::Column::LockedUntil.is_null())
                .add(user::Column::LockedUntil.lte(now)),
        )
        .exec(&*w)
        .await?
        .rows_affected;
    if cleared == 0 {
        // A concurrent wrong guess locked the account while this one was hashed.
        w.record(Change::new("auth.login_refused_locked", "user", u.id));
        w.commit().await?;
        return Ok(Err(Refusal::Locked));
    }
    Ok(Ok(open_session(st, w, u, &attempt, now).await?))
}

/// Reserves an attempt: the counter counts attempts in flight as failures until they are
/// known to be right, and no fourth attempt is evaluated. The count with this one, or
/// `None` when the account is locked or out of attempts.
async fn reserve_attempt(
    db: &sea_orm::DatabaseConnection,
    u: &user::Model,
    now: DateTime<Utc>,
) -> Result<Option<i32>, AppError> {
    let reserved = user::Entity::update_many()
        .col_expr(
            user::Column::FailedAttempts,
            Expr::col(user::Column::FailedAttempts).add(1),
        )
        .filter(user::Column::Id.eq(u.id))
        .filter(user::Column::FailedAttempts.lt(MAX_FAILED_ATTEMPTS))
        .filter(
            Condition::any()
                .add(user::Column::LockedUntil.is_null())
                .add(user::Column::LockedUntil.lte(now)),
        )
        .exec_with_returning(db)
        .await?;
    Ok(reserved.first().map(|r| r.failed_attempts))
}

/// A name that cannot sign in (unknown, inactive, the intake or API-only): the same
/// dummy hash and answers as a real account; counted per name, never journaled.
async fn unknown_login(
    st: &crate::AppState,
    attempt: &Attempt<'_>,
    login: &str,
    now: DateTime<Utc>,
) -> Refusal {
    let throttle = &st.login_throttle;
    let locked = throttle.unknown_locked(login, now);
    if password::verify_async(attempt.password.to_owned(), None)
        .await
        .is_err()
    {
        return Refusal::Busy;
    }
    if locked {
        return Refusal::Locked;
    }
    throttle.failed(attempt.client, now);
    tracing::info!(login, client = %attempt.client, "sign-in refused: unknown login");
    if throttle.unknown_failed(login, now) {
        Refusal::Locked
    } else {
        Refusal::BadCredentials
    }
}

/// A wrong password of a real account: the reserved attempt stays counted, and the
/// third in a row locks the account for [`LOCKOUT_MINUTES`]; journaled.
async fn wrong_password(
    st: &crate::AppState,
    mut w: Write,
    u: &user::Model,
    attempt: &Attempt<'_>,
    attempts: i32,
    now: DateTime<Utc>,
) -> Result<Refusal, AppError> {
    st.login_throttle.failed(attempt.client, now);
    let locks = attempts >= MAX_FAILED_ATTEMPTS;
    if locks {
        user::Entity::update_many()
            .col_expr(user::Column::FailedAttempts, Expr::value(0))
            .col_expr(
                user::Column::LockedUntil,
                Expr::value(Some(now + Duration::minutes(LOCKOUT_MINUTES))),
            )
            .filter(user::Column::Id.eq(u.id))
            .exec(&*w)
            .await?;
    }
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
        .after(json!({"failed_attempts": attempts, "locked": locks, "client": attempt.client.to_string()})),
    );
    w.commit().await?;
    Ok(if locks {
        Refusal::Locked
    } else {
        Refusal::BadCredentials
    })
}

/// A right password: the session is created and the sign-in journaled.
async fn open_session(
    st: &crate::AppState,
    mut w: Write,
    u: user::Model,
    attempt: &Attempt<'_>,
    now: DateTime<Utc>,
) -> Result<NewSession, AppError> {
    let cookie_value = random_secret();
    session::ActiveModel {
        id: Set(sha256_hex(&cookie_value)),
        user_id: Set(u.id),
        csrf_token: Set(random_secret()),
        flash: Set(None),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(st.config.session_hours)),
    }
    .insert(&*w)
    .await?;
    w.record(
        Change::new("auth.login", "user", u.id)
            .after(json!({"client": attempt.client.to_string()})),
    );
    w.commit().await?;
    Ok(NewSession {
        cookie_value,
        user: u,
    })
}

/// A live session's caller, as [`authenticate_with`] read it.
pub struct Authenticated {
    pub user: super::CurrentUser,
    /// The row of the read joined beside the session (`None` without one).
    pub beside: Option<sea_orm::QueryResult>,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
}

/// The caller behind a cookie value, if its session is live and its user active: the
/// session, the user and the user's organisation in one query. A pending flash message
/// is taken (and cleared) here, so it shows exactly once. With `beside` — a one-row read
/// the page makes on every request — joined to the same query: its row comes back with
/// the caller (`None` without `beside`, or for no row). On PostgreSQL every query is a round trip to the database
/// and another one as its connection goes back to the pool (sqlx pings it): a kept
/// registry page that read its caller and then its scope's counts spent half its time
/// on the second query.
///
/// # Errors
/// Database errors; a user whose organisation is missing is refused.
pub async fn authenticate_with(
    db: &DatabaseConnection,
    cookie_value: &str,
    now: DateTime<Utc>,
    beside: Option<sea_orm::sea_query::SelectStatement>,
) -> Result<Option<Authenticated>, AppError> {
    use sea_orm::sea_query::{Alias, Asterisk, JoinType};
    use sea_orm::{ConnectionTrait, FromQueryResult};

    #[derive(FromQueryResult)]
    struct Found {
        #[sea_orm(nested)]
        caller: super::Caller,
        csrf_token: String,
        flash: Option<String>,
        expires_at: DateTime<Utc>,
    }

    let id_hash = sha256_hex(cookie_value);
    let s = |c: session::Column| Expr::col((session::Entity, c));
    let mut q = super::Caller::select();
    q.expr_as(s(session::Column::CsrfToken), Alias::new("csrf_token"))
        .expr_as(s(session::Column::Flash), Alias::new("flash"))
        .expr_as(s(session::Column::ExpiresAt), Alias::new("expires_at"))
        .inner_join(
            session::Entity,
            s(session::Column::UserId).eq(Expr::col((user::Entity, user::Column::Id))),
        )
        .and_where(s(session::Column::Id).eq(id_hash.as_str()));
    let joined = beside.is_some();
    if let Some(beside) = beside {
        // Uncorrelated: the page names what it reads; the row is the same for any
        // caller, and the caller's row decides whether the page may use it.
        q.column((Alias::new("beside"), Asterisk)).join_subquery(
            JoinType::LeftJoin,
            beside,
            Alias::new("beside"),
            Expr::cust("1 = 1"),
        );
    }
    let Some(row) = db
        .query_one_raw(db.get_database_backend().build(&q))
        .await?
    else {
        return Ok(None);
    };
    let found = Found::from_query_result(&row, "")?;
    if found.expires_at <= now || !found.caller.active() {
        return Ok(None);
    }
    let decoded = found.flash.as_deref().map(Flash::decode);
    let (flash, form_echo) = match decoded {
        Some((f, e)) => (Some(f), e),
        None => (None, None),
    };
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
    let user = found.caller.into_user(Some(WebSession {
        id_hash,
        csrf_token: found.csrf_token,
        flash,
        form_echo,
    }))?;
    Ok(Some(Authenticated {
        user,
        beside: joined.then_some(row),
        expires_at: found.expires_at,
    }))
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
    set_flash_with(db, s, flash, None).await
}

/// Leaves a message and, for a refused form, what was typed into it.
///
/// # Errors
/// Database errors.
pub async fn set_flash_with(
    db: &DatabaseConnection,
    s: &WebSession,
    flash: Flash,
    form: Option<&FormEcho>,
) -> Result<(), AppError> {
    session::Entity::update_many()
        .col_expr(
            session::Column::Flash,
            sea_orm::sea_query::Expr::value(Some(flash.encode(form))),
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

/// Ends every session of a user («Выйти на всех устройствах»): other browsers signed in
/// with the same login are signed out too.
///
/// # Errors
/// Database errors.
pub async fn sign_out_everywhere(
    db: &DatabaseConnection,
    actor: Actor,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let mut w = Write::begin(db, actor, now).await?;
    let n = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(&*w)
        .await?
        .rows_affected;
    w.record(Change::new("auth.logout_everywhere", "user", user_id).after(json!({"sessions": n})));
    w.commit().await?;
    Ok(n)
}

/// The live sessions of a user: when each began and when it ends.
///
/// # Errors
/// Database errors.
pub async fn live_sessions(
    db: &DatabaseConnection,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<session::Model>, AppError> {
    use sea_orm::QueryOrder;
    Ok(session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::ExpiresAt.gt(now))
        .order_by_desc(session::Column::CreatedAt)
        .all(db)
        .await?)
}
