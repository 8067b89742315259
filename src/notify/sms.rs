//! SMS as a port. The product queues an SMS in the outbox, in the transaction of the
//! change that causes it, like e-mail; the row's channel is `sms`, so the mail sender
//! leaves it to an SMS gateway. The built-in port is that queue: a gateway's client
//! replaces it on `AppState` without touching the callers.

use chrono::{DateTime, Utc};
use sea_orm::ActiveModelTrait;
use sea_orm::ActiveValue::Set;
use sea_orm::{DatabaseTransaction, DbErr};

/// Sends SMS messages.
#[async_trait::async_trait]
pub trait SmsGateway: Send + Sync {
    /// Queues `text` for `phone` inside the caller's transaction.
    ///
    /// # Errors
    /// Database errors.
    async fn send(
        &self,
        txn: &DatabaseTransaction,
        now: DateTime<Utc>,
        phone: &str,
        text: &str,
        related: (&str, String),
    ) -> Result<(), DbErr>;
}

/// The built-in gateway: the outbox row, channel `sms`.
pub struct OutboxSms;

#[async_trait::async_trait]
impl SmsGateway for OutboxSms {
    async fn send(
        &self,
        txn: &DatabaseTransaction,
        now: DateTime<Utc>,
        phone: &str,
        text: &str,
        related: (&str, String),
    ) -> Result<(), DbErr> {
        let mut row = super::row(
            now,
            super::Message {
                to: phone.to_owned(),
                subject: "СМС".to_owned(),
                body: text.to_owned(),
                related: Some((related.0.to_owned(), related.1)),
            },
        );
        row.channel = Set("sms".to_owned());
        row.insert(txn).await?;
        Ok(())
    }
}
