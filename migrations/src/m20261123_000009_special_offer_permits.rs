//! Special-offer permits (§2.4, §2.8): numbers a sales center registers for a client; a
//! number is usable from one day after registration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_reference::SalesCenters;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SpecialOfferPermits::Table)
                .col(big_pk_auto(SpecialOfferPermits::Id))
                .col(integer(SpecialOfferPermits::SalesCenterId))
                .col(string_len(SpecialOfferPermits::OfferCode, 64))
                .col(string_len_uniq(SpecialOfferPermits::Number, 32))
                .col(string_len(SpecialOfferPermits::ClientInn, 12))
                .col(string_len(SpecialOfferPermits::RegisteredBy, 64))
                .col(timestamp_with_time_zone(SpecialOfferPermits::RegisteredAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            SpecialOfferPermits::Table,
                            SpecialOfferPermits::SalesCenterId,
                        )
                        .to(SalesCenters::Table, SalesCenters::Id),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SpecialOfferPermits::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SpecialOfferPermits {
    Table,
    Id,
    SalesCenterId,
    OfferCode,
    Number,
    ClientInn,
    RegisteredBy,
    RegisteredAt,
}
