//! A customer's admin answers an invitation to a reseller relationship by its personal link: accepts
//! (the provider gains the customer, associated with the reseller named, if still partnered) or
//! declines, and separately gives or withholds delegated administration. Exactly one answer counts;
//! the provider user who sent the invitation is told by email.

use crate::db::models::activity::NewActivity;
use crate::db::models::customer::{Customer, NewRelation, ProviderCustomer};
use crate::db::models::grant::{Grant, MAX_DAYS, NewGrant, Roles};
use crate::db::models::partner::Partner;
use crate::db::models::partnership::Partnership;
use crate::db::models::relationship_request::RelationshipRequest;
use crate::db::models::user::User;
use crate::db::{Db, DbConnection, DbError, now};
use crate::domain::{CustomerId, CustomerOrigin, ProviderId, RequestKind, RequestStatus};
use crate::email::{self, messages::InvitationAnswered};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::services::counters;
use crate::services::link_request::{Unusable, by_token};

#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error(transparent)]
    Unusable(#[from] Unusable),
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(AnswerError);

impl From<AnswerError> for AppError {
    fn from(err: AnswerError) -> Self {
        match err {
            AnswerError::Unusable(why) => why.into(),
            AnswerError::Db(err) => err.into(),
        }
    }
}

/// An invitation, its provider's name, and its reseller (id, name) if it names one still partnered.
struct Loaded {
    request: RelationshipRequest,
    provider_name: String,
    reseller: Option<(i64, String)>,
}

fn load(conn: &mut DbConnection, token: &str) -> Result<Loaded, AnswerError> {
    let request = by_token(conn, RequestKind::CustomerInvitation, token)??;
    let provider_name = Partner::find(conn, request.provider_id)?.name;
    let reseller = match request.reseller_id {
        Some(id) => {
            Partnership::active(conn, request.provider_id, id)?.map(|p| (id, p.reseller_name))
        }
        None => None,
    };
    Ok(Loaded {
        request,
        provider_name,
        reseller,
    })
}

/// What the invitation's page shows.
pub struct Asked {
    pub provider_name: String,
    pub reseller_name: Option<String>,
    pub delegation_asked: bool,
    /// The signed-in customer is the provider's customer already (`None` when nobody is signed in).
    pub already_customer: Option<bool>,
}

pub async fn asked(
    db: &Db,
    token: String,
    customer: Option<CustomerId>,
) -> Result<Asked, AnswerError> {
    db.read(move |conn| {
        let loaded = load(conn, &token)?;
        let already_customer = match customer {
            Some(c) => Some(ProviderCustomer::exists(
                conn,
                loaded.request.provider_id,
                c.get(),
            )?),
            None => None,
        };
        Ok(Asked {
            provider_name: loaded.provider_name,
            reseller_name: loaded.reseller.map(|(_, name)| name),
            delegation_asked: loaded.request.include_delegated_admin,
            already_customer,
        })
    })
    .await
}

pub struct Answer {
    pub token: String,
    pub customer: CustomerId,
    pub user_id: i64,
    pub accept: bool,
    /// The customer agreed to delegated administration (counts only when it was asked for).
    pub delegation: bool,
    pub base_url: String,
    /// By the injected clock: when a grant given with the answer starts.
    pub now: chrono::NaiveDateTime,
}

/// How the answer went; each carries the provider's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answered {
    Accepted(String),
    Declined(String),
    /// A customer of this provider already.
    Already(String),
    /// Two invitations of this provider accepted at the same moment: the other one made it.
    AcceptedMeanwhile,
}

pub async fn answer(db: &Db, cmd: Answer) -> Result<Answered, AnswerError> {
    let result = db
        .write(move |conn| {
            let Loaded {
                request,
                provider_name,
                reseller,
            } = load(conn, &cmd.token)?;
            #[expect(
                clippy::disallowed_methods,
                reason = "the provider of the invitation behind a checked link"
            )]
            let provider = ProviderId::established(request.provider_id);
            let customer_id = cmd.customer.get();
            if ProviderCustomer::exists(conn, provider.get(), customer_id)? {
                return Ok(Answered::Already(provider_name));
            }
            let status = if cmd.accept {
                RequestStatus::Accepted
            } else {
                RequestStatus::Declined
            };
            if !RelationshipRequest::respond(conn, request.id, status, Some(cmd.user_id), None)? {
                return Err(AnswerError::Unusable(Unusable::Used));
            }
            // Delegation is given only when it was asked for and the customer agreed to that part.
            let delegated = cmd.accept && request.include_delegated_admin && cmd.delegation;
            RelationshipRequest::record_customer(
                conn,
                request.id,
                customer_id,
                request.include_delegated_admin.then_some(delegated),
            )?;
            let customer = Customer::find(conn, customer_id)?;
            let reseller_id = reseller.as_ref().map(|(id, _)| *id);
            if cmd.accept {
                ProviderCustomer::create(
                    conn,
                    NewRelation {
                        provider_id: provider.get(),
                        customer_id,
                        reseller_id,
                        azure_tenant_owner: false,
                        origin: CustomerOrigin::Invited,
                        subscription_count: 0,
                        created_at: now(),
                    },
                    &customer.company_name,
                    &customer.domain_prefix,
                )?;
                counters::customer_added(conn, provider, reseller_id, 0, 0, now())?;
                // The customer's admin gave delegated administration in the same answer: the grant
                // (to the reseller, or the provider when there is none) is active at once.
                if delegated {
                    let grant = Grant::create(
                        conn,
                        &NewGrant {
                            provider_id: provider.get(),
                            customer_id,
                            holder_id: reseller_id.unwrap_or(provider.get()),
                            roles: Roles::DELEGATED,
                            days: MAX_DAYS,
                            auto_extend: false,
                            requested_by: Some(request.created_by),
                            active: true,
                            now: cmd.now,
                        },
                    )?;
                    Grant::record_approval(conn, grant.id, cmd.user_id)?;
                }
            }
            let action = if cmd.accept {
                "customer_invitation.accepted"
            } else {
                "customer_invitation.declined"
            };
            NewActivity::new(action, "relationship_request", Some(request.id))
                .by(cmd.user_id, None)
                .provider(Some(provider.get()))
                .reseller(reseller_id)
                .customer(Some(customer_id))
                .change(
                    Some("pending".into()),
                    Some(if delegated {
                        format!("{status}, delegated administration")
                    } else {
                        status.as_str().to_owned()
                    }),
                )
                .record(conn)?;
            let sender = User::find(conn, request.created_by)?;
            email::queue(
                conn,
                &sender.email,
                &InvitationAnswered {
                    tr: Tr(sender.locale.unwrap_or_default()),
                    name: sender.display_name.clone(),
                    company: customer.company_name.clone(),
                    accepted: cmd.accept,
                    delegated,
                    list_url: format!("{}/customers", cmd.base_url),
                },
            )?;
            Ok(if cmd.accept {
                Answered::Accepted(provider_name)
            } else {
                Answered::Declined(provider_name)
            })
        })
        .await;
    match result {
        Err(AnswerError::Db(DbError::UniqueViolation)) => Ok(Answered::AcceptedMeanwhile),
        other => other,
    }
}
