//! Authorized representatives' transactions (manual §12.7) and invoices (§12, «Счета»).
//!
//! `up_transactions`: the sends the e-filing side counted for one representative (a
//! subscriber), one client organisation and one authority in a quarter (`yyyy-Qn`);
//! `reported_count` is the first count received, `count` the latest (a re-send corrects
//! it: the tab's «Количество» and «Новое количество»).
//!
//! `invoices`: one per approved reconciliation, numbered per sales center and year, with
//! the part subject to VAT (the certification authority's services) and its VAT.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_reference::Partners;
use crate::m20261123_000005_subscribers::Subscribers;
use crate::m20261202_100000_reconciliation::Reconciliations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(UpTransactions::Table)
                .col(big_pk_auto(UpTransactions::Id))
                .col(string_len(UpTransactions::Quarter, 7))
                .col(big_integer(UpTransactions::RepresentativeId))
                .col(integer(UpTransactions::PartnerId))
                .col(string_len(UpTransactions::ClientInn, 12))
                .col(string_len(UpTransactions::ClientKpp, 9))
                .col(string_len(UpTransactions::ClientName, 500))
                .col(string_len(UpTransactions::Authority, 16))
                .col(integer(UpTransactions::ReportedCount))
                .col(integer(UpTransactions::Count))
                .col(timestamp_with_time_zone(UpTransactions::ReceivedAt))
                .col(timestamp_with_time_zone(UpTransactions::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(UpTransactions::Table, UpTransactions::RepresentativeId)
                        .to(Subscribers::Table, Subscribers::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(UpTransactions::Table, UpTransactions::PartnerId)
                        .to(Partners::Table, Partners::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("up_transactions_key")
                .table(UpTransactions::Table)
                .col(UpTransactions::Quarter)
                .col(UpTransactions::RepresentativeId)
                .col(UpTransactions::ClientInn)
                .col(UpTransactions::ClientKpp)
                .col(UpTransactions::Authority)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("up_transactions_partner_quarter")
                .table(UpTransactions::Table)
                .col(UpTransactions::PartnerId)
                .col(UpTransactions::Quarter)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Invoices::Table)
                .col(big_pk_auto(Invoices::Id))
                .col(integer(Invoices::SalesCenterId))
                .col(integer(Invoices::PartnerId))
                .col(big_integer(Invoices::ReconciliationId))
                .col(integer(Invoices::Year))
                .col(integer(Invoices::Number))
                .col(date(Invoices::IssuedOn))
                .col(big_integer(Invoices::Amount))
                .col(big_integer(Invoices::VatBase))
                .col(integer(Invoices::VatRate))
                .col(big_integer(Invoices::VatAmount))
                .col(string_len(Invoices::SnapshotHash, 64))
                .col(string_len(Invoices::IssuedBy, 64))
                .col(timestamp_with_time_zone(Invoices::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Invoices::Table, Invoices::ReconciliationId)
                        .to(Reconciliations::Table, Reconciliations::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("invoices_number")
                .table(Invoices::Table)
                .col(Invoices::SalesCenterId)
                .col(Invoices::Year)
                .col(Invoices::Number)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("invoices_reconciliation")
                .table(Invoices::Table)
                .col(Invoices::ReconciliationId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Invoices::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(UpTransactions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum UpTransactions {
    Table,
    Id,
    Quarter,
    RepresentativeId,
    PartnerId,
    ClientInn,
    ClientKpp,
    ClientName,
    Authority,
    ReportedCount,
    Count,
    ReceivedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    SalesCenterId,
    PartnerId,
    ReconciliationId,
    Year,
    Number,
    IssuedOn,
    Amount,
    VatBase,
    VatRate,
    VatAmount,
    SnapshotHash,
    IssuedBy,
    CreatedAt,
}
