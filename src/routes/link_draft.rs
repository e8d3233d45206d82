//! The "send a personal link" flow both a partnership request (to a reseller) and a customer invitation
//! (to an existing customer) follow: make the request and its link, show a draft message with Open in
//! email, Copy to clipboard, Send email and Done, and Resend or Revoke later. A `Flow` says what differs.
//! The link exists in clear only in the session that made it (sealed) and in the message sent.

use actix_web::{HttpRequest, HttpResponse, Responder};
use askama::Template;
use askama_web::WebTemplate;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, ProviderId, ProviderStaff, Signed};
use crate::db::DbConnection;
use crate::db::models::activity::NewActivity;
use crate::db::models::partner::Partner;
use crate::db::models::relationship_request::{
    LinkState, NewRequest, RelationshipRequest, RequestKind, hash_token,
};
use crate::domain::Email;
use crate::email::messages::{CustomerInvitation, PartnershipRequest, lines_with_link};
use crate::email::{self};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::routes::see_other;
use crate::startup::AppState;
use crate::view::{Ctx, FormErrors, request_locale};

/// What differs between the two kinds of personal link.
pub struct Flow {
    pub kind: RequestKind,
    /// Where the link points: `{BASE_URL}{accept_path}{token}`.
    pub accept_path: &'static str,
    /// Where a request's draft and actions live: `{base}/{id}`.
    pub base: &'static str,
    /// Where Done and Revoke return to.
    pub list: &'static str,
    pub title_key: &'static str,
    pub subject_key: &'static str,
    pub body_key: &'static str,
    /// Activity-log actions.
    pub created: &'static str,
    pub sent: &'static str,
    pub resent: &'static str,
    pub revoked: &'static str,
    /// Flash messages.
    pub sent_key: &'static str,
}

pub const PARTNERSHIP: Flow = Flow {
    kind: RequestKind::Partnership,
    accept_path: "/partnerships/accept/",
    base: "/indirect-resellers/requests",
    list: "/indirect-resellers",
    title_key: "indirect_resellers.request_partnership",
    subject_key: "partnership.draft.subject",
    body_key: "partnership.draft.body",
    created: "partnership_request.created",
    sent: "partnership_request.sent",
    resent: "partnership_request.resent",
    revoked: "partnership_request.revoked",
    sent_key: "partnership.sent",
};

pub const INVITATION: Flow = Flow {
    kind: RequestKind::CustomerInvitation,
    accept_path: "/customer-invitations/",
    base: "/customers/invitations",
    list: "/customers/invitations",
    title_key: "invitations.title",
    subject_key: "invitations.draft.subject",
    body_key: "invitations.draft.body",
    created: "customer_invitation.created",
    sent: "customer_invitation.sent",
    resent: "customer_invitation.resent",
    revoked: "customer_invitation.revoked",
    sent_key: "invitations.sent",
};

impl Flow {
    fn secret_name(&self, id: i64) -> String {
        format!("{}_link:{id}", self.kind.as_str())
    }

    pub fn draft_path(&self, id: i64) -> String {
        format!("{}/{id}", self.base)
    }

    fn link(&self, state: &AppState, token: &str) -> String {
        state.url(&format!("{}{token}", self.accept_path))
    }

    fn find(
        &self,
        conn: &mut DbConnection,
        provider: ProviderId,
        id: i64,
    ) -> Result<RelationshipRequest, AppError> {
        Ok(RelationshipRequest::find_for_provider(
            conn, provider, self.kind, id,
        )?)
    }
}

/// RFC 3986 unreserved characters stay as they are; everything else (spaces, CJK, line breaks) is
/// percent-encoded as UTF-8, as RFC 6068 asks of mailto: URIs.
const MAILTO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A `mailto:` URI that opens the user's email application with this message.
pub fn mailto(to: &str, subject: &str, body: &str) -> String {
    // Line breaks in a mailto body are CRLF.
    let body = body.replace("\r\n", "\n").replace('\n', "\r\n");
    format!(
        "mailto:{}?subject={}&body={}",
        utf8_percent_encode(to.trim(), MAILTO),
        utf8_percent_encode(subject, MAILTO),
        utf8_percent_encode(&body, MAILTO)
    )
}

/// Whether `text` holds the link `{base}{prefix}{token}` of the request whose token hashes to
/// `token_hash`: present, and not altered.
pub fn holds_link(text: &str, base: &str, prefix: &str, token_hash: &str) -> bool {
    let start = format!("{base}{prefix}");
    let mut rest = text;
    while let Some(pos) = rest.find(&start) {
        rest = &rest[pos + start.len()..];
        let token: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if !token.is_empty() && hash_token(&token) == token_hash {
            return true;
        }
    }
    false
}

