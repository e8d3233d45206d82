//! The activity log: every change, who made it, acting for whom, the customer it concerns, old -> new.

use diesel::prelude::*;

use std::collections::HashMap;

use crate::db::schema::{activity_log, customers, offers, partners, subscriptions, users};
use crate::db::{DbConnection, new_id, now};
use crate::pagination::{Page, Seek};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = activity_log)]
pub struct Activity {
    pub id: i64,
    pub occurred_at: chrono::NaiveDateTime,
    pub actor_user_id: Option<i64>,
    pub actor_partner_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub reseller_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<i64>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// One entry to record. Start from `NewActivity::new(action, entity_type, entity_id)` and fill in the rest.
#[derive(Default, Clone, Debug)]
pub struct NewActivity {
    pub actor_user_id: Option<i64>,
    pub actor_partner_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub reseller_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: Option<i64>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    /// When it happened; none: now by the system's time.
    pub occurred_at: Option<chrono::NaiveDateTime>,
}

impl NewActivity {
    pub fn new(action: &'static str, entity_type: &'static str, entity_id: Option<i64>) -> Self {
        Self {
            action,
            entity_type,
            entity_id,
            ..Self::default()
        }
    }

    pub fn by(mut self, user_id: i64, acting_for: Option<i64>) -> Self {
        self.actor_user_id = Some(user_id);
        self.actor_partner_id = acting_for;
        self
    }

    pub fn provider(mut self, provider_id: Option<i64>) -> Self {
        self.provider_id = provider_id;
        self
    }

    pub fn reseller(mut self, reseller_id: Option<i64>) -> Self {
        self.reseller_id = reseller_id;
        self
    }

    pub fn customer(mut self, customer_id: Option<i64>) -> Self {
        self.customer_id = customer_id;
        self
    }

    pub fn change(mut self, old: Option<String>, new: Option<String>) -> Self {
        self.old_value = old;
        self.new_value = new;
        self
    }

    /// When it happened, by the injected clock (lifecycle events, which may be simulated).
    pub fn at(mut self, at: chrono::NaiveDateTime) -> Self {
        self.occurred_at = Some(at);
        self
    }

    pub fn record(self, conn: &mut DbConnection) -> QueryResult<i64> {
        let ids = Self::record_all(conn, std::slice::from_ref(&self))?;
        Ok(ids.first().copied().unwrap_or_default())
    }

