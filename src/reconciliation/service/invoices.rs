//! Invoices as use cases: «Получить счёт» on an approved reconciliation (one invoice per
//! reconciliation, numbered per sales center and year), «Список счетов», and the
//! printable documents of each.

use std::collections::HashMap;

use chrono::Datelike;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::json;

use super::{Snapshot, header, partner_in_scope, period};
use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::entities::{invoice, partner, sales_center};
use crate::error::{AppError, AppResult};
use crate::money::Money;
use crate::reconciliation::builder::Period;
use crate::reconciliation::invoice::{self as rules, Part, Parties, Printable};
use crate::reconciliation::state::ReconciliationState;

/// A row of «Список счетов».
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvoiceRow {
    /// Номер счета (в пределах центра продаж и года)
    pub number: i32,
    /// Дата счета
    pub issued_on: chrono::NaiveDate,
    /// Код партнера
    pub partner_code: String,
    /// Наименование партнера
    pub partner_name: String,
    /// Месяц сверки, ГГГГ-ММ
    pub period: String,
    /// Сумма счета
    #[schema(value_type = String)]
    pub amount: Money,
    /// Часть, облагаемая НДС (услуги УЦ), с НДС
    #[schema(value_type = String)]
    pub vat_base: Money,
    /// Ставка НДС, %
    pub vat_rate: i32,
    /// НДС в сумме счета
    #[schema(value_type = String)]
    pub vat_amount: Money,
    /// Печатные формы: `invoice.pdf`, `act-vat.pdf`, `factura-vat.pdf` (есть часть с НДС), `act.pdf`, `factura.pdf` (есть часть без НДС)
    pub documents: Vec<&'static str>,
}

fn documents_of(inv: &invoice::Model) -> Vec<&'static str> {
    let mut out = vec![Printable::Invoice.file()];
    if inv.vat_base != Money::ZERO {
        out.extend([
            Printable::Act(Part::Vat).file(),
            Printable::Factura(Part::Vat).file(),
        ]);
    }
    if inv.amount - inv.vat_base != Money::ZERO {
        out.extend([
            Printable::Act(Part::Exempt).file(),
            Printable::Factura(Part::Exempt).file(),
        ]);
    }
    out
}

fn row(inv: &invoice::Model, p: &partner::Model, period: String) -> InvoiceRow {
    InvoiceRow {
        number: inv.number,
        issued_on: inv.issued_on,
        partner_code: p.code.clone(),
        partner_name: p.name.clone(),
        period,
        amount: inv.amount,
        vat_base: inv.vat_base,
        vat_rate: inv.vat_rate,
        vat_amount: inv.vat_amount,
        documents: documents_of(inv),
    }
}

/// The approved reconciliation of partner `code` for `period` with its snapshot.
async fn approved(
    st: &AppState,
    user: &CurrentUser,
    code: &str,
    period_text: &str,
) -> AppResult<(
    partner::Model,
    Period,
    crate::entities::reconciliation::Model,
    Snapshot,
)> {
    let p = period(period_text)?;
    let partner = partner_in_scope(st, user, code).await?;
    user.require(&[Role::Partner, Role::SalesCenter])?;
    let h = header(&st.db, partner.id, p).await?;
    let state = h.as_ref().map_or(ReconciliationState::Open, |h| h.state);
    let (Some(h), ReconciliationState::Approved) = (h, state) else {
        return Err(AppError::conflict(
            state.as_str(),
            "invoice",
            format!(
                "Счёт выставляется по сверке, одобренной центром продаж; сверка за {} в состоянии «{}».",
                p.title_ru(),
                state.title_ru()
            ),
        ));
    };
    let snapshot: Snapshot = serde_json::from_str(h.snapshot.as_deref().unwrap_or("{}"))?;
    Ok((partner, p, h, snapshot))
}

/// «Получить счёт»: the invoice of an approved reconciliation — made on the first call,
/// the same one after (a second click does not take a second number).
///
/// # Errors
/// `NotFound` outside the scope; `Conflict` naming the state before the sales center's
/// approval, or when the month comes to nothing to pay.
pub async fn issue(
    st: &AppState,
    user: &CurrentUser,
    code: &str,
    period_text: &str,
) -> AppResult<InvoiceRow> {
    let (partner, p, h, snapshot) = approved(st, user, code, period_text).await?;
    let inv = issued(st, user, (&partner, p, &h, &snapshot)).await?;
    Ok(row(&inv, &partner, p.to_string()))
}

