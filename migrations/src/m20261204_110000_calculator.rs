//! The tariff calculator's catalog (manual §13, l.2356–2527): the rows of «Возможности»
//! and «доп. возможности», and the tariffs compared — 1С-Отчетность's own (priced from the
//! tariff catalog by the region's zone) and the competitors' (Контур, СБИС …) with what
//! each offers. Loaded from `fixtures/calculator.json`; the tariffs are then the
//! operator's to edit (a later seed adds missing ones and never overwrites an edit).
//! Lists of codes (organisation types, taxation, directions) are comma-separated text;
//! capabilities are a JSON object of code → true/false (absent: no data).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CalculatorCapabilities::Table)
                .col(pk_auto(CalculatorCapabilities::Id))
                .col(string_len_uniq(CalculatorCapabilities::Code, 64))
                .col(string_len(CalculatorCapabilities::Title, 200))
                .col(boolean(CalculatorCapabilities::Extra))
                .col(integer(CalculatorCapabilities::Position))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CalculatorTariffs::Table)
                .col(pk_auto(CalculatorTariffs::Id))
                .col(string_len_uniq(CalculatorTariffs::Code, 64))
                .col(string_len(CalculatorTariffs::Product, 32))
                .col(string_len(CalculatorTariffs::ProductTitle, 100))
                .col(string_len(CalculatorTariffs::Title, 200))
                .col(boolean(CalculatorTariffs::Own))
                .col(string_len_null(CalculatorTariffs::CatalogItem, 64))
                .col(string_len(CalculatorTariffs::OrganisationTypes, 64))
                .col(string_len(CalculatorTariffs::Taxation, 64))
                .col(string_len(CalculatorTariffs::Directions, 64))
                .col(string_len(CalculatorTariffs::DirectionsNote, 300))
                .col(integer_null(CalculatorTariffs::DirectionLimit))
                .col(text(CalculatorTariffs::Capabilities))
                .col(big_integer_null(CalculatorTariffs::Price))
                .col(big_integer_null(CalculatorTariffs::RenewalPrice))
                .col(integer(CalculatorTariffs::Position))
                .col(integer(CalculatorTariffs::Version))
                .col(timestamp_with_time_zone(CalculatorTariffs::UpdatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CalculatorTariffs::Table).to_owned())
            .await?;
        m.drop_table(
            Table::drop()
                .table(CalculatorCapabilities::Table)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum CalculatorCapabilities {
    Table,
    Id,
    Code,
    Title,
    Extra,
    Position,
}

#[derive(DeriveIden)]
enum CalculatorTariffs {
    Table,
    Id,
    Code,
    Product,
    ProductTitle,
    Title,
    Own,
    CatalogItem,
    OrganisationTypes,
    Taxation,
    Directions,
    DirectionsNote,
    DirectionLimit,
    Capabilities,
    Price,
    RenewalPrice,
    Position,
    Version,
    UpdatedAt,
}
