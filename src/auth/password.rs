//! Password hashing with Argon2id (the crate's defaults: 19 MiB, 2 passes). Hashing is
//! CPU-heavy, so callers on the async runtime go through `spawn_blocking`.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// # Errors
/// The hasher failed (it does not for ordinary passwords).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?;
    Ok(hash.to_string())
}

pub fn verify(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// Verifies against a throwaway hash, so an unknown login costs as much time as a wrong
/// password and response times do not reveal which logins exist.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let h = DUMMY.get_or_init(|| hash("registrar-dummy-password").expect("hash a constant"));
    let _ = verify(password, h);
}

/// # Errors
/// The blocking task panicked or hashing failed.
pub async fn hash_async(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_only_the_right_password() {
        let h = hash("секрет-123").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("секрет-123", &h));
        assert!(!verify("секрет-124", &h));
        assert!(!verify("секрет-123", "not a hash"));
    }
}
