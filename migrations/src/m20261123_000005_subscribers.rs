//! Subscribers (Абоненты), their product accounts and licences, with licence history.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_reference::{Partners, Regions};
use crate::m20261123_000003_applications::Applications;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Subscribers::Table)
                .col(big_pk_auto(Subscribers::Id))
                .col(integer(Subscribers::Version).default(0))
                .col(integer(Subscribers::PartnerId))
                .col(string_len(Subscribers::RegionCode, 8))
                .col(string_len(Subscribers::LegalForm, 16))
                .col(string_len(Subscribers::Inn, 12))
                .col(string_len_null(Subscribers::Kpp, 9))
                .col(string_len_null(Subscribers::Ogrn, 15))
                .col(text(Subscribers::FullName))
                .col(string(Subscribers::ShortName))
                .col(text(Subscribers::SearchKey))
                .col(string_null(Subscribers::PfrNumber))
                .col(string_null(Subscribers::FssNumber))
                .col(text(Subscribers::LegalAddress))
                .col(text(Subscribers::ActualAddress))
                .col(string(Subscribers::Phone))
                .col(string(Subscribers::Email))
                .col(text_null(Subscribers::Note))
                .col(boolean(Subscribers::Connected))
                // §4: a paid subscriber whose licence was revoked reconnects only on a paid basis.
                .col(boolean(Subscribers::PaidBasisOnly).default(false))
                .col(timestamp_with_time_zone(Subscribers::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Subscribers::Table, Subscribers::PartnerId)
                        .to(Partners::Table, Partners::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Subscribers::Table, Subscribers::RegionCode)
                        .to(Regions::Table, Regions::Code),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_subscribers_partner")
                .table(Subscribers::Table)
                .col(Subscribers::PartnerId)
                .col(Subscribers::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_subscribers_inn_kpp")
                .table(Subscribers::Table)
                .col(Subscribers::Inn)
                .col(Subscribers::Kpp)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProductAccounts::Table)
                .col(big_pk_auto(ProductAccounts::Id))
                .col(big_integer(ProductAccounts::SubscriberId))
                .col(string_len_uniq(ProductAccounts::Guid, 36))
                .col(string(ProductAccounts::Configuration))
                .col(string_len(ProductAccounts::State, 32))
                .col(string_len(ProductAccounts::Category, 32))
                .col(boolean(ProductAccounts::Active))
                .col(string_null(ProductAccounts::Alias))
                .col(string_null(ProductAccounts::ItsLogin))
                .col(big_integer_null(ProductAccounts::ApplicationId))
                .col(timestamp_with_time_zone(ProductAccounts::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ProductAccounts::Table, ProductAccounts::SubscriberId)
                        .to(Subscribers::Table, Subscribers::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ProductAccounts::Table, ProductAccounts::ApplicationId)
                        .to(Applications::Table, Applications::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_products_subscriber")
                .table(ProductAccounts::Table)
                .col(ProductAccounts::SubscriberId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Licences::Table)
                .col(big_pk_auto(Licences::Id))
                .col(integer(Licences::Version).default(0))
                .col(big_integer(Licences::SubscriberId))
                .col(big_integer_null(Licences::ProductAccountId))
                .col(string_len(Licences::TariffCode, 64))
                .col(string(Licences::TariffName))
                .col(string_len(Licences::Kind, 16))
                .col(small_integer(Licences::Zone))
                .col(boolean(Licences::IsPrimary))
                .col(string_len(Licences::State, 16))
                .col(date(Licences::StartsOn))
                .col(date(Licences::EndsOn))
                .col(big_integer(Licences::Cost))
                .col(big_integer(Licences::SalesCenterShare))
                .col(boolean(Licences::Revocable))
                .col(boolean(Licences::ApprovedInReconciliation).default(false))
                .col(string_len_null(Licences::ConnectionOption, 32))
                .col(big_integer_null(Licences::ApplicationId))
                .col(timestamp_with_time_zone(Licences::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Licences::Table, Licences::SubscriberId)
                        .to(Subscribers::Table, Subscribers::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Licences::Table, Licences::ProductAccountId)
                        .to(ProductAccounts::Table, ProductAccounts::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_licences_subscriber")
                .table(Licences::Table)
                .col(Licences::SubscriberId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_licences_state_end")
                .table(Licences::Table)
                .col(Licences::State)
                .col(Licences::EndsOn)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LicenceHistory::Table)
                .col(big_pk_auto(LicenceHistory::Id))
                .col(big_integer(LicenceHistory::LicenceId))
                .col(timestamp_with_time_zone(LicenceHistory::At))
                .col(string_len(LicenceHistory::ActorLogin, 64))
                .col(string_len(LicenceHistory::Event, 32))
                .col(string_len_null(LicenceHistory::FromState, 16))
                .col(string_len(LicenceHistory::ToState, 16))
                .col(text_null(LicenceHistory::Reason))
                .foreign_key(
                    ForeignKey::create()
                        .from(LicenceHistory::Table, LicenceHistory::LicenceId)
                        .to(Licences::Table, Licences::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_licence_history")
                .table(LicenceHistory::Table)
                .col(LicenceHistory::LicenceId)
                .col(LicenceHistory::Id)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            LicenceHistory::Table.into_iden(),
            Licences::Table.into_iden(),
            ProductAccounts::Table.into_iden(),
            Subscribers::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Subscribers {
    Table,
    Id,
    Version,
    PartnerId,
    RegionCode,
    LegalForm,
    Inn,
    Kpp,
    Ogrn,
    FullName,
    ShortName,
    SearchKey,
    PfrNumber,
    FssNumber,
    LegalAddress,
    ActualAddress,
    Phone,
    Email,
    Note,
    Connected,
    PaidBasisOnly,
    CreatedAt,
    Fax,
    RegistrationFile,
    RegistrationFileAt,
}

#[derive(DeriveIden)]
pub enum ProductAccounts {
    Table,
    Id,
    SubscriberId,
    Guid,
    Configuration,
    State,
    Category,
    Active,
    Alias,
    ItsLogin,
    ApplicationId,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Licences {
    Table,
    Id,
    Version,
    SubscriberId,
    ProductAccountId,
    TariffCode,
    TariffName,
    Kind,
    Zone,
    IsPrimary,
    State,
    StartsOn,
    EndsOn,
    Cost,
    SalesCenterShare,
    Revocable,
    ApprovedInReconciliation,
    ConnectionOption,
    ApplicationId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LicenceHistory {
    Table,
    Id,
    LicenceId,
    At,
    ActorLogin,
    Event,
    FromState,
    ToState,
    Reason,
}
