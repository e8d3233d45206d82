//! The states and kinds the data model knows, as enums stored as text on both backends (the same
//! spellings the migrations' CHECK constraints list). Code compares these, never strings.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

/// An enum kept in a text column: `as_str` / `parse` give its spelling, and diesel reads and writes it
/// on any backend that reads and writes text.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow,
            serde::Serialize, serde::Deserialize,
        )]
        #[diesel(sql_type = Text)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The spelling stored in the database (and used in URLs and forms).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $text ),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $( $text => Some(Self::$variant), )+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $name
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $name
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                Self::parse(&text).ok_or_else(|| {
                    format!(concat!("unknown ", stringify!($name), " {:?}"), text).into()
                })
            }
        }
    };
}

text_enum! {
    /// A subscription's state.
    pub enum SubscriptionStatus {
        Active = "active",
        /// Billing continues; the customer's users cannot use it.
        Suspended = "suspended",
        /// Cancelled within its window, or upgraded to another offer.
        Cancelled = "cancelled",
        /// Reached its term's end without auto-renew.
        Expired = "expired",
    }
}

text_enum! {
    /// What a signed-in person is, and so which pages exist for them.
    pub enum Role {
        Operator = "operator",
        Provider = "provider",
        Reseller = "reseller",
        Customer = "customer",
    }
}

text_enum! {
    /// A member's role in their organisation (SPEC.md §2.12), Partner Center's names. Partner members
    /// have one of the first four; operators are platform admins or support (read-only); a customer's
    /// users are its admins.
    pub enum MemberRole {
        /// Admin agent: everything, Team and settings. An operator's: platform admin.
        Admin = "admin",
        /// Sales agent: customers, the wizard, subscriptions, orders, renewals, invitations,
        /// partnership requests.
        Sales = "sales",
        /// Helpdesk agent: reads customers and subscriptions, sets the designated support contact; no
        /// orders, no money.
        Helpdesk = "helpdesk",
        /// Billing admin: price lists, credit limits, order review, statements, margins; reads the rest.
        Billing = "billing",
        /// An operator who may look but not change (support).
        Support = "support",
    }
}

/// What a route needs of a member's role, beyond being of the right kind of organisation. Each
/// route names one (the route table, and the handler's `Signed<R, P>` extractor).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Need {
    /// Reading: every member.
    Read,
    /// Selling: customers, the wizard, subscription changes, invitations, partnership requests.
    Sell,
    /// Setting the designated support contact: sales and helpdesk agents too.
    Support,
    /// Orders and renewals (what was sold, at what price): not the helpdesk.
    Orders,
    /// Money: price lists, credit limits, order review, statements, margins.
    Billing,
    /// The organisation itself: Team, profile and settings.
    Admin,
}

impl MemberRole {
    /// The roles a partner organisation's member may have, in the order the Team page offers them.
    pub const PARTNER: [Self; 4] = [Self::Admin, Self::Sales, Self::Helpdesk, Self::Billing];
    /// An operator's roles.
    pub const OPERATOR: [Self; 2] = [Self::Admin, Self::Support];

    /// Whether this role may do what `need` names. Admins may do everything.
    pub fn may(self, need: Need) -> bool {
        use MemberRole::*;
        match need {
            Need::Read => true,
            Need::Sell => matches!(self, Admin | Sales),
            Need::Support => matches!(self, Admin | Sales | Helpdesk),
            Need::Orders => matches!(self, Admin | Sales | Billing),
            Need::Billing => matches!(self, Admin | Billing),
            Need::Admin => self == Admin,
        }
    }

    /// The locale key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Admin => "team.role.admin",
            Self::Sales => "team.role.sales",
            Self::Helpdesk => "team.role.helpdesk",
            Self::Billing => "team.role.billing",
            Self::Support => "team.role.support",
        }
    }
}

text_enum! {
    /// A partner organisation: an indirect provider or an indirect reseller.
    pub enum PartnerKind {
        Provider = "provider",
        Reseller = "reseller",
    }
}

text_enum! {
    /// A reseller's enrollment, as an operator decided it (providers are created verified).
    pub enum EnrollmentStatus {
        Pending = "pending",
        Verified = "verified",
        Rejected = "rejected",
    }
}

text_enum! {
    pub enum PartnershipStatus {
        Active = "active",
        /// Ended by the provider; the row stays, and accepting a new request makes it active again.
        Removed = "removed",
    }
}

text_enum! {
    /// The kinds of personal link a provider sends.
    pub enum RequestKind {
        Partnership = "partnership",
        CustomerInvitation = "customer_invitation",
        /// A delegated-administration grant for the customer's admin to approve.
        GrantRequest = "grant_request",
    }
}

text_enum! {
    /// A delegated-administration grant, as stored (whether an active one has run out is a matter of
    /// time: see `db::models::grant::Grant::state`).
    pub enum GrantStatus {
        /// Waiting for the customer's admin; lapses after 90 days.
        Pending = "pending",
        Active = "active",
        Declined = "declined",
        /// Never approved within 90 days.
        Lapsed = "lapsed",
        Expired = "expired",
        /// Ended by the customer, the provider or the grantee (or a request withdrawn).
        Ended = "ended",
    }
}

