//! Row structs and the queries on them, one file per entity. Handlers never build SQL: they call these.

pub mod activity;
pub mod offer;
pub mod outbox;
pub mod partner;
pub mod partnership;
pub mod relationship_request;
pub mod session;
pub mod user;
