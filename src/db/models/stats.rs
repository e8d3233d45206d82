//! Counters for the Dashboard home (resellers, customers, subscriptions, licenses, new customers per
//! month), moved in the same transactions as the rows they count. Upserts differ in spelling between
//! the backends only in type, so the one query runs on each concrete connection.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{provider_monthly_stats, provider_stats};
use crate::domain::ProviderId;

#[derive(Queryable, Selectable, Clone, Debug, Default)]
#[diesel(table_name = provider_stats)]
pub struct ProviderStats {
    pub provider_id: i64,
    pub resellers: i64,
    pub customers: i64,
    pub subscriptions: i64,
    pub licenses: i64,
    /// The last order number handed out.
    pub orders: i64,
}

/// Changes to a provider's counters.
#[derive(Clone, Copy, Debug, Default)]
pub struct Delta {
    pub resellers: i64,
    pub customers: i64,
    pub subscriptions: i64,
    pub licenses: i64,
}

impl ProviderStats {
    pub fn of(conn: &mut DbConnection, provider: ProviderId) -> QueryResult<ProviderStats> {
        Ok(provider_stats::table
            .find(provider.get())
            .select(ProviderStats::as_select())
            .first(conn)
            .optional()?
            .unwrap_or(ProviderStats {
                provider_id: provider.get(),
                ..ProviderStats::default()
            }))
    }

    pub fn bump(conn: &mut DbConnection, provider_id: i64, d: Delta) -> QueryResult<()> {
        use provider_stats::dsl as s;
        on_each_backend!(conn, |c| diesel::insert_into(s::provider_stats)
            .values((
                s::provider_id.eq(provider_id),
                s::resellers.eq(d.resellers),
                s::customers.eq(d.customers),
                s::subscriptions.eq(d.subscriptions),
                s::licenses.eq(d.licenses),
            ))
            .on_conflict(s::provider_id)
            .do_update()
            .set((
                s::resellers.eq(s::resellers + d.resellers),
                s::customers.eq(s::customers + d.customers),
                s::subscriptions.eq(s::subscriptions + d.subscriptions),
                s::licenses.eq(s::licenses + d.licenses),
            ))
            .execute(c))?;
        Ok(())
    }

    /// The provider's next order number. The increment locks the provider's row until the transaction
    /// ends, so concurrent orders of one provider take turns and never share a number.
    pub fn next_order_number(conn: &mut DbConnection, provider_id: i64) -> QueryResult<i64> {
        Self::take_order_numbers(conn, provider_id, 1)
    }

    /// Takes the provider's next `n` order numbers at once: the first of them.
    pub fn take_order_numbers(
        conn: &mut DbConnection,
        provider_id: i64,
        n: i64,
    ) -> QueryResult<i64> {
        use provider_stats::dsl as s;
        on_each_backend!(conn, |c| diesel::insert_into(s::provider_stats)
            .values((s::provider_id.eq(provider_id), s::orders.eq(n)))
            .on_conflict(s::provider_id)
            .do_update()
            .set(s::orders.eq(s::orders + n))
            .execute(c))?;
        let last: i64 = provider_stats::table
            .find(provider_id)
            .select(provider_stats::orders)
            .first(conn)?;
        Ok(last - n + 1)
    }

    /// Counts a new customer in its month (`YYYY-MM`).
    pub fn count_new_customer(
        conn: &mut DbConnection,
        provider_id: i64,
        month: &str,
        n: i64,
    ) -> QueryResult<()> {
        use provider_monthly_stats::dsl as m;
        on_each_backend!(conn, |c| diesel::insert_into(m::provider_monthly_stats)
            .values((
                m::provider_id.eq(provider_id),
                m::month.eq(month),
                m::new_customers.eq(n)
            ))
            .on_conflict((m::provider_id, m::month))
            .do_update()
            .set(m::new_customers.eq(m::new_customers + n))
            .execute(c))?;
        Ok(())
    }

    /// New customers per month from `first_month` on, oldest first (months without any are absent).
    pub fn new_customers_since(
        conn: &mut DbConnection,
        provider: ProviderId,
        first_month: &str,
    ) -> QueryResult<Vec<(String, i64)>> {
        provider_monthly_stats::table
            .filter(provider_monthly_stats::provider_id.eq(provider.get()))
            .filter(provider_monthly_stats::month.ge(first_month))
            .order(provider_monthly_stats::month.asc())
            .select((
                provider_monthly_stats::month,
                provider_monthly_stats::new_customers,
            ))
            .load(conn)
    }
}

/// Adds to one margin month of (provider, reseller — 0 for direct customers —, offer, `YYYY-MM`).
pub fn add_margin(
    conn: &mut DbConnection,
    (provider_id, reseller_id, offer_id, month): (i64, i64, i64, &str),
    revenue: i64,
    cost: i64,
    sale: i64,
) -> QueryResult<()> {
    use crate::db::schema::margin_months::dsl as m;
    on_each_backend!(conn, |c| diesel::insert_into(m::margin_months)
        .values((
            m::provider_id.eq(provider_id),
            m::reseller_id.eq(reseller_id),
            m::offer_id.eq(offer_id),
            m::month.eq(month),
            m::revenue_minor.eq(revenue),
            m::cost_minor.eq(cost),
            m::sale_minor.eq(sale),
        ))
        .on_conflict((m::provider_id, m::reseller_id, m::offer_id, m::month))
        .do_update()
        .set((
            m::revenue_minor.eq(m::revenue_minor + revenue),
            m::cost_minor.eq(m::cost_minor + cost),
            m::sale_minor.eq(m::sale_minor + sale),
        ))
        .execute(c))?;
    Ok(())
}

