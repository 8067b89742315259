//! A real browser for the tests: headless Chromium driven through chromedriver
//! (WebDriver, via fantoccini over plain HTTP on loopback).
//!
//! One chromedriver serves the whole test binary; it is started on first use from a
//! thread that lives as long as the process, with `PR_SET_PDEATHSIG` so it dies with the
//! tests. Each test opens its own browser session (fresh profile), at most
//! [`MAX_BROWSERS`] at once, and closes it when done — also when the test fails, after a
//! screenshot into `target/browser-screens/`.

use std::future::Future;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};

/// Chromium sessions at once: the machine has 2 cores.
const MAX_BROWSERS: usize = 2;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The width the layout is checked at.
pub const WIDTH: u32 = 1366;

struct Driver {
    url: String,
    _child: Mutex<Child>,
}

fn driver() -> &'static Driver {
    static DRIVER: OnceLock<Driver> = OnceLock::new();
    DRIVER.get_or_init(|| {
        for (path, package) in [(CHROMEDRIVER, "chromium-driver"), (CHROMIUM, "chromium")] {
            assert!(
                std::path::Path::new(path).exists(),
                "{path} is missing: the browser tests need Debian's Chromium and its driver \
                 (apt-get install -y chromium chromium-driver; .ci/run installs them); \
                 package {package}"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Spawned from a thread that never ends: PDEATHSIG fires when the spawning thread
        // exits, and that should be the process, not one test's thread.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut cmd = Command::new(CHROMEDRIVER);
            cmd.arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            #[cfg(target_os = "linux")]
            {
                use std::os::unix::process::CommandExt;
                // SAFETY: prctl is async-signal-safe; it only sets the child's death signal.
                unsafe {
                    cmd.pre_exec(|| {
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                        Ok(())
                    });
                }
            }
            let child = cmd.spawn().expect("start chromedriver");
            tx.send(child).unwrap();
            loop {
                std::thread::park();
            }
        });
        let child = rx.recv().unwrap();
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            url,
            _child: Mutex::new(child),
        }
    })
}

fn gate() -> &'static tokio::sync::Semaphore {
    static GATE: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    GATE.get_or_init(|| tokio::sync::Semaphore::new(MAX_BROWSERS))
}

/// A browser session on a TestApp.
pub struct Browser {
    pub c: Client,
    pub base: String,
    _profile: tempfile::TempDir,
}

