//! Delegated-administration grants (SPEC.md §2.13): roles on a customer, held by its provider or one
//! of the provider's resellers, for a limited time, once the customer's admin approved. A grant is in
//! force while it is active and its expiry lies ahead (or it extends itself): every check compares with
//! the injected clock, so a grant the job has not expired yet still counts as expired.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::new_id;
use crate::db::schema::{customers, grants, partners};
use crate::domain::GrantStatus;
use crate::pagination::{Page, Seek};

/// How long an unapproved request waits for the customer's admin.
pub const REQUEST_DAYS: i64 = 90;
/// How long an Auto-extend grant extends itself each time.
pub const EXTEND_DAYS: i64 = 180;
/// The longest grant.
pub const MAX_DAYS: i32 = 730;
/// "Expiring soon" and the first reminder.
pub const SOON_DAYS: i64 = 30;

#[derive(Queryable, Selectable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = grants)]
pub struct Grant {
    pub id: i64,
    pub provider_id: i64,
    pub customer_id: i64,
    pub holder_id: i64,
    pub role_admin: bool,
    pub role_licenses: bool,
    pub role_support: bool,
    pub role_billing: bool,
    pub days: i32,
    pub auto_extend: bool,
    pub status: GrantStatus,
    pub requested_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub approved_at: Option<NaiveDateTime>,
    pub approved_by: Option<i64>,
    pub ended_at: Option<NaiveDateTime>,
    pub ended_by: Option<i64>,
    pub reminded: i32,
}

/// The roles a grant can give, from a fixed list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Change licenses, cancel within the window, schedule changes.
    SubscriptionAdmin,
    LicenseReader,
    /// May be the designated support contact; sees the customer's subscriptions.
    Support,
    /// The customer's statements.
    BillingReader,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::SubscriptionAdmin,
        Role::LicenseReader,
        Role::Support,
        Role::BillingReader,
    ];

    /// The form field and the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SubscriptionAdmin => "subscription_admin",
            Role::LicenseReader => "license_reader",
            Role::Support => "support",
            Role::BillingReader => "billing_reader",
        }
    }

    /// What the role allows, in a sentence.
    pub fn hint_key(self) -> &'static str {
        match self {
            Role::SubscriptionAdmin => "grants.role_hint.subscription_admin",
            Role::LicenseReader => "grants.role_hint.license_reader",
            Role::Support => "grants.role_hint.support",
            Role::BillingReader => "grants.role_hint.billing_reader",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Role::SubscriptionAdmin => "grants.role.subscription_admin",
            Role::LicenseReader => "grants.role.license_reader",
            Role::Support => "grants.role.support",
            Role::BillingReader => "grants.role.billing_reader",
        }
    }
}

/// A set of roles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Roles {
    pub admin: bool,
    pub licenses: bool,
    pub support: bool,
    pub billing: bool,
}

impl Roles {
    /// What delegated administration gave before grants: subscription administrator, license reader
    /// and support.
    pub const DELEGATED: Roles = Roles {
        admin: true,
        licenses: true,
        support: true,
        billing: false,
    };

    pub fn has(&self, role: Role) -> bool {
        match role {
            Role::SubscriptionAdmin => self.admin,
            Role::LicenseReader => self.licenses,
            Role::Support => self.support,
            Role::BillingReader => self.billing,
        }
    }

    pub fn with(mut self, role: Role) -> Self {
        match role {
            Role::SubscriptionAdmin => self.admin = true,
            Role::LicenseReader => self.licenses = true,
            Role::Support => self.support = true,
            Role::BillingReader => self.billing = true,
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        *self == Roles::default()
    }

    pub fn list(&self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| self.has(*r)).collect()
    }

    /// "subscription_admin, support", for the activity log.
    pub fn describe(&self) -> String {
        self.list()
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What a grant looks like to the people it concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantState {
    PendingApproval,
    Active,
    /// Active, 30 days or less left (an Auto-extend grant never is: it extends).
    ExpiringSoon,
    Expired,
    Ended,
    Declined,
    /// Never approved in time.
    Lapsed,
}

impl GrantState {
    pub fn label_key(self) -> &'static str {
        match self {
            GrantState::PendingApproval => "grants.state.pending",
            GrantState::Active => "grants.state.active",
            GrantState::ExpiringSoon => "grants.state.expiring_soon",
            GrantState::Expired => "grants.state.expired",
            GrantState::Ended => "grants.state.ended",
            GrantState::Declined => "grants.state.declined",
            GrantState::Lapsed => "grants.state.lapsed",
        }
    }

    pub fn badge(self) -> &'static str {
        match self {
            GrantState::Active => "badge-ok",
            GrantState::PendingApproval | GrantState::ExpiringSoon => "badge-warn",
            _ => "badge-bad",
        }
    }

