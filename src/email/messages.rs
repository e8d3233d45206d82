//! The messages the dashboard sends. Each is a struct with what its templates show; the `email!` macro
//! ties it to its three templates (subject, text body, HTML body).

use askama::Template;

use crate::email::EmailMessage;
use crate::i18n::{Locale, Tr};

macro_rules! email {
    ($name:ident, $template:literal, sensitive = $sensitive:expr,
     $subject:literal, $text:literal, $html:literal) => {
        const _: () = {
            #[derive(Template)]
            #[template(path = $subject)]
            struct Subject<'a> {
                m: &'a $name,
            }

            #[derive(Template)]
            #[template(path = $text)]
            struct Text<'a> {
                m: &'a $name,
            }

            #[derive(Template)]
            #[template(path = $html)]
            struct Html<'a> {
                m: &'a $name,
            }

            impl EmailMessage for $name {
                const TEMPLATE: &'static str = $template;
                const SENSITIVE: bool = $sensitive;

                fn locale(&self) -> Locale {
                    self.tr.locale()
                }

                fn render(&self) -> Result<(String, String, String), askama::Error> {
                    Ok((
                        Subject { m: self }.render()?,
                        Text { m: self }.render()?,
                        Html { m: self }.render()?,
                    ))
                }
            }
        };
    };
}

/// Sent after a password change, so an unexpected change is noticed.
pub struct PasswordChanged {
    pub tr: Tr,
    pub name: String,
    pub when: String,
    pub sign_in_url: String,
}

email!(
    PasswordChanged,
    "password_changed",
    sensitive = false,
    "email/password_changed/subject.txt",
    "email/password_changed/body.txt",
    "email/password_changed/body.html"
);

/// Sent to the provider user who reset a customer admin's password, so an unexpected reset is noticed.
/// The password itself is never in an email: it was shown once, on the page.
pub struct CustomerPasswordReset {
    pub tr: Tr,
    pub name: String,
    pub user_email: String,
    pub company: String,
    pub when: String,
}

email!(
    CustomerPasswordReset,
    "customer_password_reset",
    sensitive = false,
    "email/customer_password_reset/subject.txt",
    "email/customer_password_reset/body.txt",
    "email/customer_password_reset/body.html"
);

/// A message to a member about their account or team (a role changed, MFA reset by an admin),
/// written in the member's language by the service that sends it: paragraphs, and a link to open.
pub struct AccountNotice {
    pub tr: Tr,
    pub name: String,
    pub subject: String,
    pub paragraphs: Vec<String>,
    pub link: Option<String>,
}

email!(
    AccountNotice,
    "account_notice",
    sensitive = false,
    "email/account_notice/subject.txt",
    "email/account_notice/body.txt",
    "email/account_notice/body.html"
);

/// The same, carrying a personal link (a Team invitation, a password reset): the outbox seals it.
pub struct AccountLink(pub AccountNotice);

impl std::ops::Deref for AccountLink {
    type Target = AccountNotice;

    fn deref(&self) -> &AccountNotice {
        &self.0
    }
}

email!(
    AccountLink,
    "account_link",
    sensitive = true,
    "email/account_notice/subject.txt",
    "email/account_notice/body.txt",
    "email/account_notice/body.html"
);

/// A line of a message someone typed, split so the one link we vouch for becomes clickable in HTML.
pub type Line = Vec<(bool, String)>;

/// Splits typed text into lines, marking each occurrence of `link`.
pub fn lines_with_link(text: &str, link: &str) -> Vec<Line> {
    text.lines()
        .map(|line| {
            let mut parts = Vec::new();
            let mut rest = line;
            while let Some(pos) = rest.find(link).filter(|_| !link.is_empty()) {
                if pos > 0 {
                    parts.push((false, rest[..pos].to_owned()));
                }
                parts.push((true, link.to_owned()));
                rest = &rest[pos + link.len()..];
            }
            if !rest.is_empty() {
                parts.push((false, rest.to_owned()));
            }
            parts
        })
        .collect()
}

