//! PostgreSQL: `application_counts` rebuilt compact. Under the row-level trigger (before
//! `m20261203_110000`) every application inserted or moved left a dead version of a
//! counts row; a database filled with a million applications that way kept a 23 MB
//! table for 56 live rows, and the operator's count — a scan of the whole table — took
//! 9–36 ms instead of a fraction of one. `TRUNCATE` gives the table fresh storage
//! (`VACUUM` only marks the space reusable), then the counts are taken again. SQLite
//! updates in place: nothing to do.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "TRUNCATE application_counts",
    "INSERT INTO application_counts (partner_id, sales_center_id, state, n) \
     SELECT COALESCE(partner_id, 0), COALESCE(sales_center_id, 0), \
       CASE WHEN state = 'submitted' AND distributed_at IS NOT NULL THEN 'distributed' ELSE state END, \
       COUNT(*) \
     FROM applications GROUP BY 1, 2, 3",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        for s in UP {
            m.get_connection().execute_unprepared(s).await?;
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // The counts stay what they are: only their storage changed.
        Ok(())
    }
}
