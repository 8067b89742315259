//! The audit journal: who changed what, when, with a before/after summary.
//!
//! Every write in the product goes through [`Write`]: it opens the transaction, collects
//! the [`Change`]s the use case records, and on commit appends them to `audit_log` in the
//! same transaction. A write that records nothing is a programming error and is refused,
//! so an unaudited change cannot slip in. Functions named `…_in` (`transition_in`,
//! `licence_transition_in`, `block_all_in`) act inside the caller's `Write`.
//!
//! The journal is tamper-evident: each row carries the hash of the row before it and its
//! own (`migrations::chain`), appended under a lock on the chain's head row, so the chain
//! follows the ids. [`verify`] walks it and names the first row that does not fit.

pub mod routes;

use std::ops::Deref;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, SqliteTransactionMode,
    Statement, TransactionOptions, TransactionTrait,
};
use serde_json::Value;

use crate::entities::{audit_chain, audit_log};
use crate::error::AppError;
use chrono::SubsecRound;
use migrations::chain;
use sea_orm::ActiveModelTrait;
use sea_orm::sea_query::Expr;

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

/// PostgreSQL: `audit_append(…)` as an expression of another statement, for a use case
/// whose whole write is that one statement (atomic on its own, with no transaction and
/// so no BEGIN and COMMIT round trips): the journal rows are appended by it, hashed by
/// the database as [`Write::commit`] has them hashed. An object's id that only the
/// statement knows (an `INSERT … RETURNING`'s) is given as an expression; the change's
/// own `object_id` is used otherwise. `at` is truncated to microseconds, as [`Write`]
/// does.
pub fn append_expr(actor: &Actor, at: DateTime<Utc>, changes: Vec<(Change, Option<Expr>)>) -> Expr {
    use sea_orm::sea_query::{Alias, Func};
    let at = at.trunc_subsecs(6);
    let entries = changes.into_iter().map(|(c, id)| {
        let id = id.unwrap_or_else(|| Expr::val(c.object_id));
        Expr::from(Func::cust(Alias::new("jsonb_build_array")).args([
            Expr::val(c.action),
            Expr::val(c.object_type),
            id,
            Expr::val(c.before.map(|v| v.to_string())),
            Expr::val(c.after.map(|v| v.to_string())),
        ]))
    });
    Func::cust(Alias::new("audit_append"))
        .args([
            Expr::val(at),
            Expr::val(at.timestamp_micros()),
            Expr::val(actor.user_id),
            Expr::val(actor.login.clone()),
            Func::cust(Alias::new("jsonb_build_array"))
                .args(entries)
                .into(),
        ])
        .into()
}

