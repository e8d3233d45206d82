//! Webhooks out: each delivery signed per the Standard Webhooks spec (`sign`), sent only to a public
//! address (`target`), by a worker that retries with back-off for three days and switches an
//! endpoint off after that (`worker`). The deliveries are rows queued with the events
//! (`db::models::webhook`).

pub mod sign;
pub mod target;
pub mod worker;

pub use crate::config::WebhookSettings;
