//! `TestApp`: the application on a random port over a fresh database, with a clock the
//! test moves.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use registrar::clock::FixedClock;
use registrar::config::Config;
use registrar::seed::{self, DEMO_PASSWORD, Fixture};
use registrar::{AppState, build_app, db};
use reqwest::redirect::Policy;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;

pub const PASSWORD: &str = DEMO_PASSWORD;

pub struct TestApp {
    pub base: String,
    pub clock: Arc<FixedClock>,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

/// The instant every test starts at: Monday 3 March 2025, 12:00 Moscow time.
pub fn start_instant() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-03-03T09:00:00Z")
        .unwrap()
        .to_utc()
}

/// A fresh, empty database: a temporary SQLite file, or a new PostgreSQL database on the
/// server `TEST_DATABASE_URL` points at.
pub async fn fresh_database(dir: &tempfile::TempDir) -> String {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
    {
        None => format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
        Some(admin_url) => {
            let name = format!("registrar_test_{}", uuid::Uuid::new_v4().simple());
            let admin: DatabaseConnection = Database::connect(&admin_url)
                .await
                .expect("connect to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let (base, query) = match admin_url.split_once('?') {
                Some((b, q)) => (b.to_owned(), format!("?{q}")),
                None => (admin_url.clone(), String::new()),
            };
            let (server, _) = base.rsplit_once('/').expect("database URL has a path");
            format!("{server}/{name}{query}")
        }
    }
}

impl TestApp {
    /// Migrated, seeded with the reference data and the demo users.
    pub async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let database_url = fresh_database(&dir).await;
        let conn = db::connect(&database_url).await.expect("connect");
        db::migrate(&conn).await.expect("migrate");
        let clock = Arc::new(FixedClock::new(start_instant()));
        let fx = Fixture::combine([
            seed::builtin_reference().unwrap(),
            seed::builtin_demo().unwrap(),
        ]);
        seed::apply(&conn, &fx, Some(DEMO_PASSWORD), start_instant())
            .await
            .expect("seed");
        let mut config = Config::from_env();
        config.database_url = database_url.clone();
        config.scheduler = false;
        let state = AppState {
            db: conn,
            clock: clock.clone(),
            config: Arc::new(config),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = build_app(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TestApp {
            base,
            clock,
            state,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser: keeps cookies, does not follow redirects (tests look at them).
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap()
    }

    /// The CSRF value of the first form on a page.
    pub async fn csrf_of(&self, browser: &reqwest::Client, path: &str) -> String {
        let html = browser
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        csrf_in(&html).unwrap_or_else(|| panic!("no csrf field on {path}"))
    }

    /// Submits the login form as a person would; returns the response to the POST.
    pub async fn try_login(
        &self,
        browser: &reqwest::Client,
        login: &str,
        password: &str,
    ) -> reqwest::Response {
        let csrf = self.csrf_of(browser, "/login").await;
        browser
            .post(self.url("/login"))
            .form(&[
                ("login", login),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap()
    }

    /// A browser signed in as `login` with the demo password.
    pub async fn signed_in(&self, login: &str) -> reqwest::Client {
        let b = self.browser();
        let r = self.try_login(&b, login, PASSWORD).await;
        assert_eq!(r.status(), 303, "sign-in of {login} should redirect");
        b
    }

    /// A fresh API token for `login`.
    pub async fn token(&self, login: &str) -> String {
        registrar::auth::token::create(
            &self.state.db,
            registrar::audit::Actor::system("test"),
            login,
            self.clock_now(),
        )
        .await
        .unwrap()
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        use registrar::clock::Clock;
        self.clock.now()
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    pub async fn api_get(&self, token: Option<&str>, path: &str) -> reqwest::Response {
        let mut req = reqwest::Client::new().get(self.url(&format!("/api/v1{path}")));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn api_post(&self, token: Option<&str>, path: &str) -> reqwest::Response {
        let mut req = reqwest::Client::new().post(self.url(&format!("/api/v1{path}")));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }
}

pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(html[at..].split('"').next()?.to_owned())
}

/// Asserts a problem+json response and returns its body.
pub async fn problem(r: reqwest::Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status, "status");
    let ct = r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(ct, "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"].as_str().unwrap().starts_with("/problems/"));
    assert!(!body["title"].as_str().unwrap().is_empty());
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
