//! The customer page: account info, the associated indirect reseller (Change, Remove — its grants go
//! with it), the Azure tenant-owner permissions, the delegated-administration grants with Request a
//! grant, the relationship check, this provider's subscriptions and orders.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, ProviderStaff, Signed, can};
use crate::db::models::customer::{Customer, ProviderCustomer};
use crate::db::models::grant::{Grant, GrantRow, Role, Roles};
use crate::db::models::order::{Order, OrderFilter, OrderRow};
use crate::db::models::partner::Partner;
use crate::db::models::partnership::Partnership;
use crate::db::models::relationship_check::{self, Flag};
use crate::db::models::subscription::{Subscription, SubscriptionSummary};
use crate::db::models::user::User;
use crate::domain::ProviderId;
use crate::domain::SubscriptionStatus;
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::pagination::Seek;
use crate::routes::see_other;
use crate::services::customer_relationship::{self, ChangeReseller, Changed, RelationshipError};
use crate::services::grants::GrantForm;
use crate::state::AppState;
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
    pub users: Vec<User>,
    pub suffix: String,
    pub errors: FormErrors,
    /// The grants on the customer from this provider, and the request form (as typed after a refusal).
    pub grants: Vec<GrantRow>,
    pub grant_form: RequestForm,
    /// The relationship check's problems for this customer.
    pub flags: Vec<Flag>,
    pub now: chrono::NaiveDateTime,
}

impl CustomerPage {
    pub fn roles(&self) -> [Role; 4] {
        Role::ALL
    }

    /// Whether the associated reseller holds a Subscription administrator grant in force.
    pub fn administers(&self) -> bool {
        self.grants.iter().any(|g| {
            Some(g.grant.holder_id) == self.relation.reseller_id
                && g.grant.role_admin
                && g.grant.in_force(self.now)
        })
    }

    pub fn is_holder(&self, id: &i64) -> bool {
        self.grant_form.holder == id.to_string()
    }

    pub fn is_current(&self, reseller_id: &i64) -> bool {
        self.relation.reseller_id == Some(*reseller_id)
    }
}

/// The request form on the customer page, as typed.
#[derive(Deserialize, Clone, Default, Debug)]
#[serde(default)]
pub struct RequestForm {
    pub holder: String,
    pub subscription_admin: Option<String>,
    pub license_reader: Option<String>,
    pub support: Option<String>,
    pub billing_reader: Option<String>,
    pub days: String,
    pub auto_extend: Option<String>,
}

impl RequestForm {
    /// What the customer page's form shows first: today's delegated rights for two years.
    pub fn initial(holder: Option<i64>) -> Self {
        Self {
            holder: holder.map(|h| h.to_string()).unwrap_or_default(),
            subscription_admin: Some("yes".into()),
            license_reader: Some("yes".into()),
            support: Some("yes".into()),
            billing_reader: None,
            days: "730".into(),
            auto_extend: None,
        }
    }

    pub fn checked(&self, role: &Role) -> bool {
        match role {
            Role::SubscriptionAdmin => self.subscription_admin.is_some(),
            Role::LicenseReader => self.license_reader.is_some(),
            Role::Support => self.support.is_some(),
            Role::BillingReader => self.billing_reader.is_some(),
        }
    }

    pub fn parse(&self) -> Result<GrantForm, FormErrors> {
        let holder = match self.holder.trim() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    let mut errors = FormErrors::new();
                    errors.add("holder", "wizard.reseller_not_partnered");
                    return Err(errors);
                }
            },
        };
        let roles = Role::ALL
            .into_iter()
            .filter(|r| self.checked(r))
            .fold(Roles::default(), Roles::with);
        Ok(GrantForm {
            holder,
            roles,
            days: self.days.clone(),
            auto_extend: self.auto_extend.is_some(),
        })
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
    render_page(req, state, provider, customer_id, None, errors).await
}

/// The customer page with the grant request form as typed, after a refusal.
pub async fn render_with_grant_form(
    req: &HttpRequest,
    state: &AppState,
    provider: ProviderId,
    customer_id: i64,
    form: RequestForm,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    render_page(req, state, provider, customer_id, Some(form), errors).await
}

