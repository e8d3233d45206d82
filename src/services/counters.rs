//! The counters pages read instead of counting rows — a provider's resellers, customers, subscriptions
//! and licenses, its new customers per month, each partnership's customers and licenses, each
//! customer's subscriptions — change here and only here, one function per event, in the transaction of
//! the change. Subscriptions and licenses count the running ones (active or suspended). A row is created with its own counts; `recompute` counts everything from the rows again
//! (the tests hold the two side by side after a mixed scenario).

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::customer::ProviderCustomer;
use crate::db::models::partnership::Partnership;
use crate::db::models::stats::{Delta, ProviderStats};
use crate::db::schema::{partnerships, provider_customers, provider_monthly_stats, subscriptions};
use crate::domain::{PartnershipStatus, ProviderId};

/// A customer joined the provider (the wizard, or an accepted invitation), associated with `reseller`,
/// bringing `subscriptions` subscriptions of `licenses` licenses in all (their reseller of record is the
/// same reseller). `joined_at` puts it in its month.
pub fn customer_added(
    conn: &mut DbConnection,
    provider: ProviderId,
    reseller: Option<i64>,
    subscriptions: i64,
    licenses: i64,
    joined_at: chrono::NaiveDateTime,
) -> QueryResult<()> {
    ProviderStats::bump(
        conn,
        provider.get(),
        Delta {
            customers: 1,
            subscriptions,
            licenses,
            ..Delta::default()
        },
    )?;
    ProviderStats::count_new_customer(
        conn,
        provider.get(),
        &joined_at.format("%Y-%m").to_string(),
        1,
    )?;
    if let Some(reseller) = reseller {
        Partnership::bump_counts(conn, provider.get(), reseller, 1, licenses)?;
    }
    Ok(())
}

/// A subscription of `licenses` was added to an existing customer, with `reseller_of_record`.
pub fn subscription_added(
    conn: &mut DbConnection,
    provider: ProviderId,
    customer_id: i64,
    reseller_of_record: Option<i64>,
    licenses: i64,
) -> QueryResult<()> {
    ProviderCustomer::add_subscriptions(conn, provider.get(), customer_id, 1)?;
    ProviderStats::bump(
        conn,
        provider.get(),
        Delta {
            subscriptions: 1,
            licenses,
            ..Delta::default()
        },
    )?;
    if let Some(reseller) = reseller_of_record {
        Partnership::bump_counts(conn, provider.get(), reseller, 0, licenses)?;
    }
    Ok(())
}

/// A subscription of `licenses` ended (cancelled, upgraded or expired): it no longer counts.
pub fn subscription_ended(
    conn: &mut DbConnection,
    provider: ProviderId,
    customer_id: i64,
    reseller_of_record: Option<i64>,
    licenses: i64,
) -> QueryResult<()> {
    ProviderCustomer::add_subscriptions(conn, provider.get(), customer_id, -1)?;
    ProviderStats::bump(
        conn,
        provider.get(),
        Delta {
            subscriptions: -1,
            licenses: -licenses,
            ..Delta::default()
        },
    )?;
    if let Some(reseller) = reseller_of_record {
        Partnership::bump_counts(conn, provider.get(), reseller, 0, -licenses)?;
    }
    Ok(())
}

/// A subscription's licenses went up or down by `delta`.
pub fn licenses_changed(
    conn: &mut DbConnection,
    provider: ProviderId,
    reseller_of_record: Option<i64>,
    delta: i64,
) -> QueryResult<()> {
    ProviderStats::bump(
        conn,
        provider.get(),
        Delta {
            licenses: delta,
            ..Delta::default()
        },
    )?;
    if let Some(reseller) = reseller_of_record {
        Partnership::bump_counts(conn, provider.get(), reseller, 0, delta)?;
    }
    Ok(())
}

/// A subscription of `licenses` moved from one reseller of record to another.
pub fn reseller_of_record_changed(
    conn: &mut DbConnection,
    provider: ProviderId,
    old: Option<i64>,
    new: Option<i64>,
    licenses: i64,
) -> QueryResult<()> {
    if let Some(old) = old {
        Partnership::bump_counts(conn, provider.get(), old, 0, -licenses)?;
    }
    if let Some(new) = new {
        Partnership::bump_counts(conn, provider.get(), new, 0, licenses)?;
    }
    Ok(())
}

/// A customer's associated reseller changed.
pub fn customer_reseller_changed(
    conn: &mut DbConnection,
    provider: ProviderId,
    old: Option<i64>,
    new: Option<i64>,
) -> QueryResult<()> {
    if old == new {
        return Ok(());
    }
    if let Some(old) = old {
        Partnership::bump_counts(conn, provider.get(), old, -1, 0)?;
    }
    if let Some(new) = new {
        Partnership::bump_counts(conn, provider.get(), new, 1, 0)?;
    }
    Ok(())
}

/// A partnership became active (new, or again) or ended.
pub fn partnership_started(conn: &mut DbConnection, provider: ProviderId) -> QueryResult<()> {
    resellers(conn, provider, 1)
}

