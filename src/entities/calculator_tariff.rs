use sea_orm::entity::prelude::*;

use crate::money::Money;

/// A tariff the calculator compares: 1С-Отчетность's own or a competitor's.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calculator_tariffs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    /// `1c`, `kontur`, `sbis` …
    pub product: String,
    /// «1С», «Контур», «СБИС».
    pub product_title: String,
    pub title: String,
    /// 1С-Отчетность's own tariff (priced from the catalog).
    pub own: bool,
    /// The catalog item an own tariff is priced by (`basic_1y`).
    pub catalog_item: Option<String>,
    /// Comma-separated `ip,ul,gk,np`.
    pub organisation_types: String,
    /// Comma-separated `osno,usn,budget`.
    pub taxation: String,
    /// Comma-separated `fns,pfr,fss,rosstat`.
    pub directions: String,
    /// How the directions are offered, as the comparison prints them.
    pub directions_note: String,
    /// How many of `directions` the tariff serves at once (Отчет.ру: one); none — all.
    pub direction_limit: Option<i32>,
    /// JSON object: capability code → true / false; absent — no data.
    pub capabilities: String,
    /// A competitor's price (own tariffs: from the catalog).
    pub price: Option<Money>,
    pub renewal_price: Option<Money>,
    pub position: i32,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
