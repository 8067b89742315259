//! Licences for 1С:Налогоплательщик 8 (§15, manual l.2555–2635): a registration number
//! and a PIN issued for an organisation's ИНН/КПП, paid («Базовый договор», after the
//! subscriber has paid) or free with a current ITS PROF contract. One licence per
//! organisation; one free licence per ITS contract.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Np8Licences::Table)
                .col(big_pk_auto(Np8Licences::Id))
                .col(integer(Np8Licences::PartnerId))
                .col(integer(Np8Licences::SalesCenterId))
                .col(string_len(Np8Licences::Inn, 12))
                // '' for a sole trader: the pair is unique, and NULLs are never equal.
                .col(string_len(Np8Licences::Kpp, 9))
                .col(string_len(Np8Licences::Name, 500))
                .col(string_len(Np8Licences::Basis, 16))
                .col(string_len_null(Np8Licences::ItsRegistrationNumber, 64))
                .col(string_len(Np8Licences::Number, 32))
                // Kept until shown the second time, then erased.
                .col(string_len_null(Np8Licences::Pin, 32))
                .col(timestamp_with_time_zone_null(Np8Licences::PinShownAgainAt))
                .col(timestamp_with_time_zone(Np8Licences::IssuedAt))
                .col(string_len(Np8Licences::IssuedBy, 100))
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in [
            ("np8_licences_number", vec![Np8Licences::Number], true),
            (
                "np8_licences_organisation",
                vec![Np8Licences::Inn, Np8Licences::Kpp],
                true,
            ),
            (
                "np8_licences_partner",
                vec![Np8Licences::PartnerId, Np8Licences::Id],
                false,
            ),
            (
                "np8_licences_sales_center",
                vec![Np8Licences::SalesCenterId, Np8Licences::Id],
                false,
            ),
        ] {
            let mut i = Index::create();
            i.name(name).table(Np8Licences::Table);
            for c in cols {
                i.col(c);
            }
            if unique {
                i.unique();
            }
            m.create_index(i.to_owned()).await?;
        }
        // A free licence per ITS contract: NULLs (paid licences) do not collide.
        m.create_index(
            Index::create()
                .name("np8_licences_its")
                .table(Np8Licences::Table)
                .col(Np8Licences::ItsRegistrationNumber)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Np8Licences::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Np8Licences {
    Table,
    Id,
    PartnerId,
    SalesCenterId,
    Inn,
    Kpp,
    Name,
    Basis,
    ItsRegistrationNumber,
    Number,
    Pin,
    PinShownAgainAt,
    IssuedAt,
    IssuedBy,
}
