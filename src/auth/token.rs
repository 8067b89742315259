//! API bearer tokens. A token is shown once when created; only its SHA-256 is stored.
//! Tokens expire (a year by default), record when they were last used, and can be
//! listed and revoked from the command line; revoking takes effect on the next request.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use serde_json::json;

use super::{random_secret, sha256_hex};
use crate::audit::{Actor, Change, Write};
use crate::entities::{api_token, user};
use crate::error::AppError;

pub const PREFIX: &str = "rg_";

/// How long a new token lives unless told otherwise.
pub const DEFAULT_DAYS: i64 = 365;

/// Creates a token for `login` and returns it; it cannot be recovered later.
/// `days: None` makes a token that never expires.
///
/// # Errors
/// `NotFound` for an unknown or inactive login; database errors.
pub async fn create(
    db: &DatabaseConnection,
    actor: Actor,
    login: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    create_for(db, actor, login, now, Some(DEFAULT_DAYS)).await
}

/// [`create`] with an explicit lifetime in days.
///
/// # Errors
/// As [`create`]; `Invalid` for a lifetime under one day.
pub async fn create_for(
    db: &DatabaseConnection,
    actor: Actor,
    login: &str,
    now: DateTime<Utc>,
    days: Option<i64>,
) -> Result<String, AppError> {
    if days.is_some_and(|d| d < 1) {
        return Err(AppError::invalid(
            "days",
            "срок действия — не меньше одного дня",
        ));
    }
    let u = user::Entity::find()
        .filter(user::Column::Login.eq(login))
        .filter(user::Column::Active.eq(true))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let token = format!("{PREFIX}{}", random_secret());
    let expires_at = days.map(|d| now + Duration::days(d));
    let mut w = Write::begin(db, actor, now).await?;
    let row = api_token::ActiveModel {
        id: NotSet,
        user_id: Set(u.id),
        token_hash: Set(sha256_hex(&token)),
        prefix: Set(token[..10].to_owned()),
        created_at: Set(now),
        revoked_at: Set(None),
        expires_at: Set(expires_at),
        last_used_at: Set(None),
    }
    .insert(&*w)
    .await?;
    w.record(
        Change::new("token.create", "api_token", row.id)
            .after(json!({"user": u.login, "prefix": row.prefix, "expires_at": expires_at})),
    );
    w.commit().await?;
    Ok(token)
}

/// The caller a bearer token stands for: an unrevoked, unexpired token's active user
/// with what its scope needs, read in one query (the token joined to the user and its
/// organisation). Its last use is recorded at most once a minute.
///
/// # Errors
/// Database errors.
pub async fn authenticate(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<super::CurrentUser>, AppError> {
    use sea_orm::FromQueryResult;
    use sea_orm::sea_query::{Alias, ExprTrait};

    #[derive(FromQueryResult)]
    struct Found {
        #[sea_orm(nested)]
        caller: super::Caller,
        token_id: i32,
        last_used_at: Option<DateTime<Utc>>,
    }

    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let t = |c: api_token::Column| Expr::col((api_token::Entity, c));
    let mut q = super::Caller::select();
    q.expr_as(t(api_token::Column::Id), Alias::new("token_id"))
        .expr_as(t(api_token::Column::LastUsedAt), Alias::new("last_used_at"))
        .inner_join(
            api_token::Entity,
            t(api_token::Column::UserId).eq(Expr::col((user::Entity, user::Column::Id))),
        )
        .and_where(t(api_token::Column::TokenHash).eq(sha256_hex(token)))
        .and_where(t(api_token::Column::RevokedAt).is_null())
        .and_where(
            t(api_token::Column::ExpiresAt)
                .is_null()
                .or(t(api_token::Column::ExpiresAt).gt(now)),
        );
    let Some(found) = Found::find_by_statement(db.get_database_backend().build(&q))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if !found.caller.active() {
        return Ok(None);
    }
    if found
        .last_used_at
        .is_none_or(|at| now - at >= Duration::minutes(1))
    {
        // Housekeeping, not a business change: no journal entry.
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(Some(now)))
            .filter(api_token::Column::Id.eq(found.token_id))
            .exec(db)
            .await?;
    }
    found.caller.into_user(None).map(Some)
}

/// A token as `registrar token list` shows it (never the secret).
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    pub id: i32,
    pub user: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenInfo {
    /// `active`, `expired` or `revoked` as of `now`.
    pub fn status(&self, now: DateTime<Utc>) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at.is_some_and(|e| e <= now) {
            "expired"
        } else {
            "active"
        }
    }
}

/// Every token, or those of one login, oldest first.
///
/// # Errors
/// `NotFound` for an unknown login; database errors.
pub async fn list(
    db: &DatabaseConnection,
    login: Option<&str>,
) -> Result<Vec<TokenInfo>, AppError> {
    let users: std::collections::HashMap<i32, String> = user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.login))
        .collect();
    let mut q = api_token::Entity::find().order_by_asc(api_token::Column::Id);
    if let Some(l) = login {
        let id = users
            .iter()
            .find(|(_, v)| v.as_str() == l)
            .map(|(k, _)| *k)
            .ok_or(AppError::NotFound)?;
        q = q.filter(api_token::Column::UserId.eq(id));
    }
    Ok(q.all(db)
        .await?
        .into_iter()
        .map(|t| TokenInfo {
            id: t.id,
            user: users.get(&t.user_id).cloned().unwrap_or_default(),
            prefix: t.prefix,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        })
        .collect())
}

/// Revokes a token; it stops working on the next request. Revoking twice is refused.
///
/// # Errors
/// `NotFound` for an unknown id; `Conflict` when it is already revoked.
pub async fn revoke(
    db: &DatabaseConnection,
    actor: Actor,
    id: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut w = Write::begin(db, actor, now).await?;
    let t = api_token::Entity::find_by_id(id)
        .one(&*w)
        .await?
        .ok_or(AppError::NotFound)?;
    if t.revoked_at.is_some() {
        return Err(AppError::refused("already_revoked", "Токен уже отозван."));
    }
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(now)))
        .filter(api_token::Column::Id.eq(id))
        .exec(&*w)
        .await?;
    w.record(
        Change::new("token.revoke", "api_token", id)
            .before(json!({"prefix": t.prefix}))
            .after(json!({"revoked_at": now})),
    );
    w.commit().await
}
