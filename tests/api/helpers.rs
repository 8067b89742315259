//! `TestApp`: the application on a random port over a fresh database, with a clock the
//! test moves.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use registrar::clock::FixedClock;
use registrar::config::Config;
use registrar::notify::mailer::{Mailer, SmtpSettings};
use registrar::seed::{self, DEMO_PASSWORD, Fixture};
use registrar::{AppState, build_app, db};
use reqwest::Method;
use reqwest::redirect::Policy;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;

pub const PASSWORD: &str = DEMO_PASSWORD;

pub struct TestApp {
    pub base: String,
    pub clock: Arc<FixedClock>,
    pub state: AppState,
    pub smtp: SmtpSink,
    _dir: tempfile::TempDir,
    /// Declared last: dropped after the server's state.
    _database: TestDatabase,
}

/// The instant every test starts at: Monday 3 March 2025, 12:00 Moscow time.
pub fn start_instant() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-03-03T09:00:00Z")
        .unwrap()
        .to_utc()
}

/// A fresh, empty database: a temporary SQLite file, or a new PostgreSQL database on the
/// server `TEST_DATABASE_URL` points at — dropped again when this goes out of scope (a
/// full run left ~240 databases behind on a developer's server before).
pub struct TestDatabase {
    url: String,
    /// PostgreSQL: the server's admin URL and the database's name.
    postgres: Option<(String, String)>,
}

impl std::ops::Deref for TestDatabase {
    type Target = str;
    fn deref(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread of
        // its own with a runtime of its own. `WITH (FORCE)` ends the connections the
        // test's server still holds.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let admin: DatabaseConnection = Database::connect(&admin_url).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                admin.close().await
            })
            .map_err(std::io::Error::other)
        })
        .join();
    }
}

pub async fn fresh_database(dir: &tempfile::TempDir) -> TestDatabase {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
    {
        None => TestDatabase {
            url: format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
            postgres: None,
        },
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
            TestDatabase {
                url: format!("{server}/{name}{query}"),
                postgres: Some((admin_url, name)),
            }
        }
    }
}

/// `TEST_LOG=debug cargo test …` (any `RUST_LOG` filter) shows the server's log of the
/// tests, with the spans; quiet otherwise.
fn log_if_asked() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    if let Ok(filter) = std::env::var("TEST_LOG") {
        ONCE.call_once(|| {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        });
    }
}

impl TestApp {
    /// Migrated, seeded with the reference data and the demo users.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// As [`TestApp::spawn`], with the configuration adjusted first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        log_if_asked();
        let dir = tempfile::tempdir().unwrap();
        let database_url = fresh_database(&dir).await;
        let conn = db::open_migrated(&database_url).await.expect("migrate");
        let clock = Arc::new(FixedClock::new(start_instant()));
        let fx = Fixture::combine([
            seed::builtin_reference().unwrap(),
            seed::builtin_demo().unwrap(),
        ]);
        seed::apply(&conn, &fx, Some(DEMO_PASSWORD), start_instant())
            .await
            .expect("seed");
        let mut config = Config::from_env();
        config.database_url = database_url.to_string();
        config.scheduler = false;
        config.documents_dir = dir.path().join("documents");
        adjust(&mut config);
        let smtp = SmtpSink::start().await;
        let mailer = Mailer::smtp(
            "Регистратор <noreply@registrar.test>",
            &SmtpSettings {
                host: "127.0.0.1".into(),
                port: smtp.port,
                username: None,
                password: None,
                security: "none".into(),
            },
        )
        .unwrap();
        let state = AppState::new(conn, clock.clone(), config, mailer);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = build_app(state.clone());
        let header_timeout = std::time::Duration::from_secs(state.config.header_timeout_secs);
        tokio::spawn(async move {
            registrar::server::serve(listener, app, header_timeout, std::future::pending())
                .await
                .unwrap()
        });
        TestApp {
            base,
            clock,
            state,
            smtp,
            _dir: dir,
            _database: database_url,
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

    /// Signs `browser` out («Выйти»): the form on the start page, posted.
    pub async fn sign_out(&self, browser: &reqwest::Client) -> reqwest::Response {
        let csrf = self.csrf_of(browser, "/").await;
        let r = browser
            .post(self.url("/logout"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        r
    }

    /// A fresh API token for `login`, without an expiry: tests move the clock by years.
    pub async fn token(&self, login: &str) -> String {
        registrar::auth::token::create_for(
            &self.state.db,
            registrar::audit::Actor::system("test"),
            login,
            self.clock_now(),
            None,
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

/// A real SMTP server on 127.0.0.1 that keeps what it receives.
pub struct SmtpSink {
    pub port: u16,
    received: Arc<std::sync::Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(std::sync::Mutex::new(Vec::new()));
        let store = received.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let store = store.clone();
                tokio::spawn(async move {
                    let (r, mut w) = socket.into_split();
                    let mut lines = BufReader::new(r).lines();
                    w.write_all(b"220 sink ESMTP\r\n").await.ok();
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(buf) = data.as_mut() {
                            if line == "." {
                                store.lock().unwrap().push(std::mem::take(buf));
                                data = None;
                                w.write_all(b"250 queued\r\n").await.ok();
                            } else {
                                buf.push_str(line.strip_prefix('.').unwrap_or(&line));
                                buf.push_str("\r\n");
                            }
                            continue;
                        }
                        let verb = line
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                data = Some(String::new());
                                b"354 go ahead\r\n"
                            }
                            "QUIT" => {
                                w.write_all(b"221 bye\r\n").await.ok();
                                return;
                            }
                            _ => b"250 ok\r\n",
                        };
                        w.write_all(reply).await.ok();
                    }
                });
            }
        });
        SmtpSink { port, received }
    }

    /// Every message received so far, decoded (headers and body as text).
    pub fn messages(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|raw| decode_message(raw))
            .collect()
    }
}

