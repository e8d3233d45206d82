//! Who the token is, the provider's resellers, and partnership requests (the personalised links).

use actix_web::{HttpRequest, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::idempotency::{self, Answer};
use super::{Api, List, Paging, Problem, ok, utc, utc_opt};
use crate::auth::{PartnerStaff, ProviderStaff, can};
use crate::db::models::partnership::{PartneredReseller, Partnership};
use crate::db::models::relationship_request::{RelationshipRequest, SentRequest};
use crate::domain::RequestKind;
use crate::services::link_request::{self, LinkError, NewLink};
use crate::state::AppState;

/// The token's member and organisation.
#[derive(Serialize, ToSchema)]
pub struct Me {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    /// admin, sales, helpdesk or billing.
    pub role: String,
    /// provider or reseller.
    pub organisation_kind: String,
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub organisation_id: i64,
    pub organisation_name: String,
    /// read or write.
    pub token_access: String,
    pub token_expires_at: chrono::DateTime<chrono::Utc>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "Account",
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(caller: Api<PartnerStaff>) -> Result<actix_web::HttpResponse, Problem> {
    let user = &caller.signed.user;
    Ok(ok(&Me {
        user_id: user.id,
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        role: user.team_role.as_str().to_owned(),
        organisation_kind: user
            .partner_kind()
            .map(|k| k.as_str().to_owned())
            .unwrap_or_default(),
        organisation_id: user.partner_id().unwrap_or_default(),
        organisation_name: user.partner_name().unwrap_or_default().to_owned(),
        token_access: caller.token.access().as_str().to_owned(),
        token_expires_at: utc(caller.token.expires_at),
    }))
}

/// A reseller the provider is partnered with.
#[derive(Serialize, ToSchema)]
pub struct Reseller {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    pub partner_number: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub customer_count: i64,
    pub license_count: i64,
    /// The open balance it may run up before its orders wait for review (none: no limit).
    pub credit_limit_minor: Option<i64>,
    pub review_every_order: bool,
    pub partnered_since: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ResellerList {
    pub data: Vec<Reseller>,
    pub next: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResellerQuery {
    /// Part of the reseller's name or partner number.
    pub q: Option<String>,
}

fn reseller(row: PartneredReseller) -> Reseller {
    let p: Partnership = row.partnership;
    Reseller {
        id: p.reseller_id,
        name: p.reseller_name,
        partner_number: row.partner_number,
        country: row.country,
        customer_count: p.customer_count,
        license_count: p.license_count,
        credit_limit_minor: p.credit_limit_minor,
        review_every_order: p.review_every_order,
        partnered_since: utc(p.created_at),
    }
}

#[utoipa::path(get, path = "/api/v1/resellers", tag = "Resellers", params(Paging, ResellerQuery),
    responses((status = 200, body = ResellerList), (status = 400, body = Problem)))]
pub async fn resellers(
    req: HttpRequest,
    caller: Api<ProviderStaff>,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
    query: web::Query<ResellerQuery>,
) -> Result<actix_web::HttpResponse, Problem> {
    let (seek, limit) = paging.seek::<(String, i64)>()?;
    let provider = caller.provider_id();
    let search = query
        .q
        .as_deref()
        .map(|q| q.trim().chars().take(100).collect::<String>())
        .filter(|q| !q.is_empty());
    let page = state
        .db
        .query(move |conn| {
            Partnership::page_for_provider(conn, provider, search.as_deref(), &seek, limit)
        })
        .await?;
    Ok(ok(&List::of(page, &req, reseller)))
}

/// A partnership request: a personalised link a reseller accepts.
#[derive(Serialize, ToSchema)]
pub struct PartnershipRequest {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub id: i64,
    /// pending, expired, accepted, declined, revoked or superseded.
    pub state: String,
    /// Who made it (in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    pub recipient_email: Option<String>,
    /// The reseller that accepted it.
    #[serde(serialize_with = "super::id::ser_opt")]
    #[schema(value_type = Option<String>)]
    pub reseller_id: Option<i64>,
    /// The link, only in the answer that made it (it is kept hashed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PartnershipRequestList {
    pub data: Vec<PartnershipRequest>,
    pub next: Option<String>,
}

fn request(row: &RelationshipRequest, created_by: Option<String>) -> PartnershipRequest {
    PartnershipRequest {
        id: row.id,
        state: format!("{:?}", row.state()).to_lowercase(),
        created_by,
        created_at: utc(row.created_at),
        expires_at: utc(row.expires_at),
        sent_at: utc_opt(row.sent_at),
        recipient_email: row.recipient_email.clone(),
        reseller_id: row.accepted_partner_id,
        link: None,
    }
}

#[utoipa::path(get, path = "/api/v1/partnership-requests", tag = "Resellers", params(Paging),
    responses((status = 200, body = PartnershipRequestList)))]