/// Up to this many rows a write appends through the database's `audit_append`
/// (PostgreSQL); more are hashed by the program.
const APPENDED_BY_THE_DATABASE: usize = 64;

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
            // Microseconds: what both databases keep, so the journal's hashes computed
            // now match the rows read back later.
            at: at.trunc_subsecs(6),
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
        if self.txn.get_database_backend() == DbBackend::Postgres
            && self.changes.len() <= APPENDED_BY_THE_DATABASE
        {
            // PostgreSQL, a use case's few rows: the head locked, the rows hashed and
            // inserted and the head moved by one call (`audit_append`, which hashes as
            // `chain::hash` does) — one round trip instead of two for every such write
            // (intake on PostgreSQL is mostly round trips). A job's thousands of rows
            // are hashed here and inserted many per statement, below: the database's
            // loop took twice as long per row.
            let entries: Vec<Value> = self
                .changes
                .into_iter()
                .map(|c| {
                    serde_json::json!([
                        c.action,
                        c.object_type,
                        c.object_id,
                        c.before.map(|v| v.to_string()),
                        c.after.map(|v| v.to_string()),
                    ])
                })
                .collect();
            self.txn
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT audit_append($1, $2, $3, $4, $5)",
                    [
                        self.at.into(),
                        self.at.timestamp_micros().into(),
                        self.actor.user_id.into(),
                        self.actor.login.into(),
                        Value::Array(entries).into(),
                    ],
                ))
                .await?;
            self.txn.commit().await?;
            return Ok(());
        }
        // The chain's head, locked (PostgreSQL: FOR UPDATE; SQLite holds the write lock
        // since BEGIN IMMEDIATE): concurrent writers append one after the other, and the
        // rows' ids follow the chain.
        let head = audit_chain::Entity::find_by_id(1)
            .lock_exclusive()
            .one(&self.txn)
            .await?;
        let mut prev = head
            .as_ref()
            .map_or_else(|| chain::GENESIS.to_owned(), |h| h.last_hash.clone());
        let mut rows: Vec<audit_log::ActiveModel> = Vec::with_capacity(self.changes.len());
        for c in self.changes {
            let before = c.before.map(|v| v.to_string());
            let after = c.after.map(|v| v.to_string());
            let hash = chain::hash(
                &prev,
                &chain::Entry {
                    at_micros: self.at.timestamp_micros(),
                    actor_user_id: self.actor.user_id,
                    actor_login: &self.actor.login,
                    action: &c.action,
                    object_type: &c.object_type,
                    object_id: &c.object_id,
                    before: before.as_deref(),
                    after: after.as_deref(),
                },
            );
            rows.push(audit_log::ActiveModel {
                id: NotSet,
                at: Set(self.at),
                actor_user_id: Set(self.actor.user_id),
                actor_login: Set(self.actor.login.clone()),
                action: Set(c.action),
                object_type: Set(c.object_type),
                object_id: Set(c.object_id),
                before: Set(before),
                after: Set(after),
                prev_hash: Set(Some(std::mem::replace(&mut prev, hash.clone()))),
                hash: Set(Some(hash)),
            });
        }
        // Several hundred rows per statement keep SQLite under its bound-value limit.
        let mut chunks: Vec<&[audit_log::ActiveModel]> = rows.chunks(500).collect();
        if self.txn.get_database_backend() == DbBackend::Postgres
            && head.is_some()
            && let Some(last) = chunks.pop()
        {
            // PostgreSQL: the last rows and the head in one statement (a round trip less
            // for every write in the product; intake on PostgreSQL is mostly round trips).
            for chunk in chunks {
                audit_log::Entity::insert_many(chunk.to_vec())
                    .exec(&self.txn)
                    .await?;
            }
            let mut insert = audit_log::Entity::insert_many(last.to_vec()).into_query();
            insert.returning_col(audit_log::Column::Id);
            let (sql, mut values) = insert.build(sea_orm::sea_query::PostgresQueryBuilder);
            values.0.push(prev.into());
            let sql = format!(
                "WITH appended AS ({sql}) UPDATE audit_chain SET \
                 last_id = (SELECT max(id) FROM appended), last_hash = ${} WHERE id = 1",
                values.0.len()
            );
            self.txn
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    sql,
                    values,
                ))
                .await?;
            self.txn.commit().await?;
            return Ok(());
        }
        let mut last_id = None;
        for chunk in chunks {
            last_id = audit_log::Entity::insert_many(chunk.to_vec())
                .exec(&self.txn)
                .await?
                .last_insert_id;
        }
        let last_id = match last_id {
            Some(id) => id,
            None => audit_log::Entity::find()
                .select_only()
                .column_as(audit_log::Column::Id.max(), "id")
                .into_tuple::<Option<i64>>()
                .one(&self.txn)
                .await?
                .flatten()
                .unwrap_or_default(),
        };
        let head_row = audit_chain::ActiveModel {
            id: Set(1),
            last_id: Set(last_id),
            last_hash: Set(prev),
            verified_at: NotSet,
            verified_entries: NotSet,
            broken_id: NotSet,
            broken_reason: NotSet,
        };
        if head.is_some() {
            head_row.update(&self.txn).await?;
        } else {
            head_row.insert(&self.txn).await?;
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

/// Why the chain does not hold at a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The row's fields do not give its hash: it was edited.
    Changed,
    /// The row does not follow the one before it: a row between them was removed, or
    /// this one was inserted.
    Link,
    /// The row has no hash: it was written outside the product.
    Unhashed,
    /// The journal ends before the row the chain's head names: its last rows were removed.
    Tail { head_id: i64 },
}

impl Break {
    pub fn title_ru(&self) -> String {
        match self {
            Break::Changed => "содержимое записи изменено".to_owned(),
            Break::Link => {
                "запись не продолжает предыдущую: перед ней удалена запись или она вставлена"
                    .to_owned()
            }
            Break::Unhashed => "у записи нет хеша: она добавлена в обход системы".to_owned(),
            Break::Tail { head_id } => {
                format!(
                    "журнал обрывается раньше записи №{head_id}, которой заканчивается цепочка: последние записи удалены"
                )
            }
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Break::Changed => "changed",
            Break::Link => "link",
            Break::Unhashed => "unhashed",
            Break::Tail { .. } => "tail",
        }
    }
}

