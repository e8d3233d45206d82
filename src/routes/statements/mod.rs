//! Statements (SPEC.md §2.11): the provider's (every reseller's, direct customer's and resale
//! statement it issued, with **Mark as paid**), a reseller's (what its providers bill it, and what it
//! may bill each customer) and a direct customer's admin's. Each statement has a printable page (the
//! print stylesheet, no script) and a CSV. The job that issues them is `services::statements`; the
//! queries are `db::models::statement`. Nobody but the provider sees costs: statements carry none.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, CustomerAdmin, ProviderStaff, ResellerStaff, Signed, can};
use crate::db::models::statement::{self, StatementLine, StatementRow, StatementScope};
use crate::domain::StatementKind;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::pagination::{PER_PAGE, Page, PageQuery};
use crate::routes::csv::download;
use crate::routes::see_other;
use crate::services::statements;
use crate::state::AppState;
use crate::view::Ctx;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    kind: String,
    after: Option<String>,
    before: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "statements/list.html")]
pub struct StatementsPage {
    pub ctx: Ctx,
    pub page: Page<StatementRow>,
    /// The tab shown (none: all).
    pub kind: Option<StatementKind>,
    /// The tabs offered.
    pub kinds: Vec<StatementKind>,
    /// `/statements`, `/reseller/statements` or `/my/statements`.
    pub base: &'static str,
}

impl StatementsPage {
    pub fn filter_query(&self) -> String {
        self.kind
            .map(|k| format!("kind={}", k.as_str()))
            .unwrap_or_default()
    }

    pub fn is_kind(&self, kind: &StatementKind) -> bool {
        self.kind == Some(*kind)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "statements/show.html")]
pub struct StatementPage {
    pub ctx: Ctx,
    pub row: StatementRow,
    pub lines: Vec<StatementLine>,
    pub base: &'static str,
    /// The provider may mark it paid.
    pub can_mark_paid: bool,
}

impl StatementPage {
    /// Who the statement bills, as its header names them.
    pub fn bill_to(&self) -> String {
        match self.row.statement.kind {
            StatementKind::Reseller => self.row.reseller_name.clone().unwrap_or_default(),
            _ => self.row.customer_name.clone().unwrap_or_default(),
        }
    }

    /// Who issues it: the provider, or for a resale statement the reseller.
    pub fn issuer(&self) -> String {
        match self.row.statement.kind {
            StatementKind::Resale => self.row.reseller_name.clone().unwrap_or_default(),
            _ => self.row.provider_name.clone(),
        }
    }
}

async fn list(
    ctx: Ctx,
    state: &AppState,
    scope: StatementScope,
    query: ListQuery,
    base: &'static str,
    kinds: Vec<StatementKind>,
) -> AppResult<StatementsPage> {
    let kind = StatementKind::parse(query.kind.trim()).filter(|k| kinds.contains(k));
    let scope = match scope {
        StatementScope::Provider(p, _) => StatementScope::Provider(p, kind),
        StatementScope::Reseller(r, _, now) => StatementScope::Reseller(r, kind, now),
        other => other,
    };
    let seek = PageQuery {
        after: query.after,
        before: query.before,
    }
    .seek::<i64>();
    let page = state
        .db
        .query(move |conn| statement::page(conn, scope, &seek, PER_PAGE))
        .await?;
    Ok(StatementsPage {
        ctx,
        page,
        kind,
        kinds,
        base,
    })
}

async fn show(
    ctx: Ctx,
    state: &AppState,
    scope: StatementScope,
    id: i64,
    base: &'static str,
) -> AppResult<StatementPage> {
    let (row, lines) = statements::show(&state.db, scope, id).await?;
    let can_mark_paid = matches!(scope, StatementScope::Provider(..))
        && row.statement.kind != StatementKind::Resale
        && row.statement.paid_at.is_none();
    Ok(StatementPage {
        ctx,
        row,
        lines,
        base,
        can_mark_paid,
    })
}

