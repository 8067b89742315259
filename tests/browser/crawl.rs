//! A crawl per role: every page reachable from the navigation answers (200 or a
//! deliberate 404), says everything in Russian (no English words outside an allow-list,
//! no raw codes, no JSON), and fits a 1366 px window (no element wider than it).

use std::collections::{BTreeSet, VecDeque};

use fantoccini::Locator;
use serde_json::{Value, json};

use crate::harness::{Browser, WIDTH, with_browser};
use crate::helpers::*;

/// Latin words a Russian page may show: formats, brands and abbreviations people use.
const ALLOWED: &[&str] = &[
    "PDF",
    "JPEG",
    "JPG",
    "PNG",
    "TIFF",
    "ZIP",
    "CSV",
    "XLSX",
    "GUID",
    "URL",
    "API",
    "JSON",
    "OpenAPI",
    "mail",
    "CryptoPro",
    "CSP",
    "ID",
    "dpi",
    "docx",
    "Excel",
    "myDSS",
    "QR",
    "SMS",
    "HTTPS",
    "ISO",
    "ETag",
    // The cloud signature's crypto provider, as the manual names it (l.2864).
    "GOST",
    "HSM",
    // Logins of the demo users, which pages show as the people's data they are.
    "operator",
    "intake",
];

/// Pages each role reaches by following links, at most this many.
const MAX_PAGES: usize = 90;

/// Links not followed: they sign out, download files, or only repeat a list with other
/// sorting and paging.
fn skip(path: &str) -> bool {
    path.starts_with("/logout")
        || path.starts_with("/static/")
        || path.starts_with("/api/")
        || [".csv", ".xlsx", ".zip", ".docx", "/registration-file"]
            .iter()
            .any(|s| path.split('?').next().unwrap_or("").ends_with(s))
        || path.contains("/documents/")
        || path.contains("after=")
        || path.contains("sort=")
        || path.contains("page=")
        || path.contains("year=")
}

/// What is wrong with the page shown, each problem as one line.
async fn offences(b: &Browser) -> Vec<String> {
    let mut out = Vec::new();
    // The visible text, leaving out what is set as code (paths and field names on the
    // API page): that is meant to be read as written.
    let text = match b
        .c
        .execute(
            "const c = document.body.cloneNode(true); c.querySelectorAll('code').forEach(e => e.remove()); \
             document.body.appendChild(c); c.style.position = 'absolute'; const t = c.innerText; c.remove(); return t;",
            vec![],
        )
        .await
        .unwrap()
    {
        Value::String(s) => s,
        other => other.to_string(),
    };
    // Error pages: a deliberate 404 is fine, anything else is not.
    if let Ok(code) = b.c.find(Locator::Css(".error-code")).await {
        let code = code.text().await.unwrap_or_default();
        if code != "404" {
            out.push(format!("error page {code}"));
        }
    }
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || "()[]«»\"',;!?/=&|—–·№*+<>{}".contains(c))
        .map(|w| w.trim_matches(|c: char| c == '.' || c == ':'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut english = BTreeSet::new();
    let mut codes = BTreeSet::new();
    for w in &words {
        // People's data: e-mail addresses, file and domain names, logins and codes with
        // digits or hyphens.
        if w.contains(['@', '.', '-']) || w.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        // An API token's shown prefix (`rg_` and random hex, now and then without a digit).
        if w.starts_with(registrar::auth::token::PREFIX) {
            continue;
        }
        if w.contains('_') && w.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            codes.insert(w.to_string());
            continue;
        }
        if w.len() >= 3
            && w.chars().all(|c| c.is_ascii_alphabetic())
            && !ALLOWED.iter().any(|a| a.eq_ignore_ascii_case(w))
        {
            english.insert(w.to_string());
        }
    }
    if text.contains("system:") {
        codes.insert("system:…".to_owned());
    }
    if !english.is_empty() {
        out.push(format!("English words: {english:?}"));
    }
    if !codes.is_empty() {
        out.push(format!("raw codes: {codes:?}"));
    }
    if text.contains("{\"") {
        out.push("JSON on the page".to_owned());
    }
    let wide = b
        .c
        .execute(
            r#"
            const limit = window.innerWidth + 1;
            if (document.documentElement.scrollWidth > limit) {
                return 'the page scrolls sideways: ' + document.documentElement.scrollWidth + ' px';
            }
            for (const el of document.querySelectorAll('body *')) {
                const r = el.getBoundingClientRect();
                if (r.width > 0 && r.right > limit) {
                    const id = el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).replace(/ +/g, '.') : '');
                    return 'element ' + id + ' reaches ' + Math.round(r.right) + ' px: «' + (el.innerText || el.value || '').slice(0, 40) + '»';
                }
            }
            return null;
            "#,
            vec![],
        )
        .await
        .unwrap();
    if let Value::String(w) = wide {
        out.push(w);
    }
    out
}

async fn crawl(app: &TestApp, login: &str) {
    let login = login.to_owned();
    with_browser(app, &format!("crawl-{login}"), |b| async move {
        b.sign_in(&login).await;
        b.c.set_window_size(WIDTH, 900).await.unwrap();
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from(["/".to_owned()]);
        let mut report = Vec::new();
        while let Some(path) = queue.pop_front() {
            if seen.len() >= MAX_PAGES || !seen.insert(path.clone()) {
                continue;
            }
            b.goto(&path).await;
            for o in offences(&b).await {
                report.push(format!("{path}: {o}"));
            }
            let links = b
                .c
                .execute(
                    "return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));",
                    vec![],
                )
                .await
                .unwrap();
            if let Value::Array(links) = links {
                for l in links.iter().filter_map(Value::as_str) {
                    if l.starts_with('/') && !l.starts_with("//") && !skip(l) && !seen.contains(l) {
                        queue.push_back(l.to_owned());
                    }
                }
            }
        }
        assert!(seen.len() > 5, "{login}: only {} pages reached", seen.len());
        assert!(
            report.is_empty(),
            "{login}: {} pages crawled, offences:\n{}",
            seen.len(),
            report.join("\n")
        );
        b
    })
    .await;
}

/// Data in every section: applications in several folders, a registered subscriber
/// with licences, a certificate and a company group, a distributed application.
async fn populated() -> TestApp {
    let app = TestApp::spawn().await;
    let s = app.registered_subscriber().await;
    app.act(
        "p-klg-1",
        "/company-groups",
        json!({"head_subscriber_id": s["id"]}),
    )
    .await;
    let accepted = app.submit(&sample_application()).await;
    app.act(
        "p-klg-1",
        &format!("/applications/{accepted}/delegate-identification"),
        json!({"center_id": null}),
    )
    .await;
    let mut unclaimed = sample_application();
    unclaimed["partner_code"] = Value::Null;
    unclaimed["inn"] = json!("4025442625");
    unclaimed["kpp"] = json!("402501001");
    unclaimed["ogrn"] = Value::Null;
    app.submit(&unclaimed).await;
    app.advance(chrono::Duration::days(3));
    app.run_jobs().await;
    app
}

#[tokio::test]
async fn a_partner_sees_only_russian_pages_that_fit() {
    crawl(&populated().await, "p-klg-1").await;
}

#[tokio::test]
async fn a_sales_center_sees_only_russian_pages_that_fit() {
    crawl(&populated().await, "sc-klg").await;
}

#[tokio::test]
async fn an_identification_center_sees_only_russian_pages_that_fit() {
    crawl(&populated().await, "ic-3").await;
}

#[tokio::test]
async fn the_operator_sees_only_russian_pages_that_fit() {
    crawl(&populated().await, "operator").await;
}