/// What a walk of the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Rows read (up to and including the broken one).
    pub entries: u64,
    /// The first row that does not fit, and why.
    pub broken: Option<(i64, Break)>,
}

/// Rows read per query while verifying: memory stays flat on any journal size.
const VERIFY_CHUNK: u64 = 5000;

/// Walks the whole chain in id order and stops at the first row that does not fit.
///
/// # Errors
/// Database errors.
pub async fn verify<C: sea_orm::ConnectionTrait>(db: &C) -> Result<Verification, DbErr> {
    let mut prev = chain::GENESIS.to_owned();
    let (mut last_id, mut entries) = (0i64, 0u64);
    loop {
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::Id.gt(last_id))
            .order_by_asc(audit_log::Column::Id)
            .limit(VERIFY_CHUNK)
            .all(db)
            .await?;
        if rows.is_empty() {
            break;
        }
        for r in rows {
            entries += 1;
            let (Some(row_prev), Some(row_hash)) = (r.prev_hash.as_deref(), r.hash.as_deref())
            else {
                return Ok(Verification {
                    entries,
                    broken: Some((r.id, Break::Unhashed)),
                });
            };
            if row_prev != prev {
                return Ok(Verification {
                    entries,
                    broken: Some((r.id, Break::Link)),
                });
            }
            let expected = chain::hash(
                &prev,
                &chain::Entry {
                    at_micros: r.at.timestamp_micros(),
                    actor_user_id: r.actor_user_id,
                    actor_login: &r.actor_login,
                    action: &r.action,
                    object_type: &r.object_type,
                    object_id: &r.object_id,
                    before: r.before.as_deref(),
                    after: r.after.as_deref(),
                },
            );
            if expected != row_hash {
                return Ok(Verification {
                    entries,
                    broken: Some((r.id, Break::Changed)),
                });
            }
            prev = expected;
            last_id = r.id;
        }
    }
    let head = audit_chain::Entity::find_by_id(1).one(db).await?;
    if let Some(h) = head
        && (h.last_id != last_id || h.last_hash != prev)
    {
        return Ok(Verification {
            entries,
            broken: Some((last_id, Break::Tail { head_id: h.last_id })),
        });
    }
    Ok(Verification {
        entries,
        broken: None,
    })
}

/// Verifies the chain and keeps the result for the journal page; the run itself is
/// journaled with who asked for it.
///
/// # Errors
/// Database errors.
pub async fn verify_and_record(
    db: &DatabaseConnection,
    by: Actor,
    now: DateTime<Utc>,
) -> Result<Verification, AppError> {
    let v = verify(db).await?;
    let mut w = Write::begin(db, by, now).await?;
    audit_chain::Entity::update_many()
        .col_expr(audit_chain::Column::VerifiedAt, Expr::value(Some(w.at())))
        .col_expr(
            audit_chain::Column::VerifiedEntries,
            Expr::value(Some(i64::try_from(v.entries).unwrap_or(i64::MAX))),
        )
        .col_expr(
            audit_chain::Column::BrokenId,
            Expr::value(v.broken.as_ref().map(|(id, _)| *id)),
        )
        .col_expr(
            audit_chain::Column::BrokenReason,
            Expr::value(v.broken.as_ref().map(|(_, b)| b.title_ru())),
        )
        .filter(audit_chain::Column::Id.eq(1))
        .exec(&*w)
        .await?;
    w.record(
        Change::new("audit.verify", "audit", "journal").after(serde_json::json!({
            "entries": v.entries,
            "intact": v.broken.is_none(),
            "broken_id": v.broken.as_ref().map(|(id, _)| *id),
            "reason": v.broken.as_ref().map(|(_, b)| b.as_str()),
        })),
    );
    w.commit().await?;
    Ok(v)
}

/// The last verification as stored: when, over how many rows, and what it found.
///
/// # Errors
/// Database errors.
pub async fn last_verification(
    db: &DatabaseConnection,
) -> Result<Option<audit_chain::Model>, DbErr> {
    audit_chain::Entity::find_by_id(1).one(db).await
}
