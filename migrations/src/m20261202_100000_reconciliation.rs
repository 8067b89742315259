//! The monthly reconciliation («Сверка», domain.md §5, manual §12): one header per partner
//! and month with its approval chain and, once approved, the immutable snapshot of its
//! lines with a content hash; the edits made in it, pending until both approvals; its
//! history. Licences learn the day they were registered (the month a line belongs to)
//! and the special-offer number they were sold under.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_reference::Partners;
use crate::m20261123_000005_subscribers::Licences;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Reconciliations::Table)
                .col(big_pk_auto(Reconciliations::Id))
                .col(integer(Reconciliations::PartnerId))
                .col(string_len(Reconciliations::Period, 7))
                .col(string_len(Reconciliations::State, 32))
                .col(integer(Reconciliations::Version).default(0))
                .col(text_null(Reconciliations::Comment))
                .col(text_null(Reconciliations::Snapshot))
                .col(string_len_null(Reconciliations::SnapshotHash, 64))
                .col(timestamp_with_time_zone_null(
                    Reconciliations::PartnerApprovedAt,
                ))
                .col(timestamp_with_time_zone_null(Reconciliations::ApprovedAt))
                .col(timestamp_with_time_zone(Reconciliations::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Reconciliations::Table, Reconciliations::PartnerId)
                        .to(Partners::Table, Partners::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("reconciliations_partner_period")
                .table(Reconciliations::Table)
                .col(Reconciliations::PartnerId)
                .col(Reconciliations::Period)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("reconciliations_period")
                .table(Reconciliations::Table)
                .col(Reconciliations::Period)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReconciliationEdits::Table)
                .col(big_pk_auto(ReconciliationEdits::Id))
                .col(big_integer(ReconciliationEdits::ReconciliationId))
                .col(big_integer(ReconciliationEdits::LicenceId))
                .col(string_len_null(ReconciliationEdits::TariffCode, 64))
                .col(string_len_null(ReconciliationEdits::SpecialOfferNumber, 32))
                .col(string_len(ReconciliationEdits::EditedBy, 64))
                .col(timestamp_with_time_zone(ReconciliationEdits::EditedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            ReconciliationEdits::Table,
                            ReconciliationEdits::ReconciliationId,
                        )
                        .to(Reconciliations::Table, Reconciliations::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ReconciliationEdits::Table, ReconciliationEdits::LicenceId)
                        .to(Licences::Table, Licences::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("reconciliation_edits_line")
                .table(ReconciliationEdits::Table)
                .col(ReconciliationEdits::ReconciliationId)
                .col(ReconciliationEdits::LicenceId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReconciliationHistory::Table)
                .col(big_pk_auto(ReconciliationHistory::Id))
                .col(big_integer(ReconciliationHistory::ReconciliationId))
                .col(timestamp_with_time_zone(ReconciliationHistory::At))
                .col(string_len(ReconciliationHistory::Actor, 64))
                .col(string_len(ReconciliationHistory::Event, 32))
                .col(string_len_null(ReconciliationHistory::FromState, 32))
                .col(string_len(ReconciliationHistory::ToState, 32))
                .col(text_null(ReconciliationHistory::Comment))
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            ReconciliationHistory::Table,
                            ReconciliationHistory::ReconciliationId,
                        )
                        .to(Reconciliations::Table, Reconciliations::Id),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Licences::Table)
                .add_column(date_null(LicenceColumns::RegisteredOn))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Licences::Table)
                .add_column(string_len_null(LicenceColumns::SpecialOfferNumber, 32))
                .to_owned(),
        )
        .await?;
        // Licences registered before: their period began at registration.
        m.get_connection()
            .execute_unprepared(
                "UPDATE licences SET registered_on = starts_on WHERE state <> 'pending'",
            )
            .await?;
        m.create_index(
            Index::create()
                .name("licences_registered_on")
                .table(Licences::Table)
                .col(LicenceColumns::RegisteredOn)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("licences_registered_on").to_owned())
            .await?;
        for col in [
            LicenceColumns::SpecialOfferNumber,
            LicenceColumns::RegisteredOn,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Licences::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(Table::drop().table(ReconciliationHistory::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ReconciliationEdits::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Reconciliations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Reconciliations {
    Table,
    Id,
    PartnerId,
    Period,
    State,
    Version,
    Comment,
    Snapshot,
    SnapshotHash,
    PartnerApprovedAt,
    ApprovedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReconciliationEdits {
    Table,
    Id,
    ReconciliationId,
    LicenceId,
    TariffCode,
    SpecialOfferNumber,
    EditedBy,
    EditedAt,
}

#[derive(DeriveIden)]
enum ReconciliationHistory {
    Table,
    Id,
    ReconciliationId,
    At,
    Actor,
    Event,
    FromState,
    ToState,
    Comment,
}

#[derive(DeriveIden)]
enum LicenceColumns {
    RegisteredOn,
    SpecialOfferNumber,
}
