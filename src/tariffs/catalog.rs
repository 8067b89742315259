//! The tariff catalog: tariffs and extensions with zone prices and sales-center shares,
//! each valid for a date range. It is data, never code: prices change by editing rows.

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;

use crate::entities::tariff;
use crate::money::Money;

/// One catalog row as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogItem {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub term_months: i32,
    pub zone: i16,
    pub primary_price: Money,
    pub renewal_price: Money,
    pub sales_center_share: Money,
    pub renewal_sales_center_share: Money,
    /// Cost minus the sales-center share: what goes to the operator on a primary sale.
    pub operator_transfer: Money,
    pub revocable: bool,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

impl From<tariff::Model> for CatalogItem {
    fn from(t: tariff::Model) -> Self {
        CatalogItem {
            operator_transfer: t.primary_price - t.sales_center_share,
            code: t.code,
            name: t.name,
            kind: t.kind,
            term_months: t.term_months,
            zone: t.zone,
            primary_price: t.primary_price,
            renewal_price: t.renewal_price,
            sales_center_share: t.sales_center_share,
            renewal_sales_center_share: t.renewal_sales_center_share,
            revocable: t.revocable,
            valid_from: t.valid_from,
            valid_to: t.valid_to,
        }
    }
}

/// Catalog rows, optionally for one zone and only those valid on a date.
///
/// # Errors
/// Database errors.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    zone: Option<i16>,
    on: Option<NaiveDate>,
) -> Result<Vec<tariff::Model>, DbErr> {
    let mut cond = Condition::all();
    if let Some(z) = zone {
        cond = cond.add(tariff::Column::Zone.eq(z));
    }
    if let Some(d) = on {
        cond = cond.add(tariff::Column::ValidFrom.lte(d)).add(
            Condition::any()
                .add(tariff::Column::ValidTo.is_null())
                .add(tariff::Column::ValidTo.gte(d)),
        );
    }
    tariff::Entity::find()
        .filter(cond)
        // Tariffs before extensions, then in catalog (fixture) order.
        .order_by_desc(tariff::Column::Kind)
        .order_by_asc(tariff::Column::Id)
        .all(db)
        .await
}

/// The term in months of a catalog item or special offer (12 when neither names it).
///
/// # Errors
/// Database errors.
pub async fn term_of<C: ConnectionTrait>(db: &C, code: &str) -> Result<u32, DbErr> {
    let tariff = tariff::Entity::find()
        .filter(tariff::Column::Code.eq(code))
        .one(db)
        .await?
        .map(|t| t.term_months);
    let term = match tariff {
        Some(t) => Some(t),
        None => crate::entities::special_offer::Entity::find()
            .filter(crate::entities::special_offer::Column::Code.eq(code))
            .one(db)
            .await?
            .map(|o| o.term_months),
    };
    Ok(term.and_then(|t| u32::try_from(t).ok()).unwrap_or(12))
}
