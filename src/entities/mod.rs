//! sea-orm entities: one file per table, nothing else.

pub mod api_token;
pub mod application;
pub mod application_document;
pub mod application_history;
pub mod audit_log;
pub mod calendar_day;
pub mod company_group;
pub mod company_group_member;
pub mod idempotency_key;
pub mod identification_center;
pub mod its_subscription;
pub mod licence;
pub mod licence_history;
pub mod locality;
pub mod outbox;
pub mod partner;
pub mod product_account;
pub mod promotion;
pub mod region;
pub mod sales_center;
pub mod session;
pub mod special_offer;
pub mod subscriber;
pub mod tariff;
pub mod user;
