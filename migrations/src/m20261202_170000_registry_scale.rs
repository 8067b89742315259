//! The registry at a million applications (issue 11): the sales center an application
//! belongs to, on the application itself, and the folder counts kept by the database.
//!
//! - `applications.sales_center_id`: the partner's sales center, or — unclaimed — the
//!   sales center of the application's region (the lowest id when a region has several).
//!   A sales center's registry is then one index range instead of "its partners or the
//!   unclaimed of its region", which no index could serve. Kept by triggers on every
//!   insert and every change of partner or region, and when a partner changes sales
//!   center, so no code path can forget it.
//! - `application_counts(partner_id, sales_center_id, state, n)`: the number of
//!   applications per key (0 for none), kept by triggers in the same transaction as the
//!   row's insert, state change or move. A folder's count is a sum over at most a few
//!   thousand rows instead of a `COUNT(*)` over a million.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The sales center of an application row `r` (`NEW` or `OLD`), as SQL.
fn sales_center_of(r: &str) -> String {
    format!(
        "COALESCE((SELECT p.sales_center_id FROM partners p WHERE p.id = {r}.partner_id), \
         (SELECT sc.id FROM sales_centers sc WHERE sc.region_code = {r}.region_code ORDER BY sc.id LIMIT 1))"
    )
}

const SQLITE: &[&str] = &[
    // Counted as inserted first; setting the sales center then moves the count through
    // `applications_count_update`, like any later move.
    "CREATE TRIGGER applications_sc_insert AFTER INSERT ON applications BEGIN \
       INSERT INTO application_counts (partner_id, sales_center_id, state, n) \
         VALUES (COALESCE(NEW.partner_id, 0), COALESCE(NEW.sales_center_id, 0), NEW.state, 1) \
         ON CONFLICT (partner_id, sales_center_id, state) DO UPDATE SET n = n + 1; \
       UPDATE applications SET sales_center_id = {SC_NEW} WHERE id = NEW.id; \
     END",
    "CREATE TRIGGER applications_sc_move AFTER UPDATE OF partner_id, region_code ON applications BEGIN \
       UPDATE applications SET sales_center_id = {SC_NEW} WHERE id = NEW.id; \
     END",
    "CREATE TRIGGER applications_count_update AFTER UPDATE OF state, partner_id, sales_center_id ON applications BEGIN \
       UPDATE application_counts SET n = n - 1 \
         WHERE partner_id = COALESCE(OLD.partner_id, 0) AND sales_center_id = COALESCE(OLD.sales_center_id, 0) AND state = OLD.state; \
       INSERT INTO application_counts (partner_id, sales_center_id, state, n) \
         VALUES (COALESCE(NEW.partner_id, 0), COALESCE(NEW.sales_center_id, 0), NEW.state, 1) \
         ON CONFLICT (partner_id, sales_center_id, state) DO UPDATE SET n = n + 1; \
     END",
    "CREATE TRIGGER applications_count_delete AFTER DELETE ON applications BEGIN \
       UPDATE application_counts SET n = n - 1 \
         WHERE partner_id = COALESCE(OLD.partner_id, 0) AND sales_center_id = COALESCE(OLD.sales_center_id, 0) AND state = OLD.state; \
     END",
    "CREATE TRIGGER partners_sc_move AFTER UPDATE OF sales_center_id ON partners BEGIN \
       UPDATE applications SET sales_center_id = NEW.sales_center_id WHERE partner_id = NEW.id; \
     END",
];

