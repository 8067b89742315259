//! Reconciliations as use cases: the document of a partner's month (live until approved,
//! the stored snapshot after), the period's list for a sales center, the approval chain
//! with a version check, edits of lines while the partner works on it. Scope is checked
//! here, so the pages and the API cannot disagree: a partner reads its own, a sales
//! center its partners', the operator all; anything else is «not found».

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::builder::{self, Edit, Holder, Line, LineInput, Period, Totals};
use super::state::{self, ReconciliationEvent, ReconciliationState};
use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::entities::{
    company_group, company_group_member, licence, partner, product_account, promotion,
    reconciliation, reconciliation_edit, reconciliation_history, special_offer,
    special_offer_permit, subscriber, tariff,
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
    pub up_transactions: Vec<serde_json::Value>,
    pub totals: Totals,
    /// SHA-256 of the approved snapshot.
    pub snapshot_hash: Option<String>,
    pub history: Vec<HistoryRow>,
}

/// What an approved reconciliation keeps forever.
#[derive(Debug, Serialize, serde::Deserialize)]
struct Snapshot {
    lines: Vec<Line>,
    totals: Totals,
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
async fn partner_in_scope(
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
async fn due_on<C: ConnectionTrait>(db: &C, p: Period) -> AppResult<NaiveDate> {
    Ok(crate::calendar::add_working_days(db, p.last_day(), 3).await?)
}

fn month_ended(p: Period, today: NaiveDate) -> bool {
    today > p.last_day()
}

async fn header<C: ConnectionTrait>(
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

/// The licences a partner registered in the month, with what their lines need.
///
/// # Errors
/// Database errors.
pub async fn inputs<C: ConnectionTrait>(
    db: &C,
    partner: &partner::Model,
    p: Period,
    edits: &[reconciliation_edit::Model],
) -> AppResult<Vec<LineInput>> {
    let of_partner = Query::select()
        .column(subscriber::Column::Id)
        .from(subscriber::Entity)
        .and_where(Expr::col(subscriber::Column::PartnerId).eq(partner.id))
        .to_owned();
    let licences = licence::Entity::find()
        .filter(licence::Column::SubscriberId.in_subquery(of_partner))
        .filter(licence::Column::RegisteredOn.between(p.first_day(), p.last_day()))
        .order_by_asc(licence::Column::Id)
        .all(db)
        .await?;
    let subscriber_ids: HashSet<i64> = licences.iter().map(|l| l.subscriber_id).collect();
    let ids: Vec<i64> = subscriber_ids.iter().copied().collect();
    let mut subscribers: HashMap<i64, subscriber::Model> = HashMap::new();
    let mut products: HashMap<i64, product_account::Model> = HashMap::new();
    for chunk in ids.chunks(500) {
        for s in subscriber::Entity::find()
            .filter(subscriber::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            subscribers.insert(s.id, s);
        }
        for pa in product_account::Entity::find()
            .filter(product_account::Column::SubscriberId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            products.insert(pa.id, pa);
        }
    }
    let groups = group_tiers(db, &ids, p.last_day()).await?;
    let numbers: Vec<String> = licences
        .iter()
        .filter_map(|l| l.special_offer_number.clone())
        .chain(edits.iter().filter_map(|e| e.special_offer_number.clone()))
        .collect();
    let permits = permits_named(db, partner.sales_center_id, &numbers).await?;
    let edits: HashMap<i64, &reconciliation_edit::Model> =
        edits.iter().map(|e| (e.licence_id, e)).collect();
    Ok(licences
        .into_iter()
        .map(|l| {
            let s = subscribers.get(&l.subscriber_id);
            let product = l.product_account_id.and_then(|id| products.get(&id));
            let holder = Holder {
                inn: s.map(|s| s.inn.clone()).unwrap_or_default(),
                kpp: s.and_then(|s| s.kpp.clone()),
                name: s.map(|s| s.short_name.clone()).unwrap_or_default(),
                region_code: s.map(|s| s.region_code.clone()).unwrap_or_default(),
                legal_form: s.map(|s| s.legal_form.clone()).unwrap_or_default(),
                guid: product.map(|p| p.guid.clone()),
                its_login: product.and_then(|p| p.its_login.clone()),
            };
            let offer = l
                .special_offer_number
                .as_ref()
                .and_then(|n| permits.get(n).cloned());
            let edit = edits.get(&l.id).map(|e| Edit {
                tariff_code: e.tariff_code.clone(),
                special_offer_number: e.special_offer_number.clone(),
                offer: e
                    .special_offer_number
                    .as_ref()
                    .and_then(|n| permits.get(n).cloned()),
            });
            LineInput {
                group: groups.get(&l.subscriber_id).copied(),
                holder,
                edit,
                offer,
                licence: l,
            }
        })
        .collect())
}

/// The offer and registration day of each permit number, among the sales center's.
async fn permits_named<C: ConnectionTrait>(
    db: &C,
    sales_center_id: i32,
    numbers: &[String],
) -> AppResult<HashMap<String, (String, NaiveDate)>> {
    if numbers.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(special_offer_permit::Entity::find()
        .filter(special_offer_permit::Column::SalesCenterId.eq(sales_center_id))
        .filter(special_offer_permit::Column::Number.is_in(numbers.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| {
            let on = p
                .registered_at
                .with_timezone(&crate::clock::moscow())
                .date_naive();
            (p.number, (p.offer_code, on))
        })
        .collect())
}

/// For each of `subscribers` in a company group: the group and its active members
/// (head included) on `day` (manual l.2130: the tier on the month's last day).
async fn group_tiers<C: ConnectionTrait>(
    db: &C,
    subscribers: &[i64],
    day: NaiveDate,
) -> AppResult<HashMap<i64, (i64, u32)>> {
    let mut group_of: HashMap<i64, i64> = HashMap::new();
    for chunk in subscribers.chunks(500) {
        for m in company_group_member::Entity::find()
            .filter(company_group_member::Column::SubscriberId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            group_of.insert(m.subscriber_id, m.group_id);
        }
        for g in company_group::Entity::find()
            .filter(company_group::Column::HeadSubscriberId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            group_of.insert(g.head_subscriber_id, g.id);
        }
    }
    let group_ids: HashSet<i64> = group_of.values().copied().collect();
    let mut counts = HashMap::new();
    for g in group_ids {
        let Some(group) = company_group::Entity::find_by_id(g).one(db).await? else {
            continue;
        };
        let mut members: Vec<i64> = company_group_member::Entity::find()
            .filter(company_group_member::Column::GroupId.eq(g))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.subscriber_id)
            .collect();
        members.push(group.head_subscriber_id);
        members.sort_unstable();
        members.dedup();
        let licences = licence::Entity::find()
            .filter(licence::Column::SubscriberId.is_in(members.clone()))
            .all(db)
            .await?;
        let active = members
            .iter()
            .filter(|m| {
                let own: Vec<licence::Model> = licences
                    .iter()
                    .filter(|l| l.subscriber_id == **m && l.registered_on.is_some_and(|r| r <= day))
                    .cloned()
                    .collect();
                crate::subscribers::groups::is_active(&crate::subscribers::groups::terms(&own), day)
            })
            .count();
        counts.insert(g, u32::try_from(active).unwrap_or(u32::MAX));
    }
    Ok(group_of
        .into_iter()
        .filter_map(|(s, g)| counts.get(&g).map(|n| (s, (g, *n))))
        .collect())
}

async fn history_of<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<Vec<HistoryRow>> {
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

/// The lines and totals: the snapshot once approved, else built now.
async fn lines_of<C: ConnectionTrait>(
    db: &C,
    partner: &partner::Model,
    p: Period,
    head: Option<&reconciliation::Model>,
    catalog: &CatalogRows,
) -> AppResult<(Vec<Line>, Totals)> {
    if let Some(snapshot) = head.and_then(|h| h.snapshot.as_deref()) {
        let s: Snapshot = serde_json::from_str(snapshot)?;
        return Ok((s.lines, s.totals));
    }
    let edits = match head {
        Some(h) => {
            reconciliation_edit::Entity::find()
                .filter(reconciliation_edit::Column::ReconciliationId.eq(h.id))
                .all(db)
                .await?
        }
        None => Vec::new(),
    };
    let inputs = inputs(db, partner, p, &edits).await?;
    Ok(builder::build(&inputs, &catalog.catalog()))
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

async fn assemble(st: &AppState, partner: &partner::Model, p: Period) -> AppResult<Document> {
    let head = header(&st.db, partner.id, p).await?;
    let catalog = CatalogRows::load(&st.db).await?;
    let (lines, totals) = lines_of(&st.db, partner, p, head.as_ref(), &catalog).await?;
    let today = st.clock.today();
    let due = due_on(&st.db, p).await?;
    let state = head.as_ref().map_or(ReconciliationState::Open, |h| h.state);
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
        up_transactions: Vec::new(),
        totals,
        snapshot_hash: head.as_ref().and_then(|h| h.snapshot_hash.clone()),
        history: match &head {
            Some(h) => history_of(&st.db, h.id).await?,
            None => Vec::new(),
        },
    })
}

/// Every partner's reconciliation of `period` in the caller's scope, with the totals.
///
/// # Errors
/// `Invalid` for a bad period; `Forbidden` for roles without reconciliations.
pub async fn list(st: &AppState, user: &CurrentUser, period_text: &str) -> AppResult<Vec<Row>> {
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
    let mut rows = Vec::with_capacity(partners.len());
    for partner in partners {
        let head = heads.get(&partner.id);
        let (lines, totals) = lines_of(&st.db, &partner, p, head, &catalog).await?;
        let state = head.map_or(ReconciliationState::Open, |h| h.state);
        rows.push(Row {
            partner_code: partner.code,
            partner_name: partner.name,
            period: p.to_string(),
            state,
            due_on: due,
            overdue: state.editable() && today > due,
            version: head.map_or(0, |h| h.version),
            lines: lines.len(),
            totals,
        });
    }
    Ok(rows)
}

/// The header row of a month, made (open) when it does not exist yet.
async fn header_for_write(
    w: &Write,
    partner: &partner::Model,
    p: Period,
) -> AppResult<reconciliation::Model> {
    if let Some(h) = header(&**w, partner.id, p).await? {
        return Ok(h);
    }
    let row = reconciliation::ActiveModel {
        id: NotSet,
        partner_id: Set(partner.id),
        period: Set(p.to_string()),
        state: Set(ReconciliationState::Open),
        version: Set(0),
        comment: Set(None),
        snapshot: Set(None),
        snapshot_hash: Set(None),
        partner_approved_at: Set(None),
        approved_at: Set(None),
        created_at: Set(w.at()),
    };
    // A concurrent request may make it first: then its row is the one.
    reconciliation::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                reconciliation::Column::PartnerId,
                reconciliation::Column::Period,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&**w)
        .await?;
    header(&**w, partner.id, p)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("reconciliation header lost")))
}

