//! The draft pages' handlers, generic over the flow: each extracts, calls `services::link_request`,
//! and answers with the draft page or a redirect.

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use serde::Deserialize;

use super::{DraftPage, Flow, FlowInfo, mailto};
use crate::auth::session::FlashKind;
use crate::auth::{AppSession, Permission, ProviderStaff, Signed, can};
use crate::db::models::customer::Customer;
use crate::db::models::grant::Grant;
use crate::db::models::partner::Partner;
use crate::db::models::relationship_request::RelationshipRequest;
use crate::domain::{Email, RequestKind};
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::routes::see_other;
use crate::services::link_request::{self, LinkError, NewLink, SendLink, accept_path, normalize};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors, request_locale};

fn link(state: &AppState, flow: &FlowInfo, token: &str) -> String {
    state.url(&format!("{}{token}", accept_path(flow.kind)))
}

/// What a new request holds besides its link.
pub struct Options {
    pub reseller_id: Option<i64>,
    pub include_delegated_admin: bool,
}

/// Makes a new request with its link and opens its draft; the link is kept sealed in this session.
pub async fn create<F: Flow>(
    state: &AppState,
    session: &AppSession,
    user: &Signed<ProviderStaff, impl Permission>,
    options: Options,
) -> AppResult<HttpResponse> {
    let flow = F::INFO;
    let (request, token) = link_request::create(
        &state.db,
        NewLink {
            kind: flow.kind,
            provider: user.provider_id(),
            user_id: user.id,
            ttl: state.config.link_ttl,
            reseller_id: options.reseller_id,
            include_delegated_admin: options.include_delegated_admin,
            grant_id: None,
            draft: true,
        },
    )
    .await?;
    opened(state, session, flow, request.id, &token)
}

/// Keeps a new request's link sealed in this session and opens its draft.
pub fn opened(
    state: &AppState,
    session: &AppSession,
    flow: &FlowInfo,
    id: i64,
    token: &str,
) -> AppResult<HttpResponse> {
    session.put_secret(&state.config.session_key, &flow.secret_name(id), token)?;
    Ok(see_other(&flow.draft_path(id)))
}

/// What a grant request's draft says of the grant.
pub struct GrantAsked {
    customer: String,
    contact_email: String,
    roles: String,
    duration: String,
}

impl GrantAsked {
    fn new(tr: Tr, grant: Grant, customer: Customer) -> Self {
        let roles: Vec<&str> = grant
            .roles()
            .list()
            .iter()
            .map(|r| tr.t(r.label_key()))
            .collect();
        let mut duration = tr.t1("grants.days_n", "days", grant.days.to_string());
        if grant.auto_extend {
            duration = format!("{duration} · {}", tr.t("grants.auto_extend"));
        }
        Self {
            customer: customer.company_name,
            contact_email: customer.contact_email,
            roles: roles.join(", "),
            duration,
        }
    }
}

/// The draft as first written, in the provider user's language.
#[allow(clippy::too_many_arguments)]
fn default_draft(
    flow: &FlowInfo,
    tr: Tr,
    provider: &str,
    sender: &str,
    link: &str,
    request: &RelationshipRequest,
    reseller: Option<&str>,
    grant: Option<&GrantAsked>,
) -> (String, String) {
    let subject = tr.t1(flow.subject_key, "provider", provider);
    let with_reseller = reseller
        .map(|r| tr.t1("invitations.draft.with_reseller", "reseller", r))
        .unwrap_or_default();
    let delegation = if request.include_delegated_admin {
        tr.t1(
            "invitations.draft.delegation",
            "who",
            reseller.unwrap_or(provider),
        )
    } else {
        String::new()
    };
    let body = crate::i18n::t_args(
        tr.locale(),
        flow.body_key,
        &[
            ("provider", provider),
            ("sender", sender),
            ("link", link),
            ("expires", &tr.date(&request.expires_at)),
            ("with_reseller", &with_reseller),
            ("delegation", &delegation),
            ("holder", reseller.unwrap_or(provider)),
            (
                "customer",
                grant.map(|g| g.customer.as_str()).unwrap_or_default(),
            ),
            ("roles", grant.map(|g| g.roles.as_str()).unwrap_or_default()),
        ],
    );
    // An empty optional paragraph leaves no gap behind.
    (
        subject,
        body.replace("\n\n\n\n", "\n\n").replace("\n\n\n", "\n\n"),
    )
}

