//! Personalised links a provider sends: partnership requests to resellers, and (later) invitations to
//! existing customers. One mechanism for both: a token of 256 random bits, kept only as its SHA-256,
//! single-use, expiring, revocable; a resend makes a new link and retires the old one.

use diesel::prelude::*;

use crate::db::schema::{partners, relationship_requests, users};
use crate::db::{DbConnection, new_id, now};
use crate::domain::token::hash_token;
use crate::domain::{ProviderId, RequestKind, RequestStatus, ResellerId};
use crate::pagination::{Page, Seek};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = relationship_requests)]
pub struct RelationshipRequest {
    pub id: i64,
    pub kind: RequestKind,
    pub provider_id: i64,
    pub token_hash: String,
    pub recipient_email: Option<String>,
    pub reseller_id: Option<i64>,
    pub include_delegated_admin: bool,
    pub status: RequestStatus,
    pub superseded_by: Option<i64>,
    pub created_by: i64,
    pub created_at: chrono::NaiveDateTime,
    pub expires_at: chrono::NaiveDateTime,
    pub sent_at: Option<chrono::NaiveDateTime>,
    pub responded_at: Option<chrono::NaiveDateTime>,
    pub responded_by: Option<i64>,
    pub accepted_partner_id: Option<i64>,
    pub accepted_customer_id: Option<i64>,
    pub delegation_accepted: Option<bool>,
    /// A grant request's grant.
    pub grant_id: Option<i64>,
    /// When the link was first shared (sent by email, or the draft closed with Done); none while it is
    /// a draft.
    pub shared_at: Option<chrono::NaiveDateTime>,
    /// The provider's own label for the request (only its organisation sees it).
    pub label: Option<String>,
}

/// How long a draft never shared keeps its link working.
pub const DRAFT_HOURS: i64 = 24;

/// What a link can still do, as its holder sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Made, not shared yet: it works, and stops working `DRAFT_HOURS` after it was made.
    Draft,
    Pending,
    Expired,
    Accepted,
    Declined,
    Revoked,
    /// Replaced by a newer link ("Resend").
    Superseded,
}

impl LinkState {
    /// The key of the status label shown in lists (`status.*`).
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Draft => "status.draft",
            Self::Pending => "status.pending",
            Self::Expired => "status.expired",
            Self::Accepted => "status.accepted",
            Self::Declined => "status.declined",
            Self::Revoked => "status.revoked",
            Self::Superseded => "status.superseded",
        }
    }

    /// A new link can be made for it (not once it was accepted).
    pub fn can_resend(self) -> bool {
        self != Self::Accepted
    }

    pub fn can_revoke(self) -> bool {
        self.is_live()
    }

    /// Its link can still be used (pending, or a draft within its day).
    pub fn is_live(self) -> bool {
        matches!(self, Self::Pending | Self::Draft)
    }

    pub fn badge(self) -> &'static str {
        match self {
            Self::Pending | Self::Draft => "badge-warn",
            Self::Accepted => "badge-ok",
            Self::Expired | Self::Declined | Self::Revoked | Self::Superseded => "badge-bad",
        }
    }
}

/// A request as the provider's list shows it, with the name of who made it.
#[derive(Clone, Debug)]
pub struct SentRequest {
    pub request: RelationshipRequest,
    pub created_by_name: String,
}

impl SentRequest {
    pub fn state(&self) -> LinkState {
        self.request.state()
    }
}

/// The hash of a token as it arrives in a URL; anything that is not a token we issued is no token.
fn hash_if_plausible(token: &str) -> Option<String> {
    let plausible = (40..=64).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then(|| hash_token(token))
}

pub struct NewRequest<'a> {
    pub kind: RequestKind,
    pub provider: ProviderId,
    pub created_by: i64,
    pub ttl: chrono::Duration,
    pub recipient_email: Option<&'a str>,
    pub reseller_id: Option<i64>,
    pub include_delegated_admin: bool,
    pub grant_id: Option<i64>,
    /// A draft: shown to the provider to share, not shared yet.
    pub draft: bool,
}

impl RelationshipRequest {
    pub fn state(&self) -> LinkState {
        match self.status {
            RequestStatus::Accepted => LinkState::Accepted,
            RequestStatus::Declined => LinkState::Declined,
            RequestStatus::Revoked => LinkState::Revoked,
            RequestStatus::Superseded => LinkState::Superseded,
            RequestStatus::Pending if self.expires_at <= now() => LinkState::Expired,
            RequestStatus::Pending if self.shared_at.is_some() => LinkState::Pending,
            RequestStatus::Pending
                if self.created_at + chrono::Duration::hours(DRAFT_HOURS) <= now() =>
            {
                LinkState::Expired
            }
            RequestStatus::Pending => LinkState::Draft,
        }
    }

