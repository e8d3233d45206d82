//! Delivery over lettre: SMTP in production, `.eml` files for the embedded default, memory for unit tests.
//! `send` is blocking; the outbox worker calls it off the async executor.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, SmtpTransport, Transport};

use crate::config::MailTransport;
use crate::db::models::outbox::OutboxEmail;

/// A message as the in-memory backend keeps it.
#[derive(Clone, Debug)]
pub struct SentEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Clone)]
pub enum Mailer {
    Smtp(Arc<SmtpTransport>),
    Files(PathBuf),
    Memory(Arc<Mutex<Vec<SentEmail>>>),
}

/// Why a delivery failed: worth retrying later, or never going to work.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("temporary failure: {0}")]
    Transient(String),
    #[error("permanent failure: {0}")]
    Permanent(String),
}

impl Mailer {
    pub fn from_config(transport: &MailTransport, timeout: Duration) -> anyhow::Result<Self> {
        Ok(match transport {
            MailTransport::Smtp(url) => {
                let smtp = SmtpTransport::from_url(url)
                    .context("SMTP_URL is not a valid SMTP URL")?
                    .timeout(Some(timeout))
                    .build();
                Self::Smtp(Arc::new(smtp))
            }
            MailTransport::Files(dir) => {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("cannot create the mail directory {}", dir.display())
                })?;
                Self::Files(dir.clone())
            }
            MailTransport::Memory => Self::Memory(Arc::default()),
        })
    }

    /// Messages kept by the in-memory backend.
    pub fn sent(&self) -> Vec<SentEmail> {
        match self {
            Self::Memory(sent) => sent.lock().map(|v| v.clone()).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    pub fn send(&self, from: &Mailbox, email: &OutboxEmail) -> Result<(), SendError> {
        let to: Mailbox = email
            .to_address
            .parse()
            .map_err(|e| SendError::Permanent(format!("bad recipient address: {e}")))?;
        let mut builder = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(email.subject.clone())
            // The outbox id makes the Message-ID stable, so a receiver can tell a repeat.
            .message_id(Some(format!("<outbox-{}@partner-dashboard>", email.id)));
        // A malformed Reply-To is dropped rather than holding the message back.
        if let Some(reply_to) = email
            .reply_to
            .as_deref()
            .and_then(|r| r.parse::<Mailbox>().ok())
        {
            builder = builder.reply_to(reply_to);
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                email.body_text.clone(),
                email.body_html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))?;
        match self {
            Self::Smtp(smtp) => smtp.send(&message).map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Transient(e.to_string())
                }
            }),
            Self::Files(dir) => {
                let name = format!(
                    "{}-{}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
                    email.id
                );
                let tmp = dir.join(format!(".{name}.tmp"));
                std::fs::write(&tmp, message.formatted())
                    .and_then(|()| std::fs::rename(&tmp, dir.join(&name)))
                    .map_err(|e| {
                        SendError::Transient(format!("cannot write {}: {e}", dir.display()))
                    })
            }
            Self::Memory(sent) => {
                sent.lock()
                    .map_err(|_| SendError::Transient("mailbox lock poisoned".into()))?
                    .push(SentEmail {
                        to: email.to_address.clone(),
                        subject: email.subject.clone(),
                        text: email.body_text.clone(),
                        html: email.body_html.clone(),
                    });
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(id: i64, to: &str) -> OutboxEmail {
        let at = chrono::Utc::now().naive_utc();
        OutboxEmail {
            id,
            to_address: to.into(),
            template: "test".into(),
            locale: "zh-TW".into(),
            subject: "密碼已變更".into(),
            body_text: "純文字".into(),
            body_html: "<p>HTML</p>".into(),
            sensitive: false,
            status: crate::domain::OutboxStatus::Pending,
            attempts: 0,
            next_attempt_at: at,
            locked_until: None,
            last_error: None,
            created_at: at,
            sent_at: None,
            reply_to: None,
        }
    }

    fn from() -> Mailbox {
        "Partner Dashboard <no-reply@example.com>".parse().unwrap()
    }

    #[test]
    fn file_backend_writes_one_eml_per_message() {
        let dir = std::env::temp_dir().join(format!("pd-mail-{}", crate::db::new_id()));
        let mailer =
            Mailer::from_config(&MailTransport::Files(dir.clone()), Duration::from_secs(1))
                .unwrap();
        mailer.send(&from(), &email(42, "a@example.com")).unwrap();
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        assert!(files[0].to_string_lossy().ends_with("-42.eml"));
        let raw = std::fs::read_to_string(&files[0]).unwrap();
        assert!(raw.contains("To: a@example.com"));
        assert!(raw.contains("Message-ID: <outbox-42@partner-dashboard>"));
        assert!(raw.contains("multipart/alternative"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn memory_backend_keeps_messages_and_bad_addresses_fail_for_good() {
        let mailer = Mailer::from_config(&MailTransport::Memory, Duration::from_secs(1)).unwrap();
        mailer.send(&from(), &email(1, "b@example.com")).unwrap();
        let sent = mailer.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].subject, "密碼已變更");
        assert!(matches!(
            mailer.send(&from(), &email(2, "not an address")),
            Err(SendError::Permanent(_))
        ));
    }

    #[test]
    fn an_smtp_server_that_is_not_there_is_a_temporary_failure() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mailer = Mailer::from_config(
            &MailTransport::Smtp(format!("smtp://127.0.0.1:{port}")),
            Duration::from_secs(2),
        )
        .unwrap();
        assert!(matches!(
            mailer.send(&from(), &email(3, "c@example.com")),
            Err(SendError::Transient(_))
        ));
    }
}
