use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reconciliation_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reconciliation_id: i64,
    pub at: DateTimeUtc,
    pub actor: String,
    pub event: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub comment: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
