//! Tariffs: the catalog the operator maintains, the pricing rules (`pricing`, `bonus`),
//! the licence machine, special-offer permits, and the pricing service with its edges.

pub mod bonus;
pub mod calculator;
pub mod catalog;
pub mod connection;
pub mod licence;
pub mod permits;
pub mod pricing;
pub mod routes;
pub mod service;
