//! The cloud signature (§17, manual l.2836–3039): a signature-service (DSS) account per
//! certificate issued with `owner.cloud_signature`, with its phone, state, current QR code
//! and the two pending flags the window warns about. SMS messages go through the outbox
//! beside e-mail, told apart by `channel`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CloudSignatureAccounts::Table)
                .col(big_pk_auto(CloudSignatureAccounts::Id))
                .col(integer(CloudSignatureAccounts::Version))
                .col(big_integer(CloudSignatureAccounts::SubscriberId))
                .col(big_integer(CloudSignatureAccounts::CertificateId))
                .col(big_integer_null(CloudSignatureAccounts::ApplicationId))
                .col(string_len(CloudSignatureAccounts::OwnerName, 300))
                .col(string_len(CloudSignatureAccounts::Phone, 32))
                .col(string_len(CloudSignatureAccounts::State, 32))
                .col(string_len(CloudSignatureAccounts::ServiceAccount, 100))
                .col(integer(CloudSignatureAccounts::QrGeneration))
                .col(string_len(CloudSignatureAccounts::QrPayload, 500))
                .col(boolean(CloudSignatureAccounts::QrPending))
                .col(boolean(CloudSignatureAccounts::PasswordPending))
                .col(timestamp_with_time_zone_null(
                    CloudSignatureAccounts::ActivationSentAt,
                ))
                .col(timestamp_with_time_zone(CloudSignatureAccounts::CreatedAt))
                .col(timestamp_with_time_zone(CloudSignatureAccounts::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("cloud_signature_accounts_certificate")
                .table(CloudSignatureAccounts::Table)
                .col(CloudSignatureAccounts::CertificateId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("cloud_signature_accounts_subscriber")
                .table(CloudSignatureAccounts::Table)
                .col(CloudSignatureAccounts::SubscriberId)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Outbox::Table)
                .add_column(string_len(Outbox::Channel, 8).default("email"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Outbox::Table)
                .drop_column(Outbox::Channel)
                .to_owned(),
        )
        .await?;
        m.drop_table(
            Table::drop()
                .table(CloudSignatureAccounts::Table)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
pub enum CloudSignatureAccounts {
    Table,
    Id,
    Version,
    SubscriberId,
    CertificateId,
    ApplicationId,
    OwnerName,
    Phone,
    State,
    ServiceAccount,
    QrGeneration,
    QrPayload,
    QrPending,
    PasswordPending,
    ActivationSentAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Channel,
}
