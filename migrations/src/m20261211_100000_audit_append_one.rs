//! PostgreSQL: `audit_append` appends a single journal row — what nearly every use case
//! writes — without the arrays its general path builds (issue 11, intake ≤ 2× a bare
//! insert). Measured with pgbench on this machine, one `SELECT audit_append(…)` per
//! transaction: 0.30–0.32 ms before, 0.22 ms with this path. The hash is the same text,
//! built the same way (see `m20261209_100000_audit_append`); several rows still go
//! through the general path.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The branch for one row, run once the chain's head is locked (`first` holds its hash).
const ONE_ROW: &str = "IF jsonb_array_length(p_entries) = 1 THEN \
       e := p_entries->0; \
       prev := encode(sha256(convert_to('[' || to_json(first)::text || ',' \
           || p_at_micros::text || ',' || coalesce(p_user::text, 'null') || ',' \
           || to_json(p_login)::text || ',' || to_json(e->>0)::text || ',' \
           || to_json(e->>1)::text || ',' || to_json(e->>2)::text || ',' \
           || coalesce(to_json(e->>3)::text, 'null') || ',' \
           || coalesce(to_json(e->>4)::text, 'null') || ']', 'UTF8')), 'hex'); \
       INSERT INTO audit_log (at, actor_user_id, actor_login, action, object_type, \
           object_id, before, after, prev_hash, hash) \
         VALUES (p_at, p_user, p_login, e->>0, e->>1, e->>2, e->>3, e->>4, first, prev) \
         RETURNING id INTO last; \
       UPDATE audit_chain SET last_id = last, last_hash = prev WHERE id = 1; \
       RETURN last; \
     END IF; ";

/// The earlier function with the one-row branch after the head is locked: the general
/// path stays as it was, word for word.
fn function() -> Result<String, DbErr> {
    let general = crate::m20261209_100000_audit_append::function().replacen(
        "CREATE FUNCTION",
        "CREATE OR REPLACE FUNCTION",
        1,
    );
    let declared = "last bigint; ";
    let locked = "/* Everything of a row's canonical text";
    if !general.contains(declared) || !general.contains(locked) {
        return Err(DbErr::Migration(
            "audit_append: the earlier function's text is not where this migration expects it"
                .to_owned(),
        ));
    }
    Ok(general
        .replacen(declared, "last bigint; e jsonb; ", 1)
        .replacen(locked, &format!("{ONE_ROW}{locked}"), 1))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            m.get_connection().execute_unprepared(&function()?).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            // The general path alone, as the earlier migration made it.
            m.get_connection()
                .execute_unprepared(&crate::m20261209_100000_audit_append::function().replacen(
                    "CREATE FUNCTION",
                    "CREATE OR REPLACE FUNCTION",
                    1,
                ))
                .await?;
        }
        Ok(())
    }
}
