//! The audit journal: who changed what, when, with a before/after summary.
//!
//! Every write in the product goes through [`Write`]: it opens the transaction, collects
//! the [`Change`]s the use case records, and on commit appends them to `audit_log` in the
//! same transaction. A write that records nothing is a programming error and is refused,
//! so an unaudited change cannot slip in.

pub mod routes;

use std::ops::Deref;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use serde_json::Value;

use crate::entities::audit_log;
use crate::error::AppError;

/// Who is acting: a signed-in user, or the system itself (jobs, seeding, the CLI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i32>,
    pub login: String,
}

impl Actor {
    pub fn user(id: i32, login: &str) -> Self {
        Actor {
            user_id: Some(id),
            login: login.to_owned(),
        }
    }

    /// A non-human actor, shown as `system:NAME`.
    pub fn system(name: &str) -> Self {
        Actor {
            user_id: None,
            login: format!("system:{name}"),
        }
    }
}

/// One entry of the journal.
#[derive(Debug, Clone)]
pub struct Change {
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Change {
    pub fn new(action: &str, object_type: &str, object_id: impl ToString) -> Self {
        Change {
            action: action.to_owned(),
            object_type: object_type.to_owned(),
            object_id: object_id.to_string(),
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, v: Value) -> Self {
        self.before = Some(v);
        self
    }

    pub fn after(mut self, v: Value) -> Self {
        self.after = Some(v);
        self
    }
}

/// A transaction whose changes are journaled on commit.
pub struct Write {
    txn: DatabaseTransaction,
    actor: Actor,
    at: DateTime<Utc>,
    changes: Vec<Change>,
}

impl Write {
    /// Starts the transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken
    /// at the start, so a use case that reads before it writes queues behind other
    /// writers (within the busy timeout) instead of failing with «database is locked»
    /// when its read snapshot turns out stale. PostgreSQL ignores the mode.
    ///
    /// # Errors
    /// The transaction cannot be started.
    pub async fn begin(
        db: &DatabaseConnection,
        actor: Actor,
        at: DateTime<Utc>,
    ) -> Result<Self, DbErr> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        Ok(Write {
            txn: db.begin_with_options(options).await?,
            actor,
            at,
            changes: Vec::new(),
        })
    }

    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    pub fn record(&mut self, change: Change) {
        self.changes.push(change);
    }

    /// Appends the journal entries and commits.
    ///
    /// # Errors
    /// Database errors, or nothing was recorded (a bug: every write must say what it did).
    pub async fn commit(self) -> Result<(), AppError> {
        if self.changes.is_empty() {
            return Err(AppError::Internal(anyhow::anyhow!(
                "a write committed without an audit entry"
            )));
        }
        let rows: Vec<audit_log::ActiveModel> = self
            .changes
            .into_iter()
            .map(|c| audit_log::ActiveModel {
                id: NotSet,
                at: Set(self.at),
                actor_user_id: Set(self.actor.user_id),
                actor_login: Set(self.actor.login.clone()),
                action: Set(c.action),
                object_type: Set(c.object_type),
                object_id: Set(c.object_id),
                before: Set(c.before.map(|v| v.to_string())),
                after: Set(c.after.map(|v| v.to_string())),
            })
            .collect();
        // Several hundred rows per statement keep SQLite under its bound-value limit.
        for chunk in rows.chunks(500) {
            audit_log::Entity::insert_many(chunk.to_vec())
                .exec(&self.txn)
                .await?;
        }
        self.txn.commit().await?;
        Ok(())
    }
}

impl Deref for Write {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

/// What the journal browser asks for.
#[derive(Debug, Clone, Default)]
pub struct JournalQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// Keyset pagination: entries older than this id.
    pub before_id: Option<i64>,
    pub limit: u64,
}

/// The newest entries first, one page plus a flag whether more follow.
///
/// # Errors
/// Database errors.
pub async fn browse(
    db: &DatabaseConnection,
    q: &JournalQuery,
) -> Result<(Vec<audit_log::Model>, bool), DbErr> {
    let mut cond = Condition::all();
    if let Some(a) = q.actor.as_deref().filter(|s| !s.is_empty()) {
        cond = cond.add(audit_log::Column::ActorLogin.eq(a));
    }
    if let Some(a) = q.action.as_deref().filter(|s| !s.is_empty()) {
        cond = cond.add(audit_log::Column::Action.starts_with(a));
    }
    if let Some(t) = q.object_type.as_deref().filter(|s| !s.is_empty()) {
        cond = cond.add(audit_log::Column::ObjectType.eq(t));
    }
    if let Some(id) = q.object_id.as_deref().filter(|s| !s.is_empty()) {
        cond = cond.add(audit_log::Column::ObjectId.eq(id));
    }
    if let Some(b) = q.before_id {
        cond = cond.add(audit_log::Column::Id.lt(b));
    }
    let mut rows = audit_log::Entity::find()
        .filter(cond)
        .order_by_desc(audit_log::Column::Id)
        .limit(q.limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > q.limit;
    rows.truncate(q.limit as usize);
    Ok((rows, more))
}
