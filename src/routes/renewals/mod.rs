//! Renewals (SPEC.md §2.10): the running subscriptions whose term ends in the next 30, 60 or 90 days,
//! soonest first, with auto-renew and the change scheduled for the renewal; a provider filters by
//! reseller and downloads the list as CSV; a reseller sees those it is reseller of record of. The
//! query is `db::models::lifecycle::renewals_page`; the days are counted from the injected clock.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::auth::{ProviderStaff, ResellerStaff, Signed, can};
use crate::db::models::lifecycle::{RenewalRow, RenewalScope, renewals_page};
use crate::db::models::partnership::Partnership;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::pagination::{PER_PAGE, Page, PageQuery, Seek};
use crate::routes::csv::{BATCH, download};
use crate::services::subscription_change::spec_offer_name;
use crate::state::AppState;
use crate::view::Ctx;

/// The spans the page offers.
pub const SPANS: [i64; 3] = [30, 60, 90];

#[derive(Deserialize, Default, Clone)]
pub struct RenewalsQuery {
    #[serde(default)]
    pub days: String,
    #[serde(default)]
    pub reseller: String,
    pub after: Option<String>,
    pub before: Option<String>,
}

impl RenewalsQuery {
    fn days(&self) -> i64 {
        self.days
            .parse::<i64>()
            .ok()
            .filter(|d| SPANS.contains(d))
            .unwrap_or(30)
    }

    fn reseller(&self) -> Option<i64> {
        self.reseller.trim().parse().ok()
    }

    fn seek(&self) -> Seek<(NaiveDateTime, i64)> {
        PageQuery {
            after: self.after.clone(),
            before: self.before.clone(),
        }
        .seek()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "renewals/list.html")]
pub struct RenewalsPage {
    pub ctx: Ctx,
    pub days: i64,
    pub spans: Vec<i64>,
    pub rows: Page<(RenewalRow, Option<String>)>,
    /// The provider's resellers for the filter (a reseller's page has none).
    pub resellers: Vec<(i64, String)>,
    pub reseller: Option<i64>,
    /// Where the rows link: `/subscriptions` or `/reseller/subscriptions`.
    pub base: &'static str,
    pub path: &'static str,
}

impl RenewalsPage {
    pub fn is_reseller(&self, id: &i64) -> bool {
        self.reseller == Some(*id)
    }

    /// This list's filter as a query string (the pager adds the cursor).
    pub fn filter_query(&self) -> String {
        let reseller = self
            .reseller
            .map(|r| format!("&amp;reseller={r}"))
            .unwrap_or_default();
        format!("days={}{reseller}", self.days)
    }
}

/// The page's rows, each with the name of the offer its scheduled change moves to (if it does).
fn load(
    conn: &mut crate::db::DbConnection,
    scope: RenewalScope,
    reseller: Option<i64>,
    now: NaiveDateTime,
    days: i64,
    seek: &Seek<(NaiveDateTime, i64)>,
    per_page: usize,
) -> Result<Page<(RenewalRow, Option<String>)>, crate::db::DbError> {
    let to = now + chrono::Duration::days(days);
    let page = renewals_page(conn, scope, reseller, now, to, seek, per_page)?;
    let mut items = Vec::with_capacity(page.items.len());
    for row in page.items {
        // The new offer's name, when the scheduled change moves to another offer.
        let offer = match &row.scheduled {
            Some(change) => spec_offer_name(conn, &change.spec())?,
            None => None,
        };
        items.push((row, offer));
    }
    Ok(Page {
        items,
        next: page.next,
        prev: page.prev,
    })
}

pub async fn provider_list(
    ctx: Ctx,
    user: Signed<ProviderStaff, can::Orders>,
    state: web::Data<AppState>,
    query: web::Query<RenewalsQuery>,
) -> AppResult<RenewalsPage> {
    let provider = user.provider_id();
    let now = state.now();
    let (days, reseller, seek) = (query.days(), query.reseller(), query.seek());
    let (rows, resellers) = state
        .db
        .read(move |conn| {
            let scope = RenewalScope::Provider(provider.get());
            let rows = load(conn, scope, reseller, now, days, &seek, PER_PAGE)?;
            let resellers = Partnership::choices_for_provider(conn, provider, 200, reseller)?;
            Ok::<_, crate::db::DbError>((rows, resellers))
        })
        .await?;
    Ok(RenewalsPage {
        ctx,
        days,
        spans: SPANS.to_vec(),
        rows,
        resellers,
        reseller,
        base: "/subscriptions",
        path: "/renewals",
    })
}

pub async fn reseller_list(
    ctx: Ctx,
    user: Signed<ResellerStaff, can::Orders>,
    state: web::Data<AppState>,
    query: web::Query<RenewalsQuery>,
) -> AppResult<RenewalsPage> {
    let reseller = user.reseller_id();
    let now = state.now();
    let (days, seek) = (query.days(), query.seek());
    let rows = state
        .db
        .read(move |conn| {
            load(
                conn,
                RenewalScope::Reseller(reseller.get()),
                None,
                now,
                days,
                &seek,
                PER_PAGE,
            )
        })
        .await?;
    Ok(RenewalsPage {
        ctx,
        days,
        spans: SPANS.to_vec(),
        rows,
        resellers: Vec::new(),
        reseller: None,
        base: "/reseller/subscriptions",
        path: "/reseller/renewals",
    })
}

/// The provider's list as CSV, every page of it.
pub async fn export(
    req: HttpRequest,
    user: Signed<ProviderStaff, can::Orders>,
    state: web::Data<AppState>,
    query: web::Query<RenewalsQuery>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id().get();
    let now = state.now();
    let (days, reseller) = (query.days(), query.reseller());
    let tr = Tr(crate::view::request_locale(&req).await?);
    let header = [
        "renewals.col.ends",
        "orders.col.customer",
        "wizard.subscriptions.offer",
        "wizard.subscriptions.licenses",
        "lifecycle.plan",
        "lifecycle.auto_renew",
        "renewals.col.reseller",
        "renewals.col.scheduled",
    ]
    .iter()
    .map(|k| tr.t(k).to_owned())
    .collect();
    Ok(download(
        state,
        "renewals.csv",
        header,
        move |conn, seek| {
            let page = load(
                conn,
                RenewalScope::Provider(provider),
                reseller,
                now,
                days,
                seek,
                BATCH,
            )?;
            let next = page
                .items
                .last()
                .filter(|_| page.next.is_some())
                .map(|(r, _)| Seek::After((r.subscription.ends_at, r.subscription.id)));
            let rows = page
                .items
                .iter()
                .map(|(r, offer)| {
                    let s = &r.subscription;
                    let scheduled = r
                        .scheduled
                        .as_ref()
                        .map(|c| tr.change_spec(&c.spec(), offer.as_deref()));
                    vec![
                        s.ends_at.format("%Y-%m-%d %H:%M").to_string(),
                        r.customer_name.clone(),
                        r.offer_name.clone(),
                        s.quantity.to_string(),
                        format!("{} {}", s.term.as_str(), s.billing.as_str()),
                        tr.t(if s.auto_renew {
                            "forms.yes"
                        } else {
                            "forms.no"
                        })
                        .to_owned(),
                        r.reseller_name.clone().unwrap_or_default(),
                        scheduled.unwrap_or_default(),
                    ]
                })
                .collect();
            Ok((rows, next))
        },
    ))
}