/// The invoice of the approved reconciliation `h`, made when there is none yet.
async fn issued(
    st: &AppState,
    user: &CurrentUser,
    (partner, p, h, snapshot): (
        &partner::Model,
        Period,
        &crate::entities::reconciliation::Model,
        &Snapshot,
    ),
) -> AppResult<invoice::Model> {
    for _ in 0..3 {
        if let Some(inv) = invoice::Entity::find()
            .filter(invoice::Column::ReconciliationId.eq(h.id))
            .one(&st.db)
            .await?
        {
            return Ok(inv);
        }
        if snapshot.totals.cost <= Money::ZERO {
            return Err(AppError::conflict(
                h.state.as_str(),
                "invoice",
                format!(
                    "Счёт не выставляется: итог сверки за {} — {}.",
                    p.title_ru(),
                    snapshot.totals.cost.ru()
                ),
            ));
        }
        let rows = rules::rows(snapshot);
        let today = st.clock.today();
        let rate = rules::vat_rate(today);
        let vat_base = rules::part_sum(&rows, Part::Vat);
        let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
        let last: Option<i32> = invoice::Entity::find()
            .select_only()
            .column_as(invoice::Column::Number.max(), "last")
            .filter(invoice::Column::SalesCenterId.eq(partner.sales_center_id))
            .filter(invoice::Column::Year.eq(today.year()))
            .into_tuple::<Option<i32>>()
            .one(&*w)
            .await?
            .flatten();
        let number = last.unwrap_or(0) + 1;
        let inserted = invoice::Entity::insert(invoice::ActiveModel {
            id: NotSet,
            sales_center_id: Set(partner.sales_center_id),
            partner_id: Set(partner.id),
            reconciliation_id: Set(h.id),
            year: Set(today.year()),
            number: Set(number),
            issued_on: Set(today),
            amount: Set(snapshot.totals.cost),
            vat_base: Set(vat_base),
            vat_rate: Set(rate),
            vat_amount: Set(rules::vat_included(vat_base, rate)),
            snapshot_hash: Set(h.snapshot_hash.clone().unwrap_or_default()),
            issued_by: Set(user.login.clone()),
            created_at: Set(w.at()),
        })
        .exec(&*w)
        .await;
        match inserted {
            Ok(done) => {
                w.record(
                    Change::new("invoice.issued", "invoice", done.last_insert_id).after(json!({
                        "number": number, "year": today.year(), "partner": partner.code,
                        "period": p.to_string(), "amount": snapshot.totals.cost,
                    })),
                );
                w.commit().await?;
            }
            // Another request took the number (or issued this invoice) meanwhile: look
            // again.
            Err(e)
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "invoice number contention for {} {p}",
        partner.code
    )))
}

/// «Список счетов»: the invoices in the caller's scope, newest first — of one partner,
/// or of one month.
///
/// # Errors
/// `Forbidden` for roles without reconciliations.
pub async fn list(
    st: &AppState,
    user: &CurrentUser,
    partner_code: Option<&str>,
    period_text: Option<&str>,
) -> AppResult<Vec<InvoiceRow>> {
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    let mut partners = partner::Entity::find().filter(user.scope.partners());
    if let Some(code) = partner_code {
        partners = partners.filter(partner::Column::Code.eq(code));
    }
    let partners: HashMap<i32, partner::Model> = partners
        .all(&st.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut q = invoice::Entity::find()
        .filter(invoice::Column::PartnerId.is_in(partners.keys().copied()))
        .order_by_desc(invoice::Column::IssuedOn)
        .order_by_desc(invoice::Column::Number);
    let heads = crate::entities::reconciliation::Entity::find()
        .filter(crate::entities::reconciliation::Column::PartnerId.is_in(partners.keys().copied()));
    let heads = match period_text {
        Some(text) => heads
            .filter(crate::entities::reconciliation::Column::Period.eq(period(text)?.to_string())),
        None => heads,
    };
    let periods: HashMap<i64, String> = heads
        .select_only()
        .column(crate::entities::reconciliation::Column::Id)
        .column(crate::entities::reconciliation::Column::Period)
        .into_tuple::<(i64, String)>()
        .all(&st.db)
        .await?
        .into_iter()
        .collect();
    if period_text.is_some() {
        q = q.filter(invoice::Column::ReconciliationId.is_in(periods.keys().copied()));
    }
    Ok(q.all(&st.db)
        .await?
        .iter()
        .filter_map(|inv| {
            let p = partners.get(&inv.partner_id)?;
            Some(row(inv, p, periods.get(&inv.reconciliation_id)?.clone()))
        })
        .collect())
}

/// The printable `file` (`invoice.pdf`, `act.pdf`, …) of the reconciliation's invoice:
/// the PDF and its download name. `issue_first` makes the invoice when there is none
/// yet (the API's `…/invoice`); otherwise there must be one.
///
/// # Errors
/// `NotFound` for an unknown file, no invoice, or outside the scope; as [`issue`].
pub async fn printable(
    st: &AppState,
    user: &CurrentUser,
    code: &str,
    period_text: &str,
    file: &str,
    issue_first: bool,
) -> AppResult<(Vec<u8>, String)> {
    let what = Printable::parse(file).ok_or(AppError::NotFound)?;
    let (partner, p, h, snapshot) = approved(st, user, code, period_text).await?;
    let inv = if issue_first {
        issued(st, user, (&partner, p, &h, &snapshot)).await?
    } else {
        invoice::Entity::find()
            .filter(invoice::Column::ReconciliationId.eq(h.id))
            .one(&st.db)
            .await?
            .ok_or(AppError::NotFound)?
    };
    if !documents_of(&inv).contains(&what.file()) {
        return Err(AppError::NotFound);
    }
    let supplier = sales_center::Entity::find_by_id(partner.sales_center_id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = rules::rows(&snapshot);
    let layout = rules::layout(
        what,
        &inv,
        p,
        &Parties {
            supplier: &supplier,
            buyer: &partner,
        },
        &rows,
    );
    let pdf = layout.render().map_err(AppError::Internal)?;
    let stem = file.trim_end_matches(".pdf");
    Ok((
        pdf,
        format!("{stem}-{}-{}-{}.pdf", inv.year, inv.number, partner.code),
    ))
}
