//! Request a partnership: a request is made with its personal link, and its draft message is shown with
//! Open in email, Copy to clipboard, Send email and Done. The link exists in clear only in this session
//! (to show the draft until Done) and in the message sent; the database keeps its hash.

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, ProviderId, ProviderStaff, Signed};
use crate::db::models::activity::NewActivity;
use crate::db::models::relationship_request::{
    LinkState, NewRequest, RelationshipRequest, RequestKind,
};
use crate::domain::Email;
use crate::email::messages::{PartnershipRequest, lines_with_link};
use crate::email::{self};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::routes::link_draft::{holds_link, mailto, normalize};
use crate::routes::see_other;
use crate::startup::AppState;
use crate::view::{Ctx, FormErrors, request_locale};

pub const ACCEPT_PATH: &str = "/partnerships/accept/";

fn link_key(id: i64) -> String {
    format!("partnership_link:{id}")
}

fn draft_path(id: i64) -> String {
    format!("/indirect-resellers/requests/{id}")
}

#[derive(Template, WebTemplate)]
#[template(path = "indirect_resellers/request.html")]
pub struct DraftPage {
    pub ctx: Ctx,
    pub request: RelationshipRequest,
    pub state: LinkState,
    /// The personal link, while this session still holds it.
    pub link: Option<String>,
    pub subject: String,
    pub body: String,
    pub email: String,
    pub mailto: String,
    pub errors: FormErrors,
}

/// The message as first drafted, in the provider user's language.
fn default_draft(
    tr: Tr,
    provider: &str,
    sender: &str,
    link: &str,
    expires: &chrono::NaiveDateTime,
) -> (String, String) {
    let subject = tr.t1("partnership.draft.subject", "provider", provider);
    let body = crate::i18n::t_args(
        tr.locale(),
        "partnership.draft.body",
        &[
            ("provider", provider),
            ("sender", sender),
            ("link", link),
            ("expires", &tr.date(expires)),
        ],
    );
    (subject, body)
}

/// Makes a new request with its link and opens its draft.
pub async fn create(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let user_id = user.id;
    let ttl = state.config.link_ttl;
    let (request, token) = state
        .db
        .write(move |conn| {
            let (request, token) = RelationshipRequest::create(
                conn,
                NewRequest {
                    kind: RequestKind::Partnership,
                    provider,
                    created_by: user_id,
                    ttl,
                    recipient_email: None,
                    reseller_id: None,
                    include_delegated_admin: false,
                },
            )?;
            NewActivity::new(
                "partnership_request.created",
                "relationship_request",
                Some(request.id),
            )
            .by(user_id, Some(provider.get()))
            .provider(Some(provider.get()))
            .record(conn)?;
            Ok((request, token))
        })
        .await?;
    session.put_secret(&state.config.session_key, &link_key(request.id), &token)?;
    Ok(see_other(&draft_path(request.id)))
}

async fn find(state: &AppState, provider: ProviderId, id: i64) -> AppResult<RelationshipRequest> {
    state
        .db
        .read(move |conn| {
            Ok(RelationshipRequest::find_for_provider(
                conn,
                provider,
                RequestKind::Partnership,
                id,
            )?)
        })
        .await
}

pub async fn draft(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let request = find(&state, user.provider_id(), path.into_inner()).await?;
    let link = session
        .secret(&state.config.session_key, &link_key(request.id))
        .map(|token| state.url(&format!("{ACCEPT_PATH}{token}")));
    let (subject, body) = match &link {
        Some(link) => default_draft(
            ctx.tr,
            user.partner_name().unwrap_or_default(),
            &user.display_name,
            link,
            &request.expires_at,
        ),
        None => (String::new(), String::new()),
    };
    let email = request.recipient_email.clone().unwrap_or_default();
    let page = DraftPage {
        ctx,
        state: request.state(),
        mailto: mailto(&email, &subject, &body),
        request,
        link,
        subject,
        body,
        email,
        errors: FormErrors::new(),
    };
    Ok(page.respond_to(&req).map_into_boxed_body())
}

#[derive(Deserialize)]
pub struct SendForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    email: String,
}

