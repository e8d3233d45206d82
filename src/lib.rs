//! Partner Dashboard: a server-rendered dashboard for indirect providers in a two-tier cloud reseller
//! program. `startup::Application` is the running app; `cli` the commands of the binary.

pub mod api;
pub mod auth;
pub mod bench_data;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod email;
pub mod error;
pub mod i18n;
pub mod metrics;
pub mod pagination;
pub mod routes;
pub mod services;
pub mod shutdown;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod view;
pub mod webhooks;
