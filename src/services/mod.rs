//! Use cases: each a plain function over a connection (or the database) and a typed command, owning
//! its transaction, activity-log entries, outbox rows and counters. Routes, the CLI and the demo call
//! these; they call the models below.

pub mod housekeeping;
pub mod remove_partnership;
