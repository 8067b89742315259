//! The tenant boundary. Every query over tenant data asks the caller's `Scope` for the
//! condition to apply; nothing else decides who sees what.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition};

use crate::entities::partner;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The operator sees everything.
    Operator,
    /// A sales center sees its own partners and their data.
    SalesCenter { sales_center_id: i32 },
    /// Partner staff see their own partner's data only.
    Partner {
        partner_id: i32,
        sales_center_id: i32,
    },
    /// An identification center sees what was delegated to it.
    IdentificationCenter { identification_center_id: i32 },
    /// The 1C intake integration submits applications and receipts; it reads nothing back
    /// but its own answers (the receipt finds its application by an explicit rule in
    /// `applications::service`, not through this scope).
    Intake,
}

impl Scope {
    /// The condition restricting a `partner_id`-like column to what this scope may see.
    pub fn partner_column<C: ColumnTrait>(&self, col: C) -> Condition {
        match *self {
            Scope::Operator => Condition::all(),
            Scope::Partner { partner_id, .. } => Condition::all().add(col.eq(partner_id)),
            Scope::SalesCenter { sales_center_id } => Condition::all().add(
                col.in_subquery(
                    Query::select()
                        .column(partner::Column::Id)
                        .from(partner::Entity)
                        .and_where(Expr::col(partner::Column::SalesCenterId).eq(sales_center_id))
                        .to_owned(),
                ),
            ),
            Scope::IdentificationCenter { .. } | Scope::Intake => nothing(),
        }
    }

    /// The condition on the `partners` table itself.
    pub fn partners(&self) -> Condition {
        match *self {
            Scope::Operator => Condition::all(),
            Scope::Partner { partner_id, .. } => {
                Condition::all().add(partner::Column::Id.eq(partner_id))
            }
            Scope::SalesCenter { sales_center_id } => {
                Condition::all().add(partner::Column::SalesCenterId.eq(sales_center_id))
            }
            Scope::IdentificationCenter { .. } | Scope::Intake => nothing(),
        }
    }
}

impl Scope {
    /// The applications this scope may see.
    pub fn applications(&self) -> Condition {
        use crate::entities::application as app;
        match *self {
            Scope::Operator => Condition::all(),
            Scope::Intake => nothing(),
            Scope::Partner { partner_id, .. } => {
                Condition::all().add(app::Column::PartnerId.eq(partner_id))
            }
            // Its partners' applications and the unclaimed ones of its region
            // (distribution, §14): the database keeps the application's sales center
            // (migration `m20261202_170000`), so this is one index range.
            Scope::SalesCenter { sales_center_id } => {
                Condition::all().add(app::Column::SalesCenterId.eq(sales_center_id))
            }
            Scope::IdentificationCenter {
                identification_center_id,
            } => Condition::all()
                .add(app::Column::IdentificationCenterId.eq(identification_center_id)),
        }
    }
}

impl Scope {
    /// [`Scope::applications`] with its column behind a unary `+`, which keeps SQLite's
    /// planner off the scope's index. For a condition another index answers with few
    /// rows (the search index's matches), looking each match up by id beats checking
    /// every entry of the scope against them: a partner's search for a name at a million
    /// applications walked its 166 000 entries (31 ms) instead of the 546 matches' ids.
    pub fn applications_not_indexed(&self) -> Condition {
        use crate::entities::application as app;
        let unindexed = |col: app::Column, id: i32| {
            let name = sea_orm::IdenStatic::as_str(&col);
            Condition::all().add(Expr::cust(format!("+applications.{name}")).eq(id))
        };
        match *self {
            Scope::Partner { partner_id, .. } => unindexed(app::Column::PartnerId, partner_id),
            Scope::SalesCenter { sales_center_id } => {
                unindexed(app::Column::SalesCenterId, sales_center_id)
            }
            Scope::IdentificationCenter {
                identification_center_id,
            } => unindexed(
                app::Column::IdentificationCenterId,
                identification_center_id,
            ),
            Scope::Operator | Scope::Intake => self.applications(),
        }
    }
}

impl Scope {
    /// The subscribers this scope may see.
    pub fn subscribers(&self) -> Condition {
        use crate::entities::subscriber;
        match *self {
            Scope::IdentificationCenter { .. } | Scope::Intake => nothing(),
            _ => self.partner_column(subscriber::Column::PartnerId),
        }
    }
}

impl Scope {
    /// Unclaimed applications this scope may take by id: a partner those of its sales
    /// center's region (the ones its sales center would distribute, §14). Anyone else
    /// none — other regions' unclaimed applications are reached only by ИНН/КПП (§2.6).
    pub fn claimable(&self) -> Condition {
        match *self {
            Scope::Partner {
                sales_center_id, ..
            } => unclaimed_in_region_of(sales_center_id),
            _ => nothing(),
        }
    }
}

/// Applications no partner has claimed, in the region of a sales center.
fn unclaimed_in_region_of(sales_center_id: i32) -> Condition {
    use crate::entities::{application as app, sales_center};
    Condition::all().add(app::Column::PartnerId.is_null()).add(
        app::Column::RegionCode.in_subquery(
            Query::select()
                .column(sales_center::Column::RegionCode)
                .from(sales_center::Entity)
                .and_where(Expr::col(sales_center::Column::Id).eq(sales_center_id))
                .to_owned(),
        ),
    )
}

/// A condition no row satisfies.
fn nothing() -> Condition {
    Condition::all().add(Expr::val(1).eq(0))
}
