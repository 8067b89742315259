//! Tariffs: the catalog (data the operator maintains), and later pricing and licences.

pub mod catalog;
pub mod licence;
pub mod permits;
pub mod pricing;
pub mod routes;
