//! API bearer tokens. A token is shown once when created; only its SHA-256 is stored.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

use super::{random_secret, sha256_hex};
use crate::audit::{Actor, Change, Write};
use crate::entities::{api_token, user};
use crate::error::AppError;

pub const PREFIX: &str = "rg_";

/// Creates a token for `login` and returns it; it cannot be recovered later.
///
/// # Errors
/// `NotFound` for an unknown or inactive login; database errors.
pub async fn create(
    db: &DatabaseConnection,
    actor: Actor,
    login: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let u = user::Entity::find()
        .filter(user::Column::Login.eq(login))
        .filter(user::Column::Active.eq(true))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let token = format!("{PREFIX}{}", random_secret());
    let mut w = Write::begin(db, actor, now).await?;
    let row = api_token::ActiveModel {
        id: NotSet,
        user_id: Set(u.id),
        token_hash: Set(sha256_hex(&token)),
        prefix: Set(token[..10].to_owned()),
        created_at: Set(now),
        revoked_at: Set(None),
    }
    .insert(&*w)
    .await?;
    w.record(
        Change::new("token.create", "api_token", row.id)
            .after(json!({"user": u.login, "prefix": row.prefix})),
    );
    w.commit().await?;
    Ok(token)
}

/// The active user a token belongs to, if the token is live.
///
/// # Errors
/// Database errors.
pub async fn authenticate(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<user::Model>, AppError> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let Some(t) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(sha256_hex(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(user::Entity::find_by_id(t.user_id)
        .one(db)
        .await?
        .filter(|u| u.active))
}
