//! Reference data: regions, sales centers, partners, identification centers, the tariff
//! catalog, the production calendar and the ITS portal's PROF subscriptions.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Regions::Table)
                .col(string_len(Regions::Code, 8).primary_key())
                .col(string(Regions::Name))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SalesCenters::Table)
                .col(pk_auto(SalesCenters::Id))
                .col(string_len_uniq(SalesCenters::Code, 32))
                .col(string(SalesCenters::Name))
                .col(string_len(SalesCenters::RegionCode, 8))
                .col(string_null(SalesCenters::Email))
                .foreign_key(
                    ForeignKey::create()
                        .from(SalesCenters::Table, SalesCenters::RegionCode)
                        .to(Regions::Table, Regions::Code),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Partners::Table)
                .col(pk_auto(Partners::Id))
                .col(string_len_uniq(Partners::Code, 32))
                .col(string(Partners::Name))
                .col(string_len(Partners::RegionCode, 8))
                .col(integer(Partners::SalesCenterId))
                .col(small_integer(Partners::TariffZone))
                .col(string_null(Partners::Inn))
                .col(string_null(Partners::Email))
                .col(string_null(Partners::Phone))
                .foreign_key(
                    ForeignKey::create()
                        .from(Partners::Table, Partners::RegionCode)
                        .to(Regions::Table, Regions::Code),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Partners::Table, Partners::SalesCenterId)
                        .to(SalesCenters::Table, SalesCenters::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_partners_sales_center")
                .table(Partners::Table)
                .col(Partners::SalesCenterId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(IdentificationCenters::Table)
                .col(pk_auto(IdentificationCenters::Id))
                .col(string_len_uniq(IdentificationCenters::Code, 32))
                .col(string(IdentificationCenters::OfficeName))
                .col(string(IdentificationCenters::Address))
                .col(string_len(IdentificationCenters::RegionCode, 8))
                .col(double(IdentificationCenters::Latitude))
                .col(double(IdentificationCenters::Longitude))
                .col(string(IdentificationCenters::Schedule))
                .col(string(IdentificationCenters::Phone))
                .col(string(IdentificationCenters::Email))
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            IdentificationCenters::Table,
                            IdentificationCenters::RegionCode,
                        )
                        .to(Regions::Table, Regions::Code),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Tariffs::Table)
                .col(pk_auto(Tariffs::Id))
                .col(string_len(Tariffs::Code, 64))
                .col(string(Tariffs::Name))
                .col(string_len(Tariffs::Kind, 16))
                .col(integer(Tariffs::TermMonths))
                .col(small_integer(Tariffs::Zone))
                .col(big_integer(Tariffs::PrimaryPrice))
                .col(big_integer(Tariffs::RenewalPrice))
                .col(big_integer(Tariffs::SalesCenterShare))
                .col(big_integer(Tariffs::RenewalSalesCenterShare))
                .col(boolean(Tariffs::Revocable))
                .col(date(Tariffs::ValidFrom))
                .col(date_null(Tariffs::ValidTo))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_tariffs_code_zone_from")
                .table(Tariffs::Table)
                .col(Tariffs::Code)
                .col(Tariffs::Zone)
                .col(Tariffs::ValidFrom)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CalendarDays::Table)
                .col(date(CalendarDays::Day).primary_key())
                .col(boolean(CalendarDays::IsWorking))
                .col(string_null(CalendarDays::Note))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ItsSubscriptions::Table)
                .col(pk_auto(ItsSubscriptions::Id))
                .col(string_len_uniq(ItsSubscriptions::RegistrationNumber, 32))
                .col(string_len(ItsSubscriptions::OwnerInn, 12))
                .col(string_len_null(ItsSubscriptions::OwnerKpp, 9))
                .col(string(ItsSubscriptions::TariffName))
                .col(date(ItsSubscriptions::StartsOn))
                .col(date(ItsSubscriptions::EndsOn))
                .col(string_len(ItsSubscriptions::Level, 16))
                .col(string(ItsSubscriptions::PortalLogin))
                .col(string_null(ItsSubscriptions::Email))
                // The portal knows whom a subscription is activated for by requisites,
                // not by our internal ids.
                .col(string_len_null(ItsSubscriptions::ActivatedForInn, 12))
                .col(string_len_null(ItsSubscriptions::ActivatedForKpp, 9))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_its_subscriptions_login")
                .table(ItsSubscriptions::Table)
                .col(ItsSubscriptions::PortalLogin)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            ItsSubscriptions::Table.into_iden(),
            CalendarDays::Table.into_iden(),
            Tariffs::Table.into_iden(),
            IdentificationCenters::Table.into_iden(),
            Partners::Table.into_iden(),
            SalesCenters::Table.into_iden(),
            Regions::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Regions {
    Table,
    Code,
    Name,
}

#[derive(DeriveIden)]
pub enum SalesCenters {
    Table,
    Id,
    Code,
    Name,
    RegionCode,
    Email,
}

#[derive(DeriveIden)]
pub enum Partners {
    Table,
    Id,
    Code,
    Name,
    RegionCode,
    SalesCenterId,
    TariffZone,
    Inn,
    Email,
    Phone,
}

#[derive(DeriveIden)]
pub enum IdentificationCenters {
    Table,
    Id,
    Code,
    OfficeName,
    Address,
    RegionCode,
    Latitude,
    Longitude,
    Schedule,
    Phone,
    Email,
}

#[derive(DeriveIden)]
enum Tariffs {
    Table,
    Id,
    Code,
    Name,
    Kind,
    TermMonths,
    Zone,
    PrimaryPrice,
    RenewalPrice,
    SalesCenterShare,
    RenewalSalesCenterShare,
    Revocable,
    ValidFrom,
    ValidTo,
}

#[derive(DeriveIden)]
enum CalendarDays {
    Table,
    Day,
    IsWorking,
    Note,
}

#[derive(DeriveIden)]
enum ItsSubscriptions {
    Table,
    Id,
    RegistrationNumber,
    OwnerInn,
    OwnerKpp,
    TariffName,
    StartsOn,
    EndsOn,
    Level,
    PortalLogin,
    Email,
    ActivatedForInn,
    ActivatedForKpp,
}
