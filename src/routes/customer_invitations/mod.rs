//! Answering an invitation to a reseller relationship: the customer's admin opens the personal link,
//! signs in or signs up (the link survives the detour), sees which provider (and reseller) asks and what
//! they will be able to do, and accepts or declines — and, separately, gives or withholds delegated
//! administration. Any other account, or a used, expired or revoked link, gets its own page.

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::ProviderId;
use crate::auth::session::FlashKind;
use crate::auth::{AppSession, CurrentUser, Role};
use crate::db::models::activity::NewActivity;
use crate::db::models::customer::{Customer, NewRelation, ProviderCustomer};
use crate::db::models::partner::Partner;
use crate::db::models::partnership::Partnership;
use crate::db::models::relationship_request::{RelationshipRequest, RequestKind};
use crate::db::models::stats::{Delta, ProviderStats};
use crate::db::models::user::User;
use crate::db::{DbConnection, now};
use crate::email::{self, messages::InvitationAnswered};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::routes::see_other;
use crate::startup::AppState;
use crate::view::{Ctx, FormErrors};

const PATH: &str = "/customer-invitations/";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    SignInFirst,
    Consent,
    AlreadyCustomer,
}

#[derive(Template, WebTemplate)]
#[template(path = "customer_invitations/accept.html")]
pub struct AcceptPage {
    pub ctx: Ctx,
    pub mode: Mode,
    pub provider: String,
    pub reseller: Option<String>,
    pub delegation_asked: bool,
    pub path: String,
    pub errors: FormErrors,
}

impl AcceptPage {
    /// Who would hold delegated administration: the reseller, or the provider when there is none.
    pub fn delegate(&self) -> &str {
        self.reseller.as_deref().unwrap_or(&self.provider)
    }
}

/// The signed-in user must be a customer's admin: their customer's id.
fn check_customer(user: &CurrentUser) -> Result<i64, AppError> {
    match (user.role, user.customer_id) {
        (Role::Customer, Some(id)) => Ok(id),
        _ => Err(AppError::Forbidden("errors.invitation.not_customer")),
    }
}

/// An invitation, its provider's name, and its reseller (id, name) if it names one still partnered.
type Loaded = (RelationshipRequest, String, Option<(i64, String)>);

/// The invitation behind a token, the provider's name, and the reseller's if it names one still
/// partnered with the provider.
fn load(conn: &mut DbConnection, token: &str) -> Result<Loaded, AppError> {
    let request = RelationshipRequest::usable(RelationshipRequest::find_by_token(
        conn,
        RequestKind::CustomerInvitation,
        token,
    )?)?;
    let provider = Partner::find(conn, request.provider_id)?.name;
    let reseller = match request.reseller_id {
        Some(id) => {
            Partnership::active(conn, request.provider_id, id)?.map(|p| (id, p.reseller_name))
        }
        None => None,
    };
    Ok((request, provider, reseller))
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    token: String,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let ctx = Ctx::build(req).await?;
    let customer = match &ctx.user {
        None => None,
        Some(user) if user.must_change_password => return Err(AppError::PasswordChangeRequired),
        Some(user) => Some(check_customer(user)?),
    };
    let path = format!("{PATH}{token}");
    let (request, provider, reseller, already) = state
        .db
        .read(move |conn| {
            let (request, provider, reseller) = load(conn, &token)?;
            let already = match customer {
                Some(c) => {
                    ProviderCustomer::find(conn, ProviderId::trusted(request.provider_id), c)
                        .is_ok()
                }
                None => false,
            };
            Ok((request, provider, reseller, already))
        })
        .await?;
    let mode = match (customer, already) {
        (None, _) => Mode::SignInFirst,
        (Some(_), true) => Mode::AlreadyCustomer,
        (Some(_), false) => Mode::Consent,
    };
    let has_errors = !errors.is_empty();
    let page = AcceptPage {
        ctx,
        mode,
        provider,
        reseller: reseller.map(|(_, name)| name),
        delegation_asked: request.include_delegated_admin,
        path,
        errors,
    };
    Ok(if has_errors {
        crate::routes::form_page(req, page, true)
    } else {
        page.respond_to(req).map_into_boxed_body()
    })
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    page(&req, &state, path.into_inner(), FormErrors::new()).await
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    decision: String,
    delegation: Option<String>,
}

