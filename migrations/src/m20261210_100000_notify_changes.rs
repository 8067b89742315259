//! PostgreSQL tells every listening server what changed under the sessions it keeps in
//! memory (`auth::kept`): each statement that changes a session, a user, a user's
//! organisation or the registry's counts — whoever runs it: a server, the CLI, `psql` —
//! notifies on `registrar_changes`, and the servers drop what they kept. One
//! notification per transaction (PostgreSQL folds identical ones), sent at commit, none
//! for a rolled-back one. A table read beside the session (`auth::Beside`) belongs here.
//! SQLite keeps nothing in memory: nothing to do.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each table, and the changes of it that matter: a new session or user is read from the
/// database the first time it is asked for, so only their changes and removals notify.
const TABLES: &[(&str, &str)] = &[
    ("sessions", "UPDATE OR DELETE"),
    ("users", "UPDATE OR DELETE"),
    ("partners", "UPDATE OR DELETE"),
    ("sales_centers", "UPDATE OR DELETE"),
    ("identification_centers", "UPDATE OR DELETE"),
    ("application_counts", "INSERT OR UPDATE OR DELETE"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE FUNCTION registrar_notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN PERFORM pg_notify('registrar_changes', ''); RETURN NULL; END $$",
        )
        .await?;
        for (table, events) in TABLES {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {table}_notify_changes AFTER {events} ON {table} \
                 FOR EACH STATEMENT EXECUTE FUNCTION registrar_notify_changes()"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        for (table, _) in TABLES {
            db.execute_unprepared(&format!(
                "DROP TRIGGER IF EXISTS {table}_notify_changes ON {table}"
            ))
            .await?;
        }
        db.execute_unprepared("DROP FUNCTION IF EXISTS registrar_notify_changes()")
            .await?;
        Ok(())
    }
}
