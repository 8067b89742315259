//! Search across the registry (issue 11 item 2): a name is found as a substring of the
//! application's `search_key` (lower-cased, ё as е) through an index instead of a scan
//! of every row — SQLite: an FTS5 table with the trigram tokenizer over the column,
//! kept by triggers (it answers `LIKE '%…%'` for three characters and more); PostgreSQL:
//! a `pg_trgm` GIN index (a trusted extension: the database's owner may create it).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE applications_search USING fts5(search_key, content='applications', content_rowid='id', tokenize='trigram')",
    "INSERT INTO applications_search(applications_search) VALUES ('rebuild')",
    "CREATE TRIGGER applications_search_insert AFTER INSERT ON applications BEGIN \
       INSERT INTO applications_search (rowid, search_key) VALUES (NEW.id, NEW.search_key); END",
    "CREATE TRIGGER applications_search_delete AFTER DELETE ON applications BEGIN \
       INSERT INTO applications_search (applications_search, rowid, search_key) VALUES ('delete', OLD.id, OLD.search_key); END",
    "CREATE TRIGGER applications_search_update AFTER UPDATE OF search_key ON applications BEGIN \
       INSERT INTO applications_search (applications_search, rowid, search_key) VALUES ('delete', OLD.id, OLD.search_key); \
       INSERT INTO applications_search (rowid, search_key) VALUES (NEW.id, NEW.search_key); END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS applications_search_insert",
    "DROP TRIGGER IF EXISTS applications_search_delete",
    "DROP TRIGGER IF EXISTS applications_search_update",
    "DROP TABLE IF EXISTS applications_search",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX idx_app_search_trgm ON applications USING gin (search_key gin_trgm_ops)",
];

const POSTGRES_DOWN: &[&str] = &["DROP INDEX IF EXISTS idx_app_search_trgm"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let statements = match m.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        for s in statements {
            m.get_connection().execute_unprepared(s).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let statements = match m.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        for s in statements {
            m.get_connection().execute_unprepared(s).await?;
        }
        Ok(())
    }
}