/// Send email: the message as typed goes to the reseller through the outbox, if it still holds this
/// request's link exactly.
pub async fn send(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
    form: web::Form<SendForm>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let request = find(&state, provider, path.into_inner()).await?;
    let form = form.into_inner();
    let subject = form.subject.trim().to_owned();
    let body = normalize(&form.body);
    let mut errors = FormErrors::new();
    if request.state() != LinkState::Pending {
        errors.add("form", "partnership.not_pending");
    }
    let to = errors.check("email", Email::parse(&form.email));
    if subject.is_empty() {
        errors.add("subject", "validation.required");
    } else if subject.chars().count() > 200 {
        errors.add("subject", "validation.too_long");
    }
    if body.is_empty() {
        errors.add("body", "validation.required");
    } else if body.chars().count() > 20_000 {
        errors.add("body", "validation.too_long");
    } else if !holds_link(&body, &state.base_url, ACCEPT_PATH, &request.token_hash) {
        errors.add("body", "partnership.link_missing");
    }
    let link = session
        .secret(&state.config.session_key, &link_key(request.id))
        .map(|token| state.url(&format!("{ACCEPT_PATH}{token}")));
    let Some(to) = to.filter(|_| errors.is_empty()) else {
        let page = DraftPage {
            ctx: Ctx::build(&req).await?,
            state: request.state(),
            mailto: mailto(&form.email, &subject, &body),
            request,
            link,
            subject,
            body,
            email: form.email.trim().to_owned(),
            errors,
        };
        return Ok(crate::routes::form_page(&req, page, true));
    };

    let tr = Tr(request_locale(&req).await?);
    // The link as it stands in the message, made clickable in the HTML version.
    let shown_link = link.unwrap_or_default();
    let message = PartnershipRequest {
        tr,
        lines: lines_with_link(&body, &shown_link),
        subject,
        body,
    };
    let id = request.id;
    let user_id = user.id;
    let address = to.to_string();
    state
        .db
        .write(move |conn| {
            RelationshipRequest::mark_sent(conn, id, to.as_str())?;
            NewActivity::new("partnership_request.sent", "relationship_request", Some(id))
                .by(user_id, Some(provider.get()))
                .provider(Some(provider.get()))
                .change(None, Some(to.to_string()))
                .record(conn)?;
            email::queue(conn, to.as_str(), &message)?;
            Ok(())
        })
        .await?;
    state.wake_outbox();
    session.flash_with(
        FlashKind::Success,
        "partnership.sent",
        &[("email", &address)],
    )?;
    Ok(see_other(&draft_path(id)))
}

/// Done: the draft is closed and its link forgotten by this session.
pub async fn done(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let request = find(&state, user.provider_id(), path.into_inner()).await?;
    session.forget_secret(&link_key(request.id));
    Ok(see_other("/indirect-resellers"))
}

/// Resend: a new link for the same request; the old link stops working at once.
pub async fn resend(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let old_id = path.into_inner();
    let user_id = user.id;
    let ttl = state.config.link_ttl;
    let (request, token) = state
        .db
        .write(move |conn| {
            let old = RelationshipRequest::find_for_provider(
                conn,
                provider,
                RequestKind::Partnership,
                old_id,
            )?;
            if old.state() == LinkState::Accepted {
                return Err(AppError::Conflict("errors.conflict.already_accepted"));
            }
            let (request, token) = RelationshipRequest::create(
                conn,
                NewRequest {
                    kind: RequestKind::Partnership,
                    provider,
                    created_by: user_id,
                    ttl,
                    recipient_email: old.recipient_email.as_deref(),
                    reseller_id: None,
                    include_delegated_admin: false,
                },
            )?;
            if !RelationshipRequest::supersede(conn, old.id, request.id)? {
                return Err(AppError::Conflict("errors.conflict.already_accepted"));
            }
            NewActivity::new(
                "partnership_request.resent",
                "relationship_request",
                Some(request.id),
            )
            .by(user_id, Some(provider.get()))
            .provider(Some(provider.get()))
            .change(Some(old.id.to_string()), Some(request.id.to_string()))
            .record(conn)?;
            Ok((request, token))
        })
        .await?;
    session.forget_secret(&link_key(old_id));
    session.put_secret(&state.config.session_key, &link_key(request.id), &token)?;
    session.flash(FlashKind::Info, "partnership.resent")?;
    Ok(see_other(&draft_path(request.id)))
}

/// Revoke: the link stops working; nothing else changes.
pub async fn revoke(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let id = path.into_inner();
    let user_id = user.id;
    let revoked = state
        .db
        .write(move |conn| {
            RelationshipRequest::find_for_provider(conn, provider, RequestKind::Partnership, id)?;
            if !RelationshipRequest::revoke(conn, id)? {
                return Ok(false);
            }
            NewActivity::new(
                "partnership_request.revoked",
                "relationship_request",
                Some(id),
            )
            .by(user_id, Some(provider.get()))
            .provider(Some(provider.get()))
            .change(Some("pending".into()), Some("revoked".into()))
            .record(conn)?;
            Ok(true)
        })
        .await?;
    session.forget_secret(&link_key(id));
    if revoked {
        session.flash(FlashKind::Success, "partnership.revoked")?;
    } else {
        session.flash(FlashKind::Info, "partnership.not_pending")?;
    }
    Ok(see_other("/indirect-resellers"))
}