    /// Pending or in force: it can be ended.
    pub fn can_end(self) -> bool {
        matches!(
            self,
            GrantState::PendingApproval | GrantState::Active | GrantState::ExpiringSoon
        )
    }
}

/// A grant to write: pending (a request) or active at once (the customer agreed some other way).
pub struct NewGrant {
    pub provider_id: i64,
    pub customer_id: i64,
    pub holder_id: i64,
    pub roles: Roles,
    pub days: i32,
    pub auto_extend: bool,
    pub requested_by: Option<i64>,
    pub active: bool,
    pub now: NaiveDateTime,
}

/// A grant with the names a list shows.
#[derive(Clone, Debug)]
pub struct GrantRow {
    pub grant: Grant,
    pub holder_name: String,
    pub provider_name: String,
    pub customer_name: String,
}

/// A page of grants with the names a list shows (holder, provider, customer), newest first from
/// `$seek`; `$narrow` filters the boxed query.
macro_rules! grant_rows {
    ($conn:expr, $seek:expr, $per_page:expr, |$query:ident| $narrow:expr) => {{
        let providers = diesel::alias!(partners as providers);
        let $query = grants::table
            .inner_join(partners::table.on(partners::id.eq(grants::holder_id)))
            .inner_join(providers.on(providers.field(partners::id).eq(grants::provider_id)))
            .inner_join(customers::table.on(customers::id.eq(grants::customer_id)))
            .limit(crate::pagination::fetch_limit($per_page))
            .select((
                Grant::as_select(),
                partners::name,
                providers.field(partners::name),
                customers::company_name,
            ))
            .into_boxed();
        let query = crate::newest_first!($narrow, grants::id, $seek);
        let rows: Vec<(Grant, String, String, String)> = query.load($conn)?;
        let rows = rows.into_iter().map(GrantRow::from).collect();
        Ok(Page::from_rows(rows, $seek, $per_page, |r: &GrantRow| {
            r.grant.id
        }))
    }};
}

/// Grants in force at `$now`: active, and either not expired yet or extending themselves.
macro_rules! in_force {
    ($now:expr) => {
        grants::status
            .eq(GrantStatus::Active)
            .and(grants::expires_at.gt($now).or(grants::auto_extend.eq(true)))
    };
}

/// A boxed query of grants selecting one id column.
type IdQuery<'a> = grants::BoxedQuery<
    'a,
    <DbConnection as diesel::Connection>::Backend,
    diesel::sql_types::BigInt,
>;

/// Grants with this role (`None`: any role that sees the customer's subscriptions).
fn with_role<'a>(query: IdQuery<'a>, role: Option<Role>) -> IdQuery<'a> {
    match role {
        Some(Role::SubscriptionAdmin) => query.filter(grants::role_admin.eq(true)),
        Some(Role::LicenseReader) => query.filter(grants::role_licenses.eq(true)),
        Some(Role::Support) => query.filter(grants::role_support.eq(true)),
        Some(Role::BillingReader) => query.filter(grants::role_billing.eq(true)),
        None => query.filter(
            grants::role_admin
                .eq(true)
                .or(grants::role_licenses.eq(true))
                .or(grants::role_support.eq(true)),
        ),
    }
}

impl Grant {
    pub fn roles(&self) -> Roles {
        Roles {
            admin: self.role_admin,
            licenses: self.role_licenses,
            support: self.role_support,
            billing: self.role_billing,
        }
    }

    pub fn state(&self, now: NaiveDateTime) -> GrantState {
        match self.status {
            GrantStatus::Pending if self.expires_at <= now => GrantState::Lapsed,
            GrantStatus::Pending => GrantState::PendingApproval,
            GrantStatus::Active if self.auto_extend => GrantState::Active,
            GrantStatus::Active if self.expires_at <= now => GrantState::Expired,
            GrantStatus::Active if self.expires_at <= now + chrono::Duration::days(SOON_DAYS) => {
                GrantState::ExpiringSoon
            }
            GrantStatus::Active => GrantState::Active,
            GrantStatus::Declined => GrantState::Declined,
            GrantStatus::Lapsed => GrantState::Lapsed,
            GrantStatus::Expired => GrantState::Expired,
            GrantStatus::Ended => GrantState::Ended,
        }
    }

    pub fn in_force(&self, now: NaiveDateTime) -> bool {
        matches!(
            self.state(now),
            GrantState::Active | GrantState::ExpiringSoon
        )
    }

