//! Reconciliation reminders (manual §12.9: approval within the first three working days
//! of the next month): on the month's first working day each partner with lines in the
//! month just ended is told its reconciliation is ready and by when to approve it; once
//! the due day has passed, each sales center gets one digest of its partners' states with
//! the overdue ones first. Each message goes once: the outbox row names what it is about.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use super::JobReport;
use crate::AppState;
use crate::audit::{Actor, Change, Write};
use crate::entities::{licence, outbox, partner, reconciliation, sales_center, subscriber};
use crate::error::AppError;
use crate::notify::{self, Message};
use crate::reconciliation::builder::{Period, Totals};
use crate::reconciliation::state::ReconciliationState;

pub const NAME: &str = "reconciliation_notices";
const RELATED: &str = "reconciliation_notice";

/// The notices of `month` already queued (their outbox keys), read once per run.
async fn sent(st: &AppState, month: Period) -> Result<HashSet<String>, AppError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::RelatedType.eq(RELATED))
        .filter(outbox::Column::RelatedId.like(format!("%:{month}")))
        .select_only()
        .column(outbox::Column::RelatedId)
        .into_tuple::<Option<String>>()
        .all(&st.db)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

/// How many licences each partner registered in `month` (its lines), one query.
async fn lines_per_partner(st: &AppState, month: Period) -> Result<HashMap<i32, i64>, AppError> {
    let to_subscriber = licence::Entity::belongs_to(subscriber::Entity)
        .from(licence::Column::SubscriberId)
        .to(subscriber::Column::Id)
        .into();
    Ok(licence::Entity::find()
        .select_only()
        .column(subscriber::Column::PartnerId)
        .column_as(licence::Column::Id.count(), "n")
        .join(JoinType::InnerJoin, to_subscriber)
        .filter(licence::Column::RegisteredOn.between(month.first_day(), month.last_day()))
        .group_by(subscriber::Column::PartnerId)
        .into_tuple::<(i32, i64)>()
        .all(&st.db)
        .await?
        .into_iter()
        .collect())
}

/// # Errors
/// Database errors.
pub async fn run(st: AppState, as_of: DateTime<Utc>) -> Result<JobReport, AppError> {
    let today = as_of.with_timezone(&crate::clock::moscow()).date_naive();
    let month = Period::of(today).previous();
    let first_working = crate::calendar::add_working_days(&st.db, month.last_day(), 1).await?;
    if today < first_working {
        return Ok(report(0, 0));
    }
    let due = crate::calendar::add_working_days(&st.db, month.last_day(), 3).await?;
    // A run is cheap once everything is sent: counts and keys only; pricing is done for
    // a sales center whose digest is actually due.
    let sent = sent(&st, month).await?;
    let counts = lines_per_partner(&st, month).await?;
    let partners = partner::Entity::find()
        .order_by_asc(partner::Column::Code)
        .all(&st.db)
        .await?;
    let heads: HashMap<i32, reconciliation::Model> = reconciliation::Entity::find()
        .filter(reconciliation::Column::Period.eq(month.to_string()))
        .all(&st.db)
        .await?
        .into_iter()
        .map(|h| (h.partner_id, h))
        .collect();
    let state_of = |p: &partner::Model| {
        heads
            .get(&p.id)
            .map_or(ReconciliationState::Open, |h| h.state)
    };
    let lines_of = |p: &partner::Model| {
        usize::try_from(counts.get(&p.id).copied().unwrap_or(0)).unwrap_or(usize::MAX)
    };
    let mut w = Write::begin(&st.db, Actor::system(NAME), as_of).await?;
    let (mut ready, mut digests) = (0u64, 0u64);
    for p in &partners {
        let key = format!("ready:{}:{month}", p.id);
        let lines = lines_of(p);
        if lines == 0 || !state_of(p).editable() || sent.contains(&key) {
            continue;
        }
        if let Some(to) = &p.email {
            notify::enqueue(&*w, as_of, ready_message(to, p, month, due, lines, &key)).await?;
            w.record(
                Change::new("reconciliation.notice", "partner", p.id)
                    .after(json!({"period": month.to_string(), "notice": "ready", "to": to})),
            );
            ready += 1;
        }
    }
    if today > due {
        for sc in sales_center::Entity::find().all(&st.db).await? {
            let key = format!("digest:{}:{month}", sc.id);
            let Some(to) = &sc.email else { continue };
            let mine: Vec<partner::Model> = partners
                .iter()
                .filter(|p| p.sales_center_id == sc.id && lines_of(p) > 0)
                .cloned()
                .collect();
            let overdue = mine.iter().filter(|p| state_of(p).editable()).count();
            if overdue == 0 || sent.contains(&key) {
                continue;
            }
            let catalog = crate::reconciliation::service::CatalogRows::load(&st.db).await?;
            let built =
                crate::reconciliation::service::lines_for(&st.db, &mine, month, &heads, &catalog)
                    .await?;
            let rows: Vec<(&partner::Model, ReconciliationState, usize, Totals)> = mine
                .iter()
                .map(|p| {
                    let (lines, totals) = built
                        .get(&p.id)
                        .map(|m| (m.lines.len(), m.totals.clone()))
                        .unwrap_or_default();
                    (p, state_of(p), lines, totals)
                })
                .collect();
            notify::enqueue(&*w, as_of, digest_message(to, month, due, &rows, &key)).await?;
            w.record(
                Change::new("reconciliation.notice", "sales_center", sc.id).after(
                    json!({"period": month.to_string(), "notice": "overdue", "overdue": overdue, "to": to}),
                ),
            );
            digests += 1;
        }
    }
    if w.has_changes() {
        w.commit().await?;
    }
    Ok(report(ready, digests))
}

