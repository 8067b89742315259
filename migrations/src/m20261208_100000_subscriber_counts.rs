//! The subscribers' list totals from counts the database keeps (issue 11): one row per
//! partner in `subscriber_counts`, kept by triggers in the same transaction as every
//! registration, deletion and move of a subscriber to another partner. A scope's total
//! is a sum over its partners' rows (a few hundred at most) instead of a `COUNT(*)`
//! over its subscribers. SQLite keeps it per row; PostgreSQL per statement with
//! transition tables, as `application_counts` since `m20261203_110000` (a bulk insert
//! would otherwise update one counts row once per subscriber).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "CREATE TABLE subscriber_counts (\
     partner_id INTEGER NOT NULL PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0)";

const FILL: &str = "INSERT INTO subscriber_counts (partner_id, n) \
     SELECT partner_id, COUNT(*) FROM subscribers GROUP BY partner_id";

const SQLITE: &[&str] = &[
    TABLE,
    FILL,
    "CREATE TRIGGER subscribers_count_insert AFTER INSERT ON subscribers BEGIN \
       INSERT INTO subscriber_counts (partner_id, n) VALUES (NEW.partner_id, 1) \
         ON CONFLICT (partner_id) DO UPDATE SET n = n + 1; \
     END",
    "CREATE TRIGGER subscribers_count_delete AFTER DELETE ON subscribers BEGIN \
       UPDATE subscriber_counts SET n = n - 1 WHERE partner_id = OLD.partner_id; \
     END",
    "CREATE TRIGGER subscribers_count_move AFTER UPDATE OF partner_id ON subscribers \
       WHEN OLD.partner_id <> NEW.partner_id BEGIN \
       UPDATE subscriber_counts SET n = n - 1 WHERE partner_id = OLD.partner_id; \
       INSERT INTO subscriber_counts (partner_id, n) VALUES (NEW.partner_id, 1) \
         ON CONFLICT (partner_id) DO UPDATE SET n = n + 1; \
     END",
];

fn postgres() -> Vec<String> {
    let add = |from: &str, r: &str| {
        format!(
            "INSERT INTO subscriber_counts (partner_id, n) \
               SELECT {r}.partner_id, COUNT(*) FROM {from} GROUP BY 1 \
               ON CONFLICT (partner_id) DO UPDATE SET n = subscriber_counts.n + EXCLUDED.n;"
        )
    };
    let subtract = |from: &str, r: &str| {
        format!(
            "UPDATE subscriber_counts c SET n = c.n - d.k \
               FROM (SELECT {r}.partner_id, COUNT(*) FROM {from} GROUP BY 1) AS d(p, k) \
               WHERE c.partner_id = d.p;"
        )
    };
    // The rows of an UPDATE that moved to another partner.
    let moved = "old_rows o JOIN new_rows nw ON nw.id = o.id WHERE o.partner_id <> nw.partner_id";
    vec![
        TABLE.to_owned(),
        FILL.to_owned(),
        format!(
            "CREATE FUNCTION subscribers_count_rows() RETURNS trigger AS $$ BEGIN \
               IF TG_OP = 'INSERT' THEN {ins} \
               ELSIF TG_OP = 'DELETE' THEN {del} \
               ELSE {sub} {add} \
               END IF; \
               RETURN NULL; \
             END $$ LANGUAGE plpgsql",
            ins = add("new_rows r", "r"),
            del = subtract("old_rows r", "r"),
            sub = subtract(moved, "o"),
            add = add(moved, "nw"),
        ),
        "CREATE TRIGGER subscribers_count_insert AFTER INSERT ON subscribers \
           REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION subscribers_count_rows()"
            .to_owned(),
        "CREATE TRIGGER subscribers_count_update AFTER UPDATE ON subscribers \
           REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION subscribers_count_rows()"
            .to_owned(),
        "CREATE TRIGGER subscribers_count_delete AFTER DELETE ON subscribers \
           REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION subscribers_count_rows()"
            .to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let statements: Vec<String> = match m.get_database_backend() {
            DatabaseBackend::Postgres => postgres(),
            _ => SQLITE.iter().map(|s| (*s).to_owned()).collect(),
        };
        for s in statements {
            m.get_connection().execute_unprepared(&s).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let statements: &[&str] = match m.get_database_backend() {
            DatabaseBackend::Postgres => &[
                "DROP TRIGGER IF EXISTS subscribers_count_insert ON subscribers",
                "DROP TRIGGER IF EXISTS subscribers_count_update ON subscribers",
                "DROP TRIGGER IF EXISTS subscribers_count_delete ON subscribers",
                "DROP FUNCTION IF EXISTS subscribers_count_rows()",
                "DROP TABLE IF EXISTS subscriber_counts",
            ],
            _ => &[
                "DROP TRIGGER IF EXISTS subscribers_count_insert",
                "DROP TRIGGER IF EXISTS subscribers_count_delete",
                "DROP TRIGGER IF EXISTS subscribers_count_move",
                "DROP TABLE IF EXISTS subscriber_counts",
            ],
        };
        for s in statements {
            m.get_connection().execute_unprepared(s).await?;
        }
        Ok(())
    }
}