/// One statement's lines as CSV.
async fn csv(
    req: &HttpRequest,
    state: web::Data<AppState>,
    scope: StatementScope,
    id: i64,
) -> AppResult<HttpResponse> {
    let (row, _) = statements::show(&state.db, scope, id).await?;
    let tr = Tr(crate::view::request_locale(req).await?);
    let header = [
        "orders.col.order",
        "orders.col.date",
        "orders.col.kind",
        "orders.col.customer",
        "wizard.subscriptions.offer",
        "wizard.subscriptions.licenses",
        "statements.col.period_start",
        "statements.col.period_end",
        "statements.col.amount",
        "statements.col.currency",
    ]
    .iter()
    .map(|k| tr.t(k).to_owned())
    .collect();
    let st = row.statement;
    let name = format!("{}.csv", st.reference());
    Ok(download(
        state,
        &name,
        header,
        move |conn, _seek: &crate::pagination::Seek<i64>| {
            let lines = statement::lines(conn, &st)?;
            let day = |d: Option<chrono::NaiveDateTime>| {
                d.map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default()
            };
            let rows = lines
                .iter()
                .map(|l| {
                    vec![
                        l.reference(),
                        l.placed_at.format("%Y-%m-%d %H:%M").to_string(),
                        tr.t(l.order_kind.label_key()).to_owned(),
                        l.customer_name.clone(),
                        l.offer_name.clone(),
                        l.quantity.to_string(),
                        day(l.period_start),
                        day(l.period_end),
                        crate::domain::decimal(l.amount_minor),
                        st.currency.clone(),
                    ]
                })
                .collect();
            Ok((rows, None))
        },
    ))
}

const PROVIDER_KINDS: [StatementKind; 3] = [
    StatementKind::Reseller,
    StatementKind::Customer,
    StatementKind::Resale,
];

pub async fn provider_list(
    ctx: Ctx,
    user: Signed<ProviderStaff, can::Billing>,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> AppResult<StatementsPage> {
    let scope = StatementScope::Provider(user.provider_id().get(), None);
    list(
        ctx,
        &state,
        scope,
        query.into_inner(),
        "/statements",
        PROVIDER_KINDS.to_vec(),
    )
    .await
}

pub async fn provider_show(
    ctx: Ctx,
    user: Signed<ProviderStaff, can::Billing>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<StatementPage> {
    let scope = StatementScope::Provider(user.provider_id().get(), None);
    show(ctx, &state, scope, path.into_inner(), "/statements").await
}

pub async fn provider_csv(
    req: HttpRequest,
    user: Signed<ProviderStaff, can::Billing>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let scope = StatementScope::Provider(user.provider_id().get(), None);
    csv(&req, state, scope, path.into_inner()).await
}

/// **Mark as paid**: once; a second submit says it already was.
pub async fn mark_paid(
    user: Signed<ProviderStaff, can::Billing>,
    session: AppSession,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let done = statements::mark_paid(
        &state.db,
        user.provider_id().get(),
        id,
        user.user.id,
        state.now(),
    )
    .await?;
    session.flash(
        FlashKind::Success,
        if done {
            "statements.marked_paid"
        } else {
            "statements.already_paid"
        },
    )?;
    Ok(see_other(&format!("/statements/{id}")))
}

pub async fn reseller_list(
    ctx: Ctx,
    user: Signed<ResellerStaff, can::Billing>,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> AppResult<StatementsPage> {
    let scope = StatementScope::Reseller(user.reseller_id().get(), None, state.now());
    list(
        ctx,
        &state,
        scope,
        query.into_inner(),
        "/reseller/statements",
        vec![
            StatementKind::Reseller,
            StatementKind::Resale,
            StatementKind::Customer,
        ],
    )
    .await
}

pub async fn reseller_show(
    ctx: Ctx,
    user: Signed<ResellerStaff, can::Billing>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<StatementPage> {
    let scope = StatementScope::Reseller(user.reseller_id().get(), None, state.now());
    show(
        ctx,
        &state,
        scope,
        path.into_inner(),
        "/reseller/statements",
    )
    .await
}

pub async fn reseller_csv(
    req: HttpRequest,
    user: Signed<ResellerStaff, can::Billing>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let scope = StatementScope::Reseller(user.reseller_id().get(), None, state.now());
    csv(&req, state, scope, path.into_inner()).await
}

pub async fn my_list(
    ctx: Ctx,
    user: Signed<CustomerAdmin>,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> AppResult<StatementsPage> {
    let scope = StatementScope::Customer(user.customer_id().get());
    list(
        ctx,
        &state,
        scope,
        query.into_inner(),
        "/my/statements",
        Vec::new(),
    )
    .await
}

pub async fn my_show(
    ctx: Ctx,
    user: Signed<CustomerAdmin>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<StatementPage> {
    let scope = StatementScope::Customer(user.customer_id().get());
    show(ctx, &state, scope, path.into_inner(), "/my/statements").await
}

pub async fn my_csv(
    req: HttpRequest,
    user: Signed<CustomerAdmin>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let scope = StatementScope::Customer(user.customer_id().get());
    csv(&req, state, scope, path.into_inner()).await
}