const POSTGRES: &[&str] = &[
    "CREATE FUNCTION applications_sales_center() RETURNS trigger AS $$ BEGIN \
       NEW.sales_center_id := {SC_NEW}; RETURN NEW; \
     END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER applications_sales_center BEFORE INSERT OR UPDATE OF partner_id, region_code ON applications \
       FOR EACH ROW EXECUTE FUNCTION applications_sales_center()",
    "CREATE FUNCTION applications_count() RETURNS trigger AS $$ BEGIN \
       IF TG_OP IN ('UPDATE', 'DELETE') THEN \
         UPDATE application_counts SET n = n - 1 \
           WHERE partner_id = COALESCE(OLD.partner_id, 0) AND sales_center_id = COALESCE(OLD.sales_center_id, 0) AND state = OLD.state; \
       END IF; \
       IF TG_OP IN ('UPDATE', 'INSERT') THEN \
         INSERT INTO application_counts (partner_id, sales_center_id, state, n) \
           VALUES (COALESCE(NEW.partner_id, 0), COALESCE(NEW.sales_center_id, 0), NEW.state, 1) \
           ON CONFLICT (partner_id, sales_center_id, state) DO UPDATE SET n = application_counts.n + 1; \
       END IF; \
       RETURN NULL; \
     END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER applications_count AFTER INSERT OR DELETE OR UPDATE OF state, partner_id, sales_center_id ON applications \
       FOR EACH ROW EXECUTE FUNCTION applications_count()",
    "CREATE FUNCTION partners_sales_center() RETURNS trigger AS $$ BEGIN \
       UPDATE applications SET sales_center_id = NEW.sales_center_id WHERE partner_id = NEW.id; RETURN NULL; \
     END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER partners_sales_center AFTER UPDATE OF sales_center_id ON partners \
       FOR EACH ROW EXECUTE FUNCTION partners_sales_center()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Applications::Table)
                .add_column(ColumnDef::new(Applications::SalesCenterId).integer().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ApplicationCounts::Table)
                .col(
                    ColumnDef::new(ApplicationCounts::PartnerId)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ApplicationCounts::SalesCenterId)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ApplicationCounts::State)
                        .string_len(32)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ApplicationCounts::N)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(ApplicationCounts::PartnerId)
                        .col(ApplicationCounts::SalesCenterId)
                        .col(ApplicationCounts::State),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_app_counts_sales_center")
                .table(ApplicationCounts::Table)
                .col(ApplicationCounts::SalesCenterId)
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        // What is there already, then the triggers keep it.
        db.execute_unprepared(&format!(
            "UPDATE applications SET sales_center_id = {}",
            sales_center_of("applications")
        ))
        .await?;
        db.execute_unprepared(
            "INSERT INTO application_counts (partner_id, sales_center_id, state, n) \
             SELECT COALESCE(partner_id, 0), COALESCE(sales_center_id, 0), state, COUNT(*) \
             FROM applications GROUP BY COALESCE(partner_id, 0), COALESCE(sales_center_id, 0), state",
        )
        .await?;
        let statements = match m.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        for s in statements {
            db.execute_unprepared(&s.replace("{SC_NEW}", &sales_center_of("NEW")))
                .await?;
        }
        // A sales center's folder, newest first or by name / ИНН, as a partner's has.
        for (name, col) in [
            ("idx_app_sc_state_received", Applications::ReceivedAt),
            ("idx_app_sc_state_name", Applications::ShortName),
            ("idx_app_sc_state_inn", Applications::Inn),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(Applications::Table)
                    .col(Applications::SalesCenterId)
                    .col(Applications::State)
                    .col(col)
                    .col(Applications::Id)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("idx_app_sc_received")
                .table(Applications::Table)
                .col(Applications::SalesCenterId)
                .col(Applications::ReceivedAt)
                .col(Applications::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let drops: &[&str] = match m.get_database_backend() {
            DatabaseBackend::Postgres => &[
                "DROP TRIGGER IF EXISTS partners_sales_center ON partners",
                "DROP TRIGGER IF EXISTS applications_count ON applications",
                "DROP TRIGGER IF EXISTS applications_sales_center ON applications",
                "DROP FUNCTION IF EXISTS partners_sales_center()",
                "DROP FUNCTION IF EXISTS applications_count()",
                "DROP FUNCTION IF EXISTS applications_sales_center()",
            ],
            _ => &[
                "DROP TRIGGER IF EXISTS applications_sc_insert",
                "DROP TRIGGER IF EXISTS applications_sc_move",
                "DROP TRIGGER IF EXISTS applications_count_update",
                "DROP TRIGGER IF EXISTS applications_count_delete",
                "DROP TRIGGER IF EXISTS partners_sc_move",
            ],
        };
        for s in drops {
            db.execute_unprepared(s).await?;
        }
        for name in [
            "idx_app_sc_state_received",
            "idx_app_sc_state_name",
            "idx_app_sc_state_inn",
            "idx_app_sc_received",
        ] {
            m.drop_index(
                Index::drop()
                    .name(name)
                    .table(Applications::Table)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(Table::drop().table(ApplicationCounts::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Applications::Table)
                .drop_column(Applications::SalesCenterId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Applications {
    Table,
    SalesCenterId,
    ReceivedAt,
    ShortName,
    Inn,
    State,
    Id,
}

#[derive(DeriveIden)]
enum ApplicationCounts {
    Table,
    PartnerId,
    SalesCenterId,
    State,
    N,
}