fn check_version(h: &reconciliation::Model, expected: Option<i32>) -> AppResult<()> {
    match expected {
        Some(v) if v != h.version => Err(AppError::Stale {
            current_state: Some(h.state.as_str().to_owned()),
        }),
        _ => Ok(()),
    }
}

/// Moves the header with a version check; `false` when someone else moved it first.
async fn save_state(
    w: &Write,
    h: &reconciliation::Model,
    to: ReconciliationState,
    extra: Vec<(reconciliation::Column, sea_orm::sea_query::SimpleExpr)>,
) -> AppResult<bool> {
    let mut update = reconciliation::Entity::update_many()
        .col_expr(reconciliation::Column::State, Expr::value(to.as_str()));
    for (col, value) in extra {
        update = update.col_expr(col, value);
    }
    Ok(crate::db::update_versioned(
        &**w,
        update,
        (reconciliation::Column::Id, h.id),
        (reconciliation::Column::Version, h.version),
    )
    .await?)
}

async fn record_history(
    w: &Write,
    h: &reconciliation::Model,
    event: &str,
    to: ReconciliationState,
    comment: Option<String>,
) -> AppResult<()> {
    reconciliation_history::ActiveModel {
        id: NotSet,
        reconciliation_id: Set(h.id),
        at: Set(w.at()),
        actor: Set(w.actor().login.clone()),
        event: Set(event.to_owned()),
        from_state: Set(Some(h.state.as_str().to_owned())),
        to_state: Set(to.as_str().to_owned()),
        comment: Set(comment),
    }
    .insert(&**w)
    .await?;
    Ok(())
}

