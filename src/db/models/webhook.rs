//! Webhook endpoints and their deliveries. A delivery is queued in the transaction of the event it
//! tells of (`enqueue`, called where the activity log records the event, and by the jobs' reminders),
//! so an event that is rolled back is never sent and one that is committed is never lost.

use diesel::prelude::*;

use crate::db::schema::{webhook_deliveries, webhook_endpoints};
use crate::db::{DbConnection, new_id, now};
use crate::pagination::{Page, Seek};

/// The event types an endpoint may ask for, in the order Settings offers them.
pub const EVENTS: &[&str] = &[
    "partnership.accepted",
    "customer.created",
    "order.placed",
    "order.needs_review",
    "subscription.changed",
    "subscription.renewing",
    "subscription.renewed",
    "grant.expiring",
    "statement.issued",
];

/// The event an activity-log action is, if any (`subscription.renewing` and `grant.expiring` come
/// from the jobs' reminders instead).
pub fn event_of_action(action: &str) -> Option<&'static str> {
    Some(match action {
        "partnership.accepted" => "partnership.accepted",
        "customer.created" | "customer.signed_up" | "customer_invitation.accepted" => {
            "customer.created"
        }
        "order.placed" => "order.placed",
        "order.pending_review" => "order.needs_review",
        "subscription.quantity_changed"
        | "subscription.status_changed"
        | "subscription.reseller_of_record_changed"
        | "subscription.support_contact_changed"
        | "subscription.cancelled"
        | "subscription.auto_renew_changed"
        | "subscription.change_scheduled"
        | "subscription.scheduled_change_cancelled"
        | "subscription.upgraded"
        | "subscription.expired" => "subscription.changed",
        "subscription.renewed" => "subscription.renewed",
        "statement.issued" => "statement.issued",
        _ => return None,
    })
}

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = webhook_endpoints)]
pub struct Endpoint {
    pub id: i64,
    pub partner_id: i64,
    pub url: String,
    pub events: String,
    pub secret_sealed: String,
    pub created_by: i64,
    pub created_at: chrono::NaiveDateTime,
    pub disabled_at: Option<chrono::NaiveDateTime>,
    pub disabled_reason: Option<String>,
}

impl Endpoint {
    /// The enabled endpoints of these organisations.
    pub fn enabled_of(conn: &mut DbConnection, partners: &[i64]) -> QueryResult<Vec<Endpoint>> {
        if partners.is_empty() {
            return Ok(Vec::new());
        }
        webhook_endpoints::table
            .filter(webhook_endpoints::partner_id.eq_any(partners))
            .filter(webhook_endpoints::disabled_at.is_null())
            .select(Endpoint::as_select())
            .load(conn)
    }

    pub fn event_list(&self) -> Vec<&str> {
        self.events.split(',').filter(|e| !e.is_empty()).collect()
    }

    pub fn wants(&self, event: &str) -> bool {
        self.event_list().contains(&event)
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: i64,
    pub endpoint_id: i64,
    pub message_id: String,
    pub event_type: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: chrono::NaiveDateTime,
    pub locked_until: Option<chrono::NaiveDateTime>,
    pub last_attempt_at: Option<chrono::NaiveDateTime>,
    pub response_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub delivered_at: Option<chrono::NaiveDateTime>,
}

pub struct NewEndpoint<'a> {
    /// Made by the caller: the secret is sealed under it.
    pub id: i64,
    pub partner_id: i64,
    pub url: &'a str,
    pub events: &'a [&'a str],
    pub secret_sealed: &'a str,
    pub created_by: i64,
}

