use sea_orm::entity::prelude::*;

/// The sends one authorized representative made for one client organisation to one
/// authority in a quarter, as the e-filing side counted them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "up_transactions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `yyyy-Qn`.
    pub quarter: String,
    /// The representative: a subscriber of `partner_id`.
    pub representative_id: i64,
    pub partner_id: i32,
    pub client_inn: String,
    /// Empty for a sole trader.
    pub client_kpp: String,
    pub client_name: String,
    pub authority: crate::organisation::Authority,
    /// The first count received («Количество»).
    pub reported_count: i32,
    /// The latest count («Новое количество»): a re-send corrects it.
    pub count: i32,
    pub received_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
