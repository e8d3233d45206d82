//! The relationship check (SPEC.md §2.13): where a provider's customer relationships and its grants
//! disagree. One set of queries serves one customer's panel and the page across customers: each finds
//! one kind of problem, newest first, at most `limit`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{
    customers, grants, partners, partnerships, provider_customers, subscriptions,
};
use crate::domain::{GrantStatus, PartnershipStatus, ProviderId, SubscriptionStatus};

/// The kinds of problem, each with what fixes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The associated reseller holds no grant in force on the customer.
    NoGrant,
    /// A subscription's designated support contact is a reseller without a Support grant in force.
    SupportWithoutGrant,
    /// A subscription's reseller of record is no longer partnered with the provider.
    RecordNotPartnered,
    /// A grant expires within 30 days (and does not extend itself).
    ExpiringSoon,
    /// The associated reseller's grant expired and nothing replaced it.
    GrantExpired,
}

impl Problem {
    pub fn label_key(self) -> &'static str {
        match self {
            Problem::NoGrant => "check.no_grant",
            Problem::SupportWithoutGrant => "check.support_without_grant",
            Problem::RecordNotPartnered => "check.record_not_partnered",
            Problem::ExpiringSoon => "check.expiring_soon",
            Problem::GrantExpired => "check.grant_expired",
        }
    }

    pub fn fix_key(self) -> &'static str {
        match self {
            Problem::NoGrant | Problem::GrantExpired => "check.fix_request_grant",
            Problem::SupportWithoutGrant => "check.fix_support_contact",
            Problem::RecordNotPartnered => "check.fix_reseller_of_record",
            Problem::ExpiringSoon => "check.fix_extend",
        }
    }
}

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    pub problem: Problem,
    pub customer_id: i64,
    pub company_name: String,
    /// The subscription or grant it is about (the customer itself for `NoGrant`).
    pub subject_id: i64,
    /// The reseller (or grant holder) concerned.
    pub who: String,
    /// When the grant expires (or expired).
    pub at: Option<NaiveDateTime>,
}

impl Flag {
    /// Where the fix is.
    pub fn fix_path(&self) -> String {
        match self.problem {
            Problem::SupportWithoutGrant | Problem::RecordNotPartnered => {
                format!("/subscriptions/{}", self.subject_id)
            }
            _ => format!("/customers/{}#grants", self.customer_id),
        }
    }
}

const LIVE: [SubscriptionStatus; 2] = [SubscriptionStatus::Active, SubscriptionStatus::Suspended];

