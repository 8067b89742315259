use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reconciliations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partner_id: i32,
    /// The calendar month, `yyyy-mm`.
    pub period: String,
    pub state: crate::reconciliation::state::ReconciliationState,
    pub version: i32,
    /// The sales center's comment when it returned the reconciliation.
    pub comment: Option<String>,
    /// Once approved: the document's lines and totals as JSON, never changed again.
    pub snapshot: Option<String>,
    /// SHA-256 of `snapshot`, hex.
    pub snapshot_hash: Option<String>,
    pub partner_approved_at: Option<DateTimeUtc>,
    pub approved_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
