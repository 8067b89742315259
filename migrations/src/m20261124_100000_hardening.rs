//! Hardening (issue 7): API tokens expire and record their last use; one-time form
//! tokens remember which form submissions were already acted on.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
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
