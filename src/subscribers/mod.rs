//! Subscribers (Абоненты): created when an application is registered, with their product
//! accounts and licences; licence actions (block, resume, revoke) with history.

pub mod api;
pub mod card;
pub mod category;
pub mod certificates;
pub mod cloud_signature;
pub mod groups;
pub mod licences;
pub mod lk;
pub mod pipeline;
pub mod routes;
pub mod sends;
pub mod service;
pub mod standing;
mod views;
