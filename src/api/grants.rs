//! Grants (time-bound delegated administration the customer approves): list, request (the answer
//! holds the approval link to send to the customer's admin), end.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::idempotency::{self, Answer};
use super::{Api, List, Org, Paging, Problem, ok, utc, utc_opt};
use crate::auth::{PartnerStaff, ProviderStaff, can};
use crate::db::models::grant::{Grant as GrantModel, GrantRow, Roles};
use crate::domain::Need;
use crate::i18n::Tr;
use crate::services::grants::{self, EndGrant, GrantError, GrantForm, RequestGrant, Side};
use crate::services::link_request;
use crate::state::AppState;

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Default)]
pub struct GrantRoles {
    #[serde(default)]
    pub subscription_admin: bool,
    #[serde(default)]
    pub license_reader: bool,
    #[serde(default)]
    pub support: bool,
    #[serde(default)]
    pub billing_reader: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Grant {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub customer_id: i64,
    pub customer_name: String,
    pub provider_name: String,
    /// The provider itself or one of its resellers.
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub holder_id: i64,
    pub holder_name: String,
    pub roles: GrantRoles,
    /// pending_approval, active, expiring_soon, expired, ended, declined or lapsed.
    pub state: String,
    pub days: i32,
    pub auto_extend: bool,
    /// Pending: when the request lapses; else when the grant expires.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub approved_at: Option<chrono::DateTime<chrono::Utc>>,
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct GrantList {
    pub data: Vec<Grant>,
    pub next: Option<String>,
}

fn snake(debug: impl std::fmt::Debug) -> String {
    let name = format!("{debug:?}");
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn grant(row: GrantRow, now: chrono::NaiveDateTime) -> Grant {
    let g = row.grant;
    let roles = g.roles();
    Grant {
        id: g.id,
        customer_id: g.customer_id,
        customer_name: row.customer_name,
        provider_name: row.provider_name,
        holder_id: g.holder_id,
        holder_name: row.holder_name,
        roles: GrantRoles {
            subscription_admin: roles.admin,
            license_reader: roles.licenses,
            support: roles.support,
            billing_reader: roles.billing,
        },
        state: snake(g.state(now)),
        days: g.days,
        auto_extend: g.auto_extend,
        expires_at: utc(g.expires_at),
        approved_at: utc_opt(g.approved_at),
        ended_at: utc_opt(g.ended_at),
    }
}

/// The provider's grants (its own and its resellers'), or those a reseller holds; newest first.
#[utoipa::path(get, path = "/api/v1/grants", tag = "Grants", params(Paging),
    responses((status = 200, body = GrantList)))]
pub async fn list(
    req: HttpRequest,
    caller: Api<PartnerStaff>,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, Problem> {
    let (seek, limit) = paging.seek::<i64>()?;
    let org = Org::of(&caller)?;
    let now = state.now();
    let page = match org {
        Org::Provider(user) => {
            let p = user.provider_id().get();
            state
                .db
                .query(move |conn| GrantModel::page_for_provider(conn, p, &seek, limit))
                .await?
        }
        Org::Reseller(user) => {
            let r = user.reseller_id().get();
            state
                .db
                .query(move |conn| GrantModel::page_held_by(conn, r, &seek, limit))
                .await?
        }
    };
    Ok(ok(&List::of(page, &req, |row| grant(row, now))))
}

#[derive(Deserialize, ToSchema)]
pub struct NewGrant {
    #[serde(deserialize_with = "super::id::de")]
    #[schema(value_type = String)]
    pub customer_id: i64,
    /// One of your resellers, or none for yourself.
    #[serde(default, deserialize_with = "super::id::de_opt")]
    #[schema(value_type = Option<String>)]
    pub holder_id: Option<i64>,
    pub roles: GrantRoles,
    /// 1–730.
    pub days: i64,
    #[serde(default)]
    pub auto_extend: bool,
}

#[derive(Serialize, ToSchema)]
pub struct RequestedGrant {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub grant_id: i64,
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub request_id: i64,
    /// pending_approval until the customer's admin approves it.
    pub state: String,
    /// The link the customer's admin approves it by (this answer only; it is kept hashed).
    pub approval_link: Option<String>,
    pub link_expires_at: chrono::DateTime<chrono::Utc>,
}

fn grant_problem(tr: Tr, err: GrantError) -> Problem {
    match err {
        GrantError::NotFound | GrantError::WrongCustomer => Problem::not_found(),
        GrantError::Invalid(errors) => Problem::invalid(
            tr,
            errors.entries().map(|(f, k)| {
                let field = match f {
                    "holder" => "holder_id",
                    "subscription_admin" | "license_reader" | "billing_reader" | "roles" => "roles",
                    other => other,
                };
                (field.to_owned(), k)
            }),
        ),
        GrantError::Unusable(_) => Problem::conflict("The request can no longer be used."),
        GrantError::Db(err) => err.into(),
    }
}

/// Asks the customer for a grant: a pending grant and the link its admin approves it by.
#[utoipa::path(post, path = "/api/v1/grants", tag = "Grants",
    params(("Idempotency-Key" = String, Header)),
    request_body = NewGrant,
    responses((status = 201, body = RequestedGrant), (status = 422, body = Problem)))]