/// The draft page of a request; a 422 with `typed` and `errors` after a refused Send.
#[allow(clippy::too_many_arguments)]
async fn draft_page(
    flow: &'static FlowInfo,
    req: &HttpRequest,
    state: &AppState,
    session: &AppSession,
    user: &Signed<ProviderStaff, impl Permission>,
    id: i64,
    typed: Option<SendForm>,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let kind = flow.kind;
    let (request, reseller, grant) = state
        .db
        .read(move |conn| {
            let request = link_request::find(conn, provider, kind, id)?;
            let reseller = match request.reseller_id {
                Some(id) => Some(Partner::find(conn, id)?.name),
                None => None,
            };
            let grant = match request.grant_id {
                Some(id) => {
                    let grant = Grant::find(conn, id).map_err(crate::db::DbError::from)?;
                    let customer = Customer::find(conn, grant.customer_id)
                        .map_err(crate::db::DbError::from)?;
                    Some((grant, customer))
                }
                None => None,
            };
            Ok::<_, LinkError>((request, reseller, grant))
        })
        .await?;
    let ctx = Ctx::build(req).await?;
    let grant = grant.map(|(grant, customer)| GrantAsked::new(ctx.tr, grant, customer));
    let link = session
        .secret(&state.config.session_key, &flow.secret_name(request.id))
        .map(|token| link(state, flow, &token));
    let label = typed.as_ref().map_or_else(
        || request.label.clone().unwrap_or_default(),
        |t| t.label.trim().to_owned(),
    );
    let (subject, body, email) = match (typed, &link) {
        (Some(t), _) => (
            t.subject.trim().to_owned(),
            normalize(&t.body),
            t.email.trim().to_owned(),
        ),
        (None, Some(link)) => {
            let (s, b) = default_draft(
                flow,
                ctx.tr,
                user.partner_name().unwrap_or_default(),
                &user.display_name,
                link,
                &request,
                reseller.as_deref(),
                grant.as_ref(),
            );
            let to = request
                .recipient_email
                .clone()
                .or_else(|| grant.as_ref().map(|g| g.contact_email.clone()));
            (s, b, to.unwrap_or_default())
        }
        (None, None) => (String::new(), String::new(), String::new()),
    };
    let mut details = Vec::new();
    if flow.kind == RequestKind::CustomerInvitation {
        details.push((
            "invitations.reseller",
            reseller
                .clone()
                .unwrap_or_else(|| ctx.t("wizard.account.no_reseller").to_owned()),
        ));
        details.push((
            "invitations.delegated_admin",
            ctx.t(if request.include_delegated_admin {
                "forms.yes"
            } else {
                "forms.no"
            })
            .to_owned(),
        ));
    }
    if let Some(g) = &grant {
        details.push(("grants.customer", g.customer.clone()));
        details.push((
            "grants.holder",
            reseller.unwrap_or_else(|| user.partner_name().unwrap_or_default().to_owned()),
        ));
        details.push(("grants.roles", g.roles.clone()));
        details.push(("grants.duration", g.duration.clone()));
    }
    let has_errors = !errors.is_empty();
    let page = DraftPage {
        ctx,
        flow,
        state: request.state(),
        mailto: mailto(&email, &subject, &body),
        request,
        link,
        details,
        subject,
        body,
        email,
        label,
        errors,
    };
    Ok(if has_errors {
        crate::routes::form_page(req, page, true)
    } else {
        page.respond_to(req).map_into_boxed_body()
    })
}

pub async fn draft<F: Flow>(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    draft_page(
        F::INFO,
        &req,
        &state,
        &session,
        &user,
        id,
        None,
        FormErrors::new(),
    )
    .await
}

#[derive(Deserialize, Clone)]
pub struct SendForm {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub label: String,
}

/// Send email: the message as typed goes out through the outbox, if it still holds this request's link
/// exactly.
pub async fn send<F: Flow>(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
    form: web::Form<SendForm>,
) -> AppResult<HttpResponse> {
    let flow = F::INFO;
    let id = path.into_inner();
    let form = form.into_inner();
    // The link as it stands in the message, made clickable in the HTML version.
    let shown_link = session
        .secret(&state.config.session_key, &flow.secret_name(id))
        .map(|token| link(&state, flow, &token))
        .unwrap_or_default();
    let sent = link_request::send(
        &state.db,
        SendLink {
            kind: flow.kind,
            provider: user.provider_id(),
            user_id: user.id,
            id,
            to: Email::parse(&form.email),
            subject: form.subject.clone(),
            body: form.body.clone(),
            base_url: state.base_url.clone(),
            shown_link,
            tr: Tr(request_locale(&req).await?),
            label: form.label.clone(),
        },
    )
    .await;
    let address = match sent {
        Ok(address) => address,
        Err(LinkError::Invalid(errors)) => {
            return draft_page(flow, &req, &state, &session, &user, id, Some(form), errors).await;
        }
        Err(err) => return Err(err.into()),
    };
    state.wake_outbox();
    session.flash_with(FlashKind::Success, flow.sent_key, &[("email", &address)])?;
    Ok(see_other(&flow.draft_path(id)))
}

/// Done: the draft is closed and its link forgotten by this session.
pub async fn done<F: Flow>(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
    form: web::Form<SendForm>,
) -> AppResult<HttpResponse> {
    let flow = F::INFO;
    let (provider, kind, id) = (user.provider_id(), flow.kind, path.into_inner());
    let form = form.into_inner();
    let shown = session
        .secret(&state.config.session_key, &flow.secret_name(id))
        .is_some();
    match link_request::done(&state.db, kind, provider, id, (&form.label, shown)).await {
        Ok(()) => {}
        Err(LinkError::Invalid(errors)) => {
            return draft_page(flow, &req, &state, &session, &user, id, Some(form), errors).await;
        }
        Err(err) => return Err(err.into()),
    }
    session.forget_secret(&flow.secret_name(id));
    Ok(see_other(flow.list))
}

/// Resend: a new link for the same request; the old link stops working at once.
pub async fn resend<F: Flow>(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let flow = F::INFO;
    let old_id = path.into_inner();
    let (request, token) = link_request::resend(
        &state.db,
        flow.kind,
        user.provider_id(),
        user.id,
        old_id,
        state.config.link_ttl,
    )
    .await?;
    session.forget_secret(&flow.secret_name(old_id));
    session.put_secret(
        &state.config.session_key,
        &flow.secret_name(request.id),
        &token,
    )?;
    session.flash(FlashKind::Info, "partnership.resent")?;
    Ok(see_other(&flow.draft_path(request.id)))
}

/// Revoke: the link stops working; nothing else changes.
pub async fn revoke<F: Flow>(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let flow = F::INFO;
    let id = path.into_inner();
    let revoked =
        link_request::revoke(&state.db, flow.kind, user.provider_id(), user.id, id).await?;
    session.forget_secret(&flow.secret_name(id));
    if revoked {
        session.flash(FlashKind::Success, "partnership.revoked")?;
    } else {
        session.flash(FlashKind::Info, "partnership.not_pending")?;
    }
    Ok(see_other(flow.list))
}