    /// Writes the entries in multi-row INSERTs and queues their webhooks (the organisations'
    /// endpoints looked up once for all of them), in the caller's transaction; their ids, in order.
    pub fn record_all(conn: &mut DbConnection, entries: &[NewActivity]) -> QueryResult<Vec<i64>> {
        let ids: Vec<i64> = entries.iter().map(|_| new_id()).collect();
        let at = now();
        for (chunk, chunk_ids) in entries
            .chunks(ROWS_PER_INSERT)
            .zip(ids.chunks(ROWS_PER_INSERT))
        {
            let rows: Vec<_> = chunk
                .iter()
                .zip(chunk_ids)
                .map(|(e, id)| {
                    (
                        activity_log::id.eq(*id),
                        activity_log::occurred_at.eq(e.occurred_at.unwrap_or(at)),
                        activity_log::actor_user_id.eq(e.actor_user_id),
                        activity_log::actor_partner_id.eq(e.actor_partner_id),
                        activity_log::provider_id.eq(e.provider_id),
                        activity_log::reseller_id.eq(e.reseller_id),
                        activity_log::customer_id.eq(e.customer_id),
                        activity_log::action.eq(e.action),
                        activity_log::entity_type.eq(e.entity_type),
                        activity_log::entity_id.eq(e.entity_id),
                        activity_log::old_value.eq(&e.old_value),
                        activity_log::new_value.eq(&e.new_value),
                    )
                })
                .collect();
            on_each_backend!(&mut *conn, |c| diesel::insert_into(activity_log::table)
                .values(rows)
                .execute(c))?;
        }
        // The webhooks of the events, in the same transaction.
        let events: Vec<(&NewActivity, i64, &'static str)> = entries
            .iter()
            .zip(&ids)
            .filter_map(|(e, id)| {
                crate::db::models::webhook::event_of_action(e.action).map(|ev| (e, *id, ev))
            })
            .collect();
        if events.is_empty() {
            return Ok(ids);
        }
        let mut partners: Vec<i64> = events
            .iter()
            .flat_map(|(e, _, _)| [e.provider_id, e.reseller_id])
            .flatten()
            .collect();
        partners.sort_unstable();
        partners.dedup();
        let endpoints = crate::db::models::webhook::Endpoint::enabled_of(conn, &partners)?;
        if endpoints.is_empty() {
            return Ok(ids);
        }
        for (e, id, event) in events {
            let mut of: Vec<i64> = [e.provider_id, e.reseller_id]
                .into_iter()
                .flatten()
                .collect();
            of.dedup();
            let text = |v: Option<i64>| v.map(|v| v.to_string());
            let data = serde_json::json!({
                "activity_id": id.to_string(),
                "action": e.action,
                "entity_type": e.entity_type,
                "entity_id": text(e.entity_id),
                "provider_id": text(e.provider_id),
                "reseller_id": text(e.reseller_id),
                "customer_id": text(e.customer_id),
                "old_value": e.old_value,
                "new_value": e.new_value,
            });
            crate::db::models::webhook::Delivery::enqueue_to(conn, &endpoints, &of, event, &data)?;
        }
        Ok(ids)
    }
}

/// Rows per multi-row INSERT: 12 columns each, well inside both backends' limits on bound values.
const ROWS_PER_INSERT: usize = 500;

impl Activity {
    /// Entries about one entity, newest first (tests and detail pages).
    pub fn for_entity(
        conn: &mut DbConnection,
        entity_type: &str,
        entity_id: i64,
    ) -> QueryResult<Vec<Activity>> {
        activity_log::table
            .filter(activity_log::entity_type.eq(entity_type))
            .filter(activity_log::entity_id.eq(entity_id))
            .order(activity_log::id.desc())
            .limit(100)
            .select(Activity::as_select())
            .load(conn)
    }
}

/// Which entries a log page shows.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    /// The provider's log, or (with `actor_partner`) a reseller's own actions.
    pub provider: Option<i64>,
    pub actor_partner: Option<i64>,
    /// Every entry, unscoped: the operations console only. Without it (and with neither scope above)
    /// a filter shows nothing, so a forgotten scope never leaks the whole log.
    pub everything: bool,
    pub reseller: Option<i64>,
    pub customer: Option<i64>,
    /// Entries at or after this id, before that one (dates turned into id bounds).
    pub from_id: Option<i64>,
    pub to_id: Option<i64>,
    /// One action (one of `ACTIONS`).
    pub action: Option<&'static str>,
    /// Entries by one user.
    pub actor_user: Option<i64>,
}

/// Every action the log records, in the order the filter offers them. A test checks that every
/// entry a full scenario writes is one of these, and that each has its name in both languages.
pub const ACTIONS: &[&str] = &[
    "customer.created",
    "order.placed",
    "subscription.created",
    "subscription.quantity_changed",
    "subscription.status_changed",
    "subscription.reseller_of_record_changed",
    "subscription.support_contact_changed",
    "subscription.cancelled",
    "subscription.auto_renew_changed",
    "subscription.change_scheduled",
    "subscription.scheduled_change_cancelled",
    "subscription.upgraded",
    "subscription.renewed",
    "subscription.expired",
    "customer.reseller_changed",
    "customer.tenant_owner_changed",
    "customer.password_reset",
    "customer.details_changed",
    "grant.requested",
    "grant.asserted",
    "grant.approved",
    "grant.declined",
    "grant.ended",
    "grant.lapsed",
    "grant.extended",
    "grant.expired",
    "grant_request.created",
    "grant_request.sent",
    "grant_request.resent",
    "grant_request.revoked",
    "customer_invitation.created",
    "customer_invitation.sent",
    "customer_invitation.resent",
    "customer_invitation.revoked",
    "customer_invitation.accepted",
    "customer_invitation.declined",
    "customer.signed_up",
    "partnership_request.created",
    "partnership_request.sent",
    "partnership_request.resent",
    "partnership_request.revoked",
    "partnership_request.declined",
    "partnership.accepted",
    "partnership.removed",
    "reseller.enrolled",
    "reseller.verified",
    "reseller.rejected",
    "profile_request.submitted",
    "profile_request.review_started",
    "profile_request.approved",
    "profile_request.rejected",
    "offer.created",
    "offer.updated",
    "offer.retired",
    "offer.restored",
    "email.retried",
    "user.password_changed",
    "user.password_reset",
    "user.mfa_enabled",
    "operator.created",
    "provider.created",
    "order.pending_review",
    "order.approved",
    "order.rejected",
    "reseller.credit_changed",
    "statement.issued",
    "team.invited",
    "team.invitation_resent",
    "team.invitation_revoked",
    "team.joined",
    "team.role_changed",
    "team.deactivated",
    "team.reactivated",
    "team.mfa_reset",
    "team.mfa_required_changed",
    "team.support_contact_changed",
    "statement.paid",
    "price_list.rule_added",
    "price_list.rule_removed",
    "price_list.due_days_changed",
    "prices.sale_prices_saved",
    "prices.customer_price_saved",
    "api_token.created",
    "api_token.revoked",
    "webhook.created",
    "webhook.disabled",
    "webhook.enabled",
    "webhook.deleted",
    "platform.mfa_required_changed",
];

/// The locale key naming an action.
pub fn action_key(action: &str) -> String {
    format!("activity.{}", action.replace('.', "_"))
}

/// An entry with the names it refers to.
#[derive(Clone, Debug)]
pub struct LogRow {
    pub entry: Activity,
    pub actor: Option<String>,
    pub acting_for: Option<String>,
    pub reseller: Option<String>,
    pub customer: Option<String>,
    /// The subscription an entry is about: its offer and a short id.
    pub subscription: Option<String>,
}

impl LogRow {
    /// The locale key naming the action.
    pub fn action_key(&self) -> String {
        action_key(&self.entry.action)
    }
}

/// A short form of an id, as people read it out: its last six digits.
pub fn short_id(id: i64) -> String {
    format!("#{:06}", id.rem_euclid(1_000_000))
}

impl Activity {
    /// A page of the log, newest first. At least one of `provider` and `actor_partner` scopes it.
    pub fn page(
        conn: &mut DbConnection,
        filter: &LogFilter,
        seek: &Seek<i64>,
        per_page: usize,
    ) -> QueryResult<Page<LogRow>> {
        let mut query = activity_log::table
            .select(Activity::as_select())
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        match (filter.provider, filter.actor_partner) {
            (Some(p), _) => query = query.filter(activity_log::provider_id.eq(p)),
            (None, Some(a)) => query = query.filter(activity_log::actor_partner_id.eq(a)),
            (None, None) if filter.everything => {}
            (None, None) => {
                return Ok(Page {
                    items: Vec::new(),
                    next: None,
                    prev: None,
                });
            }
        }
        if let (Some(_), Some(a)) = (filter.provider, filter.actor_partner) {
            query = query.filter(activity_log::actor_partner_id.eq(a));
        }
        if let Some(r) = filter.reseller {
            query = query.filter(activity_log::reseller_id.eq(r));
        }
        if let Some(c) = filter.customer {
            query = query.filter(activity_log::customer_id.eq(c));
        }
        if let Some(from) = filter.from_id {
            query = query.filter(activity_log::id.ge(from));
        }
        if let Some(to) = filter.to_id {
            query = query.filter(activity_log::id.lt(to));
        }
        if let Some(action) = filter.action {
            query = query.filter(activity_log::action.eq(action));
        }
        if let Some(user) = filter.actor_user {
            query = query.filter(activity_log::actor_user_id.eq(user));
        }
        query = crate::newest_first!(query, activity_log::id, seek);
        let entries: Vec<Activity> = query.load(conn)?;
        let rows = Self::with_names(conn, entries)?;
        Ok(Page::from_rows(rows, seek, per_page, |r: &LogRow| {
            r.entry.id
        }))
    }