/// Runs `test` with a fresh browser on `app`; on failure saves a screenshot named after
/// `name`, closes the browser, and fails.
pub async fn with_browser<F, Fut>(app: &TestApp, name: &str, test: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = Browser>,
{
    let _permit = gate().acquire().await.unwrap();
    let b = Browser::open(app).await;
    let c = b.c.clone();
    let outcome = std::panic::AssertUnwindSafe(test(b)).catch_unwind().await;
    if outcome.is_err() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-screens");
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(png) = c.screenshot().await {
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
    }
    let _ = c.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

impl Browser {
    async fn open(app: &TestApp) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({
            "browserName": "chrome",
            // Confirmation dialogs (data-confirm) are accepted, as a person who meant it.
            "unhandledPromptBehavior": "accept",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    format!("--window-size={WIDTH},900"), "--lang=ru-RU",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }
        });
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let mut last = None;
        for _ in 0..3 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&driver().url)
                .await
            {
                Ok(c) => {
                    return Browser {
                        c,
                        base: app.base.clone(),
                        _profile: profile,
                    };
                }
                Err(e) => {
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
        }
        panic!("cannot start a browser session: {last:?}");
    }

    pub async fn goto(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// The path and query of the page shown.
    pub async fn path(&self) -> String {
        let u = self.c.current_url().await.unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }
    }

    /// Signs in through the login form, as a person does.
    pub async fn sign_in(&self, login: &str) {
        self.goto("/login").await;
        self.fill("login", login).await;
        self.fill("password", PASSWORD).await;
        self.click("Войти").await;
        assert!(
            !self.path().await.starts_with("/login"),
            "{login} could not sign in: {}",
            self.flash().await
        );
    }

    async fn field(&self, name: &str) -> Element {
        self.c
            .find(Locator::Css(&format!(
                "[name=\"{name}\"]:not([type=hidden])"
            )))
            .await
            .unwrap_or_else(|_| panic!("no field {name} on {}", self.base))
    }

    /// Types into the field named `name` (replacing what is there).
    pub async fn fill(&self, name: &str, value: &str) {
        let f = self.field(name).await;
        f.clear().await.unwrap();
        f.send_keys(value).await.unwrap();
    }

    /// Types into the field `name` of the form that posts to `action`.
    pub async fn fill_in(&self, action: &str, name: &str, value: &str) {
        let f = self
            .c
            .find(Locator::Css(&format!(
                "form[action=\"{action}\"] [name=\"{name}\"]"
            )))
            .await
            .unwrap_or_else(|_| panic!("no field {name} in the form {action}"));
        f.clear().await.unwrap();
        f.send_keys(value).await.unwrap();
    }

    /// Chooses the option with `value` in the select `name` (in the form posting to
    /// `action`, when given).
    pub async fn select(&self, action: Option<&str>, name: &str, value: &str) {
        let scope = action.map_or(String::new(), |a| format!("form[action=\"{a}\"] "));
        let opt = self
            .c
            .find(Locator::Css(&format!(
                "{scope}select[name=\"{name}\"] option[value=\"{value}\"]"
            )))
            .await
            .unwrap_or_else(|_| panic!("no option {value} in {name}"));
        opt.click().await.unwrap();
    }

    /// Attaches a file to the file input of the form posting to `action`.
    pub async fn attach(&self, action: &str, path: &std::path::Path) {
        let f = self
            .c
            .find(Locator::Css(&format!(
                "form[action=\"{action}\"] input[type=file]"
            )))
            .await
            .unwrap_or_else(|_| panic!("no file input in {action}"));
        f.send_keys(&path.display().to_string()).await.unwrap();
    }

    /// Clicks the button (or link) whose text is `text` and waits for the next page.
    pub async fn click(&self, text: &str) {
        let el = self.button(None, text).await;
        self.click_and_wait(el).await;
    }

    /// Clicks the button `text` of the form that posts to `action`.
    pub async fn click_in(&self, action: &str, text: &str) {
        let el = self.button(Some(action), text).await;
        self.click_and_wait(el).await;
    }

    async fn button(&self, action: Option<&str>, text: &str) -> Element {
        let scope = action.map_or(String::new(), |a| format!("//form[@action='{a}']"));
        let xpath = format!(
            "{scope}//*[(self::button or self::a or self::summary) and normalize-space()='{text}']"
        );
        self.c
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|_| panic!("no button «{text}» on {}", self.base))
    }

    async fn click_and_wait(&self, el: Element) {
        // Mark the page, click, and wait until a new, fully loaded page replaced it.
        self.c
            .execute("window.__before_click = true;", vec![])
            .await
            .unwrap();
        el.click().await.unwrap();
        for _ in 0..400 {
            if let Ok(Value::Bool(true)) = self
                .c
                .execute(
                    "return window.__before_click !== true && document.readyState === 'complete';",
                    vec![],
                )
                .await
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the click led to no new page");
    }

    /// Clicks the button `text` of the form posting to `action`, expecting the browser
    /// itself to refuse the form (a required field left empty): no request is sent.
    pub async fn click_refused_by_browser(&self, action: &str, text: &str) {
        let el = self.button(Some(action), text).await;
        let before = self.path().await;
        el.click().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(self.path().await, before, "the browser kept the form");
        let invalid = self
            .c
            .execute(
                &format!(
                    "return document.querySelector('form[action=\"{action}\"]').checkValidity();"
                ),
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            invalid,
            Value::Bool(false),
            "the form is invalid for the browser"
        );
    }

    /// Opens a collapsed part of the page (the «Отклонить» drop-down) without navigating.
    pub async fn open_details(&self, summary: &str) {
        let el = self.button(None, summary).await;
        el.click().await.unwrap();
    }

    /// Chooses the radio button `name` = `value` of the form posting to `action`.
    pub async fn choose(&self, action: &str, name: &str, value: &str) {
        self.c
            .find(Locator::Css(&format!(
                "form[action=\"{action}\"] input[type=radio][name=\"{name}\"][value=\"{value}\"]"
            )))
            .await
            .unwrap_or_else(|_| panic!("no choice {name}={value} in the form {action}"))
            .click()
            .await
            .unwrap();
    }

    /// Ticks or unticks the checkbox `name` of the form posting to `action`.
    pub async fn toggle(&self, action: &str, name: &str) {
        self.c
            .find(Locator::Css(&format!(
                "form[action=\"{action}\"] input[type=checkbox][name=\"{name}\"]"
            )))
            .await
            .unwrap_or_else(|_| panic!("no checkbox {name} in the form {action}"))
            .click()
            .await
            .unwrap();
    }

    /// Opens the collapsed part holding the form posting to `action` (one of several
    /// alike drop-downs, as in a list), by clicking its summary.
    pub async fn open_details_of(&self, action: &str) {
        let summary = self
            .c
            .find(Locator::XPath(&format!(
                "//details[.//form[@action='{action}']]/summary"
            )))
            .await
            .unwrap_or_else(|e| panic!("no drop-down with a form to {action}: {e}"));
        summary.click().await.unwrap();
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        match self
            .c
            .execute("return document.body.innerText;", vec![])
            .await
            .unwrap()
        {
            Value::String(s) => s,
            other => other.to_string(),
        }
    }

    /// The message at the top of the page (the flash), or "".
    pub async fn flash(&self) -> String {
        match self.c.find(Locator::Css(".flash")).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The current value of the field `name` (in the form posting to `action`).
    pub async fn value_of(&self, action: &str, name: &str) -> String {
        let f = self
            .c
            .find(Locator::Css(&format!(
                "form[action=\"{action}\"] [name=\"{name}\"]"
            )))
            .await
            .unwrap_or_else(|_| panic!("no field {name} in the form {action}"));
        f.prop("value").await.unwrap().unwrap_or_default()
    }

    /// The value of the checked radio button `name` of the form posting to `action`.
    pub async fn checked(&self, action: &str, name: &str) -> String {
        let f = self
            .c
            .find(Locator::Css(&format!(
                "form[action=\"{action}\"] input[type=radio][name=\"{name}\"]:checked"
            )))
            .await
            .unwrap_or_else(|_| panic!("nothing checked for {name} in the form {action}"));
        f.prop("value").await.unwrap().unwrap_or_default()
    }

    /// Whether the field `name` of the form posting to `action` is marked invalid, with
    /// the refusal's message beside it.
    pub async fn marked_invalid(&self, action: &str, name: &str) -> bool {
        self.c
            .find(Locator::Css(&format!(
                "form[action=\"{action}\"] [name=\"{name}\"][aria-invalid=\"true\"] + .field-error"
            )))
            .await
            .is_ok()
    }

    /// Asserts the page shows `needle`.
    pub async fn sees(&self, needle: &str) {
        let text = self.text().await;
        assert!(
            text.contains(needle),
            "expected «{needle}» on {}:\n{text}",
            self.path().await
        );
    }
}
