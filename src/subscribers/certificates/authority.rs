//! The certification authority as a port: what it answers about sent revocation
//! requests. The product carries it on `AppState`, so a real authority's client can
//! replace the built-in one without touching the job or the services.

use crate::entities::revocation_request;

/// The certification authority, as the product talks to it.
pub trait CertificateAuthority: Send + Sync {
    /// Of the sent revocation requests, the ids whose certificates it has revoked.
    fn revoked(&self, requests: &[revocation_request::Model]) -> Vec<i64>;
}

/// The built-in authority: revokes every request sent with its signed scan.
pub struct LocalCa;

impl CertificateAuthority for LocalCa {
    fn revoked(&self, requests: &[revocation_request::Model]) -> Vec<i64> {
        requests
            .iter()
            .filter(|r| r.scan_key.is_some())
            .map(|r| r.id)
            .collect()
    }
}
