use sea_orm::entity::prelude::*;

/// How many subscribers a partner has, kept by the database's triggers in the same
/// transaction as every registration, deletion and move (migration `m20261208_100000`);
/// the subscribers' list totals its scope's rows.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriber_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: i32,
    pub n: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
