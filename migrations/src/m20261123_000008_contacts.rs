//! Contacts, contact persons, product contacts by usage, directions, and the
//! registration file of a subscriber (§11.2–§11.5).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000005_subscribers::{ProductAccounts, Subscribers};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            ColumnDef::new(Subscribers::Fax).string().null().to_owned(),
            ColumnDef::new(Subscribers::RegistrationFile)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Subscribers::RegistrationFileAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Subscribers::Table)
                    .add_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(ContactPersons::Table)
                .col(big_pk_auto(ContactPersons::Id))
                .col(big_integer(ContactPersons::SubscriberId))
                .col(string(ContactPersons::FullName))
                .col(string_null(ContactPersons::Position))
                .col(string_null(ContactPersons::Phone))
                .col(string_null(ContactPersons::Email))
                .foreign_key(
                    ForeignKey::create()
                        .from(ContactPersons::Table, ContactPersons::SubscriberId)
                        .to(Subscribers::Table, Subscribers::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ProductContacts::Table)
                .col(big_pk_auto(ProductContacts::Id))
                .col(big_integer(ProductContacts::ProductAccountId))
                // `fns_requirements` (e-mail) or `status_notifications` (mobile phone).
                .col(string_len(ProductContacts::Usage, 32))
                .col(string(ProductContacts::Value))
                .foreign_key(
                    ForeignKey::create()
                        .from(ProductContacts::Table, ProductContacts::ProductAccountId)
                        .to(ProductAccounts::Table, ProductAccounts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // One recipient per usage.
        m.create_index(
            Index::create()
                .name("uq_product_contacts_usage")
                .table(ProductContacts::Table)
                .col(ProductContacts::ProductAccountId)
                .col(ProductContacts::Usage)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Directions::Table)
                .col(big_pk_auto(Directions::Id))
                .col(big_integer(Directions::SubscriberId))
                .col(big_integer_null(Directions::ProductAccountId))
                .col(string_len(Directions::Authority, 16))
                .col(string_len(Directions::Code, 20))
                .col(string_len_null(Directions::Kpp, 9))
                .foreign_key(
                    ForeignKey::create()
                        .from(Directions::Table, Directions::SubscriberId)
                        .to(Subscribers::Table, Subscribers::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_directions_subscriber")
                .table(Directions::Table)
                .col(Directions::SubscriberId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Directions::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ProductContacts::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ContactPersons::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ContactPersons {
    Table,
    Id,
    SubscriberId,
    FullName,
    Position,
    Phone,
    Email,
}

#[derive(DeriveIden)]
enum ProductContacts {
    Table,
    Id,
    ProductAccountId,
    Usage,
    Value,
}

#[derive(DeriveIden)]
enum Directions {
    Table,
    Id,
    SubscriberId,
    ProductAccountId,
    Authority,
    Code,
    Kpp,
}
