//! PostgreSQL appends a use case's journal rows to the hash chain in one statement
//! (issue 11, intake ≤ 2× a bare insert): `audit_append` locks the chain's head, hashes
//! each new row after the one before it, inserts them and moves the head — inside the
//! database, so such a write no longer reads the head in one round trip and writes the
//! rows in another. (A job's thousands of rows are still hashed by the program and
//! inserted many per statement: per row, that is faster.)
//!
//! The hash is `chain::hash`'s, byte for byte: SHA-256 (hex) of the JSON array
//! `[prev, at_micros, actor_user_id, actor_login, action, object_type, object_id, before,
//! after]` written without spaces, strings escaped as `to_json` escapes them — the same
//! escapes serde_json writes (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control
//! characters as `\u00xx`; everything else as it is). The product verifies every row
//! with `chain::hash`, so a difference would show as a broken chain in its tests.
//! SQLite keeps appending from the program (its round trips are calls within the process).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

pub(crate) fn function() -> String {
    let genesis = crate::chain::GENESIS;
    format!(
        "CREATE FUNCTION audit_append(p_at timestamptz, p_at_micros bigint, p_user integer, \
           p_login text, p_entries jsonb) RETURNS bigint LANGUAGE plpgsql AS $$ \
         DECLARE \
           first text; prev text; tails text[]; prevs text[]; hashes text[]; n integer; \
           last bigint; \
         BEGIN \
           SELECT last_hash INTO first FROM audit_chain WHERE id = 1 FOR UPDATE; \
           IF NOT FOUND THEN \
             first := '{genesis}'; \
             INSERT INTO audit_chain (id, last_id, last_hash) VALUES (1, 0, first); \
           END IF; \
           /* Everything of a row's canonical text but the link, for all rows at once; \
              the loop only chains. */ \
           SELECT array_agg(',' || p_at_micros::text || ',' || coalesce(p_user::text, 'null') \
               || ',' || to_json(p_login)::text || ',' || to_json(x.v->>0)::text || ',' \
               || to_json(x.v->>1)::text || ',' || to_json(x.v->>2)::text || ',' \
               || coalesce(to_json(x.v->>3)::text, 'null') || ',' \
               || coalesce(to_json(x.v->>4)::text, 'null') || ']' ORDER BY x.i) \
             INTO tails FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS x(v, i); \
           n := coalesce(array_length(tails, 1), 0); \
           prevs := array_fill(NULL::text, ARRAY[n]); \
           hashes := array_fill(NULL::text, ARRAY[n]); \
           prev := first; \
           FOR i IN 1..n LOOP \
             prevs[i] := prev; \
             prev := encode(sha256(convert_to('[' || to_json(prev)::text || tails[i], 'UTF8')), 'hex'); \
             hashes[i] := prev; \
           END LOOP; \
           /* The arrays joined as rows: an element read by subscript inside the query \
              copied the whole array each time (5 000 rows took 216 ms). */ \
           WITH appended AS ( \
             INSERT INTO audit_log (at, actor_user_id, actor_login, action, object_type, \
                 object_id, before, after, prev_hash, hash) \
             SELECT p_at, p_user, p_login, x.v->>0, x.v->>1, x.v->>2, x.v->>3, x.v->>4, \
                 h.prev_hash, h.hash \
             FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS x(v, i) \
             JOIN unnest(prevs, hashes) WITH ORDINALITY AS h(prev_hash, hash, i) ON h.i = x.i \
             ORDER BY x.i \
             RETURNING id) \
           SELECT max(id) INTO last FROM appended; \
           UPDATE audit_chain SET last_id = last, last_hash = prev WHERE id = 1; \
           RETURN last; \
         END $$"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            m.get_connection().execute_unprepared(&function()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            m.get_connection()
                .execute_unprepared(
                    "DROP FUNCTION IF EXISTS audit_append(timestamptz, bigint, integer, text, jsonb)",
                )
                .await?;
        }
        Ok(())
    }
}