fn report(ready: u64, digests: u64) -> JobReport {
    JobReport {
        job: NAME.to_owned(),
        processed: ready + digests,
        summary: format!(
            "напоминаний партнерам о сверке: {ready}, сводок центрам продаж о просрочке: {digests}"
        ),
    }
}

fn ready_message(
    to: &str,
    p: &partner::Model,
    month: Period,
    due: chrono::NaiveDate,
    lines: usize,
    key: &str,
) -> Message {
    Message {
        to: to.to_owned(),
        subject: format!(
            "Сверка 1С-Отчетность за {} готова к одобрению",
            month.title_ru()
        ),
        body: format!(
            "Здравствуйте!\n\nСверка {} за {}: подключений и продлений — {lines}. \
             Проверьте тарифы и периоды действия лицензий и одобрите сверку до {} \
             (раздел «Финансы»). После одобрения центром продаж лицензии отзывает только центр продаж.\n",
            p.name,
            month.title_ru(),
            due.format("%d.%m.%Y")
        ),
        related: Some((RELATED.to_owned(), key.to_owned())),
    }
}

fn digest_message(
    to: &str,
    month: Period,
    due: chrono::NaiveDate,
    partners: &[(&partner::Model, ReconciliationState, usize, Totals)],
    key: &str,
) -> Message {
    let mut rows: Vec<&(&partner::Model, ReconciliationState, usize, Totals)> =
        partners.iter().collect();
    rows.sort_by_key(|(p, s, _, _)| (!s.editable(), p.code.clone()));
    let list: String = rows
        .iter()
        .map(|(p, s, lines, t)| {
            format!(
                "  • {} ({}) — {}{}; строк {lines}, стоимость {}\n",
                p.name,
                p.code,
                s.title_ru(),
                if s.editable() {
                    ", просрочено"
                } else {
                    ""
                },
                t.cost.ru()
            )
        })
        .collect();
    Message {
        to: to.to_owned(),
        subject: format!("Сверки за {}: есть просроченные", month.title_ru()),
        body: format!(
            "Здравствуйте!\n\nСрок одобрения сверок за {} партнерами истёк {}. Состояние сверок ваших партнеров:\n\n{list}\n\
             Одобренные партнерами сверки ждут вашего одобрения в разделе «Финансы».\n",
            month.title_ru(),
            due.format("%d.%m.%Y")
        ),
        related: Some((RELATED.to_owned(), key.to_owned())),
    }
}
