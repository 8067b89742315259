use sea_orm::entity::prelude::*;

/// How many applications a (partner, sales center, state) holds — 0 for "none" — kept by
/// the database's triggers in the same transaction as every insert, move and state
/// change (migration `m20261202_170000`); the registry's folder counts sum these.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "application_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub sales_center_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub state: String,
    pub n: i64,
    /// Inserts, changes and deletes of the key's applications so far (migration
    /// `m20261206_100000`): a scope's sum stamps its registry.
    pub changes: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
