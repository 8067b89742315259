use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "its_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub registration_number: String,
    pub owner_inn: String,
    pub owner_kpp: Option<String>,
    pub tariff_name: String,
    pub starts_on: Date,
    pub ends_on: Date,
    /// `PROF` for 1C:ITS PROF; other levels do not give a free connection.
    pub level: String,
    pub portal_login: String,
    pub email: Option<String>,
    /// ИНН/КПП of the subscriber the subscription is activated for, if any.
    pub activated_for_inn: Option<String>,
    pub activated_for_kpp: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