/// Every problem of the provider's (one customer's, or all), at most `limit` of each kind.
pub fn flags(
    conn: &mut DbConnection,
    provider: ProviderId,
    customer: Option<i64>,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Flag>> {
    let p = provider.get();
    let mut out = Vec::new();

    // Grants in force, and expired ones, matched to the outer row by holder, customer and provider.
    let in_force = grants::status
        .eq(GrantStatus::Active)
        .and(grants::expires_at.gt(now).or(grants::auto_extend.eq(true)));
    let expired = grants::status.eq(GrantStatus::Expired).or(grants::status
        .eq(GrantStatus::Active)
        .and(grants::expires_at.le(now))
        .and(grants::auto_extend.eq(false)));

    // The associated reseller: no grant in force; expired (or never had one).
    let mut q = provider_customers::table
        .inner_join(partners::table.on(partners::id.nullable().eq(provider_customers::reseller_id)))
        .filter(provider_customers::provider_id.eq(p))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            grants::table
                .filter(grants::provider_id.eq(provider_customers::provider_id))
                .filter(grants::customer_id.eq(provider_customers::customer_id))
                .filter(
                    grants::holder_id
                        .nullable()
                        .eq(provider_customers::reseller_id),
                )
                .filter(in_force),
        )))
        .select((
            provider_customers::customer_id,
            provider_customers::company_name,
            partners::name,
            diesel::dsl::exists(
                grants::table
                    .filter(grants::provider_id.eq(provider_customers::provider_id))
                    .filter(grants::customer_id.eq(provider_customers::customer_id))
                    .filter(
                        grants::holder_id
                            .nullable()
                            .eq(provider_customers::reseller_id),
                    )
                    .filter(expired),
            ),
        ))
        .order(provider_customers::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(c) = customer {
        q = q.filter(provider_customers::customer_id.eq(c));
    }
    for (customer_id, company_name, who, had) in q.load::<(i64, String, String, bool)>(conn)? {
        out.push(Flag {
            problem: if had {
                Problem::GrantExpired
            } else {
                Problem::NoGrant
            },
            customer_id,
            company_name,
            subject_id: customer_id,
            who,
            at: None,
        });
    }

    // Support contacts without a Support grant in force.
    let mut q = subscriptions::table
        .inner_join(customers::table)
        .inner_join(partners::table.on(partners::id.eq(subscriptions::support_contact_id)))
        .filter(subscriptions::provider_id.eq(p))
        .filter(subscriptions::support_contact_id.ne(p))
        .filter(subscriptions::status.eq_any(LIVE))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            grants::table
                .filter(grants::provider_id.eq(subscriptions::provider_id))
                .filter(grants::customer_id.eq(subscriptions::customer_id))
                .filter(grants::holder_id.eq(subscriptions::support_contact_id))
                .filter(grants::role_support.eq(true))
                .filter(in_force),
        )))
        .select((
            subscriptions::customer_id,
            customers::company_name,
            subscriptions::id,
            partners::name,
        ))
        .order(subscriptions::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(c) = customer {
        q = q.filter(subscriptions::customer_id.eq(c));
    }
    for (customer_id, company_name, subject_id, who) in
        q.load::<(i64, String, i64, String)>(conn)?
    {
        out.push(Flag {
            problem: Problem::SupportWithoutGrant,
            customer_id,
            company_name,
            subject_id,
            who,
            at: None,
        });
    }

    // Resellers of record no longer partnered.
    let mut q = subscriptions::table
        .inner_join(customers::table)
        .inner_join(
            partners::table.on(partners::id
                .nullable()
                .eq(subscriptions::reseller_of_record_id)),
        )
        .filter(subscriptions::provider_id.eq(p))
        .filter(subscriptions::status.eq_any(LIVE))
        // Only resellers whose partnership with the provider was removed can be the problem: the
        // search starts from those few (an index range per reseller), not from every subscription.
        .filter(
            subscriptions::reseller_of_record_id.eq_any(
                partnerships::table
                    .filter(partnerships::provider_id.eq(p))
                    .filter(partnerships::status.eq(PartnershipStatus::Removed))
                    .select(partnerships::reseller_id.nullable()),
            ),
        )
        .filter(diesel::dsl::not(diesel::dsl::exists(
            partnerships::table
                .filter(partnerships::provider_id.eq(subscriptions::provider_id))
                .filter(
                    partnerships::reseller_id
                        .nullable()
                        .eq(subscriptions::reseller_of_record_id),
                )
                .filter(partnerships::status.eq(PartnershipStatus::Active)),
        )))
        .select((
            subscriptions::customer_id,
            customers::company_name,
            subscriptions::id,
            partners::name,
        ))
        .order(subscriptions::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(c) = customer {
        q = q.filter(subscriptions::customer_id.eq(c));
    }
    for (customer_id, company_name, subject_id, who) in
        q.load::<(i64, String, i64, String)>(conn)?
    {
        out.push(Flag {
            problem: Problem::RecordNotPartnered,
            customer_id,
            company_name,
            subject_id,
            who,
            at: None,
        });
    }

    // Grants expiring within 30 days that no later grant of the same holder replaces.
    let later = diesel::alias!(grants as later);
    let mut q = grants::table
        .inner_join(customers::table)
        .inner_join(partners::table.on(partners::id.eq(grants::holder_id)))
        .filter(grants::provider_id.eq(p))
        .filter(grants::status.eq(GrantStatus::Active))
        .filter(grants::auto_extend.eq(false))
        .filter(grants::expires_at.gt(now))
        .filter(grants::expires_at.le(now + chrono::Duration::days(super::grant::SOON_DAYS)))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            later
                .filter(later.field(grants::provider_id).eq(grants::provider_id))
                .filter(later.field(grants::customer_id).eq(grants::customer_id))
                .filter(later.field(grants::holder_id).eq(grants::holder_id))
                .filter(later.field(grants::status).eq(GrantStatus::Active))
                .filter(
                    later
                        .field(grants::expires_at)
                        .gt(grants::expires_at)
                        .or(later.field(grants::auto_extend).eq(true)),
                ),
        )))
        .select((
            grants::customer_id,
            customers::company_name,
            grants::id,
            partners::name,
            grants::expires_at,
        ))
        .order(grants::expires_at.asc())
        .limit(limit)
        .into_boxed();
    if let Some(c) = customer {
        q = q.filter(grants::customer_id.eq(c));
    }
    for (customer_id, company_name, subject_id, who, at) in
        q.load::<(i64, String, i64, String, NaiveDateTime)>(conn)?
    {
        out.push(Flag {
            problem: Problem::ExpiringSoon,
            customer_id,
            company_name,
            subject_id,
            who,
            at: Some(at),
        });
    }
    Ok(out)
}
