use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_contacts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_account_id: i64,
    /// `fns_requirements` (e-mail) or `status_notifications` (mobile phone).
    pub usage: String,
    pub value: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
