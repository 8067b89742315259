use sea_orm::entity::prelude::*;

use crate::money::Money;

/// The invoice of an approved reconciliation: what the partner pays its sales center.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sales_center_id: i32,
    pub partner_id: i32,
    pub reconciliation_id: i64,
    /// Numbers run per sales center and calendar year from 1.
    pub year: i32,
    pub number: i32,
    pub issued_on: Date,
    /// The reconciliation's total cost.
    pub amount: Money,
    /// The part subject to VAT (the certification authority's services), VAT included.
    pub vat_base: Money,
    /// Percent.
    pub vat_rate: i32,
    pub vat_amount: Money,
    /// The approved snapshot the invoice was made from.
    pub snapshot_hash: String,
    pub issued_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
