//! Settings → Webhooks (admins of providers and resellers): `/webhooks` lists the endpoints and adds
//! one (its secret shown once); `/webhooks/{id}` shows its delivery log with Resend, Send test event,
//! Switch off / on and Delete.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, PartnerStaff, Signed, can};
use crate::db::models::webhook::{Delivery, EVENTS, Endpoint};
use crate::error::AppResult;
use crate::pagination::{Page, PageQuery};
use crate::routes::see_other;
use crate::services::webhooks::{self, Action, Admin, EndpointForm};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

/// Where a new endpoint's secret waits, sealed in the session, until the page has shown it once.
const NEW_SECRET: &str = "webhook_secret";

type AdminUser = Signed<PartnerStaff, can::Admin>;

fn admin(user: &AdminUser) -> Admin {
    Admin {
        user_id: user.id,
        partner_id: user.partner_id().unwrap_or_default(),
        kind: user
            .partner_kind()
            .unwrap_or(crate::domain::PartnerKind::Reseller),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "webhooks/list.html")]
pub struct WebhooksPage {
    pub ctx: Ctx,
    pub endpoints: Vec<(Endpoint, i64)>,
    pub errors: FormErrors,
    pub url: String,
    pub chosen: Vec<String>,
    /// A new endpoint's secret, shown this once.
    pub new_secret: Option<String>,
}

impl WebhooksPage {
    pub fn events(&self) -> &'static [&'static str] {
        EVENTS
    }

    pub fn is_chosen(&self, event: &str) -> bool {
        self.chosen.iter().any(|c| c == event)
    }
}

async fn list_page(
    req: &HttpRequest,
    state: &AppState,
    user: &AdminUser,
    errors: FormErrors,
    form: EndpointForm,
) -> AppResult<WebhooksPage> {
    let session = AppSession::of(req);
    let new_secret = session.secret(&state.config.session_key, NEW_SECRET);
    if new_secret.is_some() {
        session.forget_secret(NEW_SECRET);
    }
    Ok(WebhooksPage {
        ctx: Ctx::build(req).await?,
        endpoints: webhooks::list(&state.db, user.partner_id().unwrap_or_default()).await?,
        errors,
        url: form.url,
        chosen: form.events,
        new_secret,
    })
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AdminUser,
) -> AppResult<WebhooksPage> {
    list_page(
        &req,
        &state,
        &user,
        FormErrors::new(),
        EndpointForm::default(),
    )
    .await
}

/// Add endpoint.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: AdminUser,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let mut typed = EndpointForm::default();
    for (name, value) in form.into_inner() {
        match name.as_str() {
            "url" => typed.url = value.chars().take(2000).collect(),
            "events" => typed.events.push(value),
            _ => {}
        }
    }
    match webhooks::check(&typed, state.config.webhooks.allow_loopback).await {
        Err(errors) => {
            let page = list_page(&req, &state, &user, errors, typed).await?;
            Ok(crate::routes::form_page(&req, page, true))
        }
        Ok(checked) => {
            let (_, secret) =
                webhooks::create(&state.db, &state.config.session_key, admin(&user), checked)
                    .await?;
            session.put_secret(&state.config.session_key, NEW_SECRET, &secret)?;
            Ok(see_other("/webhooks#new-secret"))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "webhooks/show.html")]
pub struct EndpointPage {
    pub ctx: Ctx,
    pub endpoint: Endpoint,
    pub deliveries: Page<Delivery>,
}

impl EndpointPage {
    pub fn base(&self) -> String {
        format!("/webhooks/{}", self.endpoint.id)
    }

    pub fn status_key(&self, d: &Delivery) -> &'static str {
        match d.status.as_str() {
            "delivered" => "webhooks.status.delivered",
            "failed" => "webhooks.status.failed",
            _ => "webhooks.status.pending",
        }
    }
}

pub async fn show(
    ctx: Ctx,
    state: web::Data<AppState>,
    user: AdminUser,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> AppResult<EndpointPage> {
    let (endpoint, deliveries) = webhooks::show(
        &state.db,
        user.partner_id().unwrap_or_default(),
        path.into_inner(),
        query.seek(),
    )
    .await?;
    Ok(EndpointPage {
        ctx,
        endpoint,
        deliveries,
    })
}

async fn act(
    state: &AppState,
    session: &AppSession,
    user: &AdminUser,
    id: i64,
    action: Action,
) -> AppResult<HttpResponse> {
    let key = webhooks::act(&state.db, admin(user), id, action).await?;
    session.flash(FlashKind::Success, key)?;
    Ok(see_other(&match action {
        Action::Delete => "/webhooks".to_owned(),
        _ => format!("/webhooks/{id}"),
    }))
}

pub async fn send_test(
    state: web::Data<AppState>,
    session: AppSession,
    user: AdminUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    act(&state, &session, &user, path.into_inner(), Action::SendTest).await
}

pub async fn disable(
    state: web::Data<AppState>,
    session: AppSession,
    user: AdminUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    act(&state, &session, &user, path.into_inner(), Action::Disable).await
}

pub async fn enable(
    state: web::Data<AppState>,
    session: AppSession,
    user: AdminUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    act(&state, &session, &user, path.into_inner(), Action::Enable).await
}

pub async fn delete(
    state: web::Data<AppState>,
    session: AppSession,
    user: AdminUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    act(&state, &session, &user, path.into_inner(), Action::Delete).await
}

pub async fn resend(
    state: web::Data<AppState>,
    session: AppSession,
    user: AdminUser,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (id, delivery) = path.into_inner();
    act(&state, &session, &user, id, Action::Resend(delivery)).await
}