text_enum! {
    /// A personal link's request, as stored (whether a pending one has expired is a matter of time).
    pub enum RequestStatus {
        Pending = "pending",
        Accepted = "accepted",
        Declined = "declined",
        Revoked = "revoked",
        /// Replaced by a newer link (Resend).
        Superseded = "superseded",
    }
}

text_enum! {
    /// How a provider came to have a customer.
    pub enum CustomerOrigin {
        /// The provider created it (the new customer wizard).
        Created = "created",
        /// It accepted the provider's invitation.
        Invited = "invited",
    }
}

text_enum! {
    pub enum DraftStatus {
        Open = "open",
        Submitted = "submitted",
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// What a server-side draft is a draft of.
    pub enum DraftKind {
        NewCustomer = "new_customer",
    }
}

text_enum! {
    /// How often a subscription is billed: every month, every year, or once for the whole term.
    pub enum Billing {
        Monthly = "monthly",
        Annual = "annual",
        OneTime = "one_time",
    }
}

text_enum! {
    /// How long a subscription runs before it renews or ends (ISO 8601 durations).
    pub enum Term {
        Month = "P1M",
        Year = "P1Y",
        ThreeYears = "P3Y",
    }
}

text_enum! {
    pub enum OrderKind {
        NewCustomer = "new_customer",
        NewSubscription = "new_subscription",
        /// Licenses added (a prorated charge).
        ChangeQuantity = "change_quantity",
        /// Licenses removed within their cancellation window (a prorated credit).
        Reduction = "reduction",
        /// Cancelled within the window (a prorated refund).
        Cancellation = "cancellation",
        Renewal = "renewal",
        Upgrade = "upgrade",
        /// A billing period of a term billed monthly (or yearly over three years), charged as it starts.
        Recurring = "recurring",
    }
}

text_enum! {
    /// Where an order stands: placed (provisioned, billable), or waiting for the provider's review
    /// because of the reseller's credit, or rejected there (nothing provisioned, nothing billed).
    pub enum OrderStatus {
        Placed = "placed",
        PendingReview = "pending_review",
        Rejected = "rejected",
    }
}

text_enum! {
    /// Whom a statement bills: a reseller (what the provider charges it), a direct customer, or a
    /// reseller's customer (what the reseller may bill it).
    pub enum StatementKind {
        Reseller = "reseller",
        Customer = "customer",
        Resale = "resale",
    }
}

text_enum! {
    /// Whom a price rule prices for: resellers, or the provider's direct customers.
    pub enum Audience {
        Reseller = "reseller",
        Customer = "customer",
    }
}

text_enum! {
    /// A profile change request's way through review.
    pub enum ProfileRequestStatus {
        Submitted = "submitted",
        InReview = "in_review",
        Completed = "completed",
        Rejected = "rejected",
    }
}

text_enum! {
    pub enum OutboxStatus {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
    }
}

impl Billing {
    /// The locale key naming it.
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Monthly => "offers.billing.monthly",
            Self::Annual => "offers.billing.annual",
            Self::OneTime => "offers.billing.one_time",
        }
    }
}

impl OrderKind {
    /// The locale key naming it.
    pub fn label_key(self) -> &'static str {
        match self {
            Self::NewCustomer => "orders.kind.new_customer",
            Self::NewSubscription => "orders.kind.new_subscription",
            Self::ChangeQuantity => "orders.kind.change_quantity",
            Self::Reduction => "orders.kind.reduction",
            Self::Cancellation => "orders.kind.cancellation",
            Self::Renewal => "orders.kind.renewal",
            Self::Upgrade => "orders.kind.upgrade",
            Self::Recurring => "orders.kind.recurring",
        }
    }
}

impl OrderStatus {
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Placed => "orders.status.placed",
            Self::PendingReview => "orders.status.pending_review",
            Self::Rejected => "orders.status.rejected",
        }
    }
}

impl StatementKind {
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Reseller => "statements.kind.reseller",
            Self::Customer => "statements.kind.customer",
            Self::Resale => "statements.kind.resale",
        }
    }
}

impl ProfileRequestStatus {
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Submitted => "profile.status.submitted",
            Self::InReview => "profile.status.in_review",
            Self::Completed => "profile.status.completed",
            Self::Rejected => "profile.status.rejected",
        }
    }

    /// Still waiting for an operator's decision.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Submitted | Self::InReview)
    }
}

impl SubscriptionStatus {
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Active => "subscriptions.status.active",
            Self::Suspended => "subscriptions.status.suspended",
            Self::Cancelled => "subscriptions.status.cancelled",
            Self::Expired => "subscriptions.status.expired",
        }
    }

    /// Still running (and billed): active or suspended.
    pub fn is_live(self) -> bool {
        matches!(self, Self::Active | Self::Suspended)
    }

    /// The states that are still running.
    pub const LIVE: [Self; 2] = [Self::Active, Self::Suspended];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_spelling() {
        for s in SubscriptionStatus::ALL {
            assert_eq!(SubscriptionStatus::parse(s.as_str()), Some(*s));
        }
        for s in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Role::parse("reseller"), Some(Role::Reseller));
        assert_eq!(OrderKind::parse("renewal"), Some(OrderKind::Renewal));
        assert_eq!(OrderKind::parse("refund"), None);
        assert_eq!(
            serde_json::to_string(&RequestKind::CustomerInvitation).unwrap(),
            "\"customer_invitation\""
        );
    }
}
