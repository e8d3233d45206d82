//! Orders across every provider, where operators review them: filtered by provider, reseller and the
//! days they were placed, newest first; and each order's detail (the provider's order page, in the
//! console).

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{OperatorStaff, Signed};
use crate::db::models::customer::ResellerFilter;
use crate::db::models::order::{Order, OrderFilter, OrderRow};
use crate::db::models::partner::Partner;
use crate::domain::PartnerKind;
use crate::domain::day_bounds;
use crate::error::AppResult;
use crate::pagination::{PER_PAGE, Page, PageQuery};
use crate::routes::orders::{OrderPage, order_page};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

/// How many organisations a filter's drop-down offers (the one chosen is always there).
const CHOICES: i64 = 200;

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub reseller: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// Only orders in this state (`pending_review`, `rejected`, `placed`).
    #[serde(default)]
    pub status: String,
    pub after: Option<String>,
    pub before: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "operations/orders/list.html")]
pub struct ConsoleOrdersPage {
    pub ctx: Ctx,
    pub query: ListQuery,
    pub providers: Vec<(i64, String)>,
    pub resellers: Vec<(i64, String)>,
    pub page: Page<OrderRow>,
    pub errors: FormErrors,
}

impl ConsoleOrdersPage {
    pub fn orders(&self) -> &[OrderRow] {
        &self.page.items
    }

    pub fn filter_query(&self) -> String {
        serde_urlencoded::to_string([
            ("provider", self.query.provider.as_str()),
            ("reseller", self.query.reseller.as_str()),
            ("from", self.query.from.as_str()),
            ("to", self.query.to.as_str()),
            ("status", self.query.status.as_str()),
        ])
        .unwrap_or_default()
    }

    pub fn is_filtered(&self) -> bool {
        !self.filter_query().split('&').all(|p| p.ends_with('='))
    }
}

/// An id from a filter's drop-down; anything else is no filter.
fn chosen(raw: &str) -> Option<i64> {
    raw.trim().parse().ok()
}

pub async fn list(
    req: HttpRequest,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let seek = PageQuery {
        after: query.after.clone(),
        before: query.before.clone(),
    }
    .seek::<i64>();
    let mut errors = FormErrors::new();
    let mut filter = OrderFilter {
        provider: chosen(&query.provider),
        reseller: match query.reseller.as_str() {
            "none" => ResellerFilter::None,
            raw => chosen(raw).map_or(ResellerFilter::All, ResellerFilter::Reseller),
        },
        customer: None,
        from_id: None,
        to_id: None,
        for_reseller: None,
        status: crate::domain::OrderStatus::parse(query.status.trim()),
    };
    filter.from_id = errors
        .check("from", day_bounds(&query.from))
        .flatten()
        .map(|b| b.0);
    filter.to_id = errors
        .check("to", day_bounds(&query.to))
        .flatten()
        .map(|b| b.1);
    let (providers, resellers, page) = state
        .db
        .query(move |conn| {
            let selected_reseller = match filter.reseller {
                ResellerFilter::Reseller(id) => Some(id),
                _ => None,
            };
            Ok((
                Partner::choices(conn, PartnerKind::Provider, CHOICES, filter.provider)?,
                Partner::choices(conn, PartnerKind::Reseller, CHOICES, selected_reseller)?,
                Order::page(conn, &filter, &seek, PER_PAGE)?,
            ))
        })
        .await?;
    let has_errors = !errors.is_empty();
    let page = ConsoleOrdersPage {
        ctx: Ctx::build(&req).await?,
        query,
        providers,
        resellers,
        page,
        errors,
    };
    Ok(if has_errors {
        crate::routes::form_page(&req, page, true)
    } else {
        page.respond_to(&req).map_into_boxed_body()
    })
}

pub async fn show(
    ctx: Ctx,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<OrderPage> {
    order_page(ctx, &state, None, path.into_inner()).await
}