pub async fn request(
    req: HttpRequest,
    caller: Api<ProviderStaff, can::Sell>,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let tr = caller.tr();
    idempotency::once(&req, &state, caller.token.id, &body, || async {
        let new: NewGrant = super::parse_body(&body)?;
        let (row, token) = grants::request(
            &state.db,
            RequestGrant {
                provider: caller.provider_id(),
                user_id: caller.user.id,
                customer_id: new.customer_id,
                form: GrantForm {
                    holder: new.holder_id,
                    roles: Roles {
                        admin: new.roles.subscription_admin,
                        licenses: new.roles.license_reader,
                        support: new.roles.support,
                        billing: new.roles.billing_reader,
                    },
                    days: new.days.to_string(),
                    auto_extend: new.auto_extend,
                },
                now: state.now(),
            },
        )
        .await
        .map_err(|e| grant_problem(tr, e))?;
        let link = state.url(&format!("{}{token}", link_request::accept_path(row.kind)));
        let made = |approval_link| RequestedGrant {
            grant_id: row.grant_id.unwrap_or_default(),
            request_id: row.id,
            state: "pending_approval".to_owned(),
            approval_link,
            link_expires_at: utc(row.expires_at),
        };
        Ok(Answer::created(&made(Some(link)), "/api/v1/grants".to_owned()).keep(&made(None)))
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct EndedGrant {
    /// false when it had ended already (nothing more was done).
    pub ended: bool,
}

/// Ends a grant at once (the provider, or the reseller holding it — its admins).
#[utoipa::path(post, path = "/api/v1/grants/{id}/end", tag = "Grants",
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header)),
    responses((status = 200, body = EndedGrant), (status = 404, body = Problem)))]
pub async fn end(
    req: HttpRequest,
    caller: Api<PartnerStaff, can::Sell>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let tr = caller.tr();
    let partner = match Org::of(&caller)? {
        Org::Provider(user) => user.provider_id().get(),
        // A reseller's admins end the grants it holds (as on its Grants page).
        Org::Reseller(user) if user.may(Need::Admin) => user.reseller_id().get(),
        Org::Reseller(_) => return Err(Problem::not_found()),
    };
    idempotency::once(&req, &state, caller.token.id, &body, || async {
        let ended = grants::end(
            &state.db,
            EndGrant {
                grant_id: id,
                side: Side::Partner(partner),
                user_id: caller.user.id,
                now: state.now(),
                base_url: state.base_url.clone(),
            },
        )
        .await
        .map_err(|e| grant_problem(tr, e))?;
        state.wake_outbox();
        Ok(Answer::ok(&EndedGrant { ended }))
    })
    .await
}
