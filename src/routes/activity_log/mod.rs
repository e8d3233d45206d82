//! The activity log: every change, who made it, acting for whom, the customer it concerns, the action,
//! old -> new. Providers see their log, filtered by dates, reseller and customer, with a CSV export;
//! resellers see their own actions.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{OperatorStaff, ProviderStaff, ResellerStaff, Signed};
use crate::db::DbConnection;
use crate::db::models::activity::{Activity, LogFilter, LogRow};
use crate::db::models::customer::{ProviderCustomer, ResellerFilter};
use crate::db::models::partnership::Partnership;
use crate::domain::ProviderId;
use crate::domain::day_bounds;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pagination::{PER_PAGE, Page, PageQuery, Seek};
use crate::routes::csv::{BATCH, download};
use crate::routes::customers::reseller_filter;
use crate::state::AppState;
use crate::view::{Ctx, FormErrors, request_locale};

#[derive(Deserialize, Default, Clone)]
pub struct LogQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub reseller: String,
    #[serde(default)]
    pub customer: String,
    pub after: Option<String>,
    pub before: Option<String>,
}

impl LogQuery {
    fn filter_query(&self) -> String {
        serde_urlencoded::to_string([
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("reseller", self.reseller.as_str()),
            ("customer", self.customer.as_str()),
        ])
        .unwrap_or_default()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "activity_log/list.html")]
pub struct LogPage {
    pub ctx: Ctx,
    pub query: LogQuery,
    pub resellers: Vec<(i64, String)>,
    pub page: Page<LogRow>,
    pub errors: FormErrors,
    /// The provider's log (with filters and export), or a reseller's own actions.
    pub provider_view: bool,
    pub base: &'static str,
}

impl LogPage {
    pub fn filter_query(&self) -> String {
        self.query.filter_query()
    }
}

/// Turns the query into a filter for this provider: bad dates are field errors; a reseller or customer
/// that is not the provider's is 404.
fn provider_filter(
    conn: &mut DbConnection,
    provider: ProviderId,
    query: &LogQuery,
    errors: &mut FormErrors,
) -> Result<LogFilter, AppError> {
    let mut filter = LogFilter {
        provider: Some(provider.get()),
        ..LogFilter::default()
    };
    filter.from_id = errors
        .check("from", day_bounds(&query.from))
        .flatten()
        .map(|b| b.0);
    filter.to_id = errors
        .check("to", day_bounds(&query.to))
        .flatten()
        .map(|b| b.1);
    if let ResellerFilter::Reseller(id) = reseller_filter(conn, provider, &query.reseller)? {
        filter.reseller = Some(id);
    }
    if !query.customer.trim().is_empty() {
        let id = query
            .customer
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::NotFound)?;
        ProviderCustomer::find(conn, provider, id)?;
        filter.customer = Some(id);
    }
    Ok(filter)
}

pub async fn provider_log(
    req: HttpRequest,
    user: Signed<ProviderStaff>,
    state: web::Data<AppState>,
    query: web::Query<LogQuery>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let query = query.into_inner();
    let seek = PageQuery {
        after: query.after.clone(),
        before: query.before.clone(),
    }
    .seek::<i64>();
    let q = query.clone();
    let (page, resellers, errors) = state
        .db
        .read(move |conn| {
            let mut errors = FormErrors::new();
            let filter = provider_filter(conn, provider, &q, &mut errors)?;
            let page = Activity::page(conn, &filter, &seek, PER_PAGE)?;
            let resellers =
                Partnership::choices_for_provider(conn, provider, 200, filter.reseller)?;
            Ok::<_, AppError>((page, resellers, errors))
        })
        .await?;
    respond(&req, query, resellers, page, errors, true, "/activity-log").await
}

async fn respond(
    req: &HttpRequest,
    query: LogQuery,
    resellers: Vec<(i64, String)>,
    page: Page<LogRow>,
    errors: FormErrors,
    provider_view: bool,
    base: &'static str,
) -> AppResult<HttpResponse> {
    let page = LogPage {
        ctx: Ctx::build(req).await?,
        query,
        resellers,
        page,
        errors,
        provider_view,
        base,
    };
    let has_errors = !page.errors.is_empty();
    Ok(crate::routes::form_page(req, page, has_errors))
}

pub async fn reseller_log(
    req: HttpRequest,
    user: Signed<ResellerStaff>,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let filter = LogFilter {
        actor_partner: Some(user.reseller_id().get()),
        ..LogFilter::default()
    };
    plain_log(&req, &state, filter, &query, "/reseller/activity-log").await
}

/// The operations console's log: every entry, newest first (operators' own actions among them).
pub async fn operator_log(
    req: HttpRequest,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let filter = LogFilter {
        everything: true,
        ..LogFilter::default()
    };
    plain_log(&req, &state, filter, &query, "/operations/activity-log").await
}

/// A log without the provider's filters: a page of what `filter` scopes.
async fn plain_log(
    req: &HttpRequest,
    state: &AppState,
    filter: LogFilter,
    query: &PageQuery,
    base: &'static str,
) -> AppResult<HttpResponse> {
    let seek = query.seek::<i64>();
    let page = state
        .db
        .query(move |conn| Activity::page(conn, &filter, &seek, PER_PAGE))
        .await?;
    respond(
        req,
        LogQuery::default(),
        Vec::new(),
        page,
        FormErrors::new(),
        false,
        base,
    )
    .await
}

pub async fn export(
    req: HttpRequest,
    user: Signed<ProviderStaff>,
    state: web::Data<AppState>,
    query: web::Query<LogQuery>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let query = query.into_inner();
    let filter = state
        .db
        .read(move |conn| {
            let mut errors = FormErrors::new();
            let filter = provider_filter(conn, provider, &query, &mut errors)?;
            match errors.get("from").or(errors.get("to")) {
                None => Ok(filter),
                Some(key) => Err(AppError::Unprocessable(key)),
            }
        })
        .await?;
    let tr = Tr(request_locale(&req).await?);
    let header = [
        "when",
        "who",
        "acting_for",
        "customer",
        "reseller",
        "action",
        "old",
        "new",
    ]
    .iter()
    .map(|c| tr.t(&format!("activity.col.{c}")).to_owned())
    .collect();
    Ok(download(
        state,
        "activity-log.csv",
        header,
        move |conn, seek: &Seek<i64>| {
            let page = Activity::page(conn, &filter, seek, BATCH)?;
            let next = page
                .items
                .last()
                .filter(|_| page.next.is_some())
                .map(|r| Seek::After(r.entry.id));
            let rows = page
                .items
                .iter()
                .map(|r| {
                    vec![
                        r.entry.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                        r.actor.clone().unwrap_or_default(),
                        r.acting_for.clone().unwrap_or_default(),
                        r.customer.clone().unwrap_or_default(),
                        r.reseller.clone().unwrap_or_default(),
                        tr.t(&r.action_key()).to_owned(),
                        r.entry.old_value.clone().unwrap_or_default(),
                        r.entry.new_value.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            Ok((rows, next))
        },
    ))
}
