//! sea-orm entities: one file per table, nothing else.

pub mod api_token;
pub mod audit_log;
pub mod calendar_day;
pub mod identification_center;
pub mod its_subscription;
pub mod partner;
pub mod region;
pub mod sales_center;
pub mod session;
pub mod tariff;
pub mod user;