pub async fn requests(
    req: HttpRequest,
    caller: Api<ProviderStaff, can::Sell>,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
) -> Result<actix_web::HttpResponse, Problem> {
    let (seek, limit) = paging.seek::<i64>()?;
    let provider = caller.provider_id();
    let page = state
        .db
        .query(move |conn| {
            RelationshipRequest::page_for_provider(
                conn,
                provider,
                RequestKind::Partnership,
                &seek,
                limit,
            )
        })
        .await?;
    Ok(ok(&List::of(page, &req, |row: SentRequest| {
        request(&row.request, Some(row.created_by_name))
    })))
}

fn link_problem(caller_tr: crate::i18n::Tr, err: LinkError) -> Problem {
    match err {
        LinkError::NotFound => Problem::not_found(),
        LinkError::AlreadyAccepted => Problem::conflict("The request was already accepted."),
        LinkError::Invalid(errors) => Problem::form(caller_tr, &errors),
        LinkError::Db(err) => err.into(),
    }
}

/// Makes a partnership request; the answer holds its link (this once) to send to the reseller.
#[utoipa::path(post, path = "/api/v1/partnership-requests", tag = "Resellers",
    params(("Idempotency-Key" = String, Header, description = "A new key for each new request")),
    responses((status = 201, body = PartnershipRequest), (status = 422, body = Problem)))]
pub async fn create_request(
    req: HttpRequest,
    caller: Api<ProviderStaff, can::Sell>,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<actix_web::HttpResponse, Problem> {
    idempotency::once(&req, &state, caller.token.id, &body, || async {
        let provider = caller.provider_id();
        let (row, token) = link_request::create(
            &state.db,
            NewLink {
                kind: RequestKind::Partnership,
                provider,
                user_id: caller.user.id,
                ttl: state.config.link_ttl,
                reseller_id: None,
                include_delegated_admin: false,
                grant_id: None,
                // Handed to the API caller: shared as it is made.
                draft: false,
            },
        )
        .await?;
        let mut out = request(&row, Some(caller.user.display_name.clone()));
        let kept = request(&row, Some(caller.user.display_name.clone()));
        out.link = Some(state.url(&format!(
            "{}{token}",
            link_request::accept_path(RequestKind::Partnership)
        )));
        Ok(
            Answer::created(&out, format!("/api/v1/partnership-requests?id={}", row.id))
                .keep(&kept),
        )
    })
    .await
}

/// Revokes a pending request: its link stops working.
#[utoipa::path(post, path = "/api/v1/partnership-requests/{id}/revoke", tag = "Resellers",
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header)),
    responses((status = 200, body = PartnershipRequest), (status = 404, body = Problem)))]
pub async fn revoke_request(
    req: HttpRequest,
    caller: Api<ProviderStaff, can::Sell>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<actix_web::HttpResponse, Problem> {
    let id = id.into_inner();
    let tr = caller.tr();
    idempotency::once(&req, &state, caller.token.id, &body, || async {
        let provider = caller.provider_id();
        link_request::revoke(
            &state.db,
            RequestKind::Partnership,
            provider,
            caller.user.id,
            id,
        )
        .await
        .map_err(|e| link_problem(tr, e))?;
        let row = state
            .db
            .read(move |conn| link_request::find(conn, provider, RequestKind::Partnership, id))
            .await
            .map_err(|e| link_problem(tr, e))?;
        Ok(Answer::ok(&request(&row, None)))
    })
    .await
}