/// Typed text with Windows line breaks made plain.
pub fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n").trim_end().to_owned()
}

#[derive(Template, WebTemplate)]
#[template(path = "link_draft/draft.html")]
pub struct DraftPage {
    pub ctx: Ctx,
    pub flow: &'static Flow,
    pub request: RelationshipRequest,
    pub state: LinkState,
    /// The personal link, while this session still holds it.
    pub link: Option<String>,
    /// What the request offers besides the link (invitations: reseller, delegated administration).
    pub details: Vec<(&'static str, String)>,
    pub subject: String,
    pub body: String,
    pub email: String,
    pub mailto: String,
    pub errors: FormErrors,
}

impl DraftPage {
    pub fn action(&self, what: &str) -> String {
        format!("{}/{}/{what}", self.flow.base, self.request.id)
    }

    pub fn pending(&self) -> bool {
        self.state == LinkState::Pending
    }

    pub fn accepted(&self) -> bool {
        self.state == LinkState::Accepted
    }
}

/// The name of the request's reseller, if it names one.
fn reseller_name(
    conn: &mut DbConnection,
    request: &RelationshipRequest,
) -> Result<Option<String>, AppError> {
    Ok(match request.reseller_id {
        Some(id) => Some(Partner::find(conn, id)?.name),
        None => None,
    })
}

/// The draft as first written, in the provider user's language.
fn default_draft(
    flow: &Flow,
    tr: Tr,
    provider: &str,
    sender: &str,
    link: &str,
    request: &RelationshipRequest,
    reseller: Option<&str>,
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
        ],
    );
    // An empty optional paragraph leaves no gap behind.
    (
        subject,
        body.replace("\n\n\n\n", "\n\n").replace("\n\n\n", "\n\n"),
    )
}

/// What a new request holds besides its link.
pub struct Options {
    pub reseller_id: Option<i64>,
    pub include_delegated_admin: bool,
}

/// Makes a new request with its link and opens its draft.
pub async fn create(
    flow: &'static Flow,
    state: &AppState,
    session: &AppSession,
    user: &Signed<ProviderStaff>,
    options: Options,
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
                    kind: flow.kind,
                    provider,
                    created_by: user_id,
                    ttl,
                    recipient_email: None,
                    reseller_id: options.reseller_id,
                    include_delegated_admin: options.include_delegated_admin,
                },
            )?;
            NewActivity::new(flow.created, "relationship_request", Some(request.id))
                .by(user_id, Some(provider.get()))
                .provider(Some(provider.get()))
                .reseller(options.reseller_id)
                .record(conn)?;
            Ok((request, token))
        })
        .await?;
    session.put_secret(
        &state.config.session_key,
        &flow.secret_name(request.id),
        &token,
    )?;
    Ok(see_other(&flow.draft_path(request.id)))
}