    /// Records which customer answered an invitation, and whether it gave delegated administration.
    pub fn record_customer(
        conn: &mut DbConnection,
        id: i64,
        customer_id: i64,
        delegation: Option<bool>,
    ) -> QueryResult<()> {
        diesel::update(relationship_requests::table.find(id))
            .set((
                relationship_requests::accepted_customer_id.eq(Some(customer_id)),
                relationship_requests::delegation_accepted.eq(delegation),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Makes a request with a token (made by the caller, and kept here only as its hash).
    pub fn create(
        conn: &mut DbConnection,
        new: NewRequest<'_>,
        token: &str,
    ) -> QueryResult<RelationshipRequest> {
        let at = now();
        let id = new_id();
        diesel::insert_into(relationship_requests::table)
            .values((
                relationship_requests::id.eq(id),
                relationship_requests::kind.eq(new.kind),
                relationship_requests::provider_id.eq(new.provider.get()),
                relationship_requests::token_hash.eq(hash_token(token)),
                relationship_requests::recipient_email.eq(new.recipient_email),
                relationship_requests::reseller_id.eq(new.reseller_id),
                relationship_requests::include_delegated_admin.eq(new.include_delegated_admin),
                relationship_requests::grant_id.eq(new.grant_id),
                relationship_requests::status.eq(RequestStatus::Pending),
                relationship_requests::created_by.eq(new.created_by),
                relationship_requests::created_at.eq(at),
                relationship_requests::expires_at.eq(at + new.ttl),
                relationship_requests::shared_at.eq((!new.draft).then_some(at)),
            ))
            .execute(conn)?;
        relationship_requests::table
            .find(id)
            .select(RelationshipRequest::as_select())
            .first(conn)
    }

    /// The request a link's token belongs to, whatever its state.
    /// How many of a provider's requests of one kind wait for an answer (up to `cap`), and how many of
    /// those were never sent by email (a link shared by hand, or a draft left behind).
    pub fn pending_counts(
        conn: &mut DbConnection,
        provider: ProviderId,
        kind: RequestKind,
        cap: i64,
    ) -> QueryResult<(i64, i64)> {
        let rows: Vec<Option<chrono::NaiveDateTime>> = relationship_requests::table
            .filter(relationship_requests::provider_id.eq(provider.get()))
            .filter(relationship_requests::kind.eq(kind))
            .filter(relationship_requests::status.eq(RequestStatus::Pending))
            .filter(relationship_requests::expires_at.gt(now()))
            .filter(relationship_requests::shared_at.is_not_null())
            .select(relationship_requests::sent_at)
            .limit(cap)
            .load(conn)?;
        let total = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let unsent = i64::try_from(rows.iter().filter(|s| s.is_none()).count()).unwrap_or(i64::MAX);
        Ok((total, unsent))
    }

    /// Keeps a pending request for a reseller whose enrollment is not verified yet, with its link sealed.
    pub fn set_waiting(
        conn: &mut DbConnection,
        id: i64,
        reseller_id: i64,
        sealed_link: &str,
    ) -> QueryResult<()> {
        diesel::update(relationship_requests::table.find(id))
            .set((
                relationship_requests::waiting_reseller_id.eq(Some(reseller_id)),
                relationship_requests::waiting_token_sealed.eq(Some(sealed_link)),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// The requests waiting for a reseller that can still be answered, with their sealed link and the
    /// provider's name, newest first.
    pub fn waiting_for(
        conn: &mut DbConnection,
        reseller_id: i64,
    ) -> QueryResult<Vec<(RelationshipRequest, String, String)>> {
        relationship_requests::table
            .inner_join(partners::table.on(partners::id.eq(relationship_requests::provider_id)))
            .filter(relationship_requests::waiting_reseller_id.eq(reseller_id))
            .filter(relationship_requests::status.eq(RequestStatus::Pending))
            .filter(relationship_requests::expires_at.gt(now()))
            .filter(relationship_requests::waiting_token_sealed.is_not_null())
            .order(relationship_requests::id.desc())
            .limit(20)
            .select((
                RelationshipRequest::as_select(),
                relationship_requests::waiting_token_sealed.assume_not_null(),
                partners::name,
            ))
            .load(conn)
    }

    pub fn find_by_token(
        conn: &mut DbConnection,
        kind: RequestKind,
        token: &str,
    ) -> QueryResult<Option<RelationshipRequest>> {
        let Some(hash) = hash_if_plausible(token) else {
            return Ok(None);
        };
        relationship_requests::table
            .filter(relationship_requests::token_hash.eq(hash))
            .filter(relationship_requests::kind.eq(kind))
            .select(RelationshipRequest::as_select())
            .first(conn)
            .optional()
    }

    /// One of the provider's requests; another provider's is not found.
    pub fn find_for_provider(
        conn: &mut DbConnection,
        provider: ProviderId,
        kind: RequestKind,
        id: i64,
    ) -> QueryResult<RelationshipRequest> {
        relationship_requests::table
            .filter(relationship_requests::id.eq(id))
            .filter(relationship_requests::provider_id.eq(provider.get()))
            .filter(relationship_requests::kind.eq(kind))
            .select(RelationshipRequest::as_select())
            .first(conn)
    }

    /// The provider's requests, newest first, without the ones a resend replaced.
    pub fn page_for_provider(
        conn: &mut DbConnection,
        provider: ProviderId,
        kind: RequestKind,
        seek: &Seek<i64>,
        per_page: usize,
    ) -> QueryResult<Page<SentRequest>> {
        let mut query = relationship_requests::table
            .inner_join(users::table.on(users::id.eq(relationship_requests::created_by)))
            .filter(relationship_requests::provider_id.eq(provider.get()))
            .filter(relationship_requests::kind.eq(kind))
            .filter(relationship_requests::status.ne(RequestStatus::Superseded))
            // Drafts are listed apart (`drafts_for_provider`); one never shared is gone after its day.
            .filter(relationship_requests::shared_at.is_not_null())
            .select((RelationshipRequest::as_select(), users::display_name))
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        query = crate::newest_first!(query, relationship_requests::id, seek);
        let rows: Vec<(RelationshipRequest, String)> = query.load(conn)?;
        let rows = rows
            .into_iter()
            .map(|(request, created_by_name)| SentRequest {
                request,
                created_by_name,
            })
            .collect();
        Ok(Page::from_rows(rows, seek, per_page, |r: &SentRequest| {
            r.request.id
        }))
    }

    /// Records that the link was emailed to `to`.
    pub fn mark_sent(conn: &mut DbConnection, id: i64, to: &str) -> QueryResult<()> {
        let at = now();
        diesel::update(relationship_requests::table.find(id))
            .set((
                relationship_requests::recipient_email.eq(Some(to)),
                relationship_requests::sent_at.eq(Some(at)),
            ))
            .execute(conn)?;
        Self::mark_shared(conn, id, at)
    }

    /// Records that the link was shared (the first time counts).
    pub fn mark_shared(
        conn: &mut DbConnection,
        id: i64,
        at: chrono::NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(
            relationship_requests::table
                .find(id)
                .filter(relationship_requests::shared_at.is_null()),
        )
        .set(relationship_requests::shared_at.eq(Some(at)))
        .execute(conn)
        .map(|_| ())
    }

    /// The provider's label (none to clear it).
    pub fn set_label(conn: &mut DbConnection, id: i64, label: Option<&str>) -> QueryResult<()> {
        diesel::update(relationship_requests::table.find(id))
            .set(relationship_requests::label.eq(label))
            .execute(conn)
            .map(|_| ())
    }

    /// The provider's drafts of one kind still within their day, newest first (at most `limit`).
    pub fn drafts_for_provider(
        conn: &mut DbConnection,
        provider: ProviderId,
        kind: RequestKind,
        limit: i64,
    ) -> QueryResult<Vec<SentRequest>> {
        let since = now() - chrono::Duration::hours(DRAFT_HOURS);
        let rows: Vec<(RelationshipRequest, String)> = relationship_requests::table
            .inner_join(users::table.on(users::id.eq(relationship_requests::created_by)))
            .filter(relationship_requests::provider_id.eq(provider.get()))
            .filter(relationship_requests::kind.eq(kind))
            .filter(relationship_requests::status.eq(RequestStatus::Pending))
            .filter(relationship_requests::shared_at.is_null())
            .filter(relationship_requests::created_at.gt(since))
            .order(relationship_requests::id.desc())
            .limit(limit)
            .select((RelationshipRequest::as_select(), users::display_name))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(request, created_by_name)| SentRequest {
                request,
                created_by_name,
            })
            .collect())
    }

    /// Moves a pending request to a final state; false when it was not pending any more (someone else
    /// got there first), so exactly one caller wins.
    pub fn respond(
        conn: &mut DbConnection,
        id: i64,
        status: RequestStatus,
        responded_by: Option<i64>,
        accepted_partner_id: Option<i64>,
    ) -> QueryResult<bool> {
        diesel::update(
            relationship_requests::table
                .filter(relationship_requests::id.eq(id))
                .filter(relationship_requests::status.eq(RequestStatus::Pending)),
        )
        .set((
            relationship_requests::status.eq(status),
            relationship_requests::responded_at.eq(Some(now())),
            relationship_requests::responded_by.eq(responded_by),
            relationship_requests::accepted_partner_id.eq(accepted_partner_id),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Revokes a pending request's link; false when it was not pending.
    pub fn revoke(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
        diesel::update(
            relationship_requests::table
                .filter(relationship_requests::id.eq(id))
                .filter(relationship_requests::status.eq(RequestStatus::Pending)),
        )
        .set(relationship_requests::status.eq(RequestStatus::Revoked))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Revokes the pending links of a grant request (the grant ended before anyone answered).
    pub fn revoke_for_grant(conn: &mut DbConnection, grant_id: i64) -> QueryResult<usize> {
        diesel::update(
            relationship_requests::table
                .filter(relationship_requests::grant_id.eq(grant_id))
                .filter(relationship_requests::status.eq(RequestStatus::Pending)),
        )
        .set(relationship_requests::status.eq(RequestStatus::Revoked))
        .execute(conn)
    }

    /// The pending grant request of a grant, if any (its draft page).
    pub fn for_grant(conn: &mut DbConnection, grant_id: i64) -> QueryResult<Option<i64>> {
        relationship_requests::table
            .filter(relationship_requests::grant_id.eq(grant_id))
            .filter(relationship_requests::status.eq(RequestStatus::Pending))
            .select(relationship_requests::id)
            .first(conn)
            .optional()
    }

    /// Retires this request's link in favour of a new one.
    pub fn supersede(conn: &mut DbConnection, id: i64, by: i64) -> QueryResult<bool> {
        diesel::update(
            relationship_requests::table
                .filter(relationship_requests::id.eq(id))
                .filter(relationship_requests::status.eq_any([
                    RequestStatus::Pending,
                    RequestStatus::Revoked,
                    RequestStatus::Declined,
                ])),
        )
        .set((
            relationship_requests::status.eq(RequestStatus::Superseded),
            relationship_requests::superseded_by.eq(Some(by)),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_token_shaped_strings_are_looked_up() {
        assert!(hash_if_plausible("short").is_none());
        assert!(hash_if_plausible(&"a".repeat(43)).is_some());
        assert!(hash_if_plausible(&format!("{}'--", "a".repeat(43))).is_none());
        assert_eq!(hash_token("x").len(), 64);
    }
}

/// A partnership request still open, addressed to one of a reseller's people (its Indirect providers page).
#[derive(Clone, Debug, Queryable)]
pub struct OpenRequest {
    pub provider_name: String,
    pub recipient_email: String,
    pub sent_at: chrono::NaiveDateTime,
    pub expires_at: chrono::NaiveDateTime,
}

impl RelationshipRequest {
    /// Open partnership requests emailed to any user of this reseller, newest first.
    pub fn open_for_reseller(
        conn: &mut DbConnection,
        reseller: ResellerId,
        limit: i64,
    ) -> QueryResult<Vec<OpenRequest>> {
        use crate::db::schema::partners;
        let emails = users::table
            .filter(users::partner_id.eq(reseller.get()))
            .select(users::email);
        relationship_requests::table
            .inner_join(partners::table.on(partners::id.eq(relationship_requests::provider_id)))
            .filter(relationship_requests::kind.eq(RequestKind::Partnership))
            .filter(relationship_requests::status.eq(RequestStatus::Pending))
            .filter(relationship_requests::expires_at.gt(now()))
            .filter(relationship_requests::recipient_email.eq_any(emails.nullable()))
            .filter(relationship_requests::sent_at.is_not_null())
            .order(relationship_requests::id.desc())
            .limit(limit)
            .select((
                partners::name,
                relationship_requests::recipient_email.assume_not_null(),
                relationship_requests::sent_at.assume_not_null(),
                relationship_requests::expires_at,
            ))
            .load(conn)
    }
}
