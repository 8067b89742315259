//! Catalog data with dates of their own: special offers (УСН, Нулевка) limited to regions,
//! and promotions such as the free ЛК Базовый of 2024.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SpecialOffers::Table)
                .col(pk_auto(SpecialOffers::Id))
                .col(string_len_uniq(SpecialOffers::Code, 64))
                .col(string(SpecialOffers::Name))
                .col(big_integer(SpecialOffers::Price))
                .col(big_integer(SpecialOffers::SalesCenterShare))
                // Comma-separated region codes.
                .col(string(SpecialOffers::Regions))
                .col(integer(SpecialOffers::TermMonths))
                .col(date(SpecialOffers::ValidFrom))
                .col(date_null(SpecialOffers::ValidTo))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Promotions::Table)
                .col(pk_auto(Promotions::Id))
                .col(string_len_uniq(Promotions::Code, 64))
                .col(string(Promotions::Name))
                .col(string_len(Promotions::Item, 64))
                .col(small_integer(Promotions::DiscountPercent))
                .col(date(Promotions::ValidFrom))
                .col(date(Promotions::ValidTo))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Promotions::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(SpecialOffers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SpecialOffers {
    Table,
    Id,
    Code,
    Name,
    Price,
    SalesCenterShare,
    Regions,
    TermMonths,
    ValidFrom,
    ValidTo,
}

#[derive(DeriveIden)]
enum Promotions {
    Table,
    Id,
    Code,
    Name,
    Item,
    DiscountPercent,
    ValidFrom,
    ValidTo,
}
