//! The provider's Customers: the list (filter by indirect reseller, search, keyset pages, expandable rows
//! with their subscriptions, CSV export), the customer page, and the new customer wizard.

pub mod details;
pub mod export;
pub mod invitations;
pub mod show;
pub mod users;
pub mod wizard;

use std::collections::HashMap;

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{ProviderStaff, Signed};
use crate::db::DbConnection;
use crate::db::models::customer::{CustomerRow, CustomerSearch, ProviderCustomer, ResellerFilter};
use crate::db::models::partnership::Partnership;
use crate::db::models::relationship_check;
use crate::db::models::stats::ProviderStats;
use crate::db::models::subscription::{Subscription, SubscriptionSummary};
use crate::domain::ProviderId;
use crate::domain::SubscriptionStatus;
use crate::error::{AppError, AppResult};
use crate::pagination::{PER_PAGE, Page, PageQuery};
use crate::routes::indirect_resellers::search_term;
use crate::state::AppState;
use crate::view::Ctx;

/// How many resellers the filter's select lists (the rest are reached from their row's View customers).
const FILTER_CHOICES: i64 = 200;

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub reseller: String,
    /// `problems`: only the customers the relationship check flags.
    #[serde(default)]
    pub check: String,
    pub after: Option<String>,
    pub before: Option<String>,
}

/// `reseller=`: empty (all), `none`, or the id of a reseller this provider has (or had) a partnership
/// with. Anything else names nothing this provider may see: 404.
pub fn reseller_filter(
    conn: &mut DbConnection,
    provider: ProviderId,
    raw: &str,
) -> Result<ResellerFilter, AppError> {
    match raw.trim() {
        "" | "all" => Ok(ResellerFilter::All),
        "none" => Ok(ResellerFilter::None),
        raw => {
            let id = raw.parse::<i64>().map_err(|_| AppError::NotFound)?;
            if Partnership::ever_existed(conn, provider, id)? {
                Ok(ResellerFilter::Reseller(id))
            } else {
                Err(AppError::NotFound)
            }
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "customers/list.html")]
pub struct CustomersPage {
    pub ctx: Ctx,
    pub q: String,
    pub reseller: String,
    pub resellers: Vec<(i64, String)>,
    pub customers: Page<CustomerRow>,
    pub subscriptions: HashMap<i64, Vec<SubscriptionSummary>>,
    /// How many customers the filter holds, when that is known without counting.
    pub total: Option<i64>,
    /// While searching: how many match (up to `MATCH_CAP`).
    pub matching: Option<i64>,
    pub suffix: String,
    /// Only the customers the relationship check flags.
    pub problems: bool,
}

impl CustomersPage {
    pub fn subscriptions_of(&self, customer_id: &i64) -> &[SubscriptionSummary] {
        self.subscriptions
            .get(customer_id)
            .map_or(&[], Vec::as_slice)
    }

    /// "12 of 1,000,000 customers" while searching, "1,000,000 customers" otherwise, when known.
    pub fn count_line(&self) -> Option<String> {
        let ctx = &self.ctx;
        let total = self.total.map(|n| ctx.number(n));
        Some(match (self.matching, total) {
            (Some(m), Some(total)) if m > MATCH_CAP => ctx.t2(
                "customers.matching_many_of",
                "matches",
                ctx.number(MATCH_CAP),
                "total",
                total,
            ),
            (Some(m), None) if m > MATCH_CAP => {
                ctx.t1("customers.matching_many", "matches", ctx.number(MATCH_CAP))
            }
            (Some(m), Some(total)) => ctx.t2(
                "customers.matching_of",
                "matches",
                ctx.number(m),
                "total",
                total,
            ),
            (Some(m), None) => ctx.t1("customers.matching", "matches", ctx.number(m)),
            (None, Some(total)) => ctx.t1("customers.total", "count", total),
            (None, None) => return None,
        })
    }

    /// The filter and search as a query string, for the pager and the export.
    pub fn filter_query(&self) -> String {
        let mut pairs = vec![("reseller", self.reseller.as_str()), ("q", self.q.as_str())];
        if self.problems {
            pairs.push(("check", "problems"));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// How many problems of each kind the relationship check filter looks at.
const CHECK_LIMIT: i64 = 200;

/// A search counts its matches up to this many ("more than 10,000 of 1,000,000").
pub const MATCH_CAP: i64 = 10_000;

pub async fn list(
    ctx: Ctx,
    user: Signed<ProviderStaff>,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> AppResult<CustomersPage> {
    let query = query.into_inner();
    let provider = user.provider_id();
    let search = search_term(&query.q);
    let seek = PageQuery {
        after: query.after.clone(),
        before: query.before.clone(),
    }
    .seek::<i64>();
    let raw_filter = query.reseller.clone();
    let problems = query.check == "problems";
    let now = state.now();
    let term = search
        .as_deref()
        .map(|t| CustomerSearch::new(t, &state.config.tenant_domain_suffix));
    let (filter, customers, subscriptions, resellers, total, matching) = state
        .db
        .read(move |conn| {
            let filter = reseller_filter(conn, provider, &raw_filter)?;
            // The relationship check's customers (as many as its page lists).
            let flagged: Option<Vec<i64>> = if problems {
                let mut ids: Vec<i64> =
                    relationship_check::flags(conn, provider, None, now, CHECK_LIMIT)?
                        .into_iter()
                        .map(|f| f.customer_id)
                        .collect();
                ids.sort_unstable();
                ids.dedup();
                Some(ids)
            } else {
                None
            };
            let customers = ProviderCustomer::page_for_provider(
                conn,
                provider,
                filter,
                term.as_ref(),
                flagged.as_deref(),
                &seek,
                PER_PAGE,
            )?;
            let ids: Vec<i64> = customers
                .items
                .iter()
                .map(|c| c.relation.customer_id)
                .collect();
            let subscriptions = Subscription::summaries_for(conn, provider, &ids)?;
            let selected = match filter {
                ResellerFilter::Reseller(id) => Some(id),
                _ => None,
            };
            let resellers =
                Partnership::choices_for_provider(conn, provider, FILTER_CHOICES, selected)?;
            // The filter's size comes from the counters; a search counts its matches, up to a cap.
            let total = match (filter, &flagged) {
                (_, Some(_)) => None,
                (ResellerFilter::All, None) => Some(ProviderStats::of(conn, provider)?.customers),
                (ResellerFilter::Reseller(id), None) => {
                    Partnership::active(conn, provider.get(), id)?.map(|p| p.customer_count)
                }
                (ResellerFilter::None, None) => None,
            };
            let matching = match &term {
                Some(term) => Some(ProviderCustomer::count_matching(
                    conn,
                    provider,
                    filter,
                    Some(term),
                    MATCH_CAP + 1,
                )?),
                None => None,
            };
            Ok::<_, AppError>((filter, customers, subscriptions, resellers, total, matching))
        })
        .await?;
    let mut by_customer: HashMap<i64, Vec<SubscriptionSummary>> = HashMap::new();
    for s in subscriptions {
        by_customer
            .entry(s.subscription.customer_id)
            .or_default()
            .push(s);
    }
    Ok(CustomersPage {
        ctx,
        q: search.unwrap_or_default(),
        reseller: match filter {
            ResellerFilter::All => String::new(),
            ResellerFilter::None => "none".into(),
            ResellerFilter::Reseller(id) => id.to_string(),
        },
        resellers,
        customers,
        subscriptions: by_customer,
        total,
        matching,
        suffix: state.config.tenant_domain_suffix.clone(),
        problems,
    })
}
