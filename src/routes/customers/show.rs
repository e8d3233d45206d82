//! The customer page: account info, the associated indirect reseller (Change, Remove — delegated
//! administration goes with it), the Azure tenant-owner grant, this provider's subscriptions and orders.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, ProviderId, ProviderStaff, Signed};
use crate::db::models::activity::NewActivity;
use crate::db::models::customer::{Customer, ProviderCustomer};
use crate::db::models::order::{Order, OrderFilter, OrderRow};
use crate::db::models::partner::Partner;
use crate::db::models::partnership::Partnership;
use crate::db::models::subscription::{Subscription, SubscriptionSummary};
use crate::db::models::user::User;
use crate::email::{self, messages::DelegationChanged};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pagination::Seek;
use crate::routes::see_other;
use crate::startup::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "customers/show.html")]
pub struct CustomerPage {
    pub ctx: Ctx,
    pub customer: Customer,
    pub relation: ProviderCustomer,
    pub reseller_name: Option<String>,
    pub resellers: Vec<(i64, String)>,
    pub subscriptions: Vec<SubscriptionSummary>,
    pub orders: Vec<OrderRow>,
    pub suffix: String,
    pub errors: FormErrors,
}

impl CustomerPage {
    pub fn is_current(&self, reseller_id: &i64) -> bool {
        self.relation.reseller_id == Some(*reseller_id)
    }
}

const RECENT_ORDERS: usize = 10;

async fn render(
    req: &HttpRequest,
    state: &AppState,
    provider: ProviderId,
    customer_id: i64,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let (customer, relation, reseller_name, resellers, subscriptions, orders) = state
        .db
        .read(move |conn| {
            let relation = ProviderCustomer::find(conn, provider, customer_id)?;
            let customer = Customer::find(conn, customer_id)?;
            let reseller_name = match relation.reseller_id {
                Some(id) => Some(Partner::find(conn, id)?.name),
                None => None,
            };
            let resellers =
                Partnership::choices_for_provider(conn, provider, 200, relation.reseller_id)?;
            let subscriptions = Subscription::summaries_for(conn, provider, &[customer_id])?;
            let orders = Order::page(
                conn,
                &OrderFilter {
                    customer: Some(customer_id),
                    ..OrderFilter::provider(provider)
                },
                &Seek::First,
                RECENT_ORDERS,
            )?
            .items;
            Ok((
                customer,
                relation,
                reseller_name,
                resellers,
                subscriptions,
                orders,
            ))
        })
        .await?;
    let page = CustomerPage {
        ctx: Ctx::build(req).await?,
        customer,
        relation,
        reseller_name,
        resellers,
        subscriptions,
        orders,
        suffix: state.config.tenant_domain_suffix.clone(),
        errors,
    };
    let has_errors = !page.errors.is_empty();
    Ok(crate::routes::form_page(req, page, has_errors))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    render(
        &req,
        &state,
        user.provider_id(),
        path.into_inner(),
        FormErrors::new(),
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "customers/remove_reseller.html")]
pub struct RemoveResellerPage {
    pub ctx: Ctx,
    pub customer: Customer,
    pub reseller_name: String,
}

/// Remove: a confirmation page first.
pub async fn confirm_remove(
    ctx: Ctx,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
) -> AppResult<RemoveResellerPage> {
    let provider = user.provider_id();
    let customer_id = path.into_inner();
    let (customer, reseller_name) = state
        .db
        .read(move |conn| {
            let relation = ProviderCustomer::find(conn, provider, customer_id)?;
            let reseller = relation.reseller_id.ok_or(AppError::NotFound)?;
            Ok((
                Customer::find(conn, customer_id)?,
                Partner::find(conn, reseller)?.name,
            ))
        })
        .await?;
    Ok(RemoveResellerPage {
        ctx,
        customer,
        reseller_name,
    })
}

#[derive(Deserialize)]
pub struct ResellerForm {
    #[serde(default)]
    reseller: String,
}

