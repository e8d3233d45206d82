//! Email: every message is rendered (text + HTML, in the recipient's language) and written to the outbox
//! in the caller's transaction; `worker` delivers it through a `mailer` backend.

pub mod mailer;
pub mod messages;
pub mod worker;

use crate::db::models::outbox::{NewEmail, OutboxEmail};
use crate::db::{DbConnection, DbError};
use crate::i18n::Locale;

/// A message type: its templates live in `templates/email/<TEMPLATE>/{subject.txt,body.txt,body.html}`.
pub trait EmailMessage {
    const TEMPLATE: &'static str;
    /// Whether the message carries a secret (a personal link), so its body is blanked once sent.
    const SENSITIVE: bool;
    fn locale(&self) -> Locale;
    /// (subject, text body, HTML body)
    fn render(&self) -> Result<(String, String, String), askama::Error>;
}

/// Renders `message` and queues it for `to`, in the caller's transaction.
pub fn queue<M: EmailMessage>(
    conn: &mut DbConnection,
    to: &str,
    message: &M,
) -> Result<i64, DbError> {
    queue_with_reply_to(conn, to, None, message)
}

/// The same, with replies going to `reply_to` (the user who sent it from the dashboard).
pub fn queue_with_reply_to<M: EmailMessage>(
    conn: &mut DbConnection,
    to: &str,
    reply_to: Option<&str>,
    message: &M,
) -> Result<i64, DbError> {
    let (subject, text, html) = message.render().map_err(|e| {
        DbError::Failed(
            anyhow::Error::new(e).context(format!("cannot render the {} email", M::TEMPLATE)),
        )
    })?;
    Ok(OutboxEmail::enqueue(
        conn,
        NewEmail {
            to: to.to_owned(),
            template: M::TEMPLATE,
            locale: message.locale().code(),
            // A subject is one line, whatever the template produced.
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text,
            html,
            sensitive: M::SENSITIVE,
            reply_to: reply_to.map(str::to_owned),
        },
    )?)
}