/// Decodes a MIME message enough to read it: encoded-word subjects and a
/// quoted-printable or base64 body.
fn decode_message(raw: &str) -> String {
    use base64::Engine;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let head = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let head = head.as_str();
    let mut out = String::new();
    for line in head.split("\r\n") {
        out.push_str(&decode_words(line));
        out.push('\n');
    }
    let head_lc = head.to_ascii_lowercase();
    let body = if head_lc.contains("content-transfer-encoding: base64") {
        let clean: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(clean)
                .unwrap_or_default(),
        )
        .unwrap_or_default()
    } else if head_lc.contains("content-transfer-encoding: quoted-printable") {
        let joined = body.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut v = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
            {
                v.push(b);
                i += 3;
                continue;
            }
            v.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&v).into_owned()
    } else {
        body.to_owned()
    };
    out.push('\n');
    out.push_str(&body.replace("\r\n", "\n"));
    out
}

fn decode_words(line: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find("=?") {
        out.push_str(&rest[..start]);
        let tail = &rest[start + 2..];
        let parts: Vec<&str> = tail.splitn(3, '?').collect();
        if parts.len() == 3
            && let Some(end) = parts[2].find("?=")
        {
            let text = &parts[2][..end];
            let decoded = if parts[1].eq_ignore_ascii_case("b") {
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .unwrap_or_default(),
                )
                .unwrap_or_default()
            } else {
                text.replace('_', " ")
            };
            out.push_str(&decoded);
            rest = &parts[2][end + 2..];
            rest = rest.trim_start();
        } else {
            out.push_str("=?");
            rest = tail;
        }
    }
    out.push_str(rest);
    out
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

/// The intake example of interfaces.md.
pub fn sample_application() -> Value {
    serde_json::json!({
        "partner_code": "p-klg-1",
        "request_type": "create",
        "legal_form": "legal_entity",
        "category": "taxpayer",
        "paperless_renewal": false,
        "inn": "4027291410", "kpp": "402701001", "ogrn": "1706690743912",
        "full_name": "Общество с ограниченной ответственностью \"Ромашка\"", "short_name": "ООО \"Ромашка\"",
        "pfr_number": "099-999-999999", "fss_number": null,
        "phone": "+7 4842 000000", "mobile_phone": "+7 900 000 0000", "email": "info@example.ru",
        "legal_address": "248001, Калужская область, г. Калуга, ул. Кирова, д. 1",
        "actual_address": "248001, Калужская область, г. Калуга, ул. Кирова, д. 1",
        "region_code": "40",
        "configuration": "1С:БУХГАЛТЕРИЯ КОРП 3.0", "format_version": "1.8",
        "certificate_requested": true, "cryptopro_licence": false,
        "its_login": "its-active", "its_email": "user123@example.ru",
        "owner": { "full_name": "Иванов Иван Иванович", "snils": "112-233-445 95", "position": "Директор",
                   "certificate_type": "qualified", "cloud_signature": false },
        "directions": [ { "authority": "fns", "code": "4027", "kpp": "402701001" },
                        { "authority": "pfr", "code": "040-001" } ],
        "authorized_representative_inn": null,
        "product_guid": null
    })
}

