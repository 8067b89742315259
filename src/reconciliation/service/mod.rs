//! Reconciliations as use cases: the document of a partner's month (live until approved,
//! the stored snapshot after), the period's list for a sales center, the approval chain
//! with a version check, edits of lines while the partner works on it. Scope is checked
//! here, so the pages and the API cannot disagree: a partner reads its own, a sales
//! center its partners', the operator all; anything else is «not found».

mod chain;
mod edits;
mod invoices;
mod lines;
mod up;

pub use chain::{approve_all, fire};
pub use edits::{EDITABLE_TARIFFS, EditPreview, LineEdit, edit_line, preview_edit};
pub use invoices::{InvoiceRow, issue as issue_invoice, list as invoices, printable};
pub use lines::{inputs_for, lines_for};
pub use up::{
    ClientSends, Recorded, RepresentativeRef, UpReport, record, record_all, up_lines_for,
};

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::builder::{Line, Period, Totals};
use super::state::ReconciliationState;
use super::up::UpLine;
use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::entities::{
    partner, promotion, reconciliation, reconciliation_history, special_offer, tariff,
};
use crate::error::{AppError, AppResult};
use crate::tariffs::pricing::Catalog;

#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub event: String,
    pub from: Option<String>,
    pub to: String,
    pub comment: Option<String>,
}

/// The reconciliation document (interfaces.md «Reconciliation»).
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub partner_code: String,
    pub partner_name: String,
    pub period: String,
    pub state: ReconciliationState,
    /// The month has ended: the partner may approve.
    pub closed: bool,
    pub due_on: NaiveDate,
    /// The partner's approval is late (the due day passed, still not approved).
    pub overdue: bool,
    pub version: i32,
    /// The sales center's comment when it returned the reconciliation.
    pub comment: Option<String>,
    pub lines: Vec<Line>,
    /// «Транзакции уполномоченных представителей»: the quarter's, in its last month.
    pub up_transactions: Vec<UpLine>,
    pub totals: Totals,
    /// SHA-256 of the approved snapshot.
    pub snapshot_hash: Option<String>,
    pub history: Vec<HistoryRow>,
    /// Beside the partner's last approved reconciliation before this month.
    pub compared_with: Option<Comparison>,
}

/// This month beside the last approved one: lines and money, by tariff, and what was
/// revoked since that approval (a correction for the sales center to settle).
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub period: String,
    pub lines: usize,
    pub totals: Totals,
    /// `(tariff name, lines now, lines then)`.
    pub by_tariff: Vec<(String, usize, usize)>,
    /// Lines of that approved month whose licence has been revoked since.
    pub revoked_since: Vec<Line>,
}

/// The comparison with the last approved month before `p`, if there is one.
async fn comparison(
    st: &AppState,
    partner: &partner::Model,
    p: Period,
    lines: &[Line],
) -> AppResult<Option<Comparison>> {
    use sea_orm::QuerySelect;
    let Some(last) = reconciliation::Entity::find()
        .filter(reconciliation::Column::PartnerId.eq(partner.id))
        .filter(reconciliation::Column::State.eq(ReconciliationState::Approved.as_str()))
        .filter(reconciliation::Column::Period.lt(p.to_string()))
        .order_by_desc(reconciliation::Column::Period)
        .limit(1)
        .one(&st.db)
        .await?
    else {
        return Ok(None);
    };
    let Some(snapshot) = last.snapshot.as_deref() else {
        return Ok(None);
    };
    let then: Snapshot = serde_json::from_str(snapshot)?;
    let mut by_tariff: Vec<(String, usize, usize)> = Vec::new();
    let mut count = |name: &str, now: bool| {
        let i = match by_tariff.iter().position(|(n, _, _)| n == name) {
            Some(i) => i,
            None => {
                by_tariff.push((name.to_owned(), 0, 0));
                by_tariff.len() - 1
            }
        };
        if now {
            by_tariff[i].1 += 1;
        } else {
            by_tariff[i].2 += 1;
        }
    };
    for l in lines.iter().filter(|l| !l.revoked) {
        count(&l.tariff_name, true);
    }
    for l in then.lines.iter().filter(|l| !l.revoked) {
        count(&l.tariff_name, false);
    }
    let ids: Vec<i64> = then
        .lines
        .iter()
        .filter(|l| !l.revoked)
        .map(|l| l.licence_id)
        .collect();
    let mut revoked: Vec<i64> = Vec::new();
    for chunk in ids.chunks(900) {
        revoked.extend(
            crate::entities::licence::Entity::find()
                .filter(crate::entities::licence::Column::Id.is_in(chunk.to_vec()))
                .filter(
                    crate::entities::licence::Column::State
                        .eq(crate::tariffs::licence::LicenceState::Revoked.as_str()),
                )
                .select_only()
                .column(crate::entities::licence::Column::Id)
                .into_tuple::<i64>()
                .all(&st.db)
                .await?,
        );
    }
    Ok(Some(Comparison {
        period: last.period,
        lines: then.lines.iter().filter(|l| !l.revoked).count(),
        totals: then.totals,
        by_tariff,
        revoked_since: then
            .lines
            .into_iter()
            .filter(|l| revoked.contains(&l.licence_id))
            .collect(),
    }))
}

