//! The "send a personal link" pages both a partnership request (to a reseller) and a customer
//! invitation (to an existing customer) follow: make the request and its link, show a draft message
//! with Open in email, Copy to clipboard, Send email and Done, and Resend or Revoke later. A `Flow`
//! says what differs; the handlers (`handlers.rs`) are generic over it and wired per flow, as
//! `link_draft::send::<Partnership>`. The link exists in clear only in the session that made it
//! (sealed) and in the message sent.

mod handlers;

use askama::Template;
use askama_web::WebTemplate;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::db::models::relationship_request::{LinkState, RelationshipRequest};
use crate::domain::RequestKind;
use crate::view::{Ctx, FormErrors};

pub use handlers::{Options, SendForm, create, done, draft, opened, resend, revoke, send};

/// What a flow's pages say and where they live.
pub struct FlowInfo {
    pub kind: RequestKind,
    /// Where a request's draft and actions live: `{base}/{id}`.
    pub base: &'static str,
    /// Where Done and Revoke return to.
    pub list: &'static str,
    pub title_key: &'static str,
    pub subject_key: &'static str,
    pub body_key: &'static str,
    /// The flash message after Send email.
    pub sent_key: &'static str,
    /// The page's introduction, the link's label and the address field's.
    pub intro_key: &'static str,
    pub link_label_key: &'static str,
    pub email_label_key: &'static str,
}

/// One kind of personal link's pages.
pub trait Flow: 'static {
    const INFO: &'static FlowInfo;
}

/// Request a partnership (to a reseller).
pub struct Partnership;

impl Flow for Partnership {
    const INFO: &'static FlowInfo = &FlowInfo {
        kind: RequestKind::Partnership,
        base: "/indirect-resellers/requests",
        list: "/indirect-resellers",
        title_key: "indirect_resellers.request_partnership",
        subject_key: "partnership.draft.subject",
        body_key: "partnership.draft.body",
        sent_key: "partnership.sent",
        intro_key: "partnership.draft.intro",
        link_label_key: "partnership.draft.link_label",
        email_label_key: "partnership.draft.email_label",
    };
}

/// Request a reseller relationship (to an existing customer).
pub struct Invitation;

impl Flow for Invitation {
    const INFO: &'static FlowInfo = &FlowInfo {
        kind: RequestKind::CustomerInvitation,
        base: "/customers/invitations",
        list: "/customers/invitations",
        title_key: "invitations.title",
        subject_key: "invitations.draft.subject",
        body_key: "invitations.draft.body",
        sent_key: "invitations.sent",
        intro_key: "partnership.draft.intro",
        link_label_key: "partnership.draft.link_label",
        email_label_key: "partnership.draft.email_label",
    };
}

/// Request a grant (to a customer's admin).
pub struct GrantRequest;

impl Flow for GrantRequest {
    const INFO: &'static FlowInfo = &FlowInfo {
        kind: RequestKind::GrantRequest,
        base: "/customers/grants/requests",
        list: "/customers/grants",
        title_key: "grants.request_title",
        subject_key: "grants.draft.subject",
        body_key: "grants.draft.body",
        sent_key: "grants.sent",
        intro_key: "grants.draft.intro",
        link_label_key: "grants.draft.link_label",
        email_label_key: "grants.draft.email_label",
    };
}

impl FlowInfo {
    fn secret_name(&self, id: i64) -> String {
        format!("{}_link:{id}", self.kind.as_str())
    }

    pub fn draft_path(&self, id: i64) -> String {
        format!("{}/{id}", self.base)
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

#[derive(Template, WebTemplate)]
#[template(path = "link_draft/draft.html")]
pub struct DraftPage {
    pub ctx: Ctx,
    pub flow: &'static FlowInfo,
    pub request: RelationshipRequest,
    pub state: LinkState,
    /// The personal link, while this session still holds it.
    pub link: Option<String>,
    /// What the request offers besides the link (invitations: reseller, delegated administration).
    pub details: Vec<(&'static str, String)>,
    pub subject: String,
    pub body: String,
    pub email: String,
    /// The provider's label, as kept or typed.
    pub label: String,
    pub mailto: String,
    pub errors: FormErrors,
}

impl DraftPage {
    pub fn action(&self, what: &str) -> String {
        format!("{}/{}/{what}", self.flow.base, self.request.id)
    }

    pub fn pending(&self) -> bool {
        self.state.is_live()
    }

    /// Not shared yet: the page says it stops working a day after it was made unless shared.
    pub fn is_draft(&self) -> bool {
        self.state == LinkState::Draft
    }

    /// Sent by Send email already: to whom and when (the page says so, and Send becomes Send again).
    pub fn sent(&self) -> Option<(&str, chrono::NaiveDateTime)> {
        match (&self.request.recipient_email, self.request.sent_at) {
            (Some(to), Some(at)) => Some((to.as_str(), at)),
            _ => None,
        }
    }

    pub fn accepted(&self) -> bool {
        self.state == LinkState::Accepted
    }
}

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
}