    /// Looks up the names a page of entries mentions: three queries for the whole page.
    fn with_names(conn: &mut DbConnection, entries: Vec<Activity>) -> QueryResult<Vec<LogRow>> {
        let user_ids: Vec<i64> = entries.iter().filter_map(|e| e.actor_user_id).collect();
        let partner_ids: Vec<i64> = entries
            .iter()
            .flat_map(|e| [e.actor_partner_id, e.reseller_id])
            .flatten()
            .collect();
        let customer_ids: Vec<i64> = entries.iter().filter_map(|e| e.customer_id).collect();
        let subscription_ids: Vec<i64> = entries
            .iter()
            .filter(|e| e.entity_type == "subscription")
            .filter_map(|e| e.entity_id)
            .collect();
        let subscriptions: HashMap<i64, String> = if subscription_ids.is_empty() {
            HashMap::new()
        } else {
            subscriptions::table
                .inner_join(offers::table)
                .filter(subscriptions::id.eq_any(&subscription_ids))
                .select((subscriptions::id, offers::name))
                .load::<(i64, String)>(conn)?
                .into_iter()
                .map(|(id, name)| (id, format!("{name} {}", short_id(id))))
                .collect()
        };
        let users: HashMap<i64, String> = users::table
            .filter(users::id.eq_any(&user_ids))
            .select((users::id, users::display_name))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect();
        let partners: HashMap<i64, String> = partners::table
            .filter(partners::id.eq_any(&partner_ids))
            .select((partners::id, partners::name))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect();
        let customers: HashMap<i64, String> = customers::table
            .filter(customers::id.eq_any(&customer_ids))
            .select((customers::id, customers::company_name))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect();
        Ok(entries
            .into_iter()
            .map(|entry| LogRow {
                actor: entry.actor_user_id.and_then(|id| users.get(&id).cloned()),
                acting_for: entry
                    .actor_partner_id
                    .and_then(|id| partners.get(&id).cloned()),
                reseller: entry.reseller_id.and_then(|id| partners.get(&id).cloned()),
                customer: entry.customer_id.and_then(|id| customers.get(&id).cloned()),
                subscription: (entry.entity_type == "subscription")
                    .then_some(entry.entity_id)
                    .flatten()
                    .and_then(|id| subscriptions.get(&id).cloned()),
                entry,
            })
            .collect())
    }
}