/// A month's figures; what an approved reconciliation keeps forever.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct Snapshot {
    pub lines: Vec<Line>,
    /// The representatives' tab (a snapshot from before the tab has none).
    #[serde(default)]
    pub up: Vec<UpLine>,
    pub totals: Totals,
}

/// One partner's row of a period (the sales center's list).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub partner_code: String,
    pub partner_name: String,
    pub period: String,
    pub state: ReconciliationState,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub version: i32,
    pub lines: usize,
    pub totals: Totals,
}

/// The partner `code` as the user may see it.
pub(crate) async fn partner_in_scope(
    st: &AppState,
    user: &CurrentUser,
    code: &str,
) -> AppResult<partner::Model> {
    if !matches!(
        user.role,
        Role::Partner | Role::SalesCenter | Role::Operator
    ) {
        return Err(AppError::Forbidden);
    }
    partner::Entity::find()
        .filter(partner::Column::Code.eq(code))
        .filter(user.scope.partners())
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// # Errors
/// `Invalid` naming `period`.
pub fn period(s: &str) -> AppResult<Period> {
    Period::parse(s).map_err(|m| AppError::invalid("period", m))
}

/// The partner's approval is due on the 3rd working day of the next month (manual
/// l.2348, by the production calendar).
pub(crate) async fn due_on<C: ConnectionTrait>(db: &C, p: Period) -> AppResult<NaiveDate> {
    Ok(crate::calendar::add_working_days(db, p.last_day(), 3).await?)
}

pub(crate) fn month_ended(p: Period, today: NaiveDate) -> bool {
    today > p.last_day()
}

pub(crate) async fn header<C: ConnectionTrait>(
    db: &C,
    partner_id: i32,
    p: Period,
) -> AppResult<Option<reconciliation::Model>> {
    Ok(reconciliation::Entity::find()
        .filter(reconciliation::Column::PartnerId.eq(partner_id))
        .filter(reconciliation::Column::Period.eq(p.to_string()))
        .one(db)
        .await?)
}

/// The catalog, read once per document.
pub struct CatalogRows {
    tariffs: Vec<tariff::Model>,
    offers: Vec<special_offer::Model>,
    promotions: Vec<promotion::Model>,
}

impl CatalogRows {
    /// # Errors
    /// Database errors.
    pub async fn load<C: ConnectionTrait>(db: &C) -> AppResult<CatalogRows> {
        Ok(CatalogRows {
            tariffs: tariff::Entity::find().all(db).await?,
            offers: special_offer::Entity::find().all(db).await?,
            promotions: promotion::Entity::find().all(db).await?,
        })
    }

    pub fn catalog(&self) -> Catalog<'_> {
        Catalog {
            tariffs: &self.tariffs,
            special_offers: &self.offers,
            promotions: &self.promotions,
        }
    }
}

pub(crate) async fn history_of<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<Vec<HistoryRow>> {
    Ok(reconciliation_history::Entity::find()
        .filter(reconciliation_history::Column::ReconciliationId.eq(id))
        .order_by_asc(reconciliation_history::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|h| HistoryRow {
            at: h.at,
            actor: h.actor,
            event: h.event,
            from: h.from_state,
            to: h.to_state,
            comment: h.comment,
        })
        .collect())
}

/// The reconciliation of partner `code` for `period`.
///
/// # Errors
/// `NotFound` outside the caller's scope; `Invalid` for a bad period.
pub async fn document(
    st: &AppState,
    user: &CurrentUser,
    code: &str,
    period_text: &str,
) -> AppResult<Document> {
    let p = period(period_text)?;
    let partner = partner_in_scope(st, user, code).await?;
    assemble(st, &partner, p).await
}

