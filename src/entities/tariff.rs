use sea_orm::entity::prelude::*;

use crate::money::Money;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tariffs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub code: String,
    pub name: String,
    /// `tariff` or `extension`.
    pub kind: String,
    pub term_months: i32,
    pub zone: i16,
    pub primary_price: Money,
    pub renewal_price: Money,
    pub sales_center_share: Money,
    pub renewal_sales_center_share: Money,
    pub revocable: bool,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
