//! Applications from the 1C program: the application itself, its history of transitions,
//! attached documents, intake idempotency keys, the e-mail outbox, and the localities
//! used to place an actual address on the map.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_reference::{IdentificationCenters, Partners, Regions};
use crate::m20261123_000002_access::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Applications::Table)
                .col(big_pk_auto(Applications::Id))
                .col(integer(Applications::Version).default(0))
                .col(string_len(Applications::State, 32))
                .col(integer_null(Applications::PartnerId))
                .col(string_len(Applications::RegionCode, 8))
                .col(string_len(Applications::RequestType, 16))
                .col(string_len(Applications::LegalForm, 16))
                .col(string_len(Applications::Category, 32))
                .col(boolean(Applications::PaperlessRenewal))
                .col(string_len(Applications::Inn, 12))
                .col(string_len_null(Applications::Kpp, 9))
                .col(string_len_null(Applications::Ogrn, 15))
                .col(text(Applications::FullName))
                .col(string(Applications::ShortName))
                // Lower-cased names for search: SQLite's LIKE and lower() fold ASCII only.
                .col(text(Applications::SearchKey))
                .col(string_null(Applications::PfrNumber))
                .col(string_null(Applications::FssNumber))
                .col(string(Applications::Phone))
                .col(string_null(Applications::MobilePhone))
                .col(string(Applications::Email))
                .col(text(Applications::LegalAddress))
                .col(text(Applications::ActualAddress))
                .col(string(Applications::Configuration))
                .col(string(Applications::FormatVersion))
                .col(boolean(Applications::CertificateRequested))
                .col(boolean(Applications::CryptoproLicence))
                .col(string_null(Applications::ItsLogin))
                .col(string_null(Applications::ItsEmail))
                .col(string_len_null(
                    Applications::AuthorizedRepresentativeInn,
                    12,
                ))
                .col(string_null(Applications::ProductGuid))
                .col(text(Applications::Owner))
                .col(text(Applications::Directions))
                .col(text(Applications::Checks))
                .col(boolean(Applications::ChecksPassed))
                .col(timestamp_with_time_zone(Applications::ReceivedAt))
                .col(timestamp_with_time_zone_null(Applications::ConfirmedAt))
                .col(timestamp_with_time_zone(Applications::StateChangedAt))
                .col(string_null(Applications::RegistrationNumber))
                .col(integer_null(Applications::IdentificationCenterId))
                .col(timestamp_with_time_zone_null(Applications::DelegatedAt))
                .col(timestamp_with_time_zone_null(Applications::DistributedAt))
                .col(text_null(Applications::RejectReason))
                .col(string_len_null(Applications::ProcessingOption, 32))
                .col(text_null(Applications::ProcessingParams))
                .foreign_key(
                    ForeignKey::create()
                        .from(Applications::Table, Applications::PartnerId)
                        .to(Partners::Table, Partners::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Applications::Table, Applications::RegionCode)
                        .to(Regions::Table, Regions::Code),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Applications::Table, Applications::IdentificationCenterId)
                        .to(IdentificationCenters::Table, IdentificationCenters::Id),
                )
                .to_owned(),
        )
        .await?;
        // The registry: a partner's folder, newest first, keyset on (received_at, id).
        index(
            m,
            "idx_app_partner_state",
            &[
                Applications::PartnerId,
                Applications::State,
                Applications::ReceivedAt,
                Applications::Id,
            ],
        )
        .await?;
        // The same folder sorted by name or ИНН (offset pages walk these instead of sorting).
        index(
            m,
            "idx_app_partner_state_name",
            &[
                Applications::PartnerId,
                Applications::State,
                Applications::ShortName,
                Applications::Id,
            ],
        )
        .await?;
        index(
            m,
            "idx_app_partner_state_inn",
            &[
                Applications::PartnerId,
                Applications::State,
                Applications::Inn,
                Applications::Id,
            ],
        )
        .await?;
        index(
            m,
            "idx_app_state_name",
            &[
                Applications::State,
                Applications::ShortName,
                Applications::Id,
            ],
        )
        .await?;
        // Jobs and the operator's registry: everything in a state by age.
        index(
            m,
            "idx_app_state_received",
            &[
                Applications::State,
                Applications::ReceivedAt,
                Applications::Id,
            ],
        )
        .await?;
        // The sales center's region (distribution).
        index(
            m,
            "idx_app_region_state",
            &[
                Applications::RegionCode,
                Applications::State,
                Applications::ReceivedAt,
                Applications::Id,
            ],
        )
        .await?;
        index(
            m,
            "idx_app_inn_kpp",
            &[Applications::Inn, Applications::Kpp],
        )
        .await?;
        index(
            m,
            "idx_app_center_state",
            &[Applications::IdentificationCenterId, Applications::State],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApplicationHistory::Table)
                .col(big_pk_auto(ApplicationHistory::Id))
                .col(big_integer(ApplicationHistory::ApplicationId))
                .col(timestamp_with_time_zone(ApplicationHistory::At))
                .col(integer_null(ApplicationHistory::ActorUserId))
                .col(string_len(ApplicationHistory::ActorLogin, 64))
                .col(string_len(ApplicationHistory::Event, 40))
                .col(string_len_null(ApplicationHistory::FromState, 32))
                .col(string_len(ApplicationHistory::ToState, 32))
                .col(text_null(ApplicationHistory::Reason))
                .foreign_key(
                    ForeignKey::create()
                        .from(ApplicationHistory::Table, ApplicationHistory::ApplicationId)
                        .to(Applications::Table, Applications::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_app_history_app")
                .table(ApplicationHistory::Table)
                .col(ApplicationHistory::ApplicationId)
                .col(ApplicationHistory::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApplicationDocuments::Table)
                .col(big_pk_auto(ApplicationDocuments::Id))
                .col(big_integer(ApplicationDocuments::ApplicationId))
                .col(string_len(ApplicationDocuments::Kind, 40))
                .col(string(ApplicationDocuments::FileName))
                .col(string_len(ApplicationDocuments::ContentType, 100))
                .col(big_integer(ApplicationDocuments::SizeBytes))
                .col(string_len(ApplicationDocuments::Sha256, 64))
                .col(string(ApplicationDocuments::StorageKey))
                .col(timestamp_with_time_zone(ApplicationDocuments::UploadedAt))
                .col(string_len(ApplicationDocuments::UploadedBy, 64))
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            ApplicationDocuments::Table,
                            ApplicationDocuments::ApplicationId,
                        )
                        .to(Applications::Table, Applications::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_app_documents_kind")
                .table(ApplicationDocuments::Table)
                .col(ApplicationDocuments::ApplicationId)
                .col(ApplicationDocuments::Kind)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(big_pk_auto(IdempotencyKeys::Id))
                .col(integer(IdempotencyKeys::UserId))
                .col(string_len(IdempotencyKeys::Key, 128))
                .col(string_len(IdempotencyKeys::RequestHash, 64))
                .col(small_integer(IdempotencyKeys::Status))
                .col(text(IdempotencyKeys::Response))
                .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(IdempotencyKeys::Table, IdempotencyKeys::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_idempotency_user_key")
                .table(IdempotencyKeys::Table)
                .col(IdempotencyKeys::UserId)
                .col(IdempotencyKeys::Key)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .col(big_pk_auto(Outbox::Id))
                .col(timestamp_with_time_zone(Outbox::CreatedAt))
                .col(string(Outbox::ToAddress))
                .col(string(Outbox::Subject))
                .col(text(Outbox::Body))
                .col(string_len(Outbox::Status, 16))
                .col(integer(Outbox::Attempts).default(0))
                .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                .col(text_null(Outbox::LastError))
                .col(timestamp_with_time_zone_null(Outbox::SentAt))
                .col(string_len_null(Outbox::RelatedType, 32))
                .col(string_len_null(Outbox::RelatedId, 64))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_due")
                .table(Outbox::Table)
                .col(Outbox::Status)
                .col(Outbox::NextAttemptAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Localities::Table)
                .col(pk_auto(Localities::Id))
                .col(string(Localities::Name))
                .col(string_len(Localities::RegionCode, 8))
                .col(double(Localities::Latitude))
                .col(double(Localities::Longitude))
                .foreign_key(
                    ForeignKey::create()
                        .from(Localities::Table, Localities::RegionCode)
                        .to(Regions::Table, Regions::Code),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_localities_region_name")
                .table(Localities::Table)
                .col(Localities::RegionCode)
                .col(Localities::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Localities::Table.into_iden(),
            Outbox::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            ApplicationDocuments::Table.into_iden(),
            ApplicationHistory::Table.into_iden(),
            Applications::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

async fn index(m: &SchemaManager<'_>, name: &str, cols: &[Applications]) -> Result<(), DbErr> {
    let mut idx = Index::create();
    idx.name(name).table(Applications::Table);
    for c in cols {
        idx.col(*c);
    }
    m.create_index(idx.to_owned()).await
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Applications {
    Table,
    Id,
    Version,
    State,
    PartnerId,
    RegionCode,
    RequestType,
    LegalForm,
    Category,
    PaperlessRenewal,
    Inn,
    Kpp,
    Ogrn,
    FullName,
    ShortName,
    SearchKey,
    PfrNumber,
    FssNumber,
    Phone,
    MobilePhone,
    Email,
    LegalAddress,
    ActualAddress,
    Configuration,
    FormatVersion,
    CertificateRequested,
    CryptoproLicence,
    ItsLogin,
    ItsEmail,
    AuthorizedRepresentativeInn,
    ProductGuid,
    Owner,
    Directions,
    Checks,
    ChecksPassed,
    ReceivedAt,
    ConfirmedAt,
    StateChangedAt,
    RegistrationNumber,
    IdentificationCenterId,
    DelegatedAt,
    DistributedAt,
    RejectReason,
    ProcessingOption,
    ProcessingParams,
}

#[derive(DeriveIden)]
enum ApplicationHistory {
    Table,
    Id,
    ApplicationId,
    At,
    ActorUserId,
    ActorLogin,
    Event,
    FromState,
    ToState,
    Reason,
}

#[derive(DeriveIden)]
enum ApplicationDocuments {
    Table,
    Id,
    ApplicationId,
    Kind,
    FileName,
    ContentType,
    SizeBytes,
    Sha256,
    StorageKey,
    UploadedAt,
    UploadedBy,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    UserId,
    Key,
    RequestHash,
    Status,
    Response,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    CreatedAt,
    ToAddress,
    Subject,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    SentAt,
    RelatedType,
    RelatedId,
}

#[derive(DeriveIden)]
enum Localities {
    Table,
    Id,
    Name,
    RegionCode,
    Latitude,
    Longitude,
}
