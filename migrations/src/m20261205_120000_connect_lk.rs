//! «Подключить ЛК» on the application (LK announcement l.46): the subscriber asks for the
//! ЛК Базовый extension with its application; processing adds the extension licence.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Applications::Table)
                .add_column(boolean(Applications::ConnectLk).default(false))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Applications::Table)
                .drop_column(Applications::ConnectLk)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Applications {
    Table,
    ConnectLk,
}
