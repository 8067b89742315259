use sea_orm::entity::prelude::*;

use crate::role::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub login: String,
    pub password_hash: String,
    pub full_name: String,
    pub role: Role,
    pub partner_id: Option<i32>,
    pub sales_center_id: Option<i32>,
    pub identification_center_id: Option<i32>,
    pub failed_attempts: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub active: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
