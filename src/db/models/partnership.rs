//! Partnerships between an indirect provider and an indirect reseller. A removed partnership keeps its
//! row (and the customers and subscriptions made under it); accepting a new request reactivates it.

use diesel::prelude::*;

use crate::db::schema::{partners, partnerships};
use crate::db::{DbConnection, like_pattern, lower, new_id, now};
use crate::domain::{PartnershipStatus, ProviderId, ResellerId};
use crate::pagination::{Page, Seek};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = partnerships)]
pub struct Partnership {
    pub id: i64,
    pub provider_id: i64,
    pub reseller_id: i64,
    pub status: PartnershipStatus,
    pub request_id: Option<i64>,
    pub customer_count: i64,
    pub license_count: i64,
    pub created_at: chrono::NaiveDateTime,
    pub removed_at: Option<chrono::NaiveDateTime>,
    pub removed_by: Option<i64>,
    pub reseller_name: String,
    /// The open balance the reseller may run up before its orders wait for review (none: no limit).
    pub credit_limit_minor: Option<i64>,
    /// Every order on the reseller's behalf waits for the provider's review.
    pub review_every_order: bool,
}

/// A row of the provider's Indirect resellers list.
#[derive(Clone, Debug)]
pub struct PartneredReseller {
    pub partnership: Partnership,
    pub partner_number: Option<String>,
    pub country: String,
}

/// A row of the reseller's Indirect providers list.
#[derive(Clone, Debug, Queryable)]
pub struct ProviderOfReseller {
    pub provider_id: i64,
    pub name: String,
    pub country: String,
    pub since: chrono::NaiveDateTime,
}

/// What accepting a partnership request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// A new partnership.
    Created(i64),
    /// A removed partnership is active again.
    Reactivated(i64),
}

const ACTIVE: PartnershipStatus = PartnershipStatus::Active;
const REMOVED: PartnershipStatus = PartnershipStatus::Removed;