/// The `reseller_id` of a provider's whole month in `margin_months`.
pub const MONTH_TOTAL: i64 = -1;

/// One row of the margin report: a month's revenue, cost and resale for one reseller (none: direct
/// customers) and offer.
#[derive(Clone, Debug)]
pub struct MarginRow {
    pub month: String,
    pub provider_name: String,
    pub reseller_id: i64,
    pub reseller_name: Option<String>,
    pub offer_id: i64,
    pub offer_name: String,
    /// What the provider charged.
    pub revenue: i64,
    pub cost: i64,
    /// What the reseller bills its customers (its sale prices, else its price).
    pub sale: i64,
}

type MarginTuple = (
    String,
    String,
    i64,
    Option<String>,
    i64,
    String,
    i64,
    i64,
    i64,
);

fn margin_row(r: MarginTuple) -> MarginRow {
    MarginRow {
        month: r.0,
        provider_name: r.1,
        reseller_id: r.2,
        reseller_name: r.3,
        offer_id: r.4,
        offer_name: r.5,
        revenue: r.6,
        cost: r.7,
        sale: r.8,
    }
}

diesel::alias!(crate::db::schema::partners as margin_resellers: MarginResellers);

macro_rules! margin_rows {
    () => {{
        use crate::db::schema::{margin_months as m, offers, partners};
        m::table
            .inner_join(partners::table.on(partners::id.eq(m::provider_id)))
            .inner_join(offers::table.on(offers::id.eq(m::offer_id)))
            .left_join(margin_resellers.on(margin_resellers.field(partners::id).eq(m::reseller_id)))
            .filter(m::reseller_id.ne(MONTH_TOTAL))
            .select((
                m::month,
                partners::name,
                m::reseller_id,
                margin_resellers.field(partners::name).nullable(),
                m::offer_id,
                offers::name,
                m::revenue_minor,
                m::cost_minor,
                m::sale_minor,
            ))
    }};
}

/// The provider's months from `first_month` on, oldest first: (month, revenue, cost).
pub fn margin_totals(
    conn: &mut DbConnection,
    provider: i64,
    first_month: &str,
) -> QueryResult<Vec<(String, i64, i64)>> {
    use crate::db::schema::margin_months as m;
    m::table
        .filter(m::provider_id.eq(provider))
        .filter(m::reseller_id.eq(MONTH_TOTAL))
        .filter(m::month.ge(first_month))
        .order(m::month.asc())
        .select((m::month, m::revenue_minor, m::cost_minor))
        .load(conn)
}

/// One month of the provider's report by reseller and offer, the largest revenue first, at most
/// `limit` (optionally one reseller's; 0: the direct customers').
pub fn margin_month(
    conn: &mut DbConnection,
    provider: i64,
    month: &str,
    reseller: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<MarginRow>> {
    use crate::db::schema::margin_months as m;
    let mut query = margin_rows!()
        .filter(m::provider_id.eq(provider))
        .filter(m::month.eq(month.to_owned()))
        .order((
            m::revenue_minor.desc(),
            m::reseller_id.asc(),
            m::offer_id.asc(),
        ))
        .limit(limit)
        .into_boxed();
    if let Some(r) = reseller {
        query = query.filter(m::reseller_id.eq(r));
    }
    Ok(query
        .load::<MarginTuple>(conn)?
        .into_iter()
        .map(margin_row)
        .collect())
}

/// The provider's report from `first_month` on, by month, reseller and offer, a batch after `after`.
pub fn margin_batch(
    conn: &mut DbConnection,
    provider: i64,
    first_month: &str,
    after: Option<(String, i64, i64)>,
    limit: i64,
) -> QueryResult<Vec<MarginRow>> {
    use crate::db::schema::margin_months as m;
    let mut query = margin_rows!()
        .filter(m::provider_id.eq(provider))
        .filter(m::month.ge(first_month.to_owned()))
        .order((m::month.asc(), m::reseller_id.asc(), m::offer_id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some((month, reseller, offer)) = after {
        query = query.filter(
            m::month
                .gt(month.clone())
                .or(m::month.eq(month.clone()).and(
                    m::reseller_id
                        .gt(reseller)
                        .or(m::reseller_id.eq(reseller).and(m::offer_id.gt(offer))),
                )),
        );
    }
    Ok(query
        .load::<MarginTuple>(conn)?
        .into_iter()
        .map(margin_row)
        .collect())
}

/// A reseller's rows with every provider from `first_month` on, the newest month first.
pub fn margin_of_reseller(
    conn: &mut DbConnection,
    reseller: i64,
    first_month: &str,
) -> QueryResult<Vec<MarginRow>> {
    use crate::db::schema::margin_months as m;
    Ok(margin_rows!()
        .filter(m::reseller_id.eq(reseller))
        .filter(m::month.ge(first_month.to_owned()))
        .order((m::month.desc(), m::provider_id.asc(), m::offer_id.asc()))
        .limit(5_000)
        .load::<MarginTuple>(conn)?
        .into_iter()
        .map(margin_row)
        .collect())
}