/// Fires `event` on the reconciliation of partner `code` for `period`: the partner's
/// approval, the sales center's approval (which stores the snapshot, marks the licences
/// approved and carries the edits to them) or its return with a comment.
///
/// # Errors
/// `NotFound` outside the scope; `Forbidden` for the wrong role; `Conflict` naming the
/// state; `Refused` before the month ended; `Stale` on an old version or a lost race;
/// `Invalid` for a return without a comment.
pub async fn fire(
    st: &AppState,
    user: &CurrentUser,
    code: &str,
    period_text: &str,
    event: ReconciliationEvent,
    comment: Option<&str>,
    expected_version: Option<i32>,
) -> AppResult<Document> {
    let p = period(period_text)?;
    let partner = partner_in_scope(st, user, code).await?;
    if user.role != event.fired_by() {
        return Err(AppError::Forbidden);
    }
    let comment = match (event, comment.map(str::trim).filter(|c| !c.is_empty())) {
        (ReconciliationEvent::Return, None) => {
            return Err(AppError::invalid("comment", "укажите, что исправить"));
        }
        (ReconciliationEvent::Return, Some(c)) if c.chars().count() > 2000 => {
            return Err(AppError::invalid("comment", "не длиннее 2000 знаков"));
        }
        (_, c) => c.map(str::to_owned),
    };
    let now = st.clock.now();
    let mut w = Write::begin(&st.db, user.actor(), now).await?;
    let h = header_for_write(&w, &partner, p).await?;
    check_version(&h, expected_version)?;
    let to = state::apply(h.state, event, month_ended(p, st.clock.today()))?;
    let mut extra = vec![(
        reconciliation::Column::Comment,
        Expr::value(comment.clone()),
    )];
    match event {
        ReconciliationEvent::ApproveByPartner => {
            extra.push((
                reconciliation::Column::PartnerApprovedAt,
                Expr::value(Some(now)),
            ));
        }
        ReconciliationEvent::Approve => {
            let catalog = CatalogRows::load(&*w).await?;
            let (lines, totals) = lines_of(&*w, &partner, p, Some(&h), &catalog).await?;
            let snapshot = serde_json::to_string(&Snapshot {
                lines: lines.clone(),
                totals,
            })?;
            let hash = hex::encode(Sha256::digest(snapshot.as_bytes()));
            extra.push((
                reconciliation::Column::Snapshot,
                Expr::value(Some(snapshot)),
            ));
            extra.push((
                reconciliation::Column::SnapshotHash,
                Expr::value(Some(hash.clone())),
            ));
            extra.push((reconciliation::Column::ApprovedAt, Expr::value(Some(now))));
            extra[0] = (reconciliation::Column::Comment, Expr::value(None::<String>));
            settle(&mut w, &h, &lines).await?;
            w.record(
                Change::new("reconciliation.snapshot", "reconciliation", h.id)
                    .after(json!({"lines": lines.len(), "hash": hash})),
            );
        }
        ReconciliationEvent::Return => {}
    }
    if !save_state(&w, &h, to, extra).await? {
        return Err(AppError::Stale {
            current_state: Some(h.state.as_str().to_owned()),
        });
    }
    record_history(&w, &h, event.as_str(), to, comment.clone()).await?;
    w.record(
        Change::new(
            &format!("reconciliation.{}", event.as_str()),
            "reconciliation",
            h.id,
        )
        .before(json!({"state": h.state, "version": h.version}))
        .after(json!({"state": to, "partner": partner.code, "period": p.to_string(), "comment": comment})),
    );
    w.commit().await?;
    assemble(st, &partner, p).await
}