async fn render_page(
    req: &HttpRequest,
    state: &AppState,
    provider: ProviderId,
    customer_id: i64,
    grant_form: Option<RequestForm>,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let now = state.now();
    let (
        (customer, relation, reseller_name, resellers, subscriptions, orders, users),
        (grants, flags),
    ) = state
        .db
        .query(move |conn| {
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
            let users = User::of_customer(conn, customer_id)?;
            let grants = Grant::for_customer(conn, customer_id, Some(provider.get()))?;
            let flags = relationship_check::flags(conn, provider, Some(customer_id), now, 50)?;
            Ok((
                (
                    customer,
                    relation,
                    reseller_name,
                    resellers,
                    subscriptions,
                    orders,
                    users,
                ),
                (grants, flags),
            ))
        })
        .await?;
    let grant_form = grant_form.unwrap_or_else(|| RequestForm::initial(relation.reseller_id));
    let page = CustomerPage {
        ctx: Ctx::build(req).await?,
        customer,
        relation,
        reseller_name,
        resellers,
        subscriptions,
        orders,
        users,
        suffix: state.config.tenant_domain_suffix.clone(),
        errors,
        grants,
        grant_form,
        flags,
        now,
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
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
) -> AppResult<RemoveResellerPage> {
    let provider = user.provider_id();
    let customer_id = path.into_inner();
    let (customer, reseller_name) = state
        .db
        .read(move |conn| {
            let relation = ProviderCustomer::find(conn, provider, customer_id)?;
            let reseller = relation.reseller_id.ok_or(AppError::NotFound)?;
            Ok::<_, AppError>((
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
    customer_agreed: Option<String>,
}

fn answer_refusal(
    err: RelationshipError,
) -> Result<(&'static str, &'static str), crate::error::AppError> {
    match err {
        RelationshipError::Refused { field, key } => Ok((field, key)),
        other => Err(other.into()),
    }
}

/// Change the associated reseller to another partner, or (empty) remove it.
pub async fn change_reseller(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
    form: web::Form<ResellerForm>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let customer_id = path.into_inner();
    let reseller = match form.reseller.trim() {
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
    let cmd = ChangeReseller {
        provider,
        provider_name: user.partner_name().unwrap_or_default().to_owned(),
        user_id: user.id,
        customer_id,
        reseller,
        customer_agreed: form.customer_agreed.is_some(),
        now: state.now(),
        base_url: state.base_url.clone(),
    };
    match customer_relationship::change_reseller(&state.db, cmd).await {
        Ok(changed) => {
            state.wake_outbox();
            let key = match changed {
                Changed::Unchanged => "customers.reseller_unchanged",
                Changed::Associated => "customers.reseller_changed",
                Changed::Removed => "customers.reseller_removed",
            };
            session.flash(FlashKind::Success, key)?;
            Ok(see_other(&format!("/customers/{customer_id}")))
        }
        Err(err) => {
            let (field, key) = answer_refusal(err)?;
            let mut errors = FormErrors::new();
            errors.add(field, key);
            render(&req, &state, provider, customer_id, errors).await
        }
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
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
    form: web::Form<TenantOwnerForm>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let customer_id = path.into_inner();
    let on = form.tenant_owner.is_some();
    match customer_relationship::set_tenant_owner(
        &state.db,
        provider,
        user.id,
        customer_id,
        on,
        state.now(),
    )
    .await
    {
        Ok(changed) => {
            let key = if changed {
                "customers.tenant_owner_saved"
            } else {
                "customers.reseller_unchanged"
            };
            session.flash(FlashKind::Success, key)?;
            Ok(see_other(&format!("/customers/{customer_id}")))
        }
        Err(err) => {
            let (field, key) = answer_refusal(err)?;
            let mut errors = FormErrors::new();
            errors.add(field, key);
            render(&req, &state, provider, customer_id, errors).await
        }
    }
}
