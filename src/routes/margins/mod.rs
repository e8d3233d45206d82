//! The **Margin report** (SPEC.md §2.11): the provider's by reseller, offer and month with its
//! 12-month chart and a CSV; a reseller's own with each provider. The figures are
//! `services::margins`; the rollup they read is `db::models::stats::MarginRow`.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{ProviderStaff, ResellerStaff, Signed, can};
use crate::db::models::partnership::Partnership;
use crate::db::models::stats::{MarginRow, margin_batch};
use crate::domain::pricing::margin_bp;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::routes::csv::{BATCH, download};
use crate::services::margins::{self, Chart, ProviderReport, chart, last_months};
use crate::state::AppState;
use crate::view::Ctx;

#[derive(Deserialize, Default)]
pub struct MarginQuery {
    #[serde(default)]
    month: String,
    #[serde(default)]
    reseller: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "margins/provider.html")]
pub struct MarginsPage {
    pub ctx: Ctx,
    pub report: ProviderReport,
    pub chart: Chart,
    pub resellers: Vec<(i64, String)>,
    /// The reseller filtered by (0: direct customers).
    pub reseller: Option<i64>,
}

impl MarginsPage {
    pub fn is_reseller(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.reseller == Some(*id.borrow())
    }

    pub fn is_month(&self, month: &str) -> bool {
        self.report.month == month
    }
}

/// `13.04 %`, or — without revenue.
pub fn percent(
    revenue: impl std::borrow::Borrow<i64>,
    cost: impl std::borrow::Borrow<i64>,
) -> String {
    match margin_bp(*revenue.borrow(), *cost.borrow()) {
        Some(bp) => {
            let sign = if bp < 0 { "-" } else { "" };
            format!(
                "{sign}{}.{:02} %",
                bp.unsigned_abs() / 100,
                bp.unsigned_abs() % 100
            )
        }
        None => "—".to_owned(),
    }
}

pub async fn provider(
    ctx: Ctx,
    user: Signed<ProviderStaff, can::Billing>,
    state: web::Data<AppState>,
    query: web::Query<MarginQuery>,
) -> AppResult<MarginsPage> {
    let provider = user.provider_id();
    let reseller = query.reseller.trim().parse::<i64>().ok();
    let month = Some(query.month.trim().to_owned()).filter(|m| !m.is_empty());
    let report =
        margins::provider_report(&state.db, provider, month, reseller, state.now()).await?;
    let resellers = state
        .db
        .query(move |conn| Partnership::choices_for_provider(conn, provider, 500, reseller))
        .await?;
    let chart = Chart {
        currency: report.currency.clone(),
        ..chart(&report.months, 720, 200)
    };
    Ok(MarginsPage {
        ctx,
        report,
        chart,
        resellers,
        reseller,
    })
}

/// The provider's last 12 months by month, reseller and offer, every row.
pub async fn export(
    req: HttpRequest,
    user: Signed<ProviderStaff, can::Billing>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id().get();
    let first = last_months(state.now(), 12).remove(0);
    let tr = Tr(crate::view::request_locale(&req).await?);
    let header = [
        "statements.col.month",
        "renewals.col.reseller",
        "wizard.subscriptions.offer",
        "margins.revenue",
        "prices.cost",
        "margins.margin",
        "margins.margin_percent",
    ]
    .iter()
    .map(|k| tr.t(k).to_owned())
    .collect();
    let direct = tr.t("prices.direct_customers").to_owned();
    Ok(download(
        state,
        "margins.csv",
        header,
        move |conn, seek: &crate::pagination::Seek<(String, i64, i64)>| {
            let after = match seek {
                crate::pagination::Seek::After(k) => Some(k.clone()),
                _ => None,
            };
            let rows = margin_batch(
                conn,
                provider,
                &first,
                after,
                i64::try_from(BATCH).unwrap_or(500),
            )?;
            let next = rows.last().filter(|_| rows.len() == BATCH).map(|r| {
                crate::pagination::Seek::After((r.month.clone(), r.reseller_id, r.offer_id))
            });
            let rows = rows
                .iter()
                .map(|r| {
                    vec![
                        r.month.clone(),
                        r.reseller_name.clone().unwrap_or_else(|| direct.clone()),
                        r.offer_name.clone(),
                        crate::domain::decimal(r.revenue),
                        crate::domain::decimal(r.cost),
                        crate::domain::decimal(r.revenue - r.cost),
                        percent(r.revenue, r.cost),
                    ]
                })
                .collect();
            Ok((rows, next))
        },
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "margins/reseller.html")]
pub struct ResellerMarginsPage {
    pub ctx: Ctx,
    pub rows: Vec<MarginRow>,
    pub currency: String,
}

pub async fn reseller(
    ctx: Ctx,
    user: Signed<ResellerStaff, can::Billing>,
    state: web::Data<AppState>,
) -> AppResult<ResellerMarginsPage> {
    let rows = margins::reseller_report(&state.db, user.reseller_id().get(), state.now()).await?;
    let currency = state
        .db
        .query(crate::db::models::offer::Offer::catalog_currency)
        .await?;
    Ok(ResellerMarginsPage {
        ctx,
        rows,
        currency,
    })
}
