//! The jobs due as of the clock's now, in order: renewals and expiries (a renewal charges its new
//! term's first period), recurring charges of the periods that have started, the month's statements
//! on (or after) the first, the renewal reminders, and the delegated-administration grants (lapse,
//! extend, remind, expire). `partner-dashboard jobs run` runs them once and
//! times each phase; `serve` runs them every minute.

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::db::{Db, DbError};
use crate::services::{billing, grants, renewals, statements};

/// What one run did, and how long each phase took.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Report {
    pub renewals: renewals::Report,
    /// Billing periods charged.
    pub charged: u64,
    pub statements: u64,
    pub grants: grants::Report,
    pub took: Took,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Took {
    pub renewals: Duration,
    pub charges: Duration,
    pub statements: Duration,
    pub reminders: Duration,
    pub grants: Duration,
}

impl Report {
    /// Whether the run queued any email.
    pub fn queued_email(&self) -> bool {
        self.renewals.reminders > 0
            || self.renewals.changes_applied > 0
            || self.statements > 0
            || self.grants.reminders > 0
            || self.grants.expired > 0
            || self.grants.extended > 0
    }

    /// Whether it did anything at all.
    pub fn did_something(&self) -> bool {
        self.renewals != renewals::Report::default()
            || self.charged > 0
            || self.statements > 0
            || self.grants != grants::Report::default()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.renewals)?;
        writeln!(
            f,
            "billing: {} periods charged, {} statements issued",
            self.charged, self.statements
        )?;
        writeln!(
            f,
            "grants: {} expired, {} extended, {} lapsed, {} reminders",
            self.grants.expired, self.grants.extended, self.grants.lapsed, self.grants.reminders
        )?;
        write!(
            f,
            "took: renewals {:.2} s, reminders {:.2} s, charges {:.2} s, statements {:.2} s, grants {:.2} s",
            self.took.renewals.as_secs_f64(),
            self.took.reminders.as_secs_f64(),
            self.took.charges.as_secs_f64(),
            self.took.statements.as_secs_f64(),
            self.took.grants.as_secs_f64()
        )
    }
}

/// Runs every job due at `now` once.
pub async fn run(db: &Db, now: NaiveDateTime, base_url: &str) -> Result<Report, DbError> {
    let mut report = Report::default();
    let started = Instant::now();
    report.renewals = renewals::renew_all(db, now, base_url).await?;
    report.took.renewals = started.elapsed();
    let started = Instant::now();
    report.charged = billing::charge_all(db, now).await?;
    report.took.charges = started.elapsed();
    let started = Instant::now();
    report.statements = statements::issue_due(db, now, base_url).await?;
    report.took.statements = started.elapsed();
    let started = Instant::now();
    report.renewals.reminders = renewals::remind_all(db, now, base_url).await?;
    report.took.reminders = started.elapsed();
    let started = Instant::now();
    report.grants = grants::run_due(db, now, base_url).await?;
    report.took.grants = started.elapsed();
    Ok(report)
}
