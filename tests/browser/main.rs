//! The product in a real browser: headless Chromium signs in through the login form as
//! each role, submits every form with valid and invalid input and asserts what a person
//! sees, and crawls each role's pages for English, raw codes and overflowing layout.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian's `chromium` and
//! `chromium-driver`; `.ci/run` installs them).

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod harness;

mod crawl;
mod forms_applications;
mod forms_calculator;
mod forms_cloud_signature;
mod forms_finance;
mod forms_np8;
mod forms_reference;
mod forms_reports;
mod forms_sign_in;
mod forms_subscribers;
mod forms_wizard;