/// The partnership request a provider wrote (or left as drafted), sent to a reseller. Carries the
/// personal link, so its body is blanked from the outbox once delivered.
pub struct PartnershipRequest {
    pub tr: Tr,
    pub subject: String,
    pub body: String,
    pub lines: Vec<Line>,
}

email!(
    PartnershipRequest,
    "partnership_request",
    sensitive = true,
    "email/partnership_request/subject.txt",
    "email/partnership_request/body.txt",
    "email/partnership_request/body.html"
);

/// The invitation a provider wrote to an existing customer. Carries the personal link, so its body is
/// blanked from the outbox once delivered.
pub struct CustomerInvitation {
    pub tr: Tr,
    pub subject: String,
    pub body: String,
    pub lines: Vec<Line>,
}

email!(
    CustomerInvitation,
    "customer_invitation",
    sensitive = true,
    "email/partnership_request/subject.txt",
    "email/partnership_request/body.txt",
    "email/partnership_request/body.html"
);

/// To a reseller that just enrolled.
pub struct EnrollmentReceived {
    pub tr: Tr,
    pub name: String,
    pub company: String,
}

email!(
    EnrollmentReceived,
    "enrollment_received",
    sensitive = false,
    "email/enrollment_received/subject.txt",
    "email/enrollment_received/body.txt",
    "email/enrollment_received/body.html"
);

/// To a reseller whose enrollment an operator verified.
pub struct EnrollmentVerified {
    pub tr: Tr,
    pub name: String,
    pub company: String,
    pub sign_in_url: String,
    /// Partnership requests that waited for the verification: (provider, link).
    pub waiting: Vec<(String, String)>,
}

// Sensitive: it may carry personal partnership links.
email!(
    EnrollmentVerified,
    "enrollment_verified",
    sensitive = true,
    "email/enrollment_verified/subject.txt",
    "email/enrollment_verified/body.txt",
    "email/enrollment_verified/body.html"
);

/// To a reseller whose enrollment an operator rejected, with the reason.
pub struct EnrollmentRejected {
    pub tr: Tr,
    pub name: String,
    pub company: String,
    pub reason: String,
}

email!(
    EnrollmentRejected,
    "enrollment_rejected",
    sensitive = false,
    "email/enrollment_rejected/subject.txt",
    "email/enrollment_rejected/body.txt",
    "email/enrollment_rejected/body.html"
);

/// To the provider user who sent a partnership request, when the reseller answers it.
pub struct PartnershipAnswered {
    pub tr: Tr,
    pub name: String,
    pub reseller: String,
    pub accepted: bool,
    pub list_url: String,
}

email!(
    PartnershipAnswered,
    "partnership_answered",
    sensitive = false,
    "email/partnership_answered/subject.txt",
    "email/partnership_answered/body.txt",
    "email/partnership_answered/body.html"
);

/// To a reseller's users when a provider ends the partnership.
pub struct PartnershipRemoved {
    pub tr: Tr,
    pub name: String,
    pub provider: String,
}

email!(
    PartnershipRemoved,
    "partnership_removed",
    sensitive = false,
    "email/partnership_removed/subject.txt",
    "email/partnership_removed/body.txt",
    "email/partnership_removed/body.html"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_is_marked_wherever_it_stands() {
        let lines = lines_with_link("Hi\nopen https://x/a/T now\nhttps://x/a/T", "https://x/a/T");
        assert_eq!(lines[0], vec![(false, "Hi".to_owned())]);
        assert_eq!(
            lines[1],
            vec![
                (false, "open ".to_owned()),
                (true, "https://x/a/T".to_owned()),
                (false, " now".to_owned())
            ]
        );
        assert_eq!(lines[2], vec![(true, "https://x/a/T".to_owned())]);
    }
}

/// To a reseller's users when a provider adds a customer on their behalf (never with the password).
pub struct CustomerAddedForReseller {
    pub tr: Tr,
    pub name: String,
    pub provider: String,
    pub company: String,
    pub domain: String,
}

email!(
    CustomerAddedForReseller,
    "customer_added_for_reseller",
    sensitive = false,
    "email/customer_added_for_reseller/subject.txt",
    "email/customer_added_for_reseller/body.txt",
    "email/customer_added_for_reseller/body.html"
);

