use sea_orm::entity::prelude::*;

/// The head of the journal's hash chain (one row, id 1) and the last verification.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_chain")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// The last journal row in the chain and its hash.
    pub last_id: i64,
    pub last_hash: String,
    pub verified_at: Option<DateTimeUtc>,
    pub verified_entries: Option<i64>,
    /// The first row the last verification found broken, if any, and why.
    pub broken_id: Option<i64>,
    pub broken_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
