use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub subscriber_id: i64,
    #[sea_orm(unique)]
    pub guid: String,
    pub configuration: String,
    pub state: String,
    pub category: String,
    /// Inactive accounts are left out of renewal work and expiry reports.
    pub active: bool,
    pub alias: Option<String>,
    pub its_login: Option<String>,
    pub application_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