/// The draft page of a request; a 422 with `typed` and `errors` after a refused Send.
#[allow(clippy::too_many_arguments)]
async fn draft_page(
    flow: &'static Flow,
    req: &HttpRequest,
    state: &AppState,
    session: &AppSession,
    user: &Signed<ProviderStaff>,
    id: i64,
    typed: Option<SendForm>,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let (request, reseller) = state
        .db
        .read(move |conn| {
            let request = flow.find(conn, provider, id)?;
            let reseller = reseller_name(conn, &request)?;
            Ok((request, reseller))
        })
        .await?;
    let ctx = Ctx::build(req).await?;
    let link = session
        .secret(&state.config.session_key, &flow.secret_name(request.id))
        .map(|token| flow.link(state, &token));
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
            );
            (s, b, request.recipient_email.clone().unwrap_or_default())
        }
        (None, None) => (String::new(), String::new(), String::new()),
    };
    let mut details = Vec::new();
    if flow.kind == RequestKind::CustomerInvitation {
        details.push((
            "invitations.reseller",
            reseller.unwrap_or_else(|| ctx.t("wizard.account.no_reseller").to_owned()),
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
        errors,
    };
    Ok(if has_errors {
        crate::routes::form_page(req, page, true)
    } else {
        page.respond_to(req).map_into_boxed_body()
    })
}

pub async fn draft(
    flow: &'static Flow,
    req: &HttpRequest,
    state: &AppState,
    session: &AppSession,
    user: &Signed<ProviderStaff>,
    id: i64,
) -> AppResult<HttpResponse> {
    draft_page(flow, req, state, session, user, id, None, FormErrors::new()).await
}

#[derive(Deserialize, Clone)]
pub struct SendForm {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub email: String,
}

/// Send email: the message as typed goes out through the outbox, if it still holds this request's link
/// exactly.
pub async fn send(
    flow: &'static Flow,
    req: &HttpRequest,
    state: &AppState,
    session: &AppSession,
    user: &Signed<ProviderStaff>,
    id: i64,
    form: SendForm,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let request = state
        .db
        .read(move |conn| flow.find(conn, provider, id))
        .await?;
    let body = normalize(&form.body);
    let mut errors = FormErrors::new();
    if request.state() != LinkState::Pending {
        errors.add("form", "partnership.not_pending");
    }
    let to = errors.check("email", Email::parse(&form.email));
    let subject = errors.text("subject", &form.subject, 200);
    if body.is_empty() {
        errors.add("body", "validation.required");
    } else if body.chars().count() > 20_000 {
        errors.add("body", "validation.too_long");
    } else if !holds_link(
        &body,
        &state.base_url,
        flow.accept_path,
        &request.token_hash,
    ) {
        errors.add("body", "partnership.link_missing");
    }
    let Some(to) = to.filter(|_| errors.is_empty()) else {
        return draft_page(flow, req, state, session, user, id, Some(form), errors).await;
    };

    let tr = Tr(request_locale(req).await?);
    // The link as it stands in the message, made clickable in the HTML version.
    let shown_link = session
        .secret(&state.config.session_key, &flow.secret_name(id))
        .map(|token| flow.link(state, &token))
        .unwrap_or_default();
    let lines = lines_with_link(&body, &shown_link);
    let user_id = user.id;
    let address = to.to_string();
    state
        .db
        .write(move |conn| {
            RelationshipRequest::mark_sent(conn, id, to.as_str())?;
            NewActivity::new(flow.sent, "relationship_request", Some(id))
                .by(user_id, Some(provider.get()))
                .provider(Some(provider.get()))
                .change(None, Some(to.to_string()))
                .record(conn)?;
            match flow.kind {
                RequestKind::Partnership => email::queue(
                    conn,
                    to.as_str(),
                    &PartnershipRequest {
                        tr,
                        subject,
                        body,
                        lines,
                    },
                )?,
                RequestKind::CustomerInvitation => email::queue(
                    conn,
                    to.as_str(),
                    &CustomerInvitation {
                        tr,
                        subject,
                        body,
                        lines,
                    },
                )?,
            };
            Ok(())
        })
        .await?;
    state.wake_outbox();
    session.flash_with(FlashKind::Success, flow.sent_key, &[("email", &address)])?;
    Ok(see_other(&flow.draft_path(id)))
}

/// Done: the draft is closed and its link forgotten by this session.
pub async fn done(
    flow: &'static Flow,
    state: &AppState,
    session: &AppSession,
    user: &Signed<ProviderStaff>,
    id: i64,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let request = state
        .db
        .read(move |conn| flow.find(conn, provider, id))
        .await?;
    session.forget_secret(&flow.secret_name(request.id));
    Ok(see_other(flow.list))
}

/// Resend: a new link for the same request; the old link stops working at once.
pub async fn resend(
    flow: &'static Flow,
    state: &AppState,
    session: &AppSession,
    user: &Signed<ProviderStaff>,
    old_id: i64,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let user_id = user.id;
    let ttl = state.config.link_ttl;
    let (request, token) = state
        .db
        .write(move |conn| {
            let old = flow.find(conn, provider, old_id)?;
            if old.state() == LinkState::Accepted {
                return Err(AppError::Conflict("errors.conflict.already_accepted"));
            }
            let (request, token) = RelationshipRequest::create(
                conn,
                NewRequest {
                    kind: flow.kind,
                    provider,
                    created_by: user_id,
                    ttl,
                    recipient_email: old.recipient_email.as_deref(),
                    reseller_id: old.reseller_id,
                    include_delegated_admin: old.include_delegated_admin,
                },
            )?;
            if !RelationshipRequest::supersede(conn, old.id, request.id)? {
                return Err(AppError::Conflict("errors.conflict.already_accepted"));
            }
            NewActivity::new(flow.resent, "relationship_request", Some(request.id))
                .by(user_id, Some(provider.get()))
                .provider(Some(provider.get()))
                .change(Some(old.id.to_string()), Some(request.id.to_string()))
                .record(conn)?;
            Ok((request, token))
        })
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
pub async fn revoke(
    flow: &'static Flow,
    state: &AppState,
    session: &AppSession,
    user: &Signed<ProviderStaff>,
    id: i64,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let user_id = user.id;
    let revoked = state
        .db
        .write(move |conn| {
            flow.find(conn, provider, id)?;
            if !RelationshipRequest::revoke(conn, id)? {
                return Ok(false);
            }
            NewActivity::new(flow.revoked, "relationship_request", Some(id))
                .by(user_id, Some(provider.get()))
                .provider(Some(provider.get()))
                .change(Some("pending".into()), Some("revoked".into()))
                .record(conn)?;
            Ok(true)
        })
        .await?;
    session.forget_secret(&flow.secret_name(id));
    if revoked {
        session.flash(FlashKind::Success, "partnership.revoked")?;
    } else {
        session.flash(FlashKind::Info, "partnership.not_pending")?;
    }
    Ok(see_other(flow.list))
}

/// The routes of one flow's drafts, under its `base`: thin handlers over the functions above.
macro_rules! draft_routes {
    ($flow:expr) => {
        pub async fn draft(
            req: actix_web::HttpRequest,
            state: actix_web::web::Data<crate::startup::AppState>,
            session: crate::auth::AppSession,
            user: crate::auth::Signed<crate::auth::ProviderStaff>,
            path: actix_web::web::Path<i64>,
        ) -> crate::error::AppResult<actix_web::HttpResponse> {
            crate::routes::link_draft::draft(
                &$flow,
                &req,
                &state,
                &session,
                &user,
                path.into_inner(),
            )
            .await
        }

        pub async fn send(
            req: actix_web::HttpRequest,
            state: actix_web::web::Data<crate::startup::AppState>,
            session: crate::auth::AppSession,
            user: crate::auth::Signed<crate::auth::ProviderStaff>,
            path: actix_web::web::Path<i64>,
            form: actix_web::web::Form<crate::routes::link_draft::SendForm>,
        ) -> crate::error::AppResult<actix_web::HttpResponse> {
            crate::routes::link_draft::send(
                &$flow,
                &req,
                &state,
                &session,
                &user,
                path.into_inner(),
                form.into_inner(),
            )
            .await
        }

        pub async fn done(
            state: actix_web::web::Data<crate::startup::AppState>,
            session: crate::auth::AppSession,
            user: crate::auth::Signed<crate::auth::ProviderStaff>,
            path: actix_web::web::Path<i64>,
        ) -> crate::error::AppResult<actix_web::HttpResponse> {
            crate::routes::link_draft::done(&$flow, &state, &session, &user, path.into_inner())
                .await
        }

        pub async fn resend(
            state: actix_web::web::Data<crate::startup::AppState>,
            session: crate::auth::AppSession,
            user: crate::auth::Signed<crate::auth::ProviderStaff>,
            path: actix_web::web::Path<i64>,
        ) -> crate::error::AppResult<actix_web::HttpResponse> {
            crate::routes::link_draft::resend(&$flow, &state, &session, &user, path.into_inner())
                .await
        }

        pub async fn revoke(
            state: actix_web::web::Data<crate::startup::AppState>,
            session: crate::auth::AppSession,
            user: crate::auth::Signed<crate::auth::ProviderStaff>,
            path: actix_web::web::Path<i64>,
        ) -> crate::error::AppResult<actix_web::HttpResponse> {
            crate::routes::link_draft::revoke(&$flow, &state, &session, &user, path.into_inner())
                .await
        }
    };
}
pub(crate) use draft_routes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailto_encodes_chinese_and_line_breaks() {
        let uri = mailto(
            "wei@northwind.example",
            "合作 request",
            "第一行\n2nd & last",
        );
        assert_eq!(
            uri,
            "mailto:wei%40northwind.example?subject=%E5%90%88%E4%BD%9C%20request&body=%E7%AC%AC%E4%B8%80%E8%A1%8C%0D%0A2nd%20%26%20last"
        );
    }

    #[test]
    fn a_link_must_be_whole() {
        let token = "abcDEF123_-abcDEF123_-abcDEF123_-abcDEF123";
        let hash = hash_token(token);
        let base = "https://p.example";
        let prefix = "/partnerships/accept/";
        let good = format!("Hi\n{base}{prefix}{token}\nBye");
        assert!(holds_link(&good, base, prefix, &hash));
        assert!(!holds_link("Hi, no link", base, prefix, &hash));
        let altered = good.replace(token, "abcDEF123_-abcDEF123_-abcDEF123_-abcDEF12X");
        assert!(!holds_link(&altered, base, prefix, &hash));
        let truncated = format!("{base}{prefix}{}", &token[..20]);
        assert!(!holds_link(&truncated, base, prefix, &hash));
        let other_site = format!("https://evil.example{prefix}{token}");
        assert!(!holds_link(&other_site, base, prefix, &hash));
    }
}
