//! The last send of each subscriber to each authority, from the e-filing side's feed
//! (`POST /api/v1/sends`, beside the representatives' transactions). The partner-activity
//! report counts a subscriber as inactive after 90 days without a send in any direction
//! (manual l.2826).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000005_subscribers::Subscribers;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SubscriberSends::Table)
                .col(big_pk_auto(SubscriberSends::Id))
                .col(big_integer(SubscriberSends::SubscriberId))
                .col(string_len(SubscriberSends::Authority, 16))
                .col(date(SubscriberSends::LastSentOn))
                .col(timestamp_with_time_zone(SubscriberSends::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(SubscriberSends::Table, SubscriberSends::SubscriberId)
                        .to(Subscribers::Table, Subscribers::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("subscriber_sends_key")
                .table(SubscriberSends::Table)
                .col(SubscriberSends::SubscriberId)
                .col(SubscriberSends::Authority)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SubscriberSends::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum SubscriberSends {
    Table,
    Id,
    SubscriberId,
    Authority,
    LastSentOn,
    UpdatedAt,
}
