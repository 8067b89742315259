//! Hardening (issue 7): API tokens expire and record their last use; one-time form
//! tokens remember which form submissions were already acted on; special-offer permit
//! numbers are unique per sales center, not across all of them (a global uniqueness let
//! one sales center probe another's numbers).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on one connection, SQLite included: the permit table is rebuilt
    /// (create, copy, drop, rename), and pooled connections holding an older snapshot of
    /// the schema would see the old table still there.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        for col in [ApiTokens::ExpiresAt, ApiTokens::LastUsedAt] {
            m.alter_table(
                Table::alter()
                    .table(ApiTokens::Table)
                    .add_column(timestamp_with_time_zone_null(col))
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(FormSubmissions::Table)
                .col(string_len(FormSubmissions::Nonce, 64).primary_key())
                .col(string_len(FormSubmissions::SessionId, 64))
                .col(timestamp_with_time_zone(FormSubmissions::At))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_form_submissions_at")
                .table(FormSubmissions::Table)
                .col(FormSubmissions::At)
                .to_owned(),
        )
        .await?;
        permits_unique_per_sales_center(m).await?;
        // F19: a partner's whole registry, newest first, without a folder (the API's
        // default list) sorted every row in a temporary B-tree.
        m.create_index(
            Index::create()
                .name("idx_app_partner_received")
                .table(Applications::Table)
                .col(Applications::PartnerId)
                .col(Applications::ReceivedAt)
                .col(Applications::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_sessions_expires_at")
                .table(Sessions::Table)
                .col(Sessions::ExpiresAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_app_partner_received")
                .table(Applications::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_sessions_expires_at")
                .table(Sessions::Table)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(FormSubmissions::Table).to_owned())
            .await?;
        for col in [ApiTokens::LastUsedAt, ApiTokens::ExpiresAt] {
            m.alter_table(
                Table::alter()
                    .table(ApiTokens::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

async fn permits_unique_per_sales_center(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    match m.get_database_backend() {
        sea_orm_migration::sea_orm::DatabaseBackend::Postgres => {
            db.execute_unprepared(
                "ALTER TABLE special_offer_permits DROP CONSTRAINT IF EXISTS special_offer_permits_number_key",
            )
            .await?;
        }
        _ => {
            // SQLite cannot drop a column's UNIQUE: rebuild the table without it.
            db.execute_unprepared(
                "CREATE TABLE special_offer_permits_rebuilt (
                    id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
                    sales_center_id integer NOT NULL REFERENCES sales_centers (id),
                    offer_code varchar(64) NOT NULL,
                    number varchar(32) NOT NULL,
                    client_inn varchar(12) NOT NULL,
                    registered_by varchar(64) NOT NULL,
                    registered_at timestamp_with_timezone_text NOT NULL
                )",
            )
            .await?;
            db.execute_unprepared(
                "INSERT INTO special_offer_permits_rebuilt
                 (id, sales_center_id, offer_code, number, client_inn, registered_by, registered_at)
                 SELECT id, sales_center_id, offer_code, number, client_inn, registered_by, registered_at
                 FROM special_offer_permits",
            )
            .await?;
            db.execute_unprepared("DROP TABLE special_offer_permits")
                .await?;
            db.execute_unprepared(
                "ALTER TABLE special_offer_permits_rebuilt RENAME TO special_offer_permits",
            )
            .await?;
        }
    }
    m.create_index(
        Index::create()
            .name("idx_special_offer_permits_center_number")
            .table(SpecialOfferPermits::Table)
            .col(SpecialOfferPermits::SalesCenterId)
            .col(SpecialOfferPermits::Number)
            .unique()
            .to_owned(),
    )
    .await
}

#[derive(DeriveIden)]
enum Applications {
    Table,
    PartnerId,
    ReceivedAt,
    Id,
}

#[derive(DeriveIden)]
enum SpecialOfferPermits {
    Table,
    SalesCenterId,
    Number,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    ExpiresAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum FormSubmissions {
    Table,
    Nonce,
    SessionId,
    At,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    ExpiresAt,
}
