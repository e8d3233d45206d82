//! Renewals (subscriptions whose term ends soon) and statements (list, one with its lines, CSV).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Api, List, Money, Org, Paging, Problem, ok, utc, utc_opt};
use crate::auth::{PartnerStaff, can};
use crate::db::models::lifecycle::{RenewalRow, RenewalScope, renewals_page};
use crate::db::models::offer::Offer;
use crate::db::models::statement::{self, StatementLine, StatementRow, StatementScope};
use crate::domain::StatementKind;
use crate::services::statements;
use crate::state::AppState;

/// A subscription whose term ends within the window asked.
#[derive(Serialize, ToSchema)]
pub struct Renewal {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub subscription_id: i64,
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub customer_id: i64,
    pub customer_name: String,
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub offer_id: i64,
    pub offer_name: String,
    pub quantity: i32,
    pub term: String,
    pub billing: String,
    pub ends_at: chrono::DateTime<chrono::Utc>,
    /// It renews at `ends_at` (else it ends then).
    pub auto_renew: bool,
    #[serde(serialize_with = "super::id::ser_opt")]
    #[schema(value_type = Option<String>)]
    pub reseller_of_record_id: Option<i64>,
    pub reseller_name: Option<String>,
    /// What one billing period costs the customer's bill-to at renewal.
    pub period_total: Money,
    pub scheduled_change: Option<super::subscriptions::ScheduledChange>,
}

#[derive(Serialize, ToSchema)]
pub struct RenewalList {
    pub data: Vec<Renewal>,
    pub next: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RenewalQuery {
    /// 30, 60 or 90 (30 by default).
    pub days: Option<i64>,
    /// Only this reseller of record's (providers).
    pub reseller: Option<i64>,
}

fn renewal(row: RenewalRow, currency: &str) -> Renewal {
    let s = row.subscription;
    Renewal {
        subscription_id: s.id,
        customer_id: s.customer_id,
        customer_name: row.customer_name,
        offer_id: s.offer_id,
        offer_name: row.offer_name,
        quantity: s.quantity,
        term: s.term.as_str().to_owned(),
        billing: s.billing.as_str().to_owned(),
        ends_at: utc(s.ends_at),
        auto_renew: s.auto_renew,
        reseller_of_record_id: s.reseller_of_record_id,
        reseller_name: row.reseller_name,
        period_total: Money::new(s.period_total(), currency),
        scheduled_change: row
            .scheduled
            .map(|c| super::subscriptions::ScheduledChange {
                quantity: c.quantity,
                term: c.term.map(|t| t.as_str().to_owned()),
                billing: c.billing.map(|b| b.as_str().to_owned()),
                offer_id: c.offer_id,
            }),
    }
}

/// Subscriptions ending in the next 30, 60 or 90 days, soonest first.
#[utoipa::path(get, path = "/api/v1/renewals", tag = "Renewals", params(Paging, RenewalQuery),
    responses((status = 200, body = RenewalList), (status = 400, body = Problem)))]
pub async fn renewals(
    req: HttpRequest,
    caller: Api<PartnerStaff, can::Orders>,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
    query: web::Query<RenewalQuery>,
) -> Result<HttpResponse, Problem> {
    let (seek, limit) = paging.seek::<(NaiveDateTime, i64)>()?;
    let days = query.days.unwrap_or(30);
    if ![30, 60, 90].contains(&days) {
        return Err(Problem::bad_request("days is 30, 60 or 90."));
    }
    let (scope, reseller) = match Org::of(&caller)? {
        Org::Provider(user) => (
            RenewalScope::Provider(user.provider_id().get()),
            query.reseller,
        ),
        Org::Reseller(user) => (RenewalScope::Reseller(user.reseller_id().get()), None),
    };
    let now = state.now();
    let (page, currency) = state
        .db
        .query(move |conn| {
            let to = now + chrono::Duration::days(days);
            Ok((
                renewals_page(conn, scope, reseller, now, to, &seek, limit)?,
                Offer::catalog_currency(conn)?,
            ))
        })
        .await?;
    Ok(ok(&List::of(page, &req, |row| renewal(row, &currency))))
}

