//! A sales center's requisites, printed on the invoices it issues to its partners (the
//! supplier block: ИНН, КПП, address, bank account). Optional: an invoice without them
//! says so instead of inventing them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_reference::SalesCenters;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_len_null(Requisites::Inn, 12),
            string_len_null(Requisites::Kpp, 9),
            string_len_null(Requisites::Address, 500),
            string_len_null(Requisites::BankAccount, 500),
        ] {
            m.alter_table(
                Table::alter()
                    .table(SalesCenters::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Requisites::Inn,
            Requisites::Kpp,
            Requisites::Address,
            Requisites::BankAccount,
        ] {
            m.alter_table(
                Table::alter()
                    .table(SalesCenters::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Requisites {
    Inn,
    Kpp,
    Address,
    BankAccount,
}
