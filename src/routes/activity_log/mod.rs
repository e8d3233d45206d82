//! The activity log: every change, who made it, acting for whom, the customer it concerns, the action,
//! old -> new. Providers see their log, filtered by dates, reseller and customer, with a CSV export;
//! resellers see their own actions.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{OperatorStaff, ProviderStaff, ResellerStaff, Signed};
use crate::db::DbConnection;
use crate::db::models::activity::{ACTIONS, Activity, LogFilter, LogRow, action_key};
use crate::db::models::customer::{ProviderCustomer, ResellerFilter};
use crate::db::models::partnership::Partnership;
use crate::db::models::user::User;
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
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub user: String,
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
            ("action", self.action.as_str()),
            ("user", self.user.as_str()),
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
    /// The provider's users, for the "by user" filter.
    pub users: Vec<(i64, String)>,
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

    /// Whether a filter narrows the log (an empty page then says "nothing matches", not "nothing yet").
    pub fn filtered(&self) -> bool {
        let q = &self.query;
        [&q.from, &q.to, &q.reseller, &q.customer, &q.action, &q.user]
            .iter()
            .any(|v| !v.trim().is_empty())
    }

    pub fn actions(&self) -> &'static [&'static str] {
        ACTIONS
    }

    pub fn action_name(&self, action: &str) -> &'static str {
        self.ctx.t(&action_key(action))
    }

    /// An old or new value as the reader's language says it.
    pub fn value(&self, raw: &str) -> String {
        shown_value(self.ctx.tr, raw)
    }
}

/// A logged value in `tr`'s language: states and the like are words of the locale files
/// (`activity.value.*`). A "state, note" value has each of its two parts translated when it is such a
/// word ("accepted, delegated administration"), kept as written otherwise (a suspension's reason,
/// names, numbers).
pub fn shown_value(tr: Tr, raw: &str) -> String {
    let word = |part: &str| {
        let key = format!("activity.value.{}", part.trim().replace(' ', "_"));
        if crate::i18n::has_key(&key) {
            tr.t(&key).to_owned()
        } else {
            part.to_owned()
        }
    };
    match raw.split_once(", ") {
        Some((state, note)) => format!(
            "{}{}{}",
            word(state),
            tr.t("activity.value_separator"),
            word(note)
        ),
        None => word(raw),
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
    // Compared as days: before the id epoch every day maps to id 0.
    let day = |raw: &str| chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok();
    if let (Some(from), Some(to)) = (day(&query.from), day(&query.to))
        && from > to
        && errors.is_empty()
    {
        errors.add("to", "activity.range_reversed");
    }
    match query.action.trim() {
        "" => {}
        raw => match ACTIONS.iter().find(|a| **a == raw) {
            Some(action) => filter.action = Some(action),
            None => errors.add("action", "validation.invalid"),
        },
    }
    if !query.user.trim().is_empty() {
        let id = query
            .user
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::NotFound)?;
        if User::find(conn, id)?.partner_id != Some(provider.get()) {
            return Err(AppError::NotFound);
        }
        filter.actor_user = Some(id);
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
    let (page, resellers, users, errors) = state
        .db
        .read(move |conn| {
            let mut errors = FormErrors::new();
            let filter = provider_filter(conn, provider, &q, &mut errors)?;
            // A filter that cannot hold (a reversed range, an unknown action) shows its message, not
            // an empty log.
            let page = if errors.is_empty() {
                Activity::page(conn, &filter, &seek, PER_PAGE)?
            } else {
                Page::empty()
            };
            let resellers =
                Partnership::choices_for_provider(conn, provider, 200, filter.reseller)?;
            let users = User::of_partner(conn, provider.get())?
                .into_iter()
                .map(|u| (u.id, u.display_name))
                .collect();
            Ok::<_, AppError>((page, resellers, users, errors))
        })
        .await?;
    respond(
        &req,
        LogView {
            query,
            resellers,
            users,
            page,
            errors,
            provider_view: true,
            base: "/activity-log",
        },
    )
    .await
}

/// What a log page shows, before the page context is added.
struct LogView {
    query: LogQuery,
    resellers: Vec<(i64, String)>,
    users: Vec<(i64, String)>,
    page: Page<LogRow>,
    errors: FormErrors,
    provider_view: bool,
    base: &'static str,
}

async fn respond(req: &HttpRequest, view: LogView) -> AppResult<HttpResponse> {
    let page = LogPage {
        ctx: Ctx::build(req).await?,
        query: view.query,
        resellers: view.resellers,
        users: view.users,
        page: view.page,
        errors: view.errors,
        provider_view: view.provider_view,
        base: view.base,
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
        LogView {
            query: LogQuery::default(),
            resellers: Vec::new(),
            users: Vec::new(),
            page,
            errors: FormErrors::new(),
            provider_view: false,
            base,
        },
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
            match errors.entries().next().map(|(_, key)| key) {
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
                        r.entry
                            .old_value
                            .as_deref()
                            .map(|v| shown_value(tr, v))
                            .unwrap_or_default(),
                        r.entry
                            .new_value
                            .as_deref()
                            .map(|v| shown_value(tr, v))
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            Ok((rows, next))
        },
    ))
}