impl Endpoint {
    pub fn create(conn: &mut DbConnection, new: &NewEndpoint<'_>) -> QueryResult<i64> {
        let id = new.id;
        diesel::insert_into(webhook_endpoints::table)
            .values((
                webhook_endpoints::id.eq(id),
                webhook_endpoints::partner_id.eq(new.partner_id),
                webhook_endpoints::url.eq(new.url),
                webhook_endpoints::events.eq(new.events.join(",")),
                webhook_endpoints::secret_sealed.eq(new.secret_sealed),
                webhook_endpoints::created_by.eq(new.created_by),
                webhook_endpoints::created_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(id)
    }

    pub fn of_partner(conn: &mut DbConnection, partner_id: i64) -> QueryResult<Vec<Self>> {
        webhook_endpoints::table
            .filter(webhook_endpoints::partner_id.eq(partner_id))
            .order(webhook_endpoints::id.asc())
            .limit(50)
            .select(Self::as_select())
            .load(conn)
    }

    /// One of the organisation's endpoints (another's is not found).
    pub fn find_in(conn: &mut DbConnection, partner_id: i64, id: i64) -> QueryResult<Self> {
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(id))
            .filter(webhook_endpoints::partner_id.eq(partner_id))
            .select(Self::as_select())
            .first(conn)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Self> {
        webhook_endpoints::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
    }

    /// Switches it off (with why) or on again: false when it already was.
    pub fn set_disabled(
        conn: &mut DbConnection,
        id: i64,
        reason: Option<&str>,
    ) -> QueryResult<bool> {
        let target = webhook_endpoints::table.filter(webhook_endpoints::id.eq(id));
        let n = match reason {
            Some(reason) => diesel::update(target.filter(webhook_endpoints::disabled_at.is_null()))
                .set((
                    webhook_endpoints::disabled_at.eq(Some(now())),
                    webhook_endpoints::disabled_reason.eq(Some(reason)),
                ))
                .execute(conn)?,
            None => diesel::update(target.filter(webhook_endpoints::disabled_at.is_not_null()))
                .set((
                    webhook_endpoints::disabled_at.eq(None::<chrono::NaiveDateTime>),
                    webhook_endpoints::disabled_reason.eq(None::<String>),
                ))
                .execute(conn)?,
        };
        Ok(n == 1)
    }

    pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        diesel::delete(webhook_endpoints::table.find(id)).execute(conn)?;
        Ok(())
    }
}

/// The Standard Webhooks message id of a new message.
pub fn message_id() -> String {
    format!("msg_{}", new_id())
}

impl Delivery {
    /// Queues `event` for every enabled endpoint of these organisations that asked for it, in the
    /// caller's transaction: how many were queued.
    pub fn enqueue(
        conn: &mut DbConnection,
        partners: &[i64],
        event: &str,
        data: &serde_json::Value,
    ) -> QueryResult<usize> {
        if partners.is_empty() {
            return Ok(0);
        }
        let endpoints = Endpoint::enabled_of(conn, partners)?;
        Self::enqueue_to(conn, &endpoints, partners, event, data)
    }

    /// Queues `event` for those of `endpoints` (looked up already) that belong to these
    /// organisations and asked for it: how many were queued.
    pub fn enqueue_to(
        conn: &mut DbConnection,
        endpoints: &[Endpoint],
        partners: &[i64],
        event: &str,
        data: &serde_json::Value,
    ) -> QueryResult<usize> {
        let mut queued = 0;
        for endpoint in endpoints
            .iter()
            .filter(|e| partners.contains(&e.partner_id) && e.wants(event))
        {
            Self::queue(conn, endpoint.id, &message_id(), event, data)?;
            queued += 1;
        }
        Ok(queued)
    }

