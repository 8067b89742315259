//! The search index keeps its own copy of `search_key`. The external-content FTS5 table
//! of `m20261202_180000` (content='applications') made inserts into `applications` fail
//! now and then with "no such table: applications" under load — its triggers wrote the
//! index while FTS5 read the content table back (reproduced: 2–3 of 4 concurrent
//! benches failed; with the triggers dropped, none). A self-contained FTS5 table never
//! reads `applications`. SQLite only; PostgreSQL's `pg_trgm` index is unchanged.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "DROP TRIGGER IF EXISTS applications_search_insert",
    "DROP TRIGGER IF EXISTS applications_search_delete",
    "DROP TRIGGER IF EXISTS applications_search_update",
    "DROP TABLE IF EXISTS applications_search",
    "CREATE VIRTUAL TABLE applications_search USING fts5(search_key, tokenize='trigram')",
    "INSERT INTO applications_search (rowid, search_key) SELECT id, search_key FROM applications",
    "CREATE TRIGGER applications_search_insert AFTER INSERT ON applications BEGIN \
       INSERT INTO applications_search (rowid, search_key) VALUES (NEW.id, NEW.search_key); END",
    "CREATE TRIGGER applications_search_delete AFTER DELETE ON applications BEGIN \
       DELETE FROM applications_search WHERE rowid = OLD.id; END",
    "CREATE TRIGGER applications_search_update AFTER UPDATE OF search_key ON applications BEGIN \
       UPDATE applications_search SET search_key = NEW.search_key WHERE rowid = NEW.id; END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            return Ok(());
        }
        for s in UP {
            m.get_connection().execute_unprepared(s).await?;
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // The previous migration's down drops the table and its triggers.
        Ok(())
    }
}