pub fn partnership_ended(conn: &mut DbConnection, provider: ProviderId) -> QueryResult<()> {
    resellers(conn, provider, -1)
}

fn resellers(conn: &mut DbConnection, provider: ProviderId, n: i64) -> QueryResult<()> {
    ProviderStats::bump(
        conn,
        provider.get(),
        Delta {
            resellers: n,
            ..Delta::default()
        },
    )
}

/// Every counter of a provider: as stored, or as the rows say (`recompute`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts {
    pub resellers: i64,
    pub customers: i64,
    pub subscriptions: i64,
    pub licenses: i64,
    /// (month, new customers), months with any, oldest first.
    pub new_customers: Vec<(String, i64)>,
    /// (reseller, customers, licenses) per partnership, by reseller id.
    pub partnerships: Vec<(i64, i64, i64)>,
    /// (customer, subscriptions) per customer relationship, by customer id.
    pub customer_subscriptions: Vec<(i64, i64)>,
}

/// The counters as stored.
pub fn stored(conn: &mut DbConnection, provider: ProviderId) -> QueryResult<Counts> {
    let stats = ProviderStats::of(conn, provider)?;
    let new_customers = provider_monthly_stats::table
        .filter(provider_monthly_stats::provider_id.eq(provider.get()))
        .filter(provider_monthly_stats::new_customers.ne(0))
        .order(provider_monthly_stats::month.asc())
        .select((
            provider_monthly_stats::month,
            provider_monthly_stats::new_customers,
        ))
        .load(conn)?;
    let partnerships = partnerships::table
        .filter(partnerships::provider_id.eq(provider.get()))
        .order(partnerships::reseller_id.asc())
        .select((
            partnerships::reseller_id,
            partnerships::customer_count,
            partnerships::license_count,
        ))
        .load(conn)?;
    let customer_subscriptions = provider_customers::table
        .filter(provider_customers::provider_id.eq(provider.get()))
        .order(provider_customers::customer_id.asc())
        .select((
            provider_customers::customer_id,
            provider_customers::subscription_count,
        ))
        .load(conn)?;
    Ok(Counts {
        resellers: stats.resellers,
        customers: stats.customers,
        subscriptions: stats.subscriptions,
        licenses: stats.licenses,
        new_customers,
        partnerships,
        customer_subscriptions,
    })
}

/// The counters as the rows say, counted one by one (slow: tests and repairs only).
pub fn recompute(conn: &mut DbConnection, provider: ProviderId) -> QueryResult<Counts> {
    let p = provider.get();
    let resellers = partnerships::table
        .filter(partnerships::provider_id.eq(p))
        .filter(partnerships::status.eq(PartnershipStatus::Active))
        .count()
        .get_result(conn)?;
    let relations: Vec<(i64, Option<i64>, chrono::NaiveDateTime)> = provider_customers::table
        .filter(provider_customers::provider_id.eq(p))
        .order(provider_customers::customer_id.asc())
        .select((
            provider_customers::customer_id,
            provider_customers::reseller_id,
            provider_customers::created_at,
        ))
        .load(conn)?;
    let subs: Vec<(i64, Option<i64>, i32)> = subscriptions::table
        .filter(subscriptions::provider_id.eq(p))
        .filter(subscriptions::status.eq_any(crate::domain::SubscriptionStatus::LIVE))
        .select((
            subscriptions::customer_id,
            subscriptions::reseller_of_record_id,
            subscriptions::quantity,
        ))
        .load(conn)?;
    let mut months = std::collections::BTreeMap::<String, i64>::new();
    for (_, _, at) in &relations {
        *months.entry(at.format("%Y-%m").to_string()).or_default() += 1;
    }
    let reseller_ids: Vec<i64> = partnerships::table
        .filter(partnerships::provider_id.eq(p))
        .order(partnerships::reseller_id.asc())
        .select(partnerships::reseller_id)
        .load(conn)?;
    let partnerships = reseller_ids
        .into_iter()
        .map(|r| {
            let customers = relations.iter().filter(|(_, rr, _)| *rr == Some(r)).count();
            let licenses: i64 = subs
                .iter()
                .filter(|(_, ror, _)| *ror == Some(r))
                .map(|(_, _, q)| i64::from(*q))
                .sum();
            (r, i64::try_from(customers).unwrap_or(i64::MAX), licenses)
        })
        .collect();
    let customer_subscriptions = relations
        .iter()
        .map(|(c, _, _)| {
            let n = subs.iter().filter(|(sc, _, _)| sc == c).count();
            (*c, i64::try_from(n).unwrap_or(i64::MAX))
        })
        .collect();
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(Counts {
        resellers,
        customers: count(relations.len()),
        subscriptions: count(subs.len()),
        licenses: subs.iter().map(|(_, _, q)| i64::from(*q)).sum(),
        new_customers: months.into_iter().collect(),
        partnerships,
        customer_subscriptions,
    })
}
