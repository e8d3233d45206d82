//! The email outbox: messages written in the transaction of the change that caused them, delivered by
//! the worker in `email::worker`. A message is claimed with a lease before it is sent, so two workers
//! (two instances) never send the same one.

use diesel::prelude::*;

use crate::db::schema::email_outbox;
use crate::db::{DbConnection, new_id, now};
use crate::domain::OutboxStatus;
use crate::pagination::{Page, Seek};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = email_outbox)]
pub struct OutboxEmail {
    pub id: i64,
    pub to_address: String,
    pub template: String,
    pub locale: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub sensitive: bool,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: chrono::NaiveDateTime,
    pub locked_until: Option<chrono::NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub sent_at: Option<chrono::NaiveDateTime>,
    /// Where replies go (the person who sent it from the dashboard), if not to the platform.
    pub reply_to: Option<String>,
}

/// A rendered message ready to queue.
#[derive(Clone, Debug)]
pub struct NewEmail {
    pub to: String,
    pub template: &'static str,
    pub locale: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Carries a secret (a personal link): the bodies are blanked once delivered.
    pub sensitive: bool,
    pub reply_to: Option<String>,
}

/// A queue's messages per state, and when its oldest pending one was queued.
pub type QueueDepth = (Vec<(String, i64)>, Option<chrono::NaiveDateTime>);

const PENDING: OutboxStatus = OutboxStatus::Pending;
const SENT: OutboxStatus = OutboxStatus::Sent;
const FAILED: OutboxStatus = OutboxStatus::Failed;

/// The last error of a sensitive message given up on because its links expired.
pub const EXPIRED_ERROR: &str = "expired: the personal link it carried is no longer valid";

impl OutboxEmail {
    pub fn enqueue(conn: &mut DbConnection, email: NewEmail) -> QueryResult<i64> {
        let id = new_id();
        let at = now();
        diesel::insert_into(email_outbox::table)
            .values((
                email_outbox::id.eq(id),
                email_outbox::to_address.eq(email.to),
                email_outbox::template.eq(email.template),
                email_outbox::locale.eq(email.locale),
                email_outbox::subject.eq(email.subject),
                email_outbox::body_text.eq(email.text),
                email_outbox::body_html.eq(email.html),
                email_outbox::sensitive.eq(email.sensitive),
                email_outbox::reply_to.eq(email.reply_to),
                email_outbox::status.eq(PENDING),
                email_outbox::attempts.eq(0),
                email_outbox::next_attempt_at.eq(at),
                email_outbox::created_at.eq(at),
            ))
            .execute(conn)?;
        Ok(id)
    }

