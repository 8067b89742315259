//! Black-box tests: each test spawns the app on a random port over a fresh database
//! (a temporary SQLite file, or a fresh PostgreSQL database when `TEST_DATABASE_URL` is
//! set) with a fixed clock, and drives it over HTTP like a user or an integration would.

mod helpers;

mod access;
mod application_jobs;
mod application_pages;
mod applications;
mod audit_chain;
mod calculator;
mod card_actions;
mod certificates;
mod cli;
mod cloud_signature;
mod company_groups;
mod instances;
mod invoices;
mod lk;
mod next_action;
mod np8;
mod openapi;
mod pricing;
mod processing;
mod reconciliation;
mod reference;
mod registry_counts;
mod registry_pages;
mod reports;
mod secondary;
mod security;
mod sign_in;
mod special_offers;
mod subscriber_card;
mod subscribers;
mod test_clock;
mod up_transactions;
