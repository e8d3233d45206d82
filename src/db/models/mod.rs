//! Row structs and the queries on them, one file per entity. Handlers never build SQL: they call these.

pub mod activity;
pub mod api_token;
pub mod customer;
pub mod draft;
pub mod grant;
pub mod lifecycle;
pub mod mfa;
pub mod offer;
pub mod order;
pub mod outbox;
pub mod partner;
pub mod partnership;
pub mod password_reset;
pub mod platform;
pub mod price;
pub mod profile;
pub mod relationship_check;
pub mod relationship_request;
pub mod session;
pub mod statement;
pub mod stats;
pub mod subscription;
pub mod team;
pub mod throttle;
pub mod user;
pub mod webhook;