    pub fn create(conn: &mut DbConnection, new: &NewGrant) -> QueryResult<Grant> {
        let id = new_id();
        let (status, expires_at, approved_at) = if new.active {
            (
                GrantStatus::Active,
                new.now + chrono::Duration::days(new.days.into()),
                Some(new.now),
            )
        } else {
            (
                GrantStatus::Pending,
                new.now + chrono::Duration::days(REQUEST_DAYS),
                None,
            )
        };
        diesel::insert_into(grants::table)
            .values((
                grants::id.eq(id),
                grants::provider_id.eq(new.provider_id),
                grants::customer_id.eq(new.customer_id),
                grants::holder_id.eq(new.holder_id),
                grants::role_admin.eq(new.roles.admin),
                grants::role_licenses.eq(new.roles.licenses),
                grants::role_support.eq(new.roles.support),
                grants::role_billing.eq(new.roles.billing),
                grants::days.eq(new.days),
                grants::auto_extend.eq(new.auto_extend),
                grants::status.eq(status),
                grants::requested_by.eq(new.requested_by),
                grants::created_at.eq(new.now),
                grants::expires_at.eq(expires_at),
                grants::approved_at.eq(approved_at),
                grants::reminded.eq(0),
            ))
            .execute(conn)?;
        Self::find(conn, id)
    }