pub(crate) async fn assemble(
    st: &AppState,
    partner: &partner::Model,
    p: Period,
) -> AppResult<Document> {
    let head = header(&st.db, partner.id, p).await?;
    let catalog = CatalogRows::load(&st.db).await?;
    let heads: HashMap<i32, reconciliation::Model> =
        head.iter().map(|h| (h.partner_id, h.clone())).collect();
    let Snapshot { lines, up, totals } =
        lines_for(&st.db, std::slice::from_ref(partner), p, &heads, &catalog)
            .await?
            .remove(&partner.id)
            .unwrap_or_default();
    let today = st.clock.today();
    let due = due_on(&st.db, p).await?;
    let state = head.as_ref().map_or(ReconciliationState::Open, |h| h.state);
    let compared_with = comparison(st, partner, p, &lines).await?;
    Ok(Document {
        partner_code: partner.code.clone(),
        partner_name: partner.name.clone(),
        period: p.to_string(),
        state,
        closed: month_ended(p, today),
        due_on: due,
        overdue: state.editable() && today > due,
        version: head.as_ref().map_or(0, |h| h.version),
        comment: head.as_ref().and_then(|h| h.comment.clone()),
        lines,
        up_transactions: up,
        totals,
        snapshot_hash: head.as_ref().and_then(|h| h.snapshot_hash.clone()),
        history: match &head {
            Some(h) => history_of(&st.db, h.id).await?,
            None => Vec::new(),
        },
        compared_with,
    })
}

/// The month «Финансы» opens on: the one just ended while its approval is due and it
/// has lines in the caller's scope (that is the work of the first working days), else
/// the running month's live preview.
///
/// # Errors
/// Database errors.
pub async fn default_period(st: &AppState, user: &CurrentUser) -> AppResult<Period> {
    use sea_orm::sea_query::ExprTrait;
    use sea_orm::{PaginatorTrait, QuerySelect};
    let today = st.clock.today();
    let current = Period::of(today);
    let previous = current.previous();
    if today > due_on(&st.db, previous).await? {
        return Ok(current);
    }
    let partners: Vec<i32> = partner::Entity::find()
        .filter(user.scope.partners())
        .select_only()
        .column(partner::Column::Id)
        .into_tuple()
        .all(&st.db)
        .await?;
    let of_partners = sea_orm::sea_query::Query::select()
        .column(crate::entities::subscriber::Column::Id)
        .from(crate::entities::subscriber::Entity)
        .and_where(
            sea_orm::sea_query::Expr::col(crate::entities::subscriber::Column::PartnerId)
                .is_in(partners),
        )
        .to_owned();
    let lines = crate::entities::licence::Entity::find()
        .filter(crate::entities::licence::Column::SubscriberId.in_subquery(of_partners))
        .filter(
            crate::entities::licence::Column::RegisteredOn
                .between(previous.first_day(), previous.last_day()),
        )
        .count(&st.db)
        .await?;
    Ok(if lines > 0 { previous } else { current })
}

/// Every partner's reconciliation of `period` in the caller's scope, with the totals.
///
/// # Errors
/// `Invalid` for a bad period; `Forbidden` for roles without reconciliations.
pub async fn list(st: &AppState, user: &CurrentUser, period_text: &str) -> AppResult<Vec<Row>> {
    Ok(months(st, user, period_text)
        .await?
        .into_iter()
        .map(|(row, _)| row)
        .collect())
}

/// [`list`] with each partner's figures (the exports of the whole period).
///
/// # Errors
/// As [`list`].
pub async fn months(
    st: &AppState,
    user: &CurrentUser,
    period_text: &str,
) -> AppResult<Vec<(Row, Snapshot)>> {
    let p = period(period_text)?;
    if !matches!(
        user.role,
        Role::Partner | Role::SalesCenter | Role::Operator
    ) {
        return Err(AppError::Forbidden);
    }
    let partners = partner::Entity::find()
        .filter(user.scope.partners())
        .order_by_asc(partner::Column::Code)
        .all(&st.db)
        .await?;
    let heads: HashMap<i32, reconciliation::Model> = reconciliation::Entity::find()
        .filter(reconciliation::Column::Period.eq(p.to_string()))
        .all(&st.db)
        .await?
        .into_iter()
        .map(|h| (h.partner_id, h))
        .collect();
    let catalog = CatalogRows::load(&st.db).await?;
    let due = due_on(&st.db, p).await?;
    let today = st.clock.today();
    let mut built = lines_for(&st.db, &partners, p, &heads, &catalog).await?;
    let mut rows = Vec::with_capacity(partners.len());
    for partner in partners {
        let head = heads.get(&partner.id);
        let month = built.remove(&partner.id).unwrap_or_default();
        let state = head.map_or(ReconciliationState::Open, |h| h.state);
        rows.push((
            Row {
                partner_code: partner.code,
                partner_name: partner.name,
                period: p.to_string(),
                state,
                due_on: due,
                overdue: state.editable() && today > due,
                version: head.map_or(0, |h| h.version),
                lines: month.lines.len(),
                totals: month.totals.clone(),
            },
            month,
        ));
    }
    Ok(rows)
}
