//! Who may do what: users, server-side sessions, API tokens, and the audit journal.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_reference::{IdentificationCenters, Partners, SalesCenters};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(pk_auto(Users::Id))
                .col(string_len_uniq(Users::Login, 64))
                .col(string(Users::PasswordHash))
                .col(string(Users::FullName))
                .col(string_len(Users::Role, 32))
                .col(integer_null(Users::PartnerId))
                .col(integer_null(Users::SalesCenterId))
                .col(integer_null(Users::IdentificationCenterId))
                .col(integer(Users::FailedAttempts).default(0))
                .col(timestamp_with_time_zone_null(Users::LockedUntil))
                .col(boolean(Users::Active).default(true))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Users::Table, Users::PartnerId)
                        .to(Partners::Table, Partners::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Users::Table, Users::SalesCenterId)
                        .to(SalesCenters::Table, SalesCenters::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Users::Table, Users::IdentificationCenterId)
                        .to(IdentificationCenters::Table, IdentificationCenters::Id),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                // SHA-256 of the cookie value: a leaked table does not yield live sessions.
                .col(string_len(Sessions::Id, 64).primary_key())
                .col(integer(Sessions::UserId))
                .col(string_len(Sessions::CsrfToken, 64))
                .col(text_null(Sessions::Flash))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Sessions::Table, Sessions::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_sessions_user")
                .table(Sessions::Table)
                .col(Sessions::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(pk_auto(ApiTokens::Id))
                .col(integer(ApiTokens::UserId))
                .col(string_len_uniq(ApiTokens::TokenHash, 64))
                .col(string_len(ApiTokens::Prefix, 16))
                .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ApiTokens::Table, ApiTokens::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(big_pk_auto(AuditLog::Id))
                .col(timestamp_with_time_zone(AuditLog::At))
                .col(integer_null(AuditLog::ActorUserId))
                .col(string_len(AuditLog::ActorLogin, 64))
                .col(string_len(AuditLog::Action, 64))
                .col(string_len(AuditLog::ObjectType, 64))
                .col(string_len(AuditLog::ObjectId, 128))
                .col(text_null(AuditLog::Before))
                .col(text_null(AuditLog::After))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_object")
                .table(AuditLog::Table)
                .col(AuditLog::ObjectType)
                .col(AuditLog::ObjectId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_actor")
                .table(AuditLog::Table)
                .col(AuditLog::ActorLogin)
                .col(AuditLog::Id)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AuditLog::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Login,
    PasswordHash,
    FullName,
    Role,
    PartnerId,
    SalesCenterId,
    IdentificationCenterId,
    FailedAttempts,
    LockedUntil,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    CsrfToken,
    Flash,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    TokenHash,
    Prefix,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorUserId,
    ActorLogin,
    Action,
    ObjectType,
    ObjectId,
    Before,
    After,
}
