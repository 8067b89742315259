//! Certificates of subscribers and revocation requests (§8.3).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000005_subscribers::{ProductAccounts, Subscribers};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Certificates::Table)
                .col(big_pk_auto(Certificates::Id))
                .col(big_integer(Certificates::SubscriberId))
                .col(big_integer_null(Certificates::ProductAccountId))
                .col(string_len_uniq(Certificates::Serial, 64))
                .col(string(Certificates::OwnerName))
                .col(string_len(Certificates::OwnerSnils, 20))
                .col(string_null(Certificates::OwnerPosition))
                .col(string_len(Certificates::Kind, 32))
                .col(string_len(Certificates::State, 16))
                .col(date(Certificates::ValidFrom))
                .col(date(Certificates::ValidTo))
                .col(string(Certificates::Container))
                .col(string(Certificates::Provider))
                .col(big_integer_null(Certificates::ApplicationId))
                .col(timestamp_with_time_zone(Certificates::CreatedAt))
                .col(timestamp_with_time_zone_null(Certificates::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Certificates::Table, Certificates::SubscriberId)
                        .to(Subscribers::Table, Subscribers::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Certificates::Table, Certificates::ProductAccountId)
                        .to(ProductAccounts::Table, ProductAccounts::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_certificates_subscriber")
                .table(Certificates::Table)
                .col(Certificates::SubscriberId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RevocationRequests::Table)
                .col(big_pk_auto(RevocationRequests::Id))
                .col(integer(RevocationRequests::Version).default(0))
                .col(big_integer(RevocationRequests::CertificateId))
                .col(big_integer(RevocationRequests::SubscriberId))
                .col(string_len(RevocationRequests::Reason, 32))
                .col(string_len(RevocationRequests::State, 16))
                .col(string_null(RevocationRequests::ScanKey))
                .col(string_len_null(RevocationRequests::ScanSha256, 64))
                .col(string_len(RevocationRequests::CreatedBy, 64))
                .col(timestamp_with_time_zone(RevocationRequests::CreatedAt))
                .col(timestamp_with_time_zone_null(RevocationRequests::SentAt))
                .col(timestamp_with_time_zone_null(RevocationRequests::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(RevocationRequests::Table, RevocationRequests::CertificateId)
                        .to(Certificates::Table, Certificates::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_revocations_state")
                .table(RevocationRequests::Table)
                .col(RevocationRequests::State)
                .col(RevocationRequests::SentAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RevocationRequests::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Certificates::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    SubscriberId,
    ProductAccountId,
    Serial,
    OwnerName,
    OwnerSnils,
    OwnerPosition,
    Kind,
    State,
    ValidFrom,
    ValidTo,
    Container,
    Provider,
    ApplicationId,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum RevocationRequests {
    Table,
    Id,
    Version,
    CertificateId,
    SubscriberId,
    Reason,
    State,
    ScanKey,
    ScanSha256,
    CreatedBy,
    CreatedAt,
    SentAt,
    RevokedAt,
}
