//! The Dashboard home. Providers see their counts and two charts (licenses by reseller, new customers
//! per month), drawn as SVG on the server from counters kept up to date by every write — no request
//! counts rows. Every other role is sent to its own first page.

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{AnyRole, ProviderStaff, Signed};
use crate::db::models::partnership::Partnership;
use crate::db::models::relationship_request::RelationshipRequest;
use crate::db::models::stats::ProviderStats;
use crate::domain::ProviderId;
use crate::domain::RequestKind;
use crate::error::AppResult;
use crate::routes::{home_page, see_other};
use crate::services::margins::{Chart, chart};
use crate::state::AppState;
use crate::view::Ctx;

/// One bar of a chart, in SVG user units.
#[derive(Clone, Debug)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Horizontal bars, one row each: the longest is `max_width`.
#[expect(
    clippy::as_conversions,
    reason = "chart geometry: counts and row numbers far below 2^52 become pixel positions"
)]
fn horizontal(data: Vec<(String, i64)>, max_width: f64, row: f64) -> Vec<Bar> {
    let max = data.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    data.into_iter()
        .enumerate()
        .map(|(i, (label, value))| Bar {
            label,
            value,
            x: 0.0,
            y: i as f64 * row,
            width: (value as f64 / max * max_width).max(1.0),
            height: row * 0.7,
        })
        .collect()
}

/// Columns standing on a baseline at `max_height`.
#[expect(
    clippy::as_conversions,
    reason = "chart geometry: counts and column numbers far below 2^52 become pixel positions"
)]
fn vertical(data: Vec<(String, i64)>, max_height: f64, column: f64) -> Vec<Bar> {
    let max = data.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    data.into_iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let height = value as f64 / max * max_height;
            Bar {
                label,
                value,
                x: i as f64 * column,
                y: max_height - height,
                width: column * 0.7,
                height,
            }
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "home/provider.html")]
pub struct ProviderHome {
    pub ctx: Ctx,
    pub stats: ProviderStats,
    pub by_reseller: Vec<Bar>,
    pub by_month: Vec<Bar>,
    pub attention: Attention,
    /// Revenue and margin of the last 12 months.
    pub margins: crate::services::margins::Chart,
}

/// Needs attention: what waits for someone, counted up to `ATTENTION_CAP`.
#[derive(Clone, Debug, Default)]
pub struct Attention {
    /// Partnership requests waiting for a reseller's answer, and of those never emailed.
    pub partnership_requests: (i64, i64),
    /// Customer invitations waiting for the customer's answer, and of those never emailed.
    pub customer_invitations: (i64, i64),
    /// Running subscriptions that renew or end in the next 30 days (up to `lifecycle::COUNT_CAP`).
    pub renewals_30: i64,
    /// Orders waiting for the provider's review (the resellers' credit).
    pub orders_to_review: i64,
    /// Grant requests waiting for the customer's approval, and of those never emailed.
    pub grant_requests: (i64, i64),
    /// Grants that expire within 30 days (and do not extend themselves).
    pub grants_expiring: i64,
    /// Suspended subscriptions (billing continues for them).
    pub suspended: i64,
}

impl Attention {
    pub fn is_empty(&self) -> bool {
        self.partnership_requests.0 == 0
            && self.customer_invitations.0 == 0
            && self.renewals_30 == 0
            && self.orders_to_review == 0
            && self.grant_requests.0 == 0
            && self.grants_expiring == 0
            && self.suspended == 0
    }
}

const ATTENTION_CAP: i64 = 100;

async fn provider_home(
    state: &AppState,
    provider: ProviderId,
) -> AppResult<(ProviderStats, Vec<Bar>, Vec<Bar>, Attention, Chart)> {
    let now = state.now();
    let months = crate::services::margins::last_months(now, 12);
    let first = months[0].clone();
    let (stats, top, monthly, attention, year) = state
        .db
        .query(move |conn| {
            let renewals_30 = crate::db::models::lifecycle::count_ending(
                conn,
                crate::db::models::lifecycle::RenewalScope::Provider(provider.get()),
                now,
                now + chrono::Duration::days(30),
            )?;
            let attention = Attention {
                partnership_requests: RelationshipRequest::pending_counts(
                    conn,
                    provider,
                    RequestKind::Partnership,
                    ATTENTION_CAP,
                )?,
                customer_invitations: RelationshipRequest::pending_counts(
                    conn,
                    provider,
                    RequestKind::CustomerInvitation,
                    ATTENTION_CAP,
                )?,
                renewals_30,
                orders_to_review: crate::db::models::order::Order::count_pending(
                    conn,
                    provider.get(),
                    ATTENTION_CAP,
                )?,
                grant_requests: RelationshipRequest::pending_counts(
                    conn,
                    provider,
                    RequestKind::GrantRequest,
                    ATTENTION_CAP,
                )?,
                grants_expiring: crate::db::models::grant::Grant::count_expiring(
                    conn,
                    provider.get(),
                    now,
                    ATTENTION_CAP,
                )?,
                suspended: crate::db::models::lifecycle::count_suspended(
                    conn,
                    crate::db::models::lifecycle::RenewalScope::Provider(provider.get()),
                    ATTENTION_CAP,
                )?,
            };
            Ok((
                ProviderStats::of(conn, provider)?,
                Partnership::top_by_licenses(conn, provider, 10)?,
                ProviderStats::new_customers_since(conn, provider, &first)?,
                attention,
                (
                    crate::services::margins::year_of(conn, provider, now)?,
                    crate::db::models::offer::Offer::catalog_currency(conn)?,
                ),
            ))
        })
        .await?;
    let per_month = months
        .into_iter()
        .map(|m| {
            let n = monthly
                .iter()
                .find(|(month, _)| *month == m)
                .map_or(0, |(_, n)| *n);
            (m, n)
        })
        .collect();
    Ok((
        stats,
        horizontal(top, 300.0, 28.0),
        vertical(per_month, 160.0, 40.0),
        attention,
        Chart {
            currency: year.1,
            ..chart(&year.0, 480, 180)
        },
    ))
}

pub async fn show(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    user: Signed<AnyRole>,
) -> AppResult<HttpResponse> {
    let Some(staff) = user.admitted::<ProviderStaff>() else {
        return Ok(see_other(home_page(user.role)));
    };
    let (stats, by_reseller, by_month, attention, margins) =
        provider_home(&state, staff.provider_id()).await?;
    Ok(ProviderHome {
        ctx,
        stats,
        by_reseller,
        by_month,
        attention,
        margins,
    }
    .respond_to(&req)
    .map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest() {
        let bars = vertical(
            vec![("a".into(), 5), ("b".into(), 10), ("c".into(), 0)],
            100.0,
            10.0,
        );
        assert_eq!(bars[1].height, 100.0);
        assert_eq!(bars[0].height, 50.0);
        assert_eq!(bars[2].height, 0.0);
        assert_eq!(bars[0].y, 50.0);
        let bars = horizontal(vec![("a".into(), 3)], 300.0, 20.0);
        assert_eq!(bars[0].width, 300.0);
    }
}
