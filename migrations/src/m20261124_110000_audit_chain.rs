//! The tamper-evident journal: `audit_log` rows get `prev_hash` and `hash` (see
//! `chain`), `audit_chain` holds the head of the chain (the last row and its hash) and
//! the last verification's result. Rows already written are hashed here, in id order,
//! a chunk at a time.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use crate::chain::{self, Entry};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rows hashed per statement batch during the backfill.
const CHUNK: u64 = 5000;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [AuditLog::PrevHash, AuditLog::Hash] {
            m.alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .add_column(string_len_null(col, 64))
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(AuditChain::Table)
                .col(integer(AuditChain::Id).primary_key())
                .col(big_integer(AuditChain::LastId))
                .col(string_len(AuditChain::LastHash, 64))
                .col(timestamp_with_time_zone_null(AuditChain::VerifiedAt))
                .col(big_integer_null(AuditChain::VerifiedEntries))
                .col(big_integer_null(AuditChain::BrokenId))
                .col(text_null(AuditChain::BrokenReason))
                .to_owned(),
        )
        .await?;
        backfill(m).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AuditChain::Table).to_owned())
            .await?;
        for col in [AuditLog::Hash, AuditLog::PrevHash] {
            m.alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

async fn backfill(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    let backend = m.get_database_backend();
    let mut prev = chain::GENESIS.to_owned();
    let mut last_id: i64 = 0;
    loop {
        let select = Query::select()
            .columns([
                AuditLog::Id,
                AuditLog::At,
                AuditLog::ActorUserId,
                AuditLog::ActorLogin,
                AuditLog::Action,
                AuditLog::ObjectType,
                AuditLog::ObjectId,
                AuditLog::Before,
                AuditLog::After,
            ])
            .from(AuditLog::Table)
            .and_where(Expr::col(AuditLog::Id).gt(last_id))
            .order_by(AuditLog::Id, Order::Asc)
            .limit(CHUNK)
            .to_owned();
        let rows = db.query_all_raw(backend.build(&select)).await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let id: i64 = r.try_get("", "id")?;
            let at: chrono::DateTime<chrono::Utc> = r.try_get("", "at")?;
            let actor_user_id: Option<i32> = r.try_get("", "actor_user_id")?;
            let actor_login: String = r.try_get("", "actor_login")?;
            let action: String = r.try_get("", "action")?;
            let object_type: String = r.try_get("", "object_type")?;
            let object_id: String = r.try_get("", "object_id")?;
            let before: Option<String> = r.try_get("", "before")?;
            let after: Option<String> = r.try_get("", "after")?;
            let hash = chain::hash(
                &prev,
                &Entry {
                    at_micros: at.timestamp_micros(),
                    actor_user_id,
                    actor_login: &actor_login,
                    action: &action,
                    object_type: &object_type,
                    object_id: &object_id,
                    before: before.as_deref(),
                    after: after.as_deref(),
                },
            );
            m.exec_stmt(
                Query::update()
                    .table(AuditLog::Table)
                    .value(AuditLog::PrevHash, prev.clone())
                    .value(AuditLog::Hash, hash.clone())
                    .and_where(Expr::col(AuditLog::Id).eq(id))
                    .to_owned(),
            )
            .await?;
            prev = hash;
            last_id = id;
        }
    }
    m.exec_stmt(
        Query::insert()
            .into_table(AuditChain::Table)
            .columns([AuditChain::Id, AuditChain::LastId, AuditChain::LastHash])
            .values_panic([1.into(), last_id.into(), prev.into()])
            .to_owned(),
    )
    .await?;
    Ok(())
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorUserId,
    ActorLogin,
    Action,
    ObjectType,
    ObjectId,
    Before,
    After,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditChain {
    Table,
    Id,
    LastId,
    LastHash,
    VerifiedAt,
    VerifiedEntries,
    BrokenId,
    BrokenReason,
}