/// Change the associated reseller to another partner, or (empty) remove it.
pub async fn change_reseller(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
    form: web::Form<ResellerForm>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let customer_id = path.into_inner();
    let new_reseller = match form.reseller.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                let mut errors = FormErrors::new();
                errors.add("reseller", "wizard.reseller_not_partnered");
                return render(&req, &state, provider, customer_id, errors).await;
            }
        },
    };
    let user_id = user.id;
    let provider_name = user.partner_name().unwrap_or_default().to_owned();
    let result = state
        .db
        .write(move |conn| {
            let relation = ProviderCustomer::find(conn, provider, customer_id)?;
            let old = relation.reseller_id;
            let delegated = relation.delegation_for(new_reseller);
            // Choosing the same reseller again changes nothing, unless it restores the delegation of a
            // customer the provider created (after the partnership was removed and made again).
            if old == new_reseller && (relation.delegated_admin || !delegated) {
                return Ok(false);
            }
            let new_partner = match new_reseller {
                Some(id) => Some(
                    Partnership::active(conn, provider.get(), id)?
                        .ok_or(AppError::Conflict("wizard.reseller_not_partnered"))?,
                ),
                None => None,
            };
            ProviderCustomer::set_reseller(conn, provider, customer_id, new_reseller, delegated)?;
            let old_name = match old {
                Some(id) => Some(Partner::find(conn, id)?.name),
                None => None,
            };
            if old != new_reseller {
                if let Some(id) = old {
                    Partnership::bump_counts(conn, provider.get(), id, -1, 0)?;
                }
                if let Some(p) = &new_partner {
                    Partnership::bump_counts(conn, provider.get(), p.reseller_id, 1, 0)?;
                }
            }
            NewActivity::new("customer.reseller_changed", "customer", Some(customer_id))
                .by(user_id, Some(provider.get()))
                .provider(Some(provider.get()))
                .reseller(new_reseller.or(old))
                .customer(Some(customer_id))
                .change(
                    old_name,
                    new_partner.as_ref().map(|p| p.reseller_name.clone()),
                )
                .record(conn)?;
            let company = relation.company_name.clone();
            for (reseller, gained) in [(old, false), (new_reseller, true)] {
                let Some(reseller) = reseller else { continue };
                for to in User::of_partner(conn, reseller)? {
                    let message = DelegationChanged {
                        tr: Tr(to.locale().unwrap_or_default()),
                        name: to.display_name.clone(),
                        provider: provider_name.clone(),
                        company: company.clone(),
                        gained,
                    };
                    email::queue(conn, &to.email, &message)?;
                }
            }
            Ok(true)
        })
        .await;
    match result {
        Ok(changed) => {
            state.wake_outbox();
            let key = match (changed, new_reseller) {
                (false, _) => "customers.reseller_unchanged",
                (true, Some(_)) => "customers.reseller_changed",
                (true, None) => "customers.reseller_removed",
            };
            session.flash(FlashKind::Success, key)?;
            Ok(see_other(&format!("/customers/{customer_id}")))
        }
        Err(AppError::Conflict(key)) => {
            let mut errors = FormErrors::new();
            errors.add("reseller", key);
            render(&req, &state, provider, customer_id, errors).await
        }
        Err(err) => Err(err),
    }
}

#[derive(Deserialize)]
pub struct TenantOwnerForm {
    tenant_owner: Option<String>,
}

/// Grants or withdraws the associated reseller's tenant-owner permissions for Azure.
pub async fn set_tenant_owner(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
    form: web::Form<TenantOwnerForm>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let customer_id = path.into_inner();
    let on = form.tenant_owner.is_some();
    let user_id = user.id;
    let result = state
        .db
        .write(move |conn| {
            let relation = ProviderCustomer::find(conn, provider, customer_id)?;
            if relation.reseller_id.is_none() && on {
                return Err(AppError::Conflict("wizard.tenant_owner_needs_reseller"));
            }
            // Tenant-owner rights go only to a reseller that administers the customer.
            if !relation.delegated_admin && on {
                return Err(AppError::Conflict(
                    "customers.tenant_owner_needs_delegation",
                ));
            }
            if relation.azure_tenant_owner == on {
                return Ok(false);
            }
            ProviderCustomer::set_tenant_owner(conn, provider, customer_id, on)?;
            let word = |b: bool| if b { "granted" } else { "not granted" }.to_owned();
            NewActivity::new(
                "customer.tenant_owner_changed",
                "customer",
                Some(customer_id),
            )
            .by(user_id, Some(provider.get()))
            .provider(Some(provider.get()))
            .reseller(relation.reseller_id)
            .customer(Some(customer_id))
            .change(Some(word(relation.azure_tenant_owner)), Some(word(on)))
            .record(conn)?;
            Ok(true)
        })
        .await;
    match result {
        Ok(changed) => {
            let key = if changed {
                "customers.tenant_owner_saved"
            } else {
                "customers.reseller_unchanged"
            };
            session.flash(FlashKind::Success, key)?;
            Ok(see_other(&format!("/customers/{customer_id}")))
        }
        Err(AppError::Conflict(key)) => {
            let mut errors = FormErrors::new();
            errors.add("tenant_owner", key);
            render(&req, &state, provider, customer_id, errors).await
        }
        Err(err) => Err(err),
    }
}
