//! Personal links a provider sends — partnership requests (to resellers) and invitations (to existing
//! customers): make a request with its link, send the message the provider wrote (only if it still
//! holds the link, exactly), resend (a new link; the old one stops working), revoke. The token exists in
//! clear only when made (the caller shows it, sealed in the session) and in the message sent.

use crate::db::models::activity::NewActivity;
use crate::db::models::relationship_request::{LinkState, NewRequest, RelationshipRequest};
use crate::db::models::user::User;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::form::FormErrors;
use crate::domain::token::{hash_token, new_token};
use crate::domain::{Email, ProviderId, RequestKind};
use crate::email::messages::{CustomerInvitation, PartnershipRequest, lines_with_link};
use crate::email::{self};
use crate::error::AppError;
use crate::i18n::Tr;

/// Where a link of this kind points: `{BASE_URL}{path}{token}`.
pub fn accept_path(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Partnership => "/partnerships/accept/",
        RequestKind::CustomerInvitation => "/customer-invitations/",
        RequestKind::GrantRequest => "/grants/approve/",
    }
}

/// The activity-log action for `event` (created, sent, resent, revoked) of a request of this kind.
fn action(kind: RequestKind, event: Event) -> &'static str {
    use Event::*;
    use RequestKind::*;
    match (kind, event) {
        (Partnership, Created) => "partnership_request.created",
        (Partnership, Sent) => "partnership_request.sent",
        (Partnership, Resent) => "partnership_request.resent",
        (Partnership, Revoked) => "partnership_request.revoked",
        (CustomerInvitation, Created) => "customer_invitation.created",
        (CustomerInvitation, Sent) => "customer_invitation.sent",
        (CustomerInvitation, Resent) => "customer_invitation.resent",
        (CustomerInvitation, Revoked) => "customer_invitation.revoked",
        (GrantRequest, Created) => "grant_request.created",
        (GrantRequest, Sent) => "grant_request.sent",
        (GrantRequest, Resent) => "grant_request.resent",
        (GrantRequest, Revoked) => "grant_request.revoked",
    }
}

