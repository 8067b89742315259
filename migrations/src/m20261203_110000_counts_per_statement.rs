//! PostgreSQL keeps the folder counts per statement, not per row. A row-level trigger
//! updated the same few `application_counts` rows once per application changed; within
//! one statement each of those updates leaves a row version the next one has to step
//! over, so a statement moving many applications was quadratic: a partner with 165 000
//! applications changing sales center (`partners_sales_center`) ran past 40 s, and one
//! UPDATE of 100 000 due applications for minutes. Statement-level triggers with
//! transition tables add each key's difference once per statement. SQLite updates rows
//! in place (no versions to step over): its row triggers stay.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The counts' key of row `r`, as in `m20261203_100000`.
fn key_of(r: &str) -> String {
    format!(
        "(CASE WHEN {r}.state = 'submitted' AND {r}.distributed_at IS NOT NULL \
         THEN 'distributed' ELSE {r}.state END)"
    )
}

/// `(partner, sales center, key)` of row `r`.
fn cols(r: &str) -> String {
    format!(
        "COALESCE({r}.partner_id, 0), COALESCE({r}.sales_center_id, 0), {}",
        key_of(r)
    )
}

fn up_statements() -> Vec<String> {
    let add = |from: &str, r: &str| {
        format!(
            "INSERT INTO application_counts (partner_id, sales_center_id, state, n) \
               SELECT {c}, COUNT(*) FROM {from} GROUP BY 1, 2, 3 \
               ON CONFLICT (partner_id, sales_center_id, state) \
               DO UPDATE SET n = application_counts.n + EXCLUDED.n;",
            c = cols(r)
        )
    };
    let subtract = |from: &str, r: &str| {
        format!(
            "UPDATE application_counts c SET n = c.n - d.k \
               FROM (SELECT {c}, COUNT(*) FROM {from} GROUP BY 1, 2, 3) AS d(p, s, st, k) \
               WHERE c.partner_id = d.p AND c.sales_center_id = d.s AND c.state = d.st;",
            c = cols(r)
        )
    };
    // The rows of an UPDATE whose key changed.
    let moved = format!(
        "old_rows o JOIN new_rows nw ON nw.id = o.id WHERE ({}) IS DISTINCT FROM ({})",
        cols("o"),
        cols("nw")
    );
    vec![
        "DROP TRIGGER IF EXISTS applications_count ON applications".to_owned(),
        format!(
            "CREATE FUNCTION applications_count_rows() RETURNS trigger AS $$ BEGIN \
               IF TG_OP = 'INSERT' THEN {ins} \
               ELSIF TG_OP = 'DELETE' THEN {del} \
               ELSE {sub} {add} \
               END IF; \
               RETURN NULL; \
             END $$ LANGUAGE plpgsql",
            ins = add("new_rows r", "r"),
            del = subtract("old_rows r", "r"),
            sub = subtract(&moved, "o"),
            add = add(&moved, "nw"),
        ),
        "CREATE TRIGGER applications_count_insert AFTER INSERT ON applications \
           REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION applications_count_rows()"
            .to_owned(),
        "CREATE TRIGGER applications_count_update AFTER UPDATE ON applications \
           REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION applications_count_rows()"
            .to_owned(),
        "CREATE TRIGGER applications_count_delete AFTER DELETE ON applications \
           REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION applications_count_rows()"
            .to_owned(),
    ]
}

const DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS applications_count_insert ON applications",
    "DROP TRIGGER IF EXISTS applications_count_update ON applications",
    "DROP TRIGGER IF EXISTS applications_count_delete ON applications",
    "DROP FUNCTION IF EXISTS applications_count_rows()",
    "CREATE TRIGGER applications_count AFTER INSERT OR DELETE OR UPDATE OF state, partner_id, sales_center_id, distributed_at ON applications \
       FOR EACH ROW EXECUTE FUNCTION applications_count()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        for s in up_statements() {
            m.get_connection().execute_unprepared(&s).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        for s in DOWN {
            m.get_connection().execute_unprepared(s).await?;
        }
        Ok(())
    }
}