    /// One message for one endpoint (also the Send test event).
    pub fn queue(
        conn: &mut DbConnection,
        endpoint_id: i64,
        message_id: &str,
        event: &str,
        data: &serde_json::Value,
    ) -> QueryResult<i64> {
        let at = now();
        let payload = serde_json::json!({
            "type": event,
            "timestamp": at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "data": data,
        });
        let id = new_id();
        diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::id.eq(id),
                webhook_deliveries::endpoint_id.eq(endpoint_id),
                webhook_deliveries::message_id.eq(message_id),
                webhook_deliveries::event_type.eq(event),
                webhook_deliveries::payload.eq(payload.to_string()),
                webhook_deliveries::status.eq(PENDING),
                webhook_deliveries::next_attempt_at.eq(at),
                webhook_deliveries::created_at.eq(at),
            ))
            .execute(conn)?;
        Ok(id)
    }

    /// Deliveries due now to enabled endpoints, oldest first.
    pub fn due(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<i64>> {
        let at = now();
        webhook_deliveries::table
            .inner_join(webhook_endpoints::table)
            .filter(webhook_endpoints::disabled_at.is_null())
            .filter(webhook_deliveries::status.eq(PENDING))
            .filter(webhook_deliveries::next_attempt_at.le(at))
            .filter(
                webhook_deliveries::locked_until
                    .is_null()
                    .or(webhook_deliveries::locked_until.lt(at)),
            )
            .order(webhook_deliveries::next_attempt_at.asc())
            .limit(limit)
            .select(webhook_deliveries::id)
            .load(conn)
    }

    /// Claims a delivery for one attempt (a lease, so two workers never send it at once), with its
    /// endpoint; none when another worker has it or it is no longer pending.
    pub fn claim(
        conn: &mut DbConnection,
        id: i64,
        lease_until: chrono::NaiveDateTime,
    ) -> QueryResult<Option<(Delivery, Endpoint)>> {
        let at = now();
        let claimed = diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::id.eq(id))
                .filter(webhook_deliveries::status.eq(PENDING))
                .filter(
                    webhook_deliveries::locked_until
                        .is_null()
                        .or(webhook_deliveries::locked_until.lt(at)),
                ),
        )
        .set(webhook_deliveries::locked_until.eq(Some(lease_until)))
        .execute(conn)?;
        if claimed == 0 {
            return Ok(None);
        }
        webhook_deliveries::table
            .inner_join(webhook_endpoints::table)
            .filter(webhook_deliveries::id.eq(id))
            .select((Delivery::as_select(), Endpoint::as_select()))
            .first(conn)
            .optional()
    }

    /// An attempt's outcome: delivered, to be retried at `retry_at`, or failed for good (`None`).
    pub fn record(
        conn: &mut DbConnection,
        id: i64,
        delivered: bool,
        (code, error): (Option<i32>, Option<&str>),
        retry_at: Option<chrono::NaiveDateTime>,
    ) -> QueryResult<()> {
        let at = now();
        let status = match (delivered, retry_at) {
            (true, _) => DELIVERED,
            (false, Some(_)) => PENDING,
            (false, None) => FAILED,
        };
        diesel::update(webhook_deliveries::table.find(id))
            .set((
                webhook_deliveries::status.eq(status),
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::last_attempt_at.eq(Some(at)),
                webhook_deliveries::response_code.eq(code),
                webhook_deliveries::last_error.eq(error),
                webhook_deliveries::locked_until.eq(None::<chrono::NaiveDateTime>),
                webhook_deliveries::next_attempt_at.eq(retry_at.unwrap_or(at)),
                webhook_deliveries::delivered_at.eq(delivered.then_some(at)),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Resend: the same message (the same id), due again now, its attempts counted afresh.
    pub fn resend(conn: &mut DbConnection, endpoint_id: i64, id: i64) -> QueryResult<bool> {
        let n = diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::id.eq(id))
                .filter(webhook_deliveries::endpoint_id.eq(endpoint_id)),
        )
        .set((
            webhook_deliveries::status.eq(PENDING),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(now()),
            webhook_deliveries::locked_until.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// An endpoint's deliveries, newest first (its delivery log).
    pub fn page_of(
        conn: &mut DbConnection,
        endpoint_id: i64,
        seek: &Seek<i64>,
        per_page: usize,
    ) -> QueryResult<Page<Delivery>> {
        let mut query = webhook_deliveries::table
            .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
            .select(Delivery::as_select())
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        query = crate::newest_first!(query, webhook_deliveries::id, seek);
        let rows = query.load(conn)?;
        Ok(Page::from_rows(rows, seek, per_page, |d: &Delivery| d.id))
    }

    /// Deliveries per state, and the oldest pending one's creation (`/metrics`).
    pub fn queue_depth(conn: &mut DbConnection) -> QueryResult<super::outbox::QueueDepth> {
        let counts = webhook_deliveries::table
            .group_by(webhook_deliveries::status)
            .select((webhook_deliveries::status, diesel::dsl::count_star()))
            .load(conn)?;
        let oldest = webhook_deliveries::table
            .filter(webhook_deliveries::status.eq(PENDING))
            .select(diesel::dsl::min(webhook_deliveries::created_at))
            .first(conn)?;
        Ok((counts, oldest))
    }

    /// An endpoint's pending deliveries (Settings → Webhooks).
    pub fn pending_count(conn: &mut DbConnection, endpoint_id: i64) -> QueryResult<i64> {
        webhook_deliveries::table
            .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
            .filter(webhook_deliveries::status.eq(PENDING))
            .count()
            .get_result(conn)
    }
}