/// Both approvals given: each licence of the month is approved (from now on only the
/// sales center may revoke it, manual l.1118), and the tariff or offer chosen in the
/// reconciliation reaches it with the line's price (l.2353).
async fn settle(w: &mut Write, h: &reconciliation::Model, lines: &[Line]) -> AppResult<()> {
    let ids: Vec<i64> = lines.iter().map(|l| l.licence_id).collect();
    for chunk in ids.chunks(500) {
        licence::Entity::update_many()
            .col_expr(licence::Column::ApprovedInReconciliation, Expr::value(true))
            .filter(licence::Column::Id.is_in(chunk.to_vec()))
            .exec(&**w)
            .await?;
    }
    for l in lines.iter().filter(|l| l.edited && !l.revoked) {
        licence::Entity::update_many()
            .col_expr(
                licence::Column::TariffCode,
                Expr::value(l.tariff_code.clone()),
            )
            .col_expr(
                licence::Column::TariffName,
                Expr::value(l.tariff_name.clone()),
            )
            .col_expr(licence::Column::Cost, Expr::value(l.cost))
            .col_expr(
                licence::Column::SalesCenterShare,
                Expr::value(l.sales_center_share),
            )
            .col_expr(
                licence::Column::SpecialOfferNumber,
                Expr::value(l.special_offer_number.clone()),
            )
            .col_expr(
                licence::Column::Version,
                Expr::col(licence::Column::Version).add(1),
            )
            .filter(licence::Column::Id.eq(l.licence_id))
            .exec(&**w)
            .await?;
        w.record(
            Change::new("licence.reconciled", "licence", l.licence_id).after(json!({
                "reconciliation": h.id, "tariff": l.tariff_code, "cost": l.cost,
                "special_offer_number": l.special_offer_number,
            })),
        );
    }
    Ok(())
}

