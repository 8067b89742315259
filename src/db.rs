//! Connecting to the database (SQLite by default, PostgreSQL by URL) and migrating it.

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, UpdateMany,
};

/// Opens a pool. SQLite gets WAL, `synchronous = NORMAL`, foreign keys and a busy timeout
/// on every pooled connection, so concurrent writers wait instead of failing.
///
/// # Errors
/// The database cannot be reached or opened.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, 8).await
}

async fn connect_with(url: &str, sqlite_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        // No ping before each query: an SQLite connection is a file in this process, it
        // cannot have been dropped by a server, and each ping is a hand-off to the
        // connection's thread and back (sqlx still tests a connection as it returns
        // to the pool).
        opts.test_before_acquire(false)
            .max_connections(sqlite_connections)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    // Reads go through a memory map (file-backed pages the kernel shares
                    // and reclaims, not the process's own heap), so each connection's page
                    // cache stays small: 8 MiB × 8 connections bounds SQLite's anonymous
                    // memory at 64 MiB. Measured with `registrar bench` at 100 000
                    // applications (after its HTTP load, the whole bench process): 64 MiB
                    // per connection and a 256 MiB map — 290 MiB anonymous; this — 175 MiB,
                    // the pages' latency and throughput unchanged (issue 11 item 3).
                    .pragma("cache_size", "-8192")
                    .pragma("mmap_size", "1073741824")
                    .pragma("temp_store", "memory")
                    // SQLite's heap for the whole process (the pragma is process-wide):
                    // past 32 MiB it reuses page-cache memory before asking for more.
                    .pragma("soft_heap_limit", "33554432")
            });
    } else {
        // PostgreSQL works the queries; more connections than it has cores to run them
        // only queue inside it and switch. On this 2-core machine, 16 clients on the
        // registry of a million applications (wrk -t2 -c16): a pool of 16 — partner
        // 3 079 req/s, p99 20.7 ms; 8 — 3 393 req/s, p99 11.5 ms; 4 — 3 706 req/s, p99
        // 10.0 ms. Four per core, at least 8: a use case holding a transaction's
        // connection that reads through the pool still finds one under load.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        // sqlx pings a connection before every query by default: a round trip to
        // PostgreSQL (and a wake-up of its backend) before each one, which on a cached
        // registry page doubled the round trips. A connection that was in use a moment ago
        // is live (sqlx tests each one as it returns to the pool); only one idle for a
        // while, which a server, proxy or firewall may have dropped, is pinged first.
        opts.test_before_acquire_if_idle_for(Duration::from_secs(10));
        opts.max_connections(u32::try_from(cores * 4).unwrap_or(32).clamp(8, 32));
    }
    Database::connect(opts).await
}

/// Applies every pending migration.
///
/// # Errors
/// A migration failed; the database is left at the last migration that succeeded.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Connects, applies every pending migration on a single connection, and connects
/// again: the pool that ran the migrations is closed, so every connection the program uses opened on the
/// migrated schema. (SQLite: pooled connections opened before the FTS5 search table and
/// its triggers were created failed inserts into `applications` now and then with "no
/// such table: applications" — 2–3 of 4 concurrent benches; none on a fresh pool.)
///
/// # Errors
/// The database cannot be reached, or a migration failed.
pub async fn open_migrated(url: &str) -> Result<DatabaseConnection, DbErr> {
    // One connection migrates: each statement sees the one before it.
    let db = connect_with(url, 1).await?;
    migrate(&db).await?;
    db.close().await?;
    connect(url).await
}

/// A version-checked update (optimistic locking): `update` applies to row `id` only
/// while it is still at `version`, and moves the version on. `true` when it applied,
/// `false` when someone else changed the row first (nothing is written then).
///
/// Run it first in a transaction: on SQLite the update takes the write lock before
/// anything is read, so concurrent writers queue instead of failing.
///
/// # Errors
/// Database errors.
pub async fn update_versioned<E: EntityTrait, C: ConnectionTrait>(
    c: &C,
    update: UpdateMany<E>,
    (id_column, id): (E::Column, i64),
    (version_column, version): (E::Column, i32),
) -> Result<bool, DbErr> {
    Ok(update
        .col_expr(version_column, Expr::col(version_column).add(1))
        .filter(id_column.eq(id))
        .filter(version_column.eq(version))
        .exec(c)
        .await?
        .rows_affected
        == 1)
}

/// `column LIKE '%needle%'` with the needle taken literally: `%`, `_` and the backslash
/// are characters a person typed, not a pattern (sea-query's `contains` passes them on,
/// so «50%» matched everything).
pub fn contains<C: sea_orm::ColumnTrait>(
    column: C,
    needle: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
    let escaped = needle
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::col(column.as_column_ref()).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

#[cfg(test)]
mod tests {
    /// `.cargo/config.toml` builds the bundled SQLite without STAT4: with it, statements
    /// that bind an indexed column's value were re-prepared on every execution once a
    /// database had been analysed.
    #[tokio::test]
    async fn sqlite_is_built_without_stat4() {
        use sea_orm::{ConnectionTrait, Database, Statement};
        let db = Database::connect("sqlite::memory:").await.unwrap();
        let options: Vec<String> = db
            .query_all_raw(Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "PRAGMA compile_options",
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get_by_index::<String>(0).unwrap())
            .collect();
        // The bundled build's other options are there, named as STAT4 would be.
        assert!(options.iter().any(|o| o == "ENABLE_FTS5"), "{options:?}");
        assert!(
            !options.iter().any(|o| o == "ENABLE_STAT4"),
            "SQLite built with STAT4: {options:?}"
        );
    }
}
