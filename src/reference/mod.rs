//! Reference data as people and programs read it: partners (scoped), identification
//! centers, the tariff catalog and the production calendar.

pub mod routes;
mod views;

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::auth::Scope;
use crate::entities::{identification_center, partner, region, sales_center};

#[derive(Debug, Clone, Serialize)]
pub struct PartnerView {
    pub code: String,
    pub name: String,
    pub region_code: String,
    pub region: String,
    pub sales_center_code: String,
    pub sales_center: String,
    pub tariff_zone: i16,
    pub inn: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CenterView {
    pub id: i32,
    pub code: String,
    pub office_name: String,
    pub address: String,
    pub region_code: String,
    pub region: String,
    pub latitude: f64,
    pub longitude: f64,
    pub schedule: String,
    pub phone: String,
    pub email: String,
}

async fn region_names<C: ConnectionTrait>(db: &C) -> Result<HashMap<String, String>, DbErr> {
    Ok(region::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect())
}

/// The partners this scope may see, by code.
///
/// # Errors
/// Database errors.
pub async fn partners<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    code: Option<&str>,
) -> Result<Vec<PartnerView>, DbErr> {
    let mut q = partner::Entity::find().filter(scope.partners());
    if let Some(c) = code {
        q = q.filter(partner::Column::Code.eq(c));
    }
    let rows = q.order_by_asc(partner::Column::Code).all(db).await?;
    let regions = region_names(db).await?;
    let centers: HashMap<i32, sales_center::Model> = sales_center::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(rows
        .into_iter()
        .map(|p| {
            let sc = centers.get(&p.sales_center_id);
            PartnerView {
                region: regions.get(&p.region_code).cloned().unwrap_or_default(),
                sales_center_code: sc.map(|s| s.code.clone()).unwrap_or_default(),
                sales_center: sc.map(|s| s.name.clone()).unwrap_or_default(),
                code: p.code,
                name: p.name,
                region_code: p.region_code,
                tariff_zone: p.tariff_zone,
                inn: p.inn,
                email: p.email,
                phone: p.phone,
            }
        })
        .collect())
}

/// Every identification center: offices are public reference data.
///
/// # Errors
/// Database errors.
pub async fn identification_centers<C: ConnectionTrait>(db: &C) -> Result<Vec<CenterView>, DbErr> {
    let regions = region_names(db).await?;
    let rows = identification_center::Entity::find()
        .order_by_asc(identification_center::Column::RegionCode)
        .order_by_asc(identification_center::Column::Code)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|c| CenterView {
            region: regions.get(&c.region_code).cloned().unwrap_or_default(),
            id: c.id,
            code: c.code,
            office_name: c.office_name,
            address: c.address,
            region_code: c.region_code,
            latitude: c.latitude,
            longitude: c.longitude,
            schedule: c.schedule,
            phone: c.phone,
            email: c.email,
        })
        .collect())
}