#[derive(Serialize, ToSchema)]
pub struct Statement {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub id: i64,
    /// ST-000123.
    pub reference: String,
    /// reseller (what the provider bills a reseller), customer (a direct customer), or resale (what
    /// a reseller may bill its customer).
    pub kind: String,
    /// YYYY-MM (UTC).
    pub month: String,
    pub period_start: chrono::DateTime<chrono::Utc>,
    /// Exclusive.
    pub period_end: chrono::DateTime<chrono::Utc>,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    pub due_at: chrono::DateTime<chrono::Utc>,
    pub total: Money,
    pub line_count: i64,
    pub paid_at: Option<chrono::DateTime<chrono::Utc>>,
    pub provider_name: String,
    #[serde(serialize_with = "super::id::ser_opt")]
    #[schema(value_type = Option<String>)]
    pub reseller_id: Option<i64>,
    pub reseller_name: Option<String>,
    #[serde(serialize_with = "super::id::ser_opt")]
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StatementList {
    pub data: Vec<Statement>,
    pub next: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StatementCharge {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub order_id: i64,
    /// PO-000123.
    pub order_reference: String,
    pub order_kind: String,
    pub placed_at: chrono::DateTime<chrono::Utc>,
    pub customer_name: String,
    pub offer_name: String,
    pub quantity: i32,
    pub period_start: Option<chrono::DateTime<chrono::Utc>>,
    pub period_end: Option<chrono::DateTime<chrono::Utc>>,
    /// A charge, or a credit or refund (negative).
    pub amount: Money,
}

#[derive(Serialize, ToSchema)]
pub struct StatementDetails {
    #[serde(flatten)]
    pub statement: Statement,
    /// Its charges; they add up to `total`.
    pub lines: Vec<StatementCharge>,
}

fn statement_out(row: StatementRow) -> Statement {
    let s = row.statement;
    Statement {
        id: s.id,
        reference: s.reference(),
        kind: s.kind.as_str().to_owned(),
        month: s.month.clone(),
        period_start: utc(s.period_start),
        period_end: utc(s.period_end),
        issued_at: utc(s.issued_at),
        due_at: utc(s.due_at),
        total: Money::new(s.total_minor, &s.currency),
        line_count: s.line_count,
        paid_at: utc_opt(s.paid_at),
        provider_name: row.provider_name,
        reseller_id: s.reseller(),
        reseller_name: row.reseller_name,
        customer_id: s.customer(),
        customer_name: row.customer_name,
    }
}

fn charge(line: StatementLine, currency: &str) -> StatementCharge {
    StatementCharge {
        order_reference: line.reference(),
        order_id: line.order_id,
        order_kind: line.order_kind.as_str().to_owned(),
        placed_at: utc(line.placed_at),
        customer_name: line.customer_name,
        offer_name: line.offer_name,
        quantity: line.quantity,
        period_start: utc_opt(line.period_start),
        period_end: utc_opt(line.period_end),
        amount: Money::new(line.amount_minor, currency),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// reseller, customer or resale.
    pub kind: Option<String>,
}

fn scope_of(
    caller: &Api<PartnerStaff, can::Billing>,
    kind: Option<StatementKind>,
    now: NaiveDateTime,
) -> Result<StatementScope, Problem> {
    Ok(match Org::of(caller)? {
        Org::Provider(user) => StatementScope::Provider(user.provider_id().get(), kind),
        Org::Reseller(user) => StatementScope::Reseller(user.reseller_id().get(), kind, now),
    })
}

/// Statements, newest first: a provider's (to resellers, to direct customers, and its resellers'
/// to their customers); a reseller's (what it is billed, and what it may bill its customers).
#[utoipa::path(get, path = "/api/v1/statements", tag = "Statements", params(Paging, StatementQuery),
    responses((status = 200, body = StatementList), (status = 400, body = Problem)))]
pub async fn statements(
    req: HttpRequest,
    caller: Api<PartnerStaff, can::Billing>,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
    query: web::Query<StatementQuery>,
) -> Result<HttpResponse, Problem> {
    let (seek, limit) = paging.seek::<i64>()?;
    let kind = match query.kind.as_deref().unwrap_or_default() {
        "" => None,
        raw => Some(
            StatementKind::parse(raw)
                .ok_or_else(|| Problem::bad_request("kind is reseller, customer or resale."))?,
        ),
    };
    let scope = scope_of(&caller, kind, state.now())?;
    let page = state
        .db
        .query(move |conn| statement::page(conn, scope, &seek, limit))
        .await?;
    Ok(ok(&List::of(page, &req, statement_out)))
}

async fn one(
    caller: &Api<PartnerStaff, can::Billing>,
    state: &AppState,
    id: i64,
) -> Result<(StatementRow, Vec<StatementLine>), Problem> {
    let scope = scope_of(caller, None, state.now())?;
    statements::show(&state.db, scope, id)
        .await
        .map_err(|e| Problem::from_change(caller.tr(), e))
}

#[utoipa::path(get, path = "/api/v1/statements/{id}", tag = "Statements",
    params(("id" = i64, Path)),
    responses((status = 200, body = StatementDetails), (status = 404, body = Problem)))]
pub async fn statement(
    caller: Api<PartnerStaff, can::Billing>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let (row, lines) = one(&caller, &state, id.into_inner()).await?;
    let currency = row.statement.currency.clone();
    Ok(ok(&StatementDetails {
        statement: statement_out(row),
        lines: lines.into_iter().map(|l| charge(l, &currency)).collect(),
    }))
}

/// The statement's lines as CSV (amounts in minor units).
#[utoipa::path(get, path = "/api/v1/statements/{id}/csv", tag = "Statements",
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 404, body = Problem)))]
pub async fn statement_csv(
    caller: Api<PartnerStaff, can::Billing>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let (row, lines) = one(&caller, &state, id.into_inner()).await?;
    let st = row.statement;
    let mut out = csv::Writer::from_writer(Vec::new());
    let day = |d: Option<NaiveDateTime>| {
        d.map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let written: Result<(), csv::Error> = (|| {
        out.write_record([
            "order",
            "placed_at",
            "kind",
            "customer",
            "offer",
            "licenses",
            "period_start",
            "period_end",
            "amount_minor",
            "currency",
        ])?;
        for l in &lines {
            out.write_record([
                l.reference(),
                utc(l.placed_at).to_rfc3339(),
                l.order_kind.as_str().to_owned(),
                crate::domain::safe_cell(&l.customer_name),
                crate::domain::safe_cell(&l.offer_name),
                l.quantity.to_string(),
                day(l.period_start),
                day(l.period_end),
                l.amount_minor.to_string(),
                st.currency.clone(),
            ])?;
        }
        Ok(())
    })();
    let bytes = written
        .map_err(|e| crate::db::DbError::Failed(e.into()))
        .and_then(|()| {
            out.into_inner()
                .map_err(|e| crate::db::DbError::Failed(anyhow::anyhow!("{e}")))
        })?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.csv\"", st.reference()),
        ))
        .body(bytes))
}