    /// Ids of pending messages whose time has come and that nobody holds.
    pub fn due(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<i64>> {
        let at = now();
        email_outbox::table
            .filter(email_outbox::status.eq(PENDING))
            .filter(email_outbox::next_attempt_at.le(at))
            .filter(
                email_outbox::locked_until
                    .is_null()
                    .or(email_outbox::locked_until.lt(at)),
            )
            .order(email_outbox::next_attempt_at.asc())
            .limit(limit)
            .select(email_outbox::id)
            .load(conn)
    }

    /// Takes a message for one delivery attempt; false when another worker got it first.
    pub fn claim(
        conn: &mut DbConnection,
        id: i64,
        lease_until: chrono::NaiveDateTime,
    ) -> QueryResult<Option<OutboxEmail>> {
        let at = now();
        let claimed = diesel::update(
            email_outbox::table
                .filter(email_outbox::id.eq(id))
                .filter(email_outbox::status.eq(PENDING))
                .filter(
                    email_outbox::locked_until
                        .is_null()
                        .or(email_outbox::locked_until.lt(at)),
                ),
        )
        .set(email_outbox::locked_until.eq(Some(lease_until)))
        .execute(conn)?;
        if claimed == 0 {
            return Ok(None);
        }
        email_outbox::table
            .find(id)
            .select(OutboxEmail::as_select())
            .first(conn)
            .optional()
    }

    pub fn mark_sent(conn: &mut DbConnection, id: i64, sensitive: bool) -> QueryResult<()> {
        let at = now();
        let target = email_outbox::table.filter(email_outbox::id.eq(id));
        if sensitive {
            diesel::update(target)
                .set((
                    email_outbox::status.eq(SENT),
                    email_outbox::sent_at.eq(Some(at)),
                    email_outbox::attempts.eq(email_outbox::attempts + 1),
                    email_outbox::locked_until.eq(None::<chrono::NaiveDateTime>),
                    email_outbox::last_error.eq(None::<String>),
                    email_outbox::body_text.eq(""),
                    email_outbox::body_html.eq(""),
                ))
                .execute(conn)?;
        } else {
            diesel::update(target)
                .set((
                    email_outbox::status.eq(SENT),
                    email_outbox::sent_at.eq(Some(at)),
                    email_outbox::attempts.eq(email_outbox::attempts + 1),
                    email_outbox::locked_until.eq(None::<chrono::NaiveDateTime>),
                    email_outbox::last_error.eq(None::<String>),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Records a failed attempt: try again at `next_attempt_at`, or give up (`failed`) when `None`.
    pub fn mark_attempt_failed(
        conn: &mut DbConnection,
        id: i64,
        error: &str,
        next_attempt_at: Option<chrono::NaiveDateTime>,
    ) -> QueryResult<()> {
        let error: String = error.chars().take(1000).collect();
        let target = email_outbox::table.filter(email_outbox::id.eq(id));
        match next_attempt_at {
            Some(next) => diesel::update(target)
                .set((
                    email_outbox::attempts.eq(email_outbox::attempts + 1),
                    email_outbox::next_attempt_at.eq(next),
                    email_outbox::locked_until.eq(None::<chrono::NaiveDateTime>),
                    email_outbox::last_error.eq(Some(error)),
                ))
                .execute(conn)?,
            None => {
                let n = diesel::update(target)
                    .set((
                        email_outbox::status.eq(FAILED),
                        email_outbox::attempts.eq(email_outbox::attempts + 1),
                        email_outbox::locked_until.eq(None::<chrono::NaiveDateTime>),
                        email_outbox::last_error.eq(Some(error)),
                    ))
                    .execute(conn)?;
                // Given up: a personal link it carried is kept no longer than a delivered one.
                Self::blank_if_sensitive(conn, id)?;
                n
            }
        };
        Ok(())
    }

    /// Removes the bodies of a sensitive message (one that carries a personal link).
    fn blank_if_sensitive(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
        diesel::update(
            email_outbox::table
                .filter(email_outbox::id.eq(id))
                .filter(email_outbox::sensitive.eq(true)),
        )
        .set((
            email_outbox::body_text.eq(""),
            email_outbox::body_html.eq(""),
        ))
        .execute(conn)
    }

    /// Gives up on sensitive messages still undelivered after `older_than` (the life of the links they
    /// carry): failed, bodies removed. Run by housekeeping; returns how many.
    pub fn expire_sensitive(
        conn: &mut DbConnection,
        older_than: chrono::NaiveDateTime,
    ) -> QueryResult<usize> {
        let at = now();
        diesel::update(
            email_outbox::table
                .filter(email_outbox::sensitive.eq(true))
                .filter(email_outbox::status.eq(PENDING))
                .filter(email_outbox::created_at.lt(older_than))
                .filter(
                    email_outbox::locked_until
                        .is_null()
                        .or(email_outbox::locked_until.lt(at)),
                ),
        )
        .set((
            email_outbox::status.eq(FAILED),
            email_outbox::last_error.eq(Some(EXPIRED_ERROR)),
            email_outbox::body_text.eq(""),
            email_outbox::body_html.eq(""),
        ))
        .execute(conn)
    }

    /// Whether Retry can still deliver it: a sensitive message whose bodies were removed cannot.
    pub fn can_retry(&self) -> bool {
        self.status != SENT && !(self.sensitive && self.body_text.is_empty())
    }

    /// The operator's Retry: a failed message goes back in the queue, and a pending one waiting out its
    /// back-off is tried now. A sent message, or one a worker holds right now, is left alone (false), so
    /// a retried message is still delivered once.
    pub fn retry(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
        let at = now();
        diesel::update(
            email_outbox::table
                .filter(email_outbox::id.eq(id))
                .filter(email_outbox::status.eq_any([FAILED, PENDING]))
                // A personal link's message whose body was removed has nothing left to deliver.
                .filter(
                    email_outbox::sensitive
                        .eq(false)
                        .or(email_outbox::body_text.ne("")),
                )
                .filter(
                    email_outbox::locked_until
                        .is_null()
                        .or(email_outbox::locked_until.lt(at)),
                ),
        )
        .set((
            email_outbox::status.eq(PENDING),
            email_outbox::attempts.eq(0),
            email_outbox::next_attempt_at.eq(at),
            email_outbox::locked_until.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(conn)
        .map(|n| n > 0)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<OutboxEmail> {
        email_outbox::table
            .find(id)
            .select(OutboxEmail::as_select())
            .first(conn)
    }

    /// How many messages gave up (the console's home; a short list on the status index).
    /// Messages per state, and the oldest pending one's creation (`/metrics`).
    pub fn queue(conn: &mut DbConnection) -> QueryResult<QueueDepth> {
        let counts = email_outbox::table
            .group_by(email_outbox::status)
            .select((email_outbox::status, diesel::dsl::count_star()))
            .load::<(OutboxStatus, i64)>(conn)?
            .into_iter()
            .map(|(s, n)| (s.as_str().to_owned(), n))
            .collect();
        let oldest = email_outbox::table
            .filter(email_outbox::status.eq(PENDING))
            .select(diesel::dsl::min(email_outbox::created_at))
            .first(conn)?;
        Ok((counts, oldest))
    }

    pub fn count_failed(conn: &mut DbConnection) -> QueryResult<i64> {
        email_outbox::table
            .filter(email_outbox::status.eq(FAILED))
            .count()
            .get_result(conn)
    }

    /// Messages in a state, newest first, a page at a time (the console).
    pub fn page_by_status(
        conn: &mut DbConnection,
        status: OutboxStatus,
        seek: &Seek<i64>,
        per_page: usize,
    ) -> QueryResult<Page<OutboxEmail>> {
        let mut query = email_outbox::table
            .filter(email_outbox::status.eq(status))
            .select(OutboxEmail::as_select())
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        query = crate::newest_first!(query, email_outbox::id, seek);
        let rows = query.load(conn)?;
        Ok(Page::from_rows(rows, seek, per_page, |e: &OutboxEmail| {
            e.id
        }))
    }

    /// Messages to an address, newest first (tests, the console).
    pub fn to_address(conn: &mut DbConnection, to: &str) -> QueryResult<Vec<OutboxEmail>> {
        email_outbox::table
            .filter(email_outbox::to_address.eq(to))
            .order(email_outbox::id.desc())
            .limit(100)
            .select(OutboxEmail::as_select())
            .load(conn)
    }
}
