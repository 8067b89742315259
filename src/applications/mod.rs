//! Applications (Заявления) from the 1C program: intake, the lifecycle, identification,
//! documents, requisite checks, and the registry (domain.md §2).

pub mod api;
pub mod checks;
pub mod demo;
pub mod demo_history;
pub mod documents;
pub mod files;
pub mod generate;
pub mod geo;
pub mod identification;
pub mod intake;
pub mod processing;
pub mod registry;
pub mod routes;
pub mod service;
pub mod state;
mod views;