/// To a reseller's users when a provider gives it, or takes away, administration of a customer.
pub struct DelegationChanged {
    pub tr: Tr,
    pub name: String,
    pub provider: String,
    pub company: String,
    pub gained: bool,
}

email!(
    DelegationChanged,
    "delegation_changed",
    sensitive = false,
    "email/delegation_changed/subject.txt",
    "email/delegation_changed/body.txt",
    "email/delegation_changed/body.html"
);

/// To a reseller's users when a provider makes it reseller of record (incentives) or designated support
/// contact of a subscription.
pub struct SubscriptionAssigned {
    pub tr: Tr,
    pub name: String,
    pub provider: String,
    pub company: String,
    pub offer: String,
    /// Support contact (else reseller of record).
    pub support: bool,
}

email!(
    SubscriptionAssigned,
    "subscription_assigned",
    sensitive = false,
    "email/subscription_assigned/subject.txt",
    "email/subscription_assigned/body.txt",
    "email/subscription_assigned/body.html"
);

/// To the provider user who invited a customer, when the customer answers.
pub struct InvitationAnswered {
    pub tr: Tr,
    pub name: String,
    pub company: String,
    pub accepted: bool,
    pub delegated: bool,
    pub list_url: String,
}

email!(
    InvitationAnswered,
    "invitation_answered",
    sensitive = false,
    "email/invitation_answered/subject.txt",
    "email/invitation_answered/body.txt",
    "email/invitation_answered/body.html"
);

/// To a provider's users when an operator approves or rejects their profile change request.
pub struct ProfileReviewed {
    pub tr: Tr,
    pub name: String,
    pub company: String,
    pub approved: bool,
    pub reason: String,
    pub profile_url: String,
}

email!(
    ProfileReviewed,
    "profile_reviewed",
    sensitive = false,
    "email/profile_reviewed/subject.txt",
    "email/profile_reviewed/body.txt",
    "email/profile_reviewed/body.html"
);

/// To the provider's and the reseller of record's users: a term ends in 30 or 7 days (annual and
/// longer terms), or a change scheduled for the renewal was applied.
pub struct RenewalNotice {
    pub tr: Tr,
    pub name: String,
    pub company: String,
    pub offer: String,
    /// Days before the end (a reminder), or none (a scheduled change was applied at the renewal).
    pub days: Option<i64>,
    /// The term's end (a reminder) or the renewal's date, in the reader's language.
    pub date: String,
    /// The term renews at its end (else it ends).
    pub renews: bool,
    /// What the applied change was (`licenses 5 · P1Y · annual`).
    pub change: String,
    pub url: String,
}

email!(
    RenewalNotice,
    "renewal_notice",
    sensitive = false,
    "email/renewal_notice/subject.txt",
    "email/renewal_notice/body.txt",
    "email/renewal_notice/body.html"
);

/// To a reseller's users or a direct customer's admins: the month's statement was issued.
pub struct StatementIssued {
    pub tr: Tr,
    pub name: String,
    pub provider: String,
    pub reference: String,
    /// The month it covers, in the reader's language.
    pub month: String,
    /// The total with its currency, in the reader's language.
    pub total: String,
    pub due: String,
    pub url: String,
}

email!(
    StatementIssued,
    "statement_issued",
    sensitive = false,
    "email/statement_issued/subject.txt",
    "email/statement_issued/body.txt",
    "email/statement_issued/body.html"
);

/// To the provider's and the reseller's users: an order waits for the provider's review (the
/// reseller's credit), or was approved or rejected.
pub struct OrderReviewNotice {
    pub tr: Tr,
    pub name: String,
    pub provider: String,
    pub company: String,
    pub reference: String,
    pub total: String,
    /// The subject's and the body's locale keys (pending, approved or rejected).
    pub keys: (&'static str, &'static str),
    /// Why it was rejected.
    pub reason: String,
    pub url: String,
}

email!(
    OrderReviewNotice,
    "order_review",
    sensitive = false,
    "email/order_review/subject.txt",
    "email/order_review/body.txt",
    "email/order_review/body.html"
);
