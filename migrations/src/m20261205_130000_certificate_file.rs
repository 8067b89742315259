//! The certificate file (X.509, DER) the certification authority hands out, kept once
//! asked for, so «Экспортировать серт.» gives the same file every time.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Certificates::Table)
                .add_column(binary_null(Certificates::Der))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Certificates::Table)
                .drop_column(Certificates::Der)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Der,
}