#[derive(Clone, Copy)]
enum Event {
    Created,
    Sent,
    Resent,
    Revoked,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Not one of this provider's requests.
    #[error("not found")]
    NotFound,
    /// An accepted request has nothing to resend.
    #[error("the request was already accepted")]
    AlreadyAccepted,
    /// The message was not sent: a message per field.
    #[error("the message was not sent")]
    Invalid(FormErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(LinkError);

impl From<LinkError> for AppError {
    fn from(err: LinkError) -> Self {
        match err {
            LinkError::NotFound => AppError::NotFound,
            LinkError::AlreadyAccepted => AppError::Conflict("errors.conflict.already_accepted"),
            LinkError::Invalid(_) => AppError::Unprocessable("validation.summary"),
            LinkError::Db(err) => err.into(),
        }
    }
}

fn not_found(err: diesel::result::Error) -> LinkError {
    match DbError::from(err) {
        DbError::NotFound => LinkError::NotFound,
        other => LinkError::Db(other),
    }
}

/// One of the provider's requests of this kind.
pub fn find(
    conn: &mut DbConnection,
    provider: ProviderId,
    kind: RequestKind,
    id: i64,
) -> Result<RelationshipRequest, LinkError> {
    RelationshipRequest::find_for_provider(conn, provider, kind, id).map_err(not_found)
}

/// What a new request holds besides its link.
pub struct NewLink {
    pub kind: RequestKind,
    pub provider: ProviderId,
    pub user_id: i64,
    pub ttl: chrono::Duration,
    /// Invitations: the reseller to associate, and whether delegated administration is asked for.
    pub reseller_id: Option<i64>,
    pub include_delegated_admin: bool,
    /// Grant requests: the pending grant.
    pub grant_id: Option<i64>,
    /// Made to be shown as a draft (a day to share it), rather than handed over at once.
    pub draft: bool,
}

/// Makes a request and its link: the request, and the token (the only time it exists in clear).
pub async fn create(db: &Db, new: NewLink) -> Result<(RelationshipRequest, String), DbError> {
    let token = new_token().map_err(|e| DbError::Failed(e.into()))?;
    db.write(move |conn| {
        let request = create_in(conn, &new, &token)?;
        Ok::<_, DbError>((request, token))
    })
    .await
}

/// Writes a request for `token`, in the caller's transaction, with its activity entry.
pub fn create_in(
    conn: &mut DbConnection,
    new: &NewLink,
    token: &str,
) -> Result<RelationshipRequest, DbError> {
    let request = RelationshipRequest::create(
        conn,
        NewRequest {
            kind: new.kind,
            provider: new.provider,
            created_by: new.user_id,
            ttl: new.ttl,
            recipient_email: None,
            reseller_id: new.reseller_id,
            include_delegated_admin: new.include_delegated_admin,
            grant_id: new.grant_id,
            draft: new.draft,
        },
        token,
    )?;
    NewActivity::new(
        action(new.kind, Event::Created),
        "relationship_request",
        Some(request.id),
    )
    .by(new.user_id, Some(new.provider.get()))
    .provider(Some(new.provider.get()))
    .reseller(new.reseller_id)
    .record(conn)?;
    Ok(request)
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

/// Send email, as the provider typed it.
pub struct SendLink {
    pub kind: RequestKind,
    pub provider: ProviderId,
    pub user_id: i64,
    pub id: i64,
    pub to: Result<Email, &'static str>,
    pub subject: String,
    pub body: String,
    /// `BASE_URL`, which the link in the body must start with.
    pub base_url: String,
    /// The link as this session holds it, made clickable in the HTML version.
    pub shown_link: String,
    /// The sender's language, for the message's frame.
    pub tr: Tr,
    /// The provider's label for the request, as typed (checked here).
    pub label: String,
}

/// A label as typed: trimmed, none when empty; at most 100 characters.
pub fn check_label(typed: &str) -> Result<Option<String>, &'static str> {
    let label = typed.trim();
    if label.chars().count() > 100 {
        return Err("validation.too_long");
    }
    Ok((!label.is_empty()).then(|| label.to_owned()))
}

/// Done on a request's page, with the label as typed: when the page showed the link (`shown`), the
/// link counts as shared (copied, or opened in email) and keeps working for its whole time, with the
/// label; otherwise Done only closes the page. A label too long changes nothing; a request that is no
/// longer live keeps what it had.
pub async fn done(
    db: &Db,
    kind: RequestKind,
    provider: ProviderId,
    id: i64,
    (label, shown): (&str, bool),
) -> Result<(), LinkError> {
    let label = check_label(label).map_err(|key| {
        let mut errors = FormErrors::new();
        errors.add("label", key);
        LinkError::Invalid(errors)
    })?;
    db.write(move |conn| {
        let request = find(conn, provider, kind, id)?;
        if shown && request.state().is_live() {
            RelationshipRequest::mark_shared(conn, id, crate::db::now())?;
            RelationshipRequest::set_label(conn, id, label.as_deref())?;
        }
        Ok(())
    })
    .await
}

/// Send email: the message goes out through the outbox, if the request is still pending and the
/// message still holds its link exactly. Returns the address it went to.
pub async fn send(db: &Db, cmd: SendLink) -> Result<String, LinkError> {
    db.write(move |conn| {
        let request = find(conn, cmd.provider, cmd.kind, cmd.id)?;
        let body = normalize(&cmd.body);
        let mut errors = FormErrors::new();
        if !request.state().is_live() {
            errors.add("form", "partnership.not_pending");
        }
        let to = errors.check("email", cmd.to.clone());
        let subject = errors.text("subject", &cmd.subject, 200);
        let label = errors.check("label", check_label(&cmd.label)).flatten();
        if body.is_empty() {
            errors.add("body", "validation.required");
        } else if body.chars().count() > 20_000 {
            errors.add("body", "validation.too_long");
        } else if !holds_link(
            &body,
            &cmd.base_url,
            accept_path(cmd.kind),
            &request.token_hash,
        ) {
            errors.add("body", "partnership.link_missing");
        }
        let Some(to) = to.filter(|_| errors.is_empty()) else {
            return Err(LinkError::Invalid(errors));
        };
        let lines = lines_with_link(&body, &cmd.shown_link);
        RelationshipRequest::mark_sent(conn, cmd.id, to.as_str())?;
        RelationshipRequest::set_label(conn, cmd.id, label.as_deref())?;
        NewActivity::new(
            action(cmd.kind, Event::Sent),
            "relationship_request",
            Some(cmd.id),
        )
        .by(cmd.user_id, Some(cmd.provider.get()))
        .provider(Some(cmd.provider.get()))
        .change(None, Some(to.to_string()))
        .record(conn)?;
        let tr = cmd.tr;
        // Replies go to the person who sent it.
        let reply_to = User::find(conn, cmd.user_id)?.email;
        match cmd.kind {
            RequestKind::Partnership => email::queue_with_reply_to(
                conn,
                to.as_str(),
                Some(&reply_to),
                &PartnershipRequest {
                    tr,
                    subject,
                    body,
                    lines,
                },
            )?,
            RequestKind::CustomerInvitation | RequestKind::GrantRequest => {
                email::queue_with_reply_to(
                    conn,
                    to.as_str(),
                    Some(&reply_to),
                    &CustomerInvitation {
                        tr,
                        subject,
                        body,
                        lines,
                    },
                )?
            }
        };
        Ok(to.into_inner())
    })
    .await
}

/// Resend: a new link for the same request; the old link stops working at once. The new request and
/// its token.
pub async fn resend(
    db: &Db,
    kind: RequestKind,
    provider: ProviderId,
    user_id: i64,
    old_id: i64,
    ttl: chrono::Duration,
) -> Result<(RelationshipRequest, String), LinkError> {
    let token = new_token().map_err(|e| DbError::Failed(e.into()))?;
    db.write(move |conn| {
        let old = find(conn, provider, kind, old_id)?;
        if old.state() == LinkState::Accepted {
            return Err(LinkError::AlreadyAccepted);
        }
        let request = RelationshipRequest::create(
            conn,
            NewRequest {
                kind,
                provider,
                created_by: user_id,
                ttl,
                recipient_email: old.recipient_email.as_deref(),
                reseller_id: old.reseller_id,
                include_delegated_admin: old.include_delegated_admin,
                grant_id: old.grant_id,
                // Shown as a draft again: shared once sent or closed with Done.
                draft: true,
            },
            &token,
        )?;
        if let Some(label) = old.label.as_deref() {
            RelationshipRequest::set_label(conn, request.id, Some(label))?;
        }
        if !RelationshipRequest::supersede(conn, old.id, request.id)? {
            return Err(LinkError::AlreadyAccepted);
        }
        NewActivity::new(
            action(kind, Event::Resent),
            "relationship_request",
            Some(request.id),
        )
        .by(user_id, Some(provider.get()))
        .provider(Some(provider.get()))
        .change(Some(old.id.to_string()), Some(request.id.to_string()))
        .record(conn)?;
        Ok((request, token))
    })
    .await
}

/// Revoke: the link stops working; nothing else changes. False when it was not pending.
pub async fn revoke(
    db: &Db,
    kind: RequestKind,
    provider: ProviderId,
    user_id: i64,
    id: i64,
) -> Result<bool, LinkError> {
    db.write(move |conn| {
        let request = find(conn, provider, kind, id)?;
        if !RelationshipRequest::revoke(conn, id)? {
            return Ok(false);
        }
        // Revoking a grant request withdraws the grant asked for.
        if let Some(grant_id) = request.grant_id {
            crate::db::models::grant::Grant::finish(
                conn,
                grant_id,
                &[crate::domain::GrantStatus::Pending],
                crate::domain::GrantStatus::Ended,
                Some(user_id),
                crate::db::now(),
            )?;
        }
        NewActivity::new(
            action(kind, Event::Revoked),
            "relationship_request",
            Some(id),
        )
        .by(user_id, Some(provider.get()))
        .provider(Some(provider.get()))
        .change(Some("pending".into()), Some("revoked".into()))
        .record(conn)?;
        Ok(true)
    })
    .await
}

/// Why a link cannot be used any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    /// Never made (or not a link of this kind).
    #[error("no such link")]
    Unknown,
    #[error("the link has expired")]
    Expired,
    #[error("the link was used")]
    Used,
    #[error("the request was declined")]
    Declined,
    #[error("the link was revoked")]
    Revoked,
    #[error("the link was replaced")]
    Superseded,
}

impl From<Unusable> for AppError {
    fn from(why: Unusable) -> Self {
        match why {
            Unusable::Unknown => AppError::NotFound,
            Unusable::Expired => AppError::Gone("errors.link.expired"),
            Unusable::Used => AppError::Gone("errors.link.used"),
            Unusable::Declined => AppError::Gone("errors.link.declined"),
            Unusable::Revoked => AppError::Gone("errors.link.revoked"),
            Unusable::Superseded => AppError::Gone("errors.link.superseded"),
        }
    }
}

/// The request behind a link, if the link can still be used; otherwise why not.
pub fn usable(request: Option<RelationshipRequest>) -> Result<RelationshipRequest, Unusable> {
    let request = request.ok_or(Unusable::Unknown)?;
    match request.state() {
        LinkState::Pending | LinkState::Draft => Ok(request),
        LinkState::Expired => Err(Unusable::Expired),
        LinkState::Accepted => Err(Unusable::Used),
        LinkState::Declined => Err(Unusable::Declined),
        LinkState::Revoked => Err(Unusable::Revoked),
        LinkState::Superseded => Err(Unusable::Superseded),
    }
}

/// The usable request behind a token of this kind.
pub fn by_token(
    conn: &mut DbConnection,
    kind: RequestKind,
    token: &str,
) -> Result<Result<RelationshipRequest, Unusable>, DbError> {
    Ok(usable(RelationshipRequest::find_by_token(
        conn, kind, token,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

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