impl Partnership {
    /// Sets the reseller's credit limit (none: no limit) and the Approve every order switch.
    pub fn set_credit(
        conn: &mut DbConnection,
        provider: i64,
        reseller: i64,
        limit: Option<i64>,
        review_every_order: bool,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            partnerships::table
                .filter(partnerships::provider_id.eq(provider))
                .filter(partnerships::reseller_id.eq(reseller))
                .filter(partnerships::status.eq(ACTIVE)),
        )
        .set((
            partnerships::credit_limit_minor.eq(limit),
            partnerships::review_every_order.eq(review_every_order),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// The active partnership of this provider with this reseller, if there is one.
    pub fn active(
        conn: &mut DbConnection,
        provider_id: i64,
        reseller_id: i64,
    ) -> QueryResult<Option<Partnership>> {
        partnerships::table
            .filter(partnerships::provider_id.eq(provider_id))
            .filter(partnerships::reseller_id.eq(reseller_id))
            .filter(partnerships::status.eq(ACTIVE))
            .select(Partnership::as_select())
            .first(conn)
            .optional()
    }

    /// Makes the partnership active (new, or again after a removal). The caller has checked that it is
    /// not active already, in the same transaction; the unique (provider, reseller) pair backs that up.
    pub fn activate(
        conn: &mut DbConnection,
        provider_id: i64,
        reseller_id: i64,
        reseller_name: &str,
        request_id: Option<i64>,
    ) -> QueryResult<Accepted> {
        let at = now();
        let reactivated = diesel::update(
            partnerships::table
                .filter(partnerships::provider_id.eq(provider_id))
                .filter(partnerships::reseller_id.eq(reseller_id))
                .filter(partnerships::status.eq(REMOVED)),
        )
        .set((
            partnerships::status.eq(ACTIVE),
            partnerships::request_id.eq(request_id),
            partnerships::created_at.eq(at),
            partnerships::removed_at.eq(None::<chrono::NaiveDateTime>),
            partnerships::removed_by.eq(None::<i64>),
            partnerships::reseller_name.eq(reseller_name),
        ))
        .execute(conn)?;
        if reactivated == 1 {
            let id = partnerships::table
                .filter(partnerships::provider_id.eq(provider_id))
                .filter(partnerships::reseller_id.eq(reseller_id))
                .select(partnerships::id)
                .first(conn)?;
            return Ok(Accepted::Reactivated(id));
        }
        let id = new_id();
        diesel::insert_into(partnerships::table)
            .values((
                partnerships::id.eq(id),
                partnerships::provider_id.eq(provider_id),
                partnerships::reseller_id.eq(reseller_id),
                partnerships::status.eq(ACTIVE),
                partnerships::request_id.eq(request_id),
                partnerships::created_at.eq(at),
                partnerships::reseller_name.eq(reseller_name),
            ))
            .execute(conn)?;
        Ok(Accepted::Created(id))
    }

    /// Whether the provider has (or had) a partnership with this reseller: whose customers it may filter by.
    pub fn ever_existed(
        conn: &mut DbConnection,
        provider: ProviderId,
        reseller_id: i64,
    ) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            partnerships::table
                .filter(partnerships::provider_id.eq(provider.get()))
                .filter(partnerships::reseller_id.eq(reseller_id)),
        ))
        .get_result(conn)
    }

    /// Moves the reseller's customer and license counts on its partnership with this provider.
    pub fn bump_counts(
        conn: &mut DbConnection,
        provider_id: i64,
        reseller_id: i64,
        customers: i64,
        licenses: i64,
    ) -> QueryResult<()> {
        diesel::update(
            partnerships::table
                .filter(partnerships::provider_id.eq(provider_id))
                .filter(partnerships::reseller_id.eq(reseller_id)),
        )
        .set((
            partnerships::customer_count.eq(partnerships::customer_count + customers),
            partnerships::license_count.eq(partnerships::license_count + licenses),
        ))
        .execute(conn)
        .map(|_| ())
    }

    /// The provider's partnered resellers for a select list: by name, at most `limit`, plus `include`
    /// (the one currently chosen) wherever it falls.
    pub fn choices_for_provider(
        conn: &mut DbConnection,
        provider: ProviderId,
        limit: i64,
        include: Option<i64>,
    ) -> QueryResult<Vec<(i64, String)>> {
        let mut choices: Vec<(i64, String)> = partnerships::table
            .filter(partnerships::provider_id.eq(provider.get()))
            .filter(partnerships::status.eq(ACTIVE))
            .order((
                partnerships::reseller_name.asc(),
                partnerships::reseller_id.asc(),
            ))
            .limit(limit)
            .select((partnerships::reseller_id, partnerships::reseller_name))
            .load(conn)?;
        if let Some(id) = include.filter(|id| !choices.iter().any(|(c, _)| c == id)) {
            let extra: Option<(i64, String)> = partnerships::table
                .filter(partnerships::provider_id.eq(provider.get()))
                .filter(partnerships::reseller_id.eq(id))
                .filter(partnerships::status.eq(ACTIVE))
                .select((partnerships::reseller_id, partnerships::reseller_name))
                .first(conn)
                .optional()?;
            if let Some(extra) = extra {
                choices.push(extra);
                choices.sort_by(|a, b| a.1.cmp(&b.1));
            }
        }
        Ok(choices)
    }

    /// The top resellers by licenses, for the home page chart.
    pub fn top_by_licenses(
        conn: &mut DbConnection,
        provider: ProviderId,
        limit: i64,
    ) -> QueryResult<Vec<(String, i64)>> {
        partnerships::table
            .filter(partnerships::provider_id.eq(provider.get()))
            .filter(partnerships::status.eq(ACTIVE))
            .filter(partnerships::license_count.gt(0))
            .order(partnerships::license_count.desc())
            .limit(limit)
            .select((partnerships::reseller_name, partnerships::license_count))
            .load(conn)
    }

    /// Ends a partnership. Customers and subscriptions stay as they are; the reseller can no longer be
    /// chosen for new ones. False when there was no active partnership.
    pub fn remove(
        conn: &mut DbConnection,
        provider: ProviderId,
        reseller_id: i64,
        removed_by: i64,
    ) -> QueryResult<bool> {
        diesel::update(
            partnerships::table
                .filter(partnerships::provider_id.eq(provider.get()))
                .filter(partnerships::reseller_id.eq(reseller_id))
                .filter(partnerships::status.eq(ACTIVE)),
        )
        .set((
            partnerships::status.eq(REMOVED),
            partnerships::removed_at.eq(Some(now())),
            partnerships::removed_by.eq(Some(removed_by)),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// One of the provider's partnered resellers, for its row actions; anyone else's is not found.
    pub fn find_active_for_provider(
        conn: &mut DbConnection,
        provider: ProviderId,
        reseller_id: i64,
    ) -> QueryResult<PartneredReseller> {
        partnerships::table
            .inner_join(partners::table.on(partners::id.eq(partnerships::reseller_id)))
            .filter(partnerships::provider_id.eq(provider.get()))
            .filter(partnerships::reseller_id.eq(reseller_id))
            .filter(partnerships::status.eq(ACTIVE))
            .select((
                Partnership::as_select(),
                partners::partner_number,
                partners::country,
            ))
            .first::<(Partnership, Option<String>, String)>(conn)
            .map(|(partnership, partner_number, country)| PartneredReseller {
                partnership,
                partner_number,
                country,
            })
    }

    /// The provider's partnered resellers by name, a page at a time; `search` matches the name
    /// (anywhere, any case) or the start of the Partner ID.
    pub fn page_for_provider(
        conn: &mut DbConnection,
        provider: ProviderId,
        search: Option<&str>,
        seek: &Seek<(String, i64)>,
        per_page: usize,
    ) -> QueryResult<Page<PartneredReseller>> {
        let mut query = partnerships::table
            .inner_join(partners::table.on(partners::id.eq(partnerships::reseller_id)))
            .filter(partnerships::provider_id.eq(provider.get()))
            .filter(partnerships::status.eq(ACTIVE))
            .select((
                Partnership::as_select(),
                partners::partner_number,
                partners::country,
            ))
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        if let Some(term) = search {
            query = query.filter(
                lower(partnerships::reseller_name)
                    .like(like_pattern(&term.to_lowercase(), true))
                    .escape('\\')
                    .or(partners::partner_number
                        .like(like_pattern(term, false))
                        .escape('\\')),
            );
        }
        query = crate::by_name!(
            query,
            partnerships::reseller_name,
            partnerships::reseller_id,
            seek
        );
        let rows: Vec<(Partnership, Option<String>, String)> = query.load(conn)?;
        let rows = rows
            .into_iter()
            .map(|(partnership, partner_number, country)| PartneredReseller {
                partnership,
                partner_number,
                country,
            })
            .collect();
        Ok(Page::from_rows(
            rows,
            seek,
            per_page,
            |r: &PartneredReseller| {
                (
                    r.partnership.reseller_name.clone(),
                    r.partnership.reseller_id,
                )
            },
        ))
    }

    /// The providers a reseller has authorized, newest partnership first.
    pub fn providers_of(
        conn: &mut DbConnection,
        reseller: ResellerId,
        seek: &Seek<i64>,
        per_page: usize,
    ) -> QueryResult<Page<(i64, ProviderOfReseller)>> {
        let mut query = partnerships::table
            .inner_join(partners::table.on(partners::id.eq(partnerships::provider_id)))
            .filter(partnerships::reseller_id.eq(reseller.get()))
            .filter(partnerships::status.eq(ACTIVE))
            .select((
                partnerships::id,
                (
                    partners::id,
                    partners::name,
                    partners::country,
                    partnerships::created_at,
                ),
            ))
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        query = crate::newest_first!(query, partnerships::id, seek);
        let rows: Vec<(i64, ProviderOfReseller)> = query.load(conn)?;
        Ok(Page::from_rows(
            rows,
            seek,
            per_page,
            |r: &(i64, ProviderOfReseller)| r.0,
        ))
    }
}
