//! registrar — the back office partners and sales centers use to connect organisations
//! to the 1C-Reporting e-filing service.
//!
//! The binary (`main.rs`) is a thin CLI over this library; [`build_app`] assembles the
//! web UI and the JSON API over one [`AppState`].

pub mod api;
pub mod applications;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod calendar;
pub mod clock;
pub mod codes;
pub mod config;
pub mod db;
pub mod entities;
pub mod error;
pub mod export;
pub mod extract;
pub mod jobs;
pub mod labels;
pub mod money;
pub mod next_action;
pub mod notify;
pub mod np8;
pub mod openapi;
pub mod organisation;
pub mod params;
pub mod pdf;
pub mod reconciliation;
pub mod reference;
pub mod refusals;
pub mod reports;
pub mod requisites;
pub mod role;
pub mod seed;
pub mod server;
pub mod storage;
pub mod subscribers;
pub mod tariffs;
pub mod web;

use std::sync::Arc;

use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use axum::{Extension, Router, middleware};
use sea_orm::DatabaseConnection;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Channel;
use crate::clock::Clock;
use crate::config::Config;

/// Everything a request handler or a job needs.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub mailer: notify::Mailer,
    /// Sign-in limits per client address and for unknown names (in memory, per server).
    pub login_throttle: Arc<auth::throttle::LoginThrottle>,
    /// The certification authority (the built-in one unless replaced).
    pub ca: Arc<dyn subscribers::certificates::authority::CertificateAuthority>,
    /// The licence server of 1С:Налогоплательщик 8 (the built-in one unless replaced).
    pub np8: Arc<dyn np8::server::LicenceServer>,
    /// The cloud signature's service (КриптоПро DSS; the built-in one unless replaced).
    pub dss: Arc<dyn subscribers::cloud_signature::dss::SignatureService>,
    /// The SMS gateway (the built-in one queues in the outbox).
    pub sms: Arc<dyn notify::sms::SmsGateway>,
    /// The movable clock of `serve --test-clock` (the same one as `clock` then).
    pub test_clock: Option<Arc<clock::TestClock>>,
    /// Registry pages read recently, each under its scope's stamp.
    pub registry_pages: Arc<applications::registry::Pages>,
    /// Sessions' scopes, for pages that read beside the session ([`auth::CallerWith`]).
    pub known_scopes: Arc<auth::KnownScopes>,
    /// Sessions and their scopes' stamps kept while nothing changes (PostgreSQL).
    pub kept_sessions: Arc<auth::kept::KeptSessions>,
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        config: Config,
        mailer: notify::Mailer,
    ) -> Self {
        let test_clock = config
            .test_clock
            .then(|| Arc::new(clock::TestClock::new(clock.clone())));
        let clock: Arc<dyn Clock> = match &test_clock {
            Some(t) => t.clone(),
            None => clock,
        };
        AppState {
            kept_sessions: Arc::new(auth::kept::KeptSessions::default()),
            test_clock,
            login_throttle: Arc::new(auth::throttle::LoginThrottle::new(config.login_limits)),
            db,
            clock,
            config: Arc::new(config),
            mailer,
            ca: Arc::new(subscribers::certificates::authority::LocalCa),
            np8: Arc::new(np8::server::LocalLicenceServer),
            dss: Arc::new(subscribers::cloud_signature::dss::LocalDss),
            sms: Arc::new(notify::sms::OutboxSms),
            registry_pages: Arc::new(applications::registry::Pages::default()),
            known_scopes: Arc::new(auth::KnownScopes::default()),
        }
    }
}

/// The whole application: web UI at `/`, JSON API at `/api/v1`. On PostgreSQL it
/// listens for the database's changes from here on, to keep sessions in memory
/// ([`auth::kept`]): only a server does (a CLI command's writes would pay for waking a
/// listener that serves nothing).
pub fn build_app(state: AppState) -> Router {
    if state.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        auth::kept::spawn_listener(state.config.database_url.clone(), &state.kept_sessions);
    }
    let web = Router::new()
        .merge(auth::routes::routes())
        .merge(web::home::routes())
        .merge(web::help::routes())
        .merge(web::api_page::routes())
        .merge(reference::routes::web_routes())
        .merge(audit::routes::web_routes())
        .merge(applications::routes::routes())
        .merge(tariffs::routes::web_routes())
        .merge(tariffs::calculator::routes::web_routes())
        .merge(tariffs::permits::web_routes())
        .merge(subscribers::routes::routes())
        .merge(subscribers::groups::web_routes())
        .merge(subscribers::certificates::web_routes())
        .merge(np8::routes::web_routes())
        .merge(subscribers::cloud_signature::routes::web_routes())
        .merge(reconciliation::routes::web_routes())
        .merge(reports::routes::web_routes())
        .fallback(web::not_found)
        // Inner first: a bare error response gets its problem, then becomes a page.
        .layer(middleware::from_fn(error::problems_for_bare_errors))
        .layer(middleware::from_fn(web::html_errors))
        .layer(Extension(Channel::Web));

    // Registering an API route documents it (utoipa): see `openapi`.
    let api = openapi::api()
        .fallback(openapi::no_route)
        .layer(middleware::from_fn(error::problems_for_bare_errors))
        .layer(Extension(Channel::Api));

    web.nest("/api/v1", api)
        .route("/static/app.css", get(web::stylesheet))
        .route("/static/app.js", get(web::script))
        .route("/health", get(|| async { "ok" }))
        .layer(middleware::from_fn_with_state(
            state.kept_sessions.clone(),
            auth::kept::after_writes,
        ))
        // Pages and API answers carry personal data: never kept by the browser or a
        // proxy, so Back after logout cannot show them (static files say otherwise).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // Scripts and styles from our own files only (no inline handlers remain), forms
        // post only here, and no page can be framed.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
