//! An edit in the reconciliation may change the line's ITS portal login (manual l.1998–
//! 2006, interfaces.md `its_login` on PATCH …/lines/{line}); it reaches the product account
//! with the approvals, like the tariff.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ReconciliationEdits::Table)
                .add_column(string_len_null(ReconciliationEdits::ItsLogin, 100))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ReconciliationEdits::Table)
                .drop_column(ReconciliationEdits::ItsLogin)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum ReconciliationEdits {
    Table,
    ItsLogin,
}
