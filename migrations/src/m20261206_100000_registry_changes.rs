//! `application_counts.changes`: how many times the key's applications were inserted,
//! changed or deleted — kept by the same triggers, in the same transaction. A scope's
//! sum only grows, so it stamps the scope's registry: while it stays the same, nothing
//! in the scope changed, and a registry page read at that stamp is still true. The
//! server keeps recent pages under their stamp (`applications::registry`), and any
//! write — from this server, another one on the same database, or the CLI — moves the
//! stamp on, since the database keeps it.
//!
//! The counts' triggers moved only on a change of key; now every UPDATE of an
//! application touches its key's row (one `changes + 1` when the key stays).

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

/// The counts row of `r` (`OLD` or `NEW`), as a condition.
fn row_of(r: &str) -> String {
    format!(
        "partner_id = COALESCE({r}.partner_id, 0) AND sales_center_id = COALESCE({r}.sales_center_id, 0) AND state = {}",
        key_of(r)
    )
}

/// The sales center of an application row `r`, as in `m20261202_170000`.
fn sales_center_of(r: &str) -> String {
    format!(
        "COALESCE((SELECT p.sales_center_id FROM partners p WHERE p.id = {r}.partner_id), \
         (SELECT sc.id FROM sales_centers sc WHERE sc.region_code = {r}.region_code ORDER BY sc.id LIMIT 1))"
    )
}

fn sqlite() -> Vec<String> {
    let moved = format!(
        "COALESCE(OLD.partner_id, 0) <> COALESCE(NEW.partner_id, 0) \
         OR COALESCE(OLD.sales_center_id, 0) <> COALESCE(NEW.sales_center_id, 0) \
         OR {} <> {}",
        key_of("OLD"),
        key_of("NEW")
    );
    vec![
        "DROP TRIGGER IF EXISTS applications_sc_insert".to_owned(),
        "DROP TRIGGER IF EXISTS applications_count_update".to_owned(),
        "DROP TRIGGER IF EXISTS applications_count_delete".to_owned(),
        format!(
            "CREATE TRIGGER applications_sc_insert AFTER INSERT ON applications BEGIN \
               INSERT INTO application_counts (partner_id, sales_center_id, state, n, changes) \
                 VALUES (COALESCE(NEW.partner_id, 0), COALESCE(NEW.sales_center_id, 0), {new}, 1, 1) \
                 ON CONFLICT (partner_id, sales_center_id, state) DO UPDATE SET n = n + 1, changes = changes + 1; \
               UPDATE applications SET sales_center_id = {sc} WHERE id = NEW.id; \
             END",
            new = key_of("NEW"),
            sc = sales_center_of("NEW")
        ),
        // A move: out of the old key, into the new one.
        format!(
            "CREATE TRIGGER applications_count_update AFTER UPDATE ON applications WHEN {moved} BEGIN \
               UPDATE application_counts SET n = n - 1, changes = changes + 1 WHERE {old}; \
               INSERT INTO application_counts (partner_id, sales_center_id, state, n, changes) \
                 VALUES (COALESCE(NEW.partner_id, 0), COALESCE(NEW.sales_center_id, 0), {new}, 1, 1) \
                 ON CONFLICT (partner_id, sales_center_id, state) DO UPDATE SET n = n + 1, changes = changes + 1; \
             END",
            old = row_of("OLD"),
            new = key_of("NEW")
        ),
        // Any other change: the key's row is touched.
        format!(
            "CREATE TRIGGER applications_count_touch AFTER UPDATE ON applications WHEN NOT ({moved}) BEGIN \
               UPDATE application_counts SET changes = changes + 1 WHERE {new}; \
             END",
            new = row_of("NEW")
        ),
        format!(
            "CREATE TRIGGER applications_count_delete AFTER DELETE ON applications BEGIN \
               UPDATE application_counts SET n = n - 1, changes = changes + 1 WHERE {old}; \
             END",
            old = row_of("OLD")
        ),
    ]
}

/// `(partner, sales center, key)` of row `r` in a transition table.
fn cols(r: &str) -> String {
    format!(
        "COALESCE({r}.partner_id, 0), COALESCE({r}.sales_center_id, 0), {}",
        key_of(r)
    )
}

/// The statement-level function of `m20261203_110000`, each difference also counted as
/// changes, and every updated row's key touched.
fn postgres() -> Vec<String> {
    let add = |from: &str, r: &str| {
        format!(
            "INSERT INTO application_counts (partner_id, sales_center_id, state, n, changes) \
               SELECT {c}, COUNT(*), COUNT(*) FROM {from} GROUP BY 1, 2, 3 \
               ON CONFLICT (partner_id, sales_center_id, state) \
               DO UPDATE SET n = application_counts.n + EXCLUDED.n, changes = application_counts.changes + EXCLUDED.changes;",
            c = cols(r)
        )
    };
    let subtract = |from: &str, r: &str| {
        format!(
            "UPDATE application_counts c SET n = c.n - d.k, changes = c.changes + d.k \
               FROM (SELECT {c}, COUNT(*) FROM {from} GROUP BY 1, 2, 3) AS d(p, s, st, k) \
               WHERE c.partner_id = d.p AND c.sales_center_id = d.s AND c.state = d.st;",
            c = cols(r)
        )
    };
    let touch = |from: &str, r: &str| {
        format!(
            "UPDATE application_counts c SET changes = c.changes + d.k \
               FROM (SELECT {c}, COUNT(*) FROM {from} GROUP BY 1, 2, 3) AS d(p, s, st, k) \
               WHERE c.partner_id = d.p AND c.sales_center_id = d.s AND c.state = d.st;",
            c = cols(r)
        )
    };
    let key_pair = format!("({}) IS DISTINCT FROM ({})", cols("o"), cols("nw"));
    let moved = format!("old_rows o JOIN new_rows nw ON nw.id = o.id WHERE {key_pair}");
    let stayed = format!("old_rows o JOIN new_rows nw ON nw.id = o.id WHERE NOT ({key_pair})");
    vec![format!(
        "CREATE OR REPLACE FUNCTION applications_count_rows() RETURNS trigger AS $$ BEGIN \
           IF TG_OP = 'INSERT' THEN {ins} \
           ELSIF TG_OP = 'DELETE' THEN {del} \
           ELSE {sub} {add} {touch} \
           END IF; \
           RETURN NULL; \
         END $$ LANGUAGE plpgsql",
        ins = add("new_rows r", "r"),
        del = subtract("old_rows r", "r"),
        sub = subtract(&moved, "o"),
        add = add(&moved, "nw"),
        touch = touch(&stayed, "nw"),
    )]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("application_counts"))
                .add_column(
                    ColumnDef::new(Alias::new("changes"))
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await?;
        let statements = match m.get_database_backend() {
            DatabaseBackend::Postgres => postgres(),
            _ => sqlite(),
        };
        for s in statements {
            m.get_connection().execute_unprepared(&s).await?;
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // The column and the triggers stay: the counts they keep are the same, and the
        // stamps only grow.
        Ok(())
    }
}