enum Outcome {
    Accepted(String),
    Declined(String),
    Already(String),
}

pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<String>,
    form: web::Form<AnswerForm>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let Some(user) = CurrentUser::load(&req).await? else {
        return Err(AppError::SignInRequired {
            next: format!("{PATH}{token}"),
        });
    };
    if user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    let customer_id = check_customer(&user)?;
    let accept = match form.decision.as_str() {
        "accept" => true,
        "decline" => false,
        _ => {
            let mut errors = FormErrors::new();
            errors.add("decision", "invitations.accept.choose");
            return page(&req, &state, token, errors).await;
        }
    };
    let delegation = form.delegation.is_some();
    let user_id = user.id;
    let base = state.base_url.clone();
    let outcome = state
        .db
        .write(move |conn| {
            let (request, provider_name, reseller) = load(conn, &token)?;
            let provider = ProviderId::trusted(request.provider_id);
            if ProviderCustomer::find(conn, provider, customer_id).is_ok() {
                return Ok(Outcome::Already(provider_name));
            }
            let status = if accept { "accepted" } else { "declined" };
            if !RelationshipRequest::respond(conn, request.id, status, Some(user_id), None)? {
                return Err(AppError::Gone("errors.link.used"));
            }
            // Delegation is given only when it was asked for and the customer agreed to that part.
            let delegated = accept && request.include_delegated_admin && delegation;
            RelationshipRequest::record_customer(
                conn,
                request.id,
                customer_id,
                request.include_delegated_admin.then_some(delegated),
            )?;
            let customer = Customer::find(conn, customer_id)?;
            let reseller_id = reseller.as_ref().map(|(id, _)| *id);
            if accept {
                ProviderCustomer::create(
                    conn,
                    NewRelation {
                        provider_id: provider.get(),
                        customer_id,
                        reseller_id,
                        delegated_admin: delegated,
                        azure_tenant_owner: false,
                        origin: "invited",
                        subscription_count: 0,
                    },
                    &customer.company_name,
                    &customer.domain_prefix,
                )?;
                if let Some(r) = reseller_id {
                    Partnership::bump_counts(conn, provider.get(), r, 1, 0)?;
                }
                ProviderStats::bump(
                    conn,
                    provider.get(),
                    Delta {
                        customers: 1,
                        ..Delta::default()
                    },
                )?;
                ProviderStats::count_new_customer(
                    conn,
                    provider.get(),
                    &now().format("%Y-%m").to_string(),
                    1,
                )?;
            }
            let action = if accept {
                "customer_invitation.accepted"
            } else {
                "customer_invitation.declined"
            };
            NewActivity::new(action, "relationship_request", Some(request.id))
                .by(user_id, None)
                .provider(Some(provider.get()))
                .reseller(reseller_id)
                .customer(Some(customer_id))
                .change(
                    Some("pending".into()),
                    Some(if delegated {
                        format!("{status}, delegated administration")
                    } else {
                        status.to_owned()
                    }),
                )
                .record(conn)?;
            let sender = User::find(conn, request.created_by)?;
            email::queue(
                conn,
                &sender.email,
                &InvitationAnswered {
                    tr: Tr(sender.locale().unwrap_or_default()),
                    name: sender.display_name.clone(),
                    company: customer.company_name.clone(),
                    accepted: accept,
                    delegated,
                    list_url: format!("{base}/customers"),
                },
            )?;
            Ok(if accept {
                Outcome::Accepted(provider_name)
            } else {
                Outcome::Declined(provider_name)
            })
        })
        .await;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        // Two invitations of the same provider accepted at the same moment: the other one made it.
        Err(AppError::Unexpected(err)) if crate::routes::enroll::is_unique_violation(&err) => {
            session.flash(FlashKind::Info, "invitations.accept.already")?;
            return Ok(see_other("/my/subscriptions"));
        }
        Err(err) => return Err(err),
    };
    state.wake_outbox();
    let (kind, key, provider) = match outcome {
        Outcome::Accepted(p) => (FlashKind::Success, "invitations.accept.done", p),
        Outcome::Declined(p) => (FlashKind::Info, "invitations.accept.declined", p),
        Outcome::Already(p) => (FlashKind::Info, "invitations.accept.already_with", p),
    };
    session.flash_with(kind, key, &[("provider", &provider)])?;
    Ok(see_other("/my/subscriptions"))
}
