//! The approval chain as a use case: the partner's approval, the sales center's approval
//! (which stores the snapshot and settles the licences) or return, and the bulk approval.

use std::collections::HashMap;

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{
    CatalogRows, Document, assemble, header, lines_for, list, month_ended, partner_in_scope, period,
};
use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::entities::{
    licence, partner, reconciliation, reconciliation_edit, reconciliation_history,
};
use crate::error::{AppError, AppResult};
use crate::reconciliation::builder::{Line, Period};
use crate::reconciliation::state::{self, ReconciliationEvent, ReconciliationState};

/// The header row of a month, made (open) when it does not exist yet.
pub(super) async fn header_for_write(
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

pub(super) fn check_version(h: &reconciliation::Model, expected: Option<i32>) -> AppResult<()> {
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

pub(super) async fn record_history(
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
        ReconciliationEvent::ApproveByPartner | ReconciliationEvent::Approve => {
            // The partner approves the figures it sees: they are frozen then, and the
            // sales center approves exactly those (a catalog or card change meanwhile
            // does not slip in under its approval).
            let catalog = CatalogRows::load(&*w).await?;
            let heads = HashMap::from([(partner.id, h.clone())]);
            let month = lines_for(&*w, std::slice::from_ref(&partner), p, &heads, &catalog)
                .await?
                .remove(&partner.id)
                .unwrap_or_default();
            let snapshot = serde_json::to_string(&month)?;
            let lines = month.lines;
            let hash = hex::encode(Sha256::digest(snapshot.as_bytes()));
            extra.push((
                reconciliation::Column::Snapshot,
                Expr::value(Some(snapshot)),
            ));
            extra.push((
                reconciliation::Column::SnapshotHash,
                Expr::value(Some(hash.clone())),
            ));
            if event == ReconciliationEvent::ApproveByPartner {
                extra.push((
                    reconciliation::Column::PartnerApprovedAt,
                    Expr::value(Some(now)),
                ));
            } else {
                extra.push((reconciliation::Column::ApprovedAt, Expr::value(Some(now))));
                extra[0] = (reconciliation::Column::Comment, Expr::value(None::<String>));
                settle(&mut w, &h, &lines).await?;
            }
            w.record(
                Change::new("reconciliation.snapshot", "reconciliation", h.id)
                    .after(json!({"lines": lines.len(), "hash": hash, "event": event})),
            );
        }
        ReconciliationEvent::Return => {
            // Back to the partner: the month is live again until it approves anew.
            extra.push((
                reconciliation::Column::Snapshot,
                Expr::value(None::<String>),
            ));
            extra.push((
                reconciliation::Column::SnapshotHash,
                Expr::value(None::<String>),
            ));
        }
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
    // An adjustment's licence belongs to the approved month it corrects.
    let ids: Vec<i64> = lines
        .iter()
        .filter(|l| l.adjusts.is_none())
        .map(|l| l.licence_id)
        .collect();
    for chunk in ids.chunks(500) {
        licence::Entity::update_many()
            .col_expr(licence::Column::ApprovedInReconciliation, Expr::value(true))
            .filter(licence::Column::Id.is_in(chunk.to_vec()))
            .exec(&**w)
            .await?;
    }
    let edits: HashMap<i64, reconciliation_edit::Model> = reconciliation_edit::Entity::find()
        .filter(reconciliation_edit::Column::ReconciliationId.eq(h.id))
        .all(&**w)
        .await?
        .into_iter()
        .map(|e| (e.licence_id, e))
        .collect();
    for l in lines.iter().filter(|l| l.edited && !l.revoked) {
        let Some(e) = edits.get(&l.licence_id) else {
            continue;
        };
        if e.tariff_code.is_some() || e.special_offer_number.is_some() {
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
        }
        if let (Some(guid), Some(login)) = (&l.guid, &e.its_login) {
            crate::entities::product_account::Entity::update_many()
                .col_expr(
                    crate::entities::product_account::Column::ItsLogin,
                    Expr::value(Some(login.clone())),
                )
                .filter(crate::entities::product_account::Column::Guid.eq(guid.clone()))
                .exec(&**w)
                .await?;
        }
        w.record(
            Change::new("licence.reconciled", "licence", l.licence_id).after(json!({
                "reconciliation": h.id, "tariff": e.tariff_code, "cost": l.cost,
                "special_offer_number": e.special_offer_number, "its_login": e.its_login,
            })),
        );
    }
    Ok(())
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
