//! The outbox worker: delivers queued email, retries temporary failures with exponential back-off, marks
//! permanent failures, and never sends a message twice (each attempt first claims the row with a lease).
//! It wakes when a request queues mail, and polls otherwise, so mail written while the SMTP server was
//! down goes out once it is back.

use std::sync::Arc;

use lettre::message::Mailbox;
use tokio::sync::Notify;

use crate::config::OutboxSettings;
use crate::db::Db;
use crate::db::models::outbox::OutboxEmail;
use crate::email::mailer::{Mailer, SendError};
use crate::shutdown::Stopping;

#[derive(Clone)]
pub struct OutboxWorker {
    db: Db,
    mailer: Mailer,
    from: Mailbox,
    settings: OutboxSettings,
    wake: Arc<Notify>,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl OutboxWorker {
    pub fn new(
        db: Db,
        mailer: Mailer,
        from: Mailbox,
        settings: OutboxSettings,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            db,
            mailer,
            from,
            settings,
            wake,
        }
    }

    /// Runs until told to stop; the message in hand is delivered (or its attempt recorded) first.
    pub async fn run(self, mut stop: Stopping) {
        while !stop.requested() {
            let worker = self.clone();
            let stopping = stop.clone();
            match tokio::task::spawn_blocking(move || worker.deliver_due_until(&stopping)).await {
                Ok(Ok(pass)) if pass != Pass::default() => tracing::debug!(?pass, "outbox pass"),
                Ok(Ok(_)) => {}
                Ok(Err(err)) => tracing::warn!(error = ?err, "outbox pass failed"),
                Err(err) => tracing::error!(error = ?err, "outbox task panicked"),
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.settings.poll_interval) => {}
                () = stop.wait() => {}
            }
        }
    }

    /// Delivers every message that is due now (blocking).
    pub fn deliver_due(&self) -> anyhow::Result<Pass> {
        self.deliver_due_until(&Stopping::never())
    }

    /// The same, stopping before the next message once `stop` is requested.
    fn deliver_due_until(&self, stop: &Stopping) -> anyhow::Result<Pass> {
        let mut pass = Pass::default();
        loop {
            let due = {
                let mut conn = self.db.read_conn()?;
                OutboxEmail::due(&mut conn, 50)?
            };
            if due.is_empty() {
                return Ok(pass);
            }
            let mut progressed = false;
            for id in due {
                if stop.requested() {
                    return Ok(pass);
                }
                let lease_until = crate::db::now()
                    + chrono::Duration::from_std(self.settings.lease)
                        .unwrap_or(chrono::Duration::minutes(2));
                // Claim and release the (single, on SQLite) writer connection before talking to the SMTP
                // server, so a slow server never holds up the dashboard's writes.
                let claimed = self
                    .db
                    .execute_blocking(move |conn| OutboxEmail::claim(conn, id, lease_until))?;
                let Some(email) = claimed else { continue };
                progressed = true;
                let outcome = self.mailer.send(&self.from, &email);
                let (email_id, sensitive) = (email.id, email.sensitive);
                match outcome {
                    Ok(()) => {
                        self.db.execute_blocking(move |conn| {
                            OutboxEmail::mark_sent(conn, email_id, sensitive)
                        })?;
                        pass.sent += 1;
                    }
                    Err(SendError::Transient(err))
                        if email.attempts + 1 < self.settings.max_attempts =>
                    {
                        let next = crate::db::now() + self.backoff(email.attempts);
                        tracing::warn!(id = email.id, attempt = email.attempts + 1, %err, "email delivery failed; will retry");
                        self.db.execute_blocking(move |conn| {
                            OutboxEmail::mark_attempt_failed(conn, email_id, &err, Some(next))
                        })?;
                        pass.retrying += 1;
                    }
                    Err(err) => {
                        tracing::error!(id = email.id, %err, "email delivery failed for good");
                        let err = err.to_string();
                        self.db.execute_blocking(move |conn| {
                            OutboxEmail::mark_attempt_failed(conn, email_id, &err, None)
                        })?;
                        pass.failed += 1;
                    }
                }
            }
            if !progressed {
                return Ok(pass);
            }
        }
    }

    /// first_retry × 2^(attempts so far), at most max_retry.
    fn backoff(&self, attempts_so_far: i32) -> chrono::Duration {
        let factor = 2u32.saturating_pow(attempts_so_far.clamp(0, 20).unsigned_abs());
        let delay = self
            .settings
            .first_retry
            .saturating_mul(factor)
            .min(self.settings.max_retry);
        chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1))
    }
}
