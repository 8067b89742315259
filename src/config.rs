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
    /// `serve --test-clock`: the operator may move the clock forward (interfaces.md "Time").
    pub test_clock: bool,
    /// Where uploaded documents are kept (`REGISTRAR_DOCUMENTS_DIR`).
    pub documents_dir: std::path::PathBuf,
    /// The server runs behind a reverse proxy (`REGISTRAR_BEHIND_PROXY=1`): the client's
    /// address comes from the last `X-Forwarded-For` hop and HTTPS from
    /// `X-Forwarded-Proto`. Off by default, since a client could forge both.
    pub behind_proxy: bool,
    /// Seconds a client has to send a request head (and to start the next one on a
    /// kept-alive connection) before it is closed (`REGISTRAR_HEADER_TIMEOUT_SECS`, 20).
    pub header_timeout_secs: u64,
    /// Sign-in allowances per client address (`REGISTRAR_LOGIN_ATTEMPTS_PER_MINUTE`,
    /// `REGISTRAR_LOGIN_FAILURES_PER_MINUTE` set the rate and the burst alike).
    pub login_limits: crate::auth::throttle::Limits,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://registrar.db?mode=rwc";

impl Config {
    pub fn from_env() -> Self {
        let flag = |name: &str, default: bool| match std::env::var(name) {
            Ok(v) => matches!(v.as_str(), "1" | "true" | "yes" | "on"),
            Err(_) => default,
        };
        let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u32>().ok());
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
            test_clock: false,
            documents_dir: std::env::var("REGISTRAR_DOCUMENTS_DIR")
                .unwrap_or_else(|_| "data/documents".to_owned())
                .into(),
            behind_proxy: flag("REGISTRAR_BEHIND_PROXY", false),
            header_timeout_secs: number("REGISTRAR_HEADER_TIMEOUT_SECS")
                .map_or(20, u64::from)
                .max(1),
            login_limits: {
                let mut l = crate::auth::throttle::Limits::default();
                if let Some(n) = number("REGISTRAR_LOGIN_ATTEMPTS_PER_MINUTE") {
                    (l.attempts_burst, l.attempts_per_minute) = (n, n);
                }
                if let Some(n) = number("REGISTRAR_LOGIN_FAILURES_PER_MINUTE") {
                    (l.failures_burst, l.failures_per_minute) = (n, n);
                }
                l
            },
        }
    }
}
