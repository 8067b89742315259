//! Groups of companies (§2.5, §11.1): a head organisation and its members.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_reference::Partners;
use crate::m20261123_000005_subscribers::Subscribers;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CompanyGroups::Table)
                .col(big_pk_auto(CompanyGroups::Id))
                .col(integer(CompanyGroups::PartnerId))
                .col(big_integer_uniq(CompanyGroups::HeadSubscriberId))
                .col(string(CompanyGroups::Name))
                .col(timestamp_with_time_zone(CompanyGroups::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CompanyGroups::Table, CompanyGroups::PartnerId)
                        .to(Partners::Table, Partners::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(CompanyGroups::Table, CompanyGroups::HeadSubscriberId)
                        .to(Subscribers::Table, Subscribers::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CompanyGroupMembers::Table)
                .col(big_pk_auto(CompanyGroupMembers::Id))
                .col(big_integer(CompanyGroupMembers::GroupId))
                // A subscriber belongs to one group at a time.
                .col(big_integer_uniq(CompanyGroupMembers::SubscriberId))
                .col(timestamp_with_time_zone(CompanyGroupMembers::JoinedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CompanyGroupMembers::Table, CompanyGroupMembers::GroupId)
                        .to(CompanyGroups::Table, CompanyGroups::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            CompanyGroupMembers::Table,
                            CompanyGroupMembers::SubscriberId,
                        )
                        .to(Subscribers::Table, Subscribers::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_group_members_group")
                .table(CompanyGroupMembers::Table)
                .col(CompanyGroupMembers::GroupId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CompanyGroupMembers::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(CompanyGroups::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CompanyGroups {
    Table,
    Id,
    PartnerId,
    HeadSubscriberId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CompanyGroupMembers {
    Table,
    Id,
    GroupId,
    SubscriberId,
    JoinedAt,
}
