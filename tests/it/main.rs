//! The integration suite: one binary, the real app on port 0, a fresh database per test, a real SMTP
//! listener. `TEST_BACKEND=postgres` runs it all on PostgreSQL (see `scripts/test`).
// Tests may unwrap, convert freely, and establish the organisations they scope by.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::as_conversions,
    clippy::disallowed_methods
)]

mod faulty_smtp;
mod helpers;

mod account;
mod activity_log;
mod api;
mod billing;
mod browser;
mod cli;
mod counters;
mod crash;
mod customers;
mod database;
mod demo;
mod deploy;
mod double_submit;
mod enroll;
mod grants;
mod health;
mod i18n;
mod indirect_resellers;
mod instances;
mod invitations;
mod language;
mod lifecycle;
mod mfa;
mod operations;
mod orders;
mod outbox;
mod partnerships;
mod password_reset;
mod profile;
mod route_table;
mod security;
mod sessions;
mod sign_in;
mod subscriptions;
mod team;
mod webhooks;
