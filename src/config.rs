//! Runtime configuration, read once from the environment (and CLI flags in `main.rs`).

use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://registrar.db?mode=rwc` by default; `postgres://…` selects PostgreSQL.
    pub database_url: String,
    pub bind: SocketAddr,
    /// Mark cookies `Secure`; turn on behind HTTPS (`REGISTRAR_SECURE_COOKIES=1`).
    pub secure_cookies: bool,
    /// How long a sign-in lasts.
    pub session_hours: i64,
    /// Run the job scheduler inside `serve` (`REGISTRAR_SCHEDULER=0` turns it off).
    pub scheduler: bool,
    /// Where uploaded documents are kept (`REGISTRAR_DOCUMENTS_DIR`).
    pub documents_dir: std::path::PathBuf,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://registrar.db?mode=rwc";

impl Config {
    pub fn from_env() -> Self {
        let flag = |name: &str, default: bool| match std::env::var(name) {
            Ok(v) => matches!(v.as_str(), "1" | "true" | "yes" | "on"),
            Err(_) => default,
        };
        Config {
            database_url: std::env::var("DATABASE_URL")
                .unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned()),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            secure_cookies: flag("REGISTRAR_SECURE_COOKIES", false),
            session_hours: std::env::var("REGISTRAR_SESSION_HOURS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(12),
            scheduler: flag("REGISTRAR_SCHEDULER", true),
            documents_dir: std::env::var("REGISTRAR_DOCUMENTS_DIR")
                .unwrap_or_else(|_| "data/documents".to_owned())
                .into(),
        }
    }
}
