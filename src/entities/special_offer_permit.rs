use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "special_offer_permits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sales_center_id: i32,
    pub offer_code: String,
    #[sea_orm(unique)]
    pub number: String,
    /// The client the number is for; empty: any client of the offer's region.
    pub client_inn: String,
    pub registered_by: String,
    pub registered_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
