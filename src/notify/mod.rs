//! E-mail through an outbox: messages are written to the `outbox` table in the same
//! transaction as the change that causes them, and a sender delivers them later with
//! lettre, retrying with backoff and never sending one message twice.

pub mod mailer;
pub mod sms;
pub mod templates;

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::entities::outbox;
pub use mailer::Mailer;

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// What it is about, e.g. `("application", "42")`.
    pub related: Option<(String, String)>,
}

/// Queues a message in the caller's transaction.
///
/// # Errors
/// Database errors.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    m: Message,
) -> Result<(), DbErr> {
    row(now, m).insert(db).await?;
    Ok(())
}

/// The row for bulk inserts (jobs that queue thousands of messages).
pub fn row(now: DateTime<Utc>, m: Message) -> outbox::ActiveModel {
    outbox::ActiveModel {
        id: NotSet,
        created_at: Set(now),
        to_address: Set(m.to),
        subject: Set(m.subject),
        body: Set(m.body),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        sent_at: Set(None),
        related_type: Set(m.related.as_ref().map(|r| r.0.clone())),
        related_id: Set(m.related.map(|r| r.1)),
        channel: Set("email".to_owned()),
    }
}

/// Attempts before a message is given up as `failed`.
pub const MAX_ATTEMPTS: i32 = 8;

/// Wait before the next attempt: 1, 2, 4 … minutes, at most two hours.
pub fn backoff(attempts: i32) -> Duration {
    let minutes = 1i64 << attempts.clamp(0, 7);
    Duration::minutes(minutes.min(120))
}

/// A message stuck in `sending` this long (the sender died mid-way) is tried again.
const SENDING_LEASE: i64 = 10;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
}

/// Delivers the messages that are due, at most `limit` of them.
///
/// Each message is first claimed (`pending` → `sending` where it is still `pending`), so
/// two senders never send the same message; only the winner sends it.
///
/// # Errors
/// Database errors (a delivery failure is recorded on the message, not returned).
pub async fn deliver_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<DeliveryReport, DbErr> {
    // Release messages whose sender vanished.
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value("pending"))
        .filter(outbox::Column::Status.eq("sending"))
        .filter(outbox::Column::NextAttemptAt.lte(now - Duration::minutes(SENDING_LEASE)))
        .exec(db)
        .await?;

    let due = outbox::Entity::find()
        .filter(outbox::Column::Status.eq("pending"))
        .filter(outbox::Column::Channel.eq("email"))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut report = DeliveryReport::default();
    for m in due {
        let claimed = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value("sending"))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
            .filter(outbox::Column::Id.eq(m.id))
            .filter(outbox::Column::Status.eq("pending"))
            .exec(db)
            .await?
            .rows_affected
            == 1;
        if !claimed {
            continue;
        }
        let attempts = m.attempts + 1;
        match mailer.send(&m.to_address, &m.subject, &m.body).await {
            Ok(()) => {
                outbox::Entity::update_many()
                    .col_expr(outbox::Column::Status, Expr::value("sent"))
                    .col_expr(outbox::Column::Attempts, Expr::value(attempts))
                    .col_expr(outbox::Column::SentAt, Expr::value(Some(now)))
                    .col_expr(
                        outbox::Column::LastError,
                        Expr::value(Option::<String>::None),
                    )
                    .filter(outbox::Column::Id.eq(m.id))
                    .exec(db)
                    .await?;
                report.sent += 1;
            }
            Err(e) => {
                let give_up = attempts >= MAX_ATTEMPTS;
                tracing::warn!(id = m.id, attempts, error = %e, "e-mail delivery failed");
                outbox::Entity::update_many()
                    .col_expr(
                        outbox::Column::Status,
                        Expr::value(if give_up { "failed" } else { "pending" }),
                    )
                    .col_expr(outbox::Column::Attempts, Expr::value(attempts))
                    .col_expr(
                        outbox::Column::NextAttemptAt,
                        Expr::value(now + backoff(attempts)),
                    )
                    .col_expr(outbox::Column::LastError, Expr::value(Some(e.to_string())))
                    .filter(outbox::Column::Id.eq(m.id))
                    .exec(db)
                    .await?;
                if give_up {
                    report.failed += 1
                } else {
                    report.retried += 1
                }
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_two_hours() {
        assert_eq!(backoff(1), Duration::minutes(2));
        assert_eq!(backoff(3), Duration::minutes(8));
        assert_eq!(backoff(7), Duration::minutes(120));
        assert_eq!(backoff(50), Duration::minutes(120));
    }
}
