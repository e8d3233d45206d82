//! Use cases: each a plain function over the database (or a connection, inside a caller's
//! transaction) and a typed command, returning its outcome or an error enum of its own. A use case
//! owns its transaction, its activity-log entries, its outbox rows and the counters it moves. Routes,
//! the CLI and the demo call these; these call the models.

pub mod account;
pub mod counters;
pub mod customer_relationship;
pub mod customer_sign_up;
pub mod email_outbox;
pub mod enrollment;
pub mod housekeeping;
pub mod invitation_answer;
pub mod link_request;
pub mod new_customer;
pub mod new_subscription;
pub mod offer_catalog;
pub mod organisations;
pub mod partnership_answer;
pub mod profile_change;
pub mod remove_partnership;
pub mod subscription_change;
