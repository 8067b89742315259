//! Each region has a tariff zone (domain.md: a licence takes the zone of the
//! subscriber's region; the partner's zone is only a default). Existing regions start in
//! zone 1 until the reference data is loaded again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Regions::Table)
                .add_column(small_integer(Regions::TariffZone).default(1))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Regions::Table)
                .drop_column(Regions::TariffZone)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Regions {
    Table,
    TariffZone,
}
