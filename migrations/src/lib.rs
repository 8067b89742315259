//! Database schema, one migration per file, named `mYYYYMMDD_HHMMSS_what.rs`.
//!
//! Every table is created through sea-query builders so the same migration runs on
//! SQLite and PostgreSQL. Money is stored as whole kopecks (`BIGINT`): SQLite has no
//! decimal type and sea-orm would read a SQLite decimal through `f64`; the application
//! converts kopecks to `rust_decimal::Decimal` at the edge (`registrar::money::Money`).

pub use sea_orm_migration::prelude::*;

pub mod chain;

mod m20261123_000001_reference;
mod m20261123_000002_access;
mod m20261123_000003_applications;
mod m20261123_000004_offers;
mod m20261123_000005_subscribers;
mod m20261123_000006_company_groups;
mod m20261123_000007_certificates;
mod m20261123_000008_contacts;
mod m20261123_000009_special_offer_permits;
mod m20261124_100000_hardening;
mod m20261124_110000_audit_chain;
mod m20261201_100000_region_zones;
mod m20261202_100000_reconciliation;
mod m20261202_120000_reconciliation_its_login;
mod m20261202_140000_up_transactions_invoices;
mod m20261202_150000_sales_center_requisites;
mod m20261202_170000_registry_scale;
mod m20261202_180000_registry_search;
mod m20261202_190000_registry_search_own_copy;
mod m20261203_100000_distribution_counts;
mod m20261203_110000_counts_per_statement;
mod m20261203_120000_counts_compacted;
mod m20261204_100000_subscriber_sends;
mod m20261204_110000_calculator;
mod m20261205_100000_np8_licences;
mod m20261205_110000_cloud_signature;
mod m20261205_120000_connect_lk;
mod m20261205_130000_certificate_file;
mod m20261206_100000_registry_changes;
mod m20261207_100000_search_kpp;
mod m20261207_110000_received_index;
mod m20261208_100000_subscriber_counts;
mod m20261209_100000_audit_append;
mod m20261210_100000_notify_changes;
mod m20261211_100000_audit_append_one;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_reference::Migration),
            Box::new(m20261123_000002_access::Migration),
            Box::new(m20261123_000003_applications::Migration),
            Box::new(m20261123_000004_offers::Migration),
            Box::new(m20261123_000005_subscribers::Migration),
            Box::new(m20261123_000006_company_groups::Migration),
            Box::new(m20261123_000007_certificates::Migration),
            Box::new(m20261123_000008_contacts::Migration),
            Box::new(m20261123_000009_special_offer_permits::Migration),
            Box::new(m20261124_100000_hardening::Migration),
            Box::new(m20261124_110000_audit_chain::Migration),
            Box::new(m20261201_100000_region_zones::Migration),
            Box::new(m20261202_100000_reconciliation::Migration),
            Box::new(m20261202_120000_reconciliation_its_login::Migration),
            Box::new(m20261202_140000_up_transactions_invoices::Migration),
            Box::new(m20261202_150000_sales_center_requisites::Migration),
            Box::new(m20261202_170000_registry_scale::Migration),
            Box::new(m20261202_180000_registry_search::Migration),
            Box::new(m20261202_190000_registry_search_own_copy::Migration),
            Box::new(m20261203_100000_distribution_counts::Migration),
            Box::new(m20261203_110000_counts_per_statement::Migration),
            Box::new(m20261203_120000_counts_compacted::Migration),
            Box::new(m20261204_100000_subscriber_sends::Migration),
            Box::new(m20261204_110000_calculator::Migration),
            Box::new(m20261205_100000_np8_licences::Migration),
            Box::new(m20261205_110000_cloud_signature::Migration),
            Box::new(m20261205_120000_connect_lk::Migration),
            Box::new(m20261205_130000_certificate_file::Migration),
            Box::new(m20261206_100000_registry_changes::Migration),
            Box::new(m20261207_100000_search_kpp::Migration),
            Box::new(m20261207_110000_received_index::Migration),
            Box::new(m20261208_100000_subscriber_counts::Migration),
            Box::new(m20261209_100000_audit_append::Migration),
            Box::new(m20261210_100000_notify_changes::Migration),
            Box::new(m20261211_100000_audit_append_one::Migration),
        ]
    }
}
