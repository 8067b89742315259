//! An index on `applications (received_at, id)`: the operator's whole registry newest
//! first (the API's list without a folder) is a walk from its end, not a sort of a
//! million rows (1–4 s). Partners and sales centers have theirs since
//! `m20261123_000003` and `m20261202_170000`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Applications {
    Table,
    ReceivedAt,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("idx_app_received")
                .table(Applications::Table)
                .col(Applications::ReceivedAt)
                .col(Applications::Id)
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_app_received")
                .table(Applications::Table)
                .to_owned(),
        )
        .await
    }
}
