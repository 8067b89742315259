//! The monthly reconciliation «Сверка» (domain.md §5, manual §12): the partner's month
//! of connections priced line by line, approved by the partner and then its sales
//! center, kept unchangeable once approved.

pub mod api;
pub mod builder;
pub mod import;
pub mod invoice;
pub mod routes;
pub mod service;
pub mod state;
pub mod up;
mod views;
