//! The certification authority as a port: what it decides about applications handed to
//! it for processing, and what it answers about sent revocation requests. The product
//! carries it on `AppState`, so a real authority's client can replace the built-in one
//! without touching the jobs or the services.

use chrono::{DateTime, Utc};

use crate::entities::{application, revocation_request};

/// The authority's answer about an application `in_processing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processing {
    /// Processed: the owner's certificate is issued (or, with none requested, the
    /// subscriber is registered).
    Issued,
    /// Not yet: ask again at the next run.
    Waiting,
    /// Refused, with the authority's reason.
    Refused(String),
}

/// The certification authority, as the product talks to it.
pub trait CertificateAuthority: Send + Sync {
    /// What it decides, at `now`, about an application sent to processing at `sent_at`.
    fn process(
        &self,
        app: &application::Model,
        sent_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Processing;

    /// Of the sent revocation requests, the ids whose certificates it has revoked.
    fn revoked(&self, requests: &[revocation_request::Model]) -> Vec<i64>;
}

/// The built-in authority: issues at the first run after the application was sent, and
/// revokes every request sent with its signed scan.
pub struct LocalCa;

impl CertificateAuthority for LocalCa {
    fn process(
        &self,
        _app: &application::Model,
        sent_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Processing {
        if now > sent_at {
            Processing::Issued
        } else {
            Processing::Waiting
        }
    }

    fn revoked(&self, requests: &[revocation_request::Model]) -> Vec<i64> {
        requests
            .iter()
            .filter(|r| r.scan_key.is_some())
            .map(|r| r.id)
            .collect()
    }
}
