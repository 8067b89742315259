use sea_orm::entity::prelude::*;

use crate::money::Money;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "licences")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub version: i32,
    pub subscriber_id: i64,
    pub product_account_id: Option<i64>,
    pub tariff_code: String,
    pub tariff_name: String,
    /// `tariff` or `extension`.
    pub kind: String,
    pub zone: i16,
    pub is_primary: bool,
    /// `tariffs::licence::LicenceState` by name.
    pub state: crate::tariffs::licence::LicenceState,
    pub starts_on: Date,
    pub ends_on: Date,
    pub cost: Money,
    pub sales_center_share: Money,
    pub revocable: bool,
    /// Set by the reconciliation once approved: then only the sales center may revoke.
    pub approved_in_reconciliation: bool,
    pub connection_option: Option<String>,
    pub application_id: Option<i64>,
    pub created_at: DateTimeUtc,
    /// The day the licence was registered: the month whose reconciliation holds it.
    pub registered_on: Option<Date>,
    /// The special-offer permit number it was sold under.
    pub special_offer_number: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
