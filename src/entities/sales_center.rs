use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "sales_centers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub region_code: String,
    pub email: Option<String>,
    /// Requisites printed on the invoices it issues.
    pub inn: Option<String>,
    pub kpp: Option<String>,
    pub address: Option<String>,
    /// «р/с … в …, БИК …, к/с …».
    pub bank_account: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
