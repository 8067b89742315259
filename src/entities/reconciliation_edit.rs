use sea_orm::entity::prelude::*;

/// An edit of one line of an open reconciliation: it re-prices the line at once and
/// reaches the licence only when the reconciliation is approved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reconciliation_edits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reconciliation_id: i64,
    pub licence_id: i64,
    pub tariff_code: Option<String>,
    pub special_offer_number: Option<String>,
    pub edited_by: String,
    pub edited_at: DateTimeUtc,
    /// A new ITS portal login for the line's product account.
    pub its_login: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