    /// Records who approved a grant made active at once (the customer's admin, answering an invitation).
    pub fn record_approval(conn: &mut DbConnection, id: i64, user_id: i64) -> QueryResult<()> {
        diesel::update(grants::table.find(id))
            .set(grants::approved_by.eq(Some(user_id)))
            .execute(conn)
            .map(|_| ())
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Grant> {
        grants::table
            .find(id)
            .select(Grant::as_select())
            .first(conn)
    }

    /// Whether `holder` holds a grant in force on the provider's customer with `role` (`None`: any role
    /// that sees the customer's subscriptions).
    pub fn holds(
        conn: &mut DbConnection,
        provider_id: i64,
        customer_id: i64,
        holder_id: i64,
        role: Option<Role>,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let query = grants::table
            .filter(grants::holder_id.eq(holder_id))
            .filter(grants::customer_id.eq(customer_id))
            .filter(grants::provider_id.eq(provider_id))
            .filter(in_force!(now))
            .select(grants::id)
            .limit(1)
            .into_boxed();
        let found: Option<i64> = with_role(query, role).first(conn).optional()?;
        Ok(found.is_some())
    }

    /// The holders of grants in force on the provider's customer with `role`.
    pub fn holders(
        conn: &mut DbConnection,
        provider_id: i64,
        customer_id: i64,
        role: Role,
        now: NaiveDateTime,
    ) -> QueryResult<Vec<i64>> {
        let query = grants::table
            .filter(grants::customer_id.eq(customer_id))
            .filter(grants::provider_id.eq(provider_id))
            .filter(in_force!(now))
            .select(grants::holder_id)
            .distinct()
            .into_boxed();
        with_role(query, Some(role)).load(conn)
    }

    /// The grants on a customer (of one provider, or of all its providers), newest first, with names
    /// (at most 200: a customer has a few).
    pub fn for_customer(
        conn: &mut DbConnection,
        customer_id: i64,
        provider_id: Option<i64>,
    ) -> QueryResult<Vec<GrantRow>> {
        let page: QueryResult<Page<GrantRow>> =
            grant_rows!(conn, &Seek::<i64>::First, 200, |query| {
                let mut query = query.filter(grants::customer_id.eq(customer_id));
                if let Some(p) = provider_id {
                    query = query.filter(grants::provider_id.eq(p));
                }
                query
            });
        Ok(page?.items)
    }

    /// A page of a provider's grants across its customers, newest first.
    pub fn page_for_provider(
        conn: &mut DbConnection,
        provider_id: i64,
        seek: &Seek<i64>,
        per_page: usize,
    ) -> QueryResult<Page<GrantRow>> {
        grant_rows!(conn, seek, per_page, |query| query
            .filter(grants::provider_id.eq(provider_id)))
    }

    /// A page of the grants a reseller holds or held (not the requests waiting), from any provider,
    /// newest first.
    pub fn page_held_by(
        conn: &mut DbConnection,
        holder_id: i64,
        seek: &Seek<i64>,
        per_page: usize,
    ) -> QueryResult<Page<GrantRow>> {
        grant_rows!(conn, seek, per_page, |query| query
            .filter(grants::holder_id.eq(holder_id))
            .filter(grants::status.ne(GrantStatus::Pending)))
    }

    /// Approves a pending request that has not lapsed: it is in force for its days from now. False when
    /// it was not pending any more.
    pub fn approve(
        conn: &mut DbConnection,
        grant: &Grant,
        user_id: i64,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            grants::table
                .filter(grants::id.eq(grant.id))
                .filter(grants::status.eq(GrantStatus::Pending))
                .filter(grants::expires_at.gt(now)),
        )
        .set((
            grants::status.eq(GrantStatus::Active),
            grants::approved_at.eq(Some(now)),
            grants::approved_by.eq(Some(user_id)),
            grants::expires_at.eq(now + chrono::Duration::days(grant.days.into())),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Moves a grant from `from` to `to` (declined, lapsed, expired, ended), recording who and when;
    /// false when it was not in `from` any more (someone else got there first).
    pub fn finish(
        conn: &mut DbConnection,
        id: i64,
        from: &[GrantStatus],
        to: GrantStatus,
        user_id: Option<i64>,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            grants::table
                .filter(grants::id.eq(id))
                .filter(grants::status.eq_any(from.to_vec())),
        )
        .set((
            grants::status.eq(to),
            grants::ended_at.eq(Some(now)),
            grants::ended_by.eq(user_id),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// The pending and active grants of a provider held by one holder (on one customer, or on all).
    pub fn open_held(
        conn: &mut DbConnection,
        provider_id: i64,
        holder_id: i64,
        customer_id: Option<i64>,
    ) -> QueryResult<Vec<Grant>> {
        let mut query = grants::table
            .filter(grants::provider_id.eq(provider_id))
            .filter(grants::holder_id.eq(holder_id))
            .filter(grants::status.eq_any([GrantStatus::Pending, GrantStatus::Active]))
            .select(Grant::as_select())
            .into_boxed();
        if let Some(c) = customer_id {
            query = query.filter(grants::customer_id.eq(c));
        }
        query.load(conn)
    }

    /// Grants the job must act on at `now`: pending ones past their lapse, Auto-extend ones past their
    /// expiry, and the others that reached a reminder stage they have not had (30 days, 7 days, expiry);
    /// oldest expiry first, at most `limit`.
    pub fn due(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<Grant>> {
        let active = grants::status.eq(GrantStatus::Active);
        let reminder = grants::auto_extend.eq(false).and(
            grants::reminded
                .lt(1)
                .and(grants::expires_at.le(now + chrono::Duration::days(SOON_DAYS)))
                .or(grants::reminded
                    .lt(2)
                    .and(grants::expires_at.le(now + chrono::Duration::days(7))))
                .or(grants::reminded.lt(3).and(grants::expires_at.le(now))),
        );
        let extend = grants::auto_extend.eq(true).and(grants::expires_at.le(now));
        grants::table
            .filter(
                grants::status
                    .eq(GrantStatus::Pending)
                    .and(grants::expires_at.le(now))
                    .or(active.and(reminder.or(extend))),
            )
            .order(grants::expires_at.asc())
            .limit(limit)
            .select(Grant::as_select())
            .load(conn)
    }

    /// Extends an Auto-extend grant whose expiry passed, once: only if it still stands at `old`.
    pub fn extend(
        conn: &mut DbConnection,
        id: i64,
        old: NaiveDateTime,
        new: NaiveDateTime,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            grants::table
                .filter(grants::id.eq(id))
                .filter(grants::status.eq(GrantStatus::Active))
                .filter(grants::expires_at.eq(old)),
        )
        .set((grants::expires_at.eq(new), grants::reminded.eq(0)))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Records a reminder stage as sent, once: false when another instance recorded it first.
    pub fn mark_reminded(
        conn: &mut DbConnection,
        id: i64,
        from: i32,
        to: i32,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            grants::table
                .filter(grants::id.eq(id))
                .filter(grants::status.eq(GrantStatus::Active))
                .filter(grants::reminded.eq(from)),
        )
        .set(grants::reminded.eq(to))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// How many of the provider's grants expire within 30 days (not the self-extending), up to `cap`.
    pub fn count_expiring(
        conn: &mut DbConnection,
        provider_id: i64,
        now: NaiveDateTime,
        cap: i64,
    ) -> QueryResult<i64> {
        let ids: Vec<i64> = grants::table
            .filter(grants::status.eq(GrantStatus::Active))
            .filter(grants::expires_at.gt(now))
            .filter(grants::expires_at.le(now + chrono::Duration::days(SOON_DAYS)))
            .filter(grants::provider_id.eq(provider_id))
            .filter(grants::auto_extend.eq(false))
            .select(grants::id)
            .limit(cap)
            .load(conn)?;
        Ok(i64::try_from(ids.len()).unwrap_or(i64::MAX))
    }

    /// Whether a provider's customer has any grant on it in force held by `holder`, with any role.
    pub fn any_in_force(
        conn: &mut DbConnection,
        provider_id: i64,
        customer_id: i64,
        holder_id: i64,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            grants::table
                .filter(grants::holder_id.eq(holder_id))
                .filter(grants::customer_id.eq(customer_id))
                .filter(grants::provider_id.eq(provider_id))
                .filter(in_force!(now)),
        ))
        .get_result(conn)
    }
}

impl From<(Grant, String, String, String)> for GrantRow {
    fn from(
        (grant, holder_name, provider_name, customer_name): (Grant, String, String, String),
    ) -> Self {
        GrantRow {
            grant,
            holder_name,
            provider_name,
            customer_name,
        }
    }
}
