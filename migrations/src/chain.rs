//! The journal's hash chain: each `audit_log` row carries the hash of the row before it
//! and its own, so a changed, removed or inserted row breaks the chain where it is.
//!
//! Kept here, in the migrations crate, because the migration that introduces the chain
//! hashes the rows already written; the product (`registrar::audit`) uses the same
//! function for every new row and for verification.

use sha2::{Digest, Sha256};

/// The "previous hash" of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of a journal row that the hash covers.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// The instant in microseconds since the epoch (the precision both databases keep).
    pub at_micros: i64,
    pub actor_user_id: Option<i32>,
    pub actor_login: &'a str,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

/// SHA-256 (hex) of the previous row's hash and this row's fields, encoded as one JSON
/// array: every field is delimited and typed, so text cannot move from one field to
/// another without changing the hash.
pub fn hash(prev: &str, e: &Entry<'_>) -> String {
    let canonical = serde_json::json!([
        prev,
        e.at_micros,
        e.actor_user_id,
        e.actor_login,
        e.action,
        e.object_type,
        e.object_id,
        e.before,
        e.after,
    ])
    .to_string();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(login: &'a str, action: &'a str) -> Entry<'a> {
        Entry {
            at_micros: 1_740_992_400_000_000,
            actor_user_id: Some(7),
            actor_login: login,
            action,
            object_type: "application",
            object_id: "1",
            before: None,
            after: Some(r#"{"state":"accepted"}"#),
        }
    }

    #[test]
    fn every_field_and_the_link_change_the_hash() {
        let base = hash(GENESIS, &entry("p-klg-1", "application.claim"));
        assert_eq!(base.len(), 64);
        assert_eq!(base, hash(GENESIS, &entry("p-klg-1", "application.claim")));
        assert_ne!(base, hash(&base, &entry("p-klg-1", "application.claim")));
        assert_ne!(base, hash(GENESIS, &entry("p-klg-2", "application.claim")));
        // Moving text from one field to the next is a different row.
        assert_ne!(
            hash(GENESIS, &entry("p-klg-1a", "pplication.claim")),
            hash(GENESIS, &entry("p-klg-1", "application.claim"))
        );
        let mut e = entry("p-klg-1", "application.claim");
        e.after = None;
        assert_ne!(base, hash(GENESIS, &e));
    }
}
