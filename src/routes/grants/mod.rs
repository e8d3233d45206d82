//! Delegated-administration grants (SPEC.md §2.13), from every side: the provider requests one from
//! the customer page (the draft pages are `link_draft`'s, wired as `GrantRequest`) and lists them all
//! on Grants; the customer's admin approves or declines by the personal link and ends grants from its
//! page; the reseller lists the grants it holds and can end them. The relationship check lives here
//! too: the problems across the provider's customers. Handlers: extract, call `services::grants`,
//! render.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, CustomerAdmin, ProviderStaff, ResellerStaff, Signed, can};
use crate::db::models::grant::{Grant, GrantRow};
use crate::db::models::relationship_check::{self, Flag};
use crate::error::{AppError, AppResult};
use crate::pagination::{PER_PAGE, Page, PageQuery};
use crate::routes::customers::show::{RequestForm, render_with_grant_form};
use crate::routes::link_draft::{self, Flow, GrantRequest};
use crate::routes::see_other;
use crate::services::grants::{self, Answer, EndGrant, GrantError, RequestGrant, Side};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

const APPROVE: &str = "/grants/approve/";

/// Request a grant (customer page): the pending grant and its link, then the draft page.
pub async fn request(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
    form: web::Form<RequestForm>,
) -> AppResult<HttpResponse> {
    let customer_id = path.into_inner();
    let typed = form.into_inner();
    let parsed = match typed.parse() {
        Ok(p) => p,
        Err(errors) => {
            return render_with_grant_form(
                &req,
                &state,
                user.provider_id(),
                customer_id,
                typed,
                errors,
            )
            .await;
        }
    };
    let made = grants::request(
        &state.db,
        RequestGrant {
            provider: user.provider_id(),
            user_id: user.id,
            customer_id,
            form: parsed,
            now: state.now(),
        },
    )
    .await;
    match made {
        Ok((request, token)) => {
            link_draft::opened(&state, &session, GrantRequest::INFO, request.id, &token)
        }
        Err(GrantError::Invalid(errors)) => {
            render_with_grant_form(&req, &state, user.provider_id(), customer_id, typed, errors)
                .await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "grants/list.html")]
pub struct GrantsPage {
    pub ctx: Ctx,
    pub page: Page<GrantRow>,
    /// Where End grant posts, per grant: `{base}/{id}/end`.
    pub base: &'static str,
    /// The provider's page shows the customer; the reseller's the provider too.
    pub reseller: bool,
    pub now: chrono::NaiveDateTime,
}

/// The provider's Grants page: every grant and request across its customers, newest first.
pub async fn provider_list(
    ctx: Ctx,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff>,
    query: web::Query<PageQuery>,
) -> AppResult<GrantsPage> {
    let provider = user.provider_id();
    let seek = query.seek::<i64>();
    let page = state
        .db
        .query(move |conn| Grant::page_for_provider(conn, provider.get(), &seek, PER_PAGE))
        .await?;
    Ok(GrantsPage {
        ctx,
        page,
        base: "/customers/grants",
        reseller: false,
        now: state.now(),
    })
}

/// The grants a reseller holds, from every provider.
pub async fn reseller_list(
    ctx: Ctx,
    state: web::Data<AppState>,
    user: Signed<ResellerStaff>,
    query: web::Query<PageQuery>,
) -> AppResult<GrantsPage> {
    let reseller = user.reseller_id();
    let seek = query.seek::<i64>();
    let page = state
        .db
        .query(move |conn| Grant::page_held_by(conn, reseller.get(), &seek, PER_PAGE))
        .await?;
    Ok(GrantsPage {
        ctx,
        page,
        base: "/reseller/grants",
        reseller: true,
        now: state.now(),
    })
}

async fn end_as(
    state: &AppState,
    session: &AppSession,
    grant_id: i64,
    side: Side,
    user_id: i64,
    back: &str,
) -> AppResult<HttpResponse> {
    let ended = grants::end(
        &state.db,
        EndGrant {
            grant_id,
            side,
            user_id,
            now: state.now(),
            base_url: state.base_url.clone(),
        },
    )
    .await?;
    state.wake_outbox();
    if ended {
        session.flash(FlashKind::Success, "grants.ended")?;
    } else {
        session.flash(FlashKind::Info, "grants.not_open")?;
    }
    Ok(see_other(back))
}

pub async fn provider_end(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let side = Side::Partner(user.provider_id().get());
    end_as(
        &state,
        &session,
        path.into_inner(),
        side,
        user.id,
        "/customers/grants",
    )
    .await
}

pub async fn reseller_end(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ResellerStaff, can::Admin>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let side = Side::Partner(user.reseller_id().get());
    end_as(
        &state,
        &session,
        path.into_inner(),
        side,
        user.id,
        "/reseller/grants",
    )
    .await
}

pub async fn customer_end(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<CustomerAdmin>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let side = Side::Customer(user.customer_id());
    end_as(
        &state,
        &session,
        path.into_inner(),
        side,
        user.id,
        "/my/subscriptions#grants",
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "grants/approve.html")]
pub struct ApprovePage {
    pub ctx: Ctx,
    /// Nobody signed in yet: sign in first (the link survives the detour).
    pub sign_in_first: bool,
    pub asked: Option<grants::Asked>,
    pub path: String,
    pub errors: FormErrors,
}

/// What a user other than a customer's admin is told.
const NOT_CUSTOMER: &str = "errors.grant.not_customer";

async fn approve_page(
    req: &HttpRequest,
    state: &AppState,
    token: String,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let ctx = Ctx::build(req).await?;
    let customer = crate::routes::link_customer(ctx.user.as_deref(), NOT_CUSTOMER)?;
    let path = format!("{APPROVE}{token}");
    // A link that cannot be used says so whoever opens it; who asks for what only to its customer.
    let asked = grants::asked(&state.db, token, customer).await?;
    let has_errors = !errors.is_empty();
    let page = ApprovePage {
        ctx,
        sign_in_first: customer.is_none(),
        asked: customer.map(|_| asked),
        path,
        errors,
    };
    Ok(crate::routes::form_page(req, page, has_errors))
}

pub async fn approve_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    approve_page(&req, &state, path.into_inner(), FormErrors::new()).await
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    decision: String,
}

pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<String>,
    form: web::Form<AnswerForm>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let user = crate::routes::answering_user(&req, format!("{APPROVE}{token}")).await?;
    let customer = crate::routes::link_customer(Some(&user), NOT_CUSTOMER)?
        .ok_or(AppError::Forbidden(NOT_CUSTOMER))?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "decline" => false,
        _ => {
            let mut errors = FormErrors::new();
            errors.add("decision", "grants.approve.choose");
            return approve_page(&req, &state, token, errors).await;
        }
    };
    grants::answer(
        &state.db,
        Answer {
            token,
            customer,
            user_id: user.id,
            approve,
            now: state.now(),
            base_url: state.base_url.clone(),
        },
    )
    .await?;
    state.wake_outbox();
    let (kind, key) = if approve {
        (FlashKind::Success, "grants.approve.approved")
    } else {
        (FlashKind::Info, "grants.approve.declined")
    };
    session.flash(kind, key)?;
    Ok(see_other("/my/subscriptions#grants"))
}

#[derive(Template, WebTemplate)]
#[template(path = "grants/check.html")]
pub struct CheckPage {
    pub ctx: Ctx,
    pub flags: Vec<Flag>,
}

/// How many of each kind of problem the page shows at most.
const CHECK_LIMIT: i64 = 200;

/// Relationship check: the problems across the provider's customers, each with its fix.
pub async fn check(
    ctx: Ctx,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff>,
) -> AppResult<CheckPage> {
    let provider = user.provider_id();
    let now = state.now();
    let flags = state
        .db
        .query(move |conn| relationship_check::flags(conn, provider, None, now, CHECK_LIMIT))
        .await?;
    Ok(CheckPage { ctx, flags })
}