/// A line edit (interfaces.md: `{tariff_code?, special_offer_number?, revoke?}`).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineEdit {
    /// Новый тариф строки: `paid_licence`, `basic_1y`, `its`, `bonus`, `right_choice`…
    #[serde(default)]
    pub tariff_code: Option<String>,
    /// Номер специального разрешения (УСН, Нулевка), зарегистрированный центром продаж
    #[serde(default)]
    pub special_offer_number: Option<String>,
    /// Отозвать лицензию (необратимо)
    #[serde(default)]
    pub revoke: bool,
    /// Причина отзыва
    #[serde(default)]
    pub reason: Option<String>,
}

/// Tariffs a line may be switched to in the reconciliation (manual §12.1–§12.4).
pub const EDITABLE_TARIFFS: [&str; 6] = [
    "paid_licence",
    "basic_1y",
    "its",
    "bonus",
    "right_choice",
    "promo_month",
];

/// Edits line `line` of an open (or returned) reconciliation: a tariff or a permit number
/// re-prices it now and reaches the licence at approval; a revocation is immediate and
/// irreversible, by the card's own rules.
///
/// # Errors
/// `NotFound` outside the scope or for a line not in the month; `Conflict` naming the
/// state once the partner approved; `Invalid` naming the field the rules refuse;
/// `Stale` on an old version.
pub async fn edit_line(
    st: &AppState,
    user: &CurrentUser,
    code: &str,
    period_text: &str,
    line_id: i64,
    e: &LineEdit,
    expected_version: Option<i32>,
) -> AppResult<Document> {
    let p = period(period_text)?;
    let partner = partner_in_scope(st, user, code).await?;
    user.require(&[Role::Partner])?;
    let l = licence::Entity::find_by_id(line_id)
        .one(&st.db)
        .await?
        .filter(|l| {
            l.registered_on
                .is_some_and(|r| p.first_day() <= r && r <= p.last_day())
        })
        .ok_or(AppError::NotFound)?;
    let owner = subscriber::Entity::find_by_id(l.subscriber_id)
        .one(&st.db)
        .await?
        .filter(|s| s.partner_id == partner.id)
        .ok_or(AppError::NotFound)?;
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let h = header_for_write(&w, &partner, p).await?;
    check_version(&h, expected_version)?;
    if !h.state.editable() {
        return Err(AppError::conflict(
            h.state.as_str(),
            "edit_line",
            format!(
                "Строки сверки меняются, пока она у партнера; сверка в состоянии «{}».",
                h.state.title_ru()
            ),
        ));
    }
    if e.revoke {
        drop(w);
        let reason = e
            .reason
            .clone()
            .filter(|r| !r.trim().is_empty())
            .unwrap_or_else(|| format!("Отозвано в сверке за {}", p.title_ru()));
        crate::subscribers::licences::licence_action(
            st,
            user,
            l.id,
            crate::tariffs::licence::LicenceEvent::Revoke,
            None,
            Some(reason),
        )
        .await?;
        let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
        let h = header_for_write(&w, &partner, p).await?;
        bump(
            &mut w,
            &h,
            "revoke_line",
            Some(format!("Лицензия {} отозвана", l.id)),
        )
        .await?;
        w.commit().await?;
        return assemble(st, &partner, p).await;
    }
    if l.kind != "tariff" {
        return Err(AppError::invalid(
            "tariff_code",
            "расширение (КриптоПро) не меняется в сверке",
        ));
    }
    let tariff_code = e
        .tariff_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let number = e
        .special_offer_number
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if tariff_code.is_none() && number.is_none() {
        return Err(AppError::invalid(
            "tariff_code",
            "укажите новый тариф или номер специального разрешения",
        ));
    }
    if let Some(c) = tariff_code
        && !EDITABLE_TARIFFS.contains(&c)
    {
        return Err(AppError::invalid(
            "tariff_code",
            "выберите тариф из списка: Платная лицензия, Основной (1 год), ИТС, Бонус, Верное решение, Промо",
        ));
    }
    check_edit(st, &partner, &owner, &l, tariff_code, number).await?;
    reconciliation_edit::Entity::delete_many()
        .filter(reconciliation_edit::Column::ReconciliationId.eq(h.id))
        .filter(reconciliation_edit::Column::LicenceId.eq(l.id))
        .exec(&*w)
        .await?;
    reconciliation_edit::ActiveModel {
        id: NotSet,
        reconciliation_id: Set(h.id),
        licence_id: Set(l.id),
        tariff_code: Set(tariff_code.map(str::to_owned)),
        special_offer_number: Set(number.map(str::to_owned)),
        edited_by: Set(user.login.clone()),
        edited_at: Set(w.at()),
    }
    .insert(&*w)
    .await?;
    let what = [
        tariff_code.map(|c| format!("тариф {c}")),
        number.map(|n| format!("спец. разрешение {n}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    bump(
        &mut w,
        &h,
        "edit_line",
        Some(format!("Лицензия {}: {what}", l.id)),
    )
    .await?;
    w.commit().await?;
    assemble(st, &partner, p).await
}

/// An edit moves the reconciliation's version (so a page opened before fails its next
/// write) and is kept in its history and the journal.
async fn bump(
    w: &mut Write,
    h: &reconciliation::Model,
    event: &str,
    comment: Option<String>,
) -> AppResult<()> {
    if !crate::db::update_versioned(
        &**w,
        reconciliation::Entity::update_many(),
        (reconciliation::Column::Id, h.id),
        (reconciliation::Column::Version, h.version),
    )
    .await?
    {
        return Err(AppError::Stale {
            current_state: Some(h.state.as_str().to_owned()),
        });
    }
    record_history(w, h, event, h.state, comment.clone()).await?;
    w.record(
        Change::new(&format!("reconciliation.{event}"), "reconciliation", h.id)
            .after(json!({"comment": comment})),
    );
    Ok(())
}

/// The rules of the tariff chosen in the reconciliation, by the calculator's quote with
/// the facts processing uses: ITS needs a usable PROF subscription, Бонус its limits,
/// Верное решение a primary connection with one ФНС direction, an offer its region and a
/// permit of the sales center.
async fn check_edit(
    st: &AppState,
    partner: &partner::Model,
    owner: &subscriber::Model,
    l: &licence::Model,
    tariff_code: Option<&str>,
    number: Option<&str>,
) -> AppResult<()> {
    use crate::tariffs::pricing::{QuoteRequest, quote};
    let catalog = CatalogRows::load(&st.db).await?;
    let date = l.registered_on.unwrap_or(l.starts_on);
    let mut req = QuoteRequest {
        item: tariff_code.unwrap_or(&l.tariff_code).to_owned(),
        date,
        zone: Some(l.zone),
        primary: l.is_primary,
        organisations: 1,
        apply_promotions: true,
        region_code: Some(owner.region_code.clone()),
        legal_form: Some(owner.legal_form.clone()),
        ..QuoteRequest::default()
    };
    if let Some(n) = number {
        let permit = crate::tariffs::permits::find(&st.db, Some(partner.sales_center_id), n)
            .await?
            .ok_or_else(|| {
                AppError::invalid(
                    "special_offer_number",
                    "номер специального разрешения не зарегистрирован центром продаж",
                )
            })?;
        if !permit.client_inn.is_empty() && permit.client_inn != owner.inn {
            return Err(AppError::invalid(
                "special_offer_number",
                "номер специального разрешения выдан для другого клиента",
            ));
        }
        req.item = permit.offer_code.clone();
        req.primary = true;
        req.special_offer_registered_on = Some(
            permit
                .registered_at
                .with_timezone(&crate::clock::moscow())
                .date_naive(),
        );
        // The offer priced at the line's date, not before its permit was usable.
        let usable = crate::tariffs::permits::usable_from(permit.registered_at)
            .with_timezone(&crate::clock::moscow())
            .date_naive();
        req.date = std::cmp::Ord::max(req.date, usable);
    }
    match req.item.as_str() {
        "its" => {
            let its = its_usable(st, owner, l).await?;
            if !its {
                return Err(AppError::invalid(
                    "tariff_code",
                    "у абонента нет действующей подписки ИТС ПРОФ, зарегистрированной на портале ИТС: тариф ИТС недоступен",
                ));
            }
        }
        "right_choice" => {
            req.primary = true;
            req.previously_connected = !l.is_primary;
            let fns = crate::entities::direction::Entity::find()
                .filter(crate::entities::direction::Column::SubscriberId.eq(owner.id))
                .filter(crate::entities::direction::Column::Authority.eq("fns"))
                .count(&st.db)
                .await?;
            req.fns_directions = Some(u32::try_from(fns).unwrap_or(u32::MAX));
            req.in_group = crate::subscribers::groups::group_of(&st.db, owner.id)
                .await?
                .is_some();
        }
        "bonus" => {
            let of_partner = Query::select()
                .column(subscriber::Column::Id)
                .from(subscriber::Entity)
                .and_where(Expr::col(subscriber::Column::PartnerId).eq(partner.id))
                .to_owned();
            let licences = licence::Entity::find()
                .filter(licence::Column::SubscriberId.in_subquery(of_partner))
                .filter(licence::Column::Id.ne(l.id))
                .filter(
                    licence::Column::State
                        .ne(crate::tariffs::licence::LicenceState::Revoked.as_str()),
                )
                .all(&st.db)
                .await?;
            let facts = crate::tariffs::bonus::facts(&licences, date);
            req.bonus_held = facts.held;
            req.previous_bonus_ended = Some(facts.previous_ended);
            req.current_subscribers = Some(facts.current_subscribers);
        }
        _ => {}
    }
    quote(&req, &catalog.catalog()).map_err(|r| {
        let field = match r.field {
            "special_offer_registered_on" | "region_code" | "date" if number.is_some() => {
                "special_offer_number"
            }
            _ => "tariff_code",
        };
        AppError::invalid(field, r.message)
    })?;
    Ok(())
}

/// A PROF subscription of the line's ITS login (or one activated for the subscriber) is
/// current on the line's date and not used by another subscriber (§12.1).
async fn its_usable(
    st: &AppState,
    owner: &subscriber::Model,
    l: &licence::Model,
) -> AppResult<bool> {
    use crate::entities::its_subscription as its;
    let login = match l.product_account_id {
        Some(id) => product_account::Entity::find_by_id(id)
            .one(&st.db)
            .await?
            .and_then(|p| p.its_login),
        None => None,
    };
    let day = l.registered_on.unwrap_or(l.starts_on);
    let mut cond =
        sea_orm::Condition::any().add(its::Column::ActivatedForInn.eq(owner.inn.clone()));
    if let Some(login) = login {
        cond = cond.add(its::Column::PortalLogin.eq(login));
    }
    Ok(its::Entity::find()
        .filter(cond)
        .filter(its::Column::Level.eq("PROF"))
        .filter(its::Column::StartsOn.lte(day))
        .filter(its::Column::EndsOn.gte(day))
        .all(&st.db)
        .await?
        .iter()
        .any(|s| {
            s.activated_for_inn.is_none()
                || (s.activated_for_inn.as_deref() == Some(owner.inn.as_str())
                    && s.activated_for_kpp == owner.kpp)
        }))
}

/// «Одобрить всё за партнёров»: the sales center approves every reconciliation of the
/// period its partners approved; each in its own transaction, so one that moved
/// meanwhile does not hold up the rest.
///
/// # Errors
/// `Forbidden` for other roles; `Invalid` for a bad period.
pub async fn approve_all(
    st: &AppState,
    user: &CurrentUser,
    period_text: &str,
) -> AppResult<(usize, usize)> {
    user.require(&[Role::SalesCenter])?;
    let rows = list(st, user, period_text).await?;
    let (mut approved, mut skipped) = (0, 0);
    for r in rows
        .iter()
        .filter(|r| r.state == ReconciliationState::ApprovedByPartner)
    {
        match fire(
            st,
            user,
            &r.partner_code,
            period_text,
            ReconciliationEvent::Approve,
            None,
            Some(r.version),
        )
        .await
        {
            Ok(_) => approved += 1,
            Err(AppError::Stale { .. } | AppError::Conflict { .. }) => skipped += 1,
            Err(e) => return Err(e),
        }
    }
    Ok((approved, skipped))
}
