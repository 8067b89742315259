//! An index on `applications.kpp`, so a search by digits (an ИНН or КПП prefix, over the
//! whole registry of the caller's scope) is two index ranges — `idx_app_inn_kpp` for the
//! ИНН, this one for the КПП — instead of a walk over every application of the scope
//! (0.7 s for a partner, 2.5 s for a sales center at a million applications).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Applications {
    Table,
    Kpp,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("idx_app_kpp")
                .table(Applications::Table)
                .col(Applications::Kpp)
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_app_kpp")
                .table(Applications::Table)
                .to_owned(),
        )
        .await
    }
}