impl TestApp {
    /// Submits through the intake API; returns the response.
    pub async fn post_application(&self, doc: &Value, key: Option<&str>) -> reqwest::Response {
        let token = self.token("intake").await;
        let mut req = reqwest::Client::new()
            .post(self.url("/api/v1/applications"))
            .bearer_auth(token)
            .json(doc);
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        req.send().await.unwrap()
    }

    /// Submits and returns the new application's id.
    pub async fn submit(&self, doc: &Value) -> i64 {
        let r = self.post_application(doc, None).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    }

    pub async fn api_json(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut req = reqwest::Client::new()
            .request(method, self.url(&format!("/api/v1{path}")))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    /// POST and expect success; returns the body.
    pub async fn act(&self, login: &str, path: &str, body: Value) -> Value {
        self.as_(login).post_ok(path, body).await
    }

    /// The application as `login` sees it through the API.
    pub async fn application(&self, login: &str, id: i64) -> Value {
        let token = self.token(login).await;
        let r = self
            .api_get(Some(&token), &format!("/applications/{id}"))
            .await;
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Runs every job as of the clock's now.
    pub async fn run_jobs(&self) -> Vec<registrar::jobs::JobReport> {
        registrar::jobs::run_all(&self.state, self.clock_now())
            .await
            .unwrap()
    }

    /// The queued e-mails (sent or not), oldest first.
    pub async fn outbox(&self) -> Vec<registrar::entities::outbox::Model> {
        use sea_orm::{EntityTrait, QueryOrder};
        registrar::entities::outbox::Entity::find()
            .order_by_asc(registrar::entities::outbox::Column::Id)
            .all(&self.state.db)
            .await
            .unwrap()
    }

    /// Another user with the demo password, e.g. a second employee of a partner.
    pub async fn create_user(&self, login: &str, role: &str, organisation: Option<&str>) {
        let fx: Fixture = serde_json::from_value(serde_json::json!({
            "users": [{ "login": login, "full_name": format!("Сотрудник {login}"), "role": role, "organisation": organisation }]
        }))
        .unwrap();
        seed::apply(&self.state.db, &fx, Some(DEMO_PASSWORD), self.clock_now())
            .await
            .unwrap();
    }

    /// Attaches a document through the API as `login`.
    pub async fn attach(
        &self,
        login: &str,
        id: i64,
        kind: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let token = self.token(login).await;
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        reqwest::Client::new()
            .put(self.url(&format!("/api/v1/applications/{id}/documents/{kind}")))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Attaches the documents «В обработку» requires of a paid connection.
    pub async fn attach_required(&self, login: &str, id: i64) {
        for kind in [
            "application_form",
            "identity_document",
            "owner_photo",
            "contract",
            "transfer_act",
        ] {
            let r = self
                .attach(login, id, kind, &format!("{kind}.pdf"), pdf(kind))
                .await;
            assert_eq!(r.status(), 200, "{kind}: {}", r.text().await.unwrap());
        }
    }
}

/// A small, real-looking PDF.
pub fn pdf(label: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {label}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n").into_bytes()
}

pub fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

impl TestApp {
    /// Takes a submitted application of p-klg-1 to `registered`: the required documents,
    /// "В обработку" with `process`, the certificate from the pipeline, the receipt from 1C.
    /// The certification authority's job, run a second after now (the built-in authority
    /// processes at the first run after an application was sent).
    pub async fn run_ca_processing(&self) -> registrar::jobs::JobReport {
        registrar::jobs::ca_processing::run(
            self.state.clone(),
            self.clock_now() + Duration::seconds(1),
        )
        .await
        .unwrap()
    }

    pub async fn register_submitted(&self, id: i64, process: Value) {
        self.register_submitted_as("p-klg-1", id, process).await;
    }

    /// [`Self::register_submitted`] for the application of `partner`.
    pub async fn register_submitted_as(&self, partner: &str, id: i64, process: Value) {
        self.attach_required(partner, id).await;
        self.act(partner, &format!("/applications/{id}/process"), process)
            .await;
        self.run_ca_processing().await;
        let a = self
            .act(
                "intake",
                &format!("/applications/{id}/receipt"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(a["state"], "registered");
    }
}

impl TestApp {
    /// The sample application registered for p-klg-1 (basic_1y), as its subscriber card
    /// reads in the API.
    pub async fn registered_subscriber(&self) -> Value {
        let id = self.submit(&sample_application()).await;
        self.register_submitted(id, serde_json::json!({"option": "basic_1y"}))
            .await;
        let token = self.token("p-klg-1").await;
        let list: Value = self
            .api_get(Some(&token), "/subscribers?q=4027291410")
            .await
            .json()
            .await
            .unwrap();
        self.api_get(
            Some(&token),
            &format!("/subscribers/{}", list["items"][0]["id"]),
        )
        .await
        .json()
        .await
        .unwrap()
    }
}

impl TestApp {
    /// Runs raw SQL against the test database (to corrupt or age rows behind the
    /// product's back).
    pub async fn sql(&self, statement: &str) {
        use sea_orm::ConnectionTrait;
        let backend = self.state.db.get_database_backend();
        self.state
            .db
            .execute_raw(sea_orm::Statement::from_string(
                backend,
                statement.to_owned(),
            ))
            .await
            .unwrap();
        self.heard_everything().await;
    }

    /// PostgreSQL: waits until the server has heard of every change committed so far.
    /// What it keeps in memory (`auth::kept`) learns of a change made behind its back
    /// from the database's notification — in a fraction of a millisecond, not at once;
    /// a notification of the test's own, sent now, arrives after all of those.
    pub async fn heard_everything(&self) {
        use sea_orm::ConnectionTrait;
        let kept = &self.state.kept_sessions;
        if !kept.is_listening() {
            return;
        }
        let token = uuid::Uuid::new_v4().simple().to_string();
        self.state
            .db
            .execute_unprepared(&format!(
                "SELECT pg_notify('{}', '{token}')",
                registrar::auth::kept::CHANNEL
            ))
            .await
            .unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while kept.last_heard() != token {
            assert!(
                std::time::Instant::now() < until,
                "the server did not hear its notification"
            );
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }

    /// The number the database answers to `sql` (one row, one integer column).
    pub async fn sql_number(&self, sql: &str) -> i64 {
        use sea_orm::ConnectionTrait;
        let db = &self.state.db;
        db.query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
    }

    /// The page at `path` as browser `b` gets it, as text.
    pub async fn html(&self, b: &reqwest::Client, path: &str) -> String {
        b.get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

/// One login acting through the API with a token of its own:
/// `app.as_("p-klg-1").post_ok("/applications/1/claim", json!({})).await`.
pub struct As<'a> {
    app: &'a TestApp,
    login: String,
}

impl TestApp {
    pub fn as_(&self, login: &str) -> As<'_> {
        As {
            app: self,
            login: login.to_owned(),
        }
    }
}

impl As<'_> {
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let token = self.app.token(&self.login).await;
        self.app.api_json(&token, method, path, body).await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.send(Method::GET, path, None).await
    }

    /// GET and expect 200; the body.
    pub async fn get_ok(&self, path: &str) -> Value {
        ok(&self.login, "GET", path, self.get(path).await).await
    }

    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.send(Method::POST, path, Some(body)).await
    }

    /// POST and expect success; the body.
    pub async fn post_ok(&self, path: &str, body: Value) -> Value {
        ok(&self.login, "POST", path, self.post(path, body).await).await
    }

    /// POST and expect a problem+json refusal with `status`; the problem.
    pub async fn post_problem(&self, path: &str, body: Value, status: u16) -> Value {
        problem(self.post(path, body).await, status).await
    }

    /// GET and expect a problem+json refusal with `status`; the problem.
    pub async fn get_problem(&self, path: &str, status: u16) -> Value {
        problem(self.get(path).await, status).await
    }

    /// PUT a file as the multipart field `file`.
    pub async fn upload(&self, path: &str, file_name: &str, bytes: Vec<u8>) -> reqwest::Response {
        let token = self.app.token(&self.login).await;
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned());
        reqwest::Client::new()
            .put(self.app.url(&format!("/api/v1{path}")))
            .bearer_auth(token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap()
    }
}

async fn ok(login: &str, method: &str, path: &str, r: reqwest::Response) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(
        status.is_success(),
        "{login} {method} {path}: {status} {text}"
    );
    serde_json::from_str(&text).unwrap()
}
