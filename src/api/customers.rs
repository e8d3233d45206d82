//! Customers: the list (filters, search, a cursor), one customer with its subscriptions, and a new
//! customer with its subscriptions in one call (the wizard's Submit).

use std::collections::{BTreeMap, BTreeSet};

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::idempotency::{self, Answer};
use super::subscriptions::{Subscription, subscription};
use super::{Api, List, Org, Paging, Problem, ok, utc};
use crate::auth::{PartnerStaff, ProviderStaff, can};
use crate::db::models::customer::{
    Customer as CustomerModel, CustomerRow, CustomerSearch, ProviderCustomer, ResellerFilter,
};
use crate::db::models::offer::Offer;
use crate::db::models::partnership::Partnership;
use crate::db::models::subscription::Subscription as SubscriptionModel;
use crate::services::new_customer::AccountFields;
use crate::services::new_customer::direct::{self, DirectError, DirectOrder};
use crate::services::new_customer::wizard::WizardData;
use crate::state::AppState;

/// A customer in a list.
#[derive(Serialize, ToSchema)]
pub struct Customer {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub id: i64,
    pub company_name: String,
    /// The tenant domain (`cohowinery.onmicrosoft.com`).
    pub domain: String,
    /// The associated reseller (providers' lists); the provider (resellers' lists).
    #[serde(serialize_with = "super::id::ser_opt")]
    #[schema(value_type = Option<String>)]
    pub reseller_id: Option<i64>,
    pub reseller_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
    pub subscription_count: i64,
    /// The associated reseller holds the tenant's owner rights.
    pub reseller_is_tenant_owner: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerList {
    pub data: Vec<Customer>,
    pub next: Option<String>,
}

fn customer(row: CustomerRow, suffix: &str, provider_view: bool) -> Customer {
    let r = row.relation;
    let (reseller_name, provider_name) = if provider_view {
        (row.reseller_name, None)
    } else {
        (None, row.reseller_name)
    };
    Customer {
        id: r.customer_id,
        company_name: r.company_name,
        domain: format!("{}.{suffix}", r.domain_prefix),
        reseller_id: if provider_view { r.reseller_id } else { None },
        reseller_name,
        provider_name,
        subscription_count: r.subscription_count,
        reseller_is_tenant_owner: r.azure_tenant_owner,
        created_at: utc(r.created_at),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Part of the company name, the domain (as shown, with its suffix), or the contact's name or email.
    pub q: Option<String>,
    /// A reseller's id, or `none` for customers without one (providers).
    pub reseller: Option<String>,
}

/// The provider's customers, newest first; a reseller's: the customers it holds a grant on.
#[utoipa::path(get, path = "/api/v1/customers", tag = "Customers", params(Paging, CustomerQuery),
    responses((status = 200, body = CustomerList), (status = 400, body = Problem)))]
pub async fn list(
    req: HttpRequest,
    caller: Api<PartnerStaff>,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
    query: web::Query<CustomerQuery>,
) -> Result<HttpResponse, Problem> {
    let (seek, limit) = paging.seek::<i64>()?;
    let suffix = state.config.tenant_domain_suffix.clone();
    let now = state.now();
    match Org::of(&caller)? {
        Org::Provider(user) => {
            let provider = user.provider_id();
            let term = query
                .q
                .as_deref()
                .map(|q| q.trim().chars().take(100).collect::<String>())
                .filter(|q| !q.is_empty())
                .map(|q| CustomerSearch::new(&q, &suffix));
            let raw = query.reseller.clone().unwrap_or_default();
            let page = state
                .db
                .read(move |conn| {
                    let filter = match raw.trim() {
                        "" | "all" => ResellerFilter::All,
                        "none" => ResellerFilter::None,
                        id => match id.parse::<i64>() {
                            Ok(id) if Partnership::ever_existed(conn, provider, id)? => {
                                ResellerFilter::Reseller(id)
                            }
                            _ => {
                                return Err(Problem::bad_request(
                                    "reseller is not one of your resellers' ids (or none).",
                                ));
                            }
                        },
                    };
                    Ok(ProviderCustomer::page_for_provider(
                        conn,
                        provider,
                        filter,
                        term.as_ref(),
                        None,
                        &seek,
                        limit,
                    )?)
                })
                .await?;
            Ok(ok(&List::of(page, &req, |row| {
                customer(row, &suffix, true)
            })))
        }
        Org::Reseller(user) => {
            let reseller = user.reseller_id();
            let page = state
                .db
                .query(move |conn| {
                    ProviderCustomer::page_for_reseller(conn, reseller, &seek, limit, now)
                })
                .await?;
            Ok(ok(&List::of(page, &req, |row| {
                customer(row, &suffix, false)
            })))
        }
    }
}

/// One customer, with its account details and subscriptions.
#[derive(Serialize, ToSchema)]
pub struct CustomerDetails {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub id: i64,
    pub company_name: String,
    pub domain: String,
    #[serde(serialize_with = "super::id::ser_opt")]
    #[schema(value_type = Option<String>)]
    pub reseller_id: Option<i64>,
    pub reseller_is_tenant_owner: bool,
    pub address_line1: String,
    pub address_line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub contact_first_name: String,
    pub contact_last_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    /// en or zh-TW.
    pub language: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub subscriptions: Vec<Subscription>,
}

async fn details(
    state: &AppState,
    provider: crate::domain::ProviderId,
    id: i64,
) -> Result<CustomerDetails, Problem> {
    let suffix = state.config.tenant_domain_suffix.clone();
    let (relation, c, subs, currency) = state
        .db
        .query(move |conn| {
            let relation = ProviderCustomer::find(conn, provider, id)?;
            let c = CustomerModel::find(conn, id)?;
            let subs = SubscriptionModel::summaries_for(conn, provider, &[id])?;
            Ok((relation, c, subs, Offer::catalog_currency(conn)?))
        })
        .await?;
    Ok(CustomerDetails {
        id: c.id,
        domain: format!("{}.{suffix}", c.domain_prefix),
        company_name: c.company_name,
        reseller_id: relation.reseller_id,
        reseller_is_tenant_owner: relation.azure_tenant_owner,
        address_line1: c.address_line1,
        address_line2: c.address_line2,
        city: c.city,
        state: c.state,
        postal_code: c.postal_code,
        country: c.country,
        contact_first_name: c.contact_first_name,
        contact_last_name: c.contact_last_name,
        contact_email: c.contact_email,
        contact_phone: c.contact_phone,
        language: c.language.code().to_owned(),
        created_at: utc(c.created_at),
        subscriptions: subs
            .into_iter()
            .map(|s| subscription(s.subscription, s.offer_name, None, &currency, true))
            .collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "Customers", params(("id" = i64, Path)),
    responses((status = 200, body = CustomerDetails), (status = 404, body = Problem)))]
pub async fn show(
    caller: Api<ProviderStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    Ok(ok(
        &details(&state, caller.provider_id(), id.into_inner()).await?
    ))
}

/// A new customer: the wizard's account fields and its subscriptions.
#[derive(Deserialize, ToSchema)]
pub struct NewCustomer {
    /// The associated reseller (one you are partnered with), or none for a direct customer.
    #[serde(default, deserialize_with = "super::id::de_opt")]
    #[schema(value_type = Option<String>)]
    pub reseller_id: Option<i64>,
    pub company_name: String,
    /// The tenant domain's prefix (`cohowinery` for `cohowinery.onmicrosoft.com`).
    pub domain_prefix: String,
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: String,
    pub city: String,
    #[serde(default)]
    pub state: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub contact_first_name: String,
    pub contact_last_name: String,
    /// Where the customer's admin is reached (their sign-in is admin@ the tenant domain).
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    /// en or zh-TW.
    pub language: String,
    /// The reseller gets the tenant's owner rights (needs `customer_agreed`).
    #[serde(default)]
    pub reseller_is_tenant_owner: bool,
    /// The customer agreed to delegate administration to the reseller: its grant is active at once.
    #[serde(default)]
    pub customer_agreed: bool,
    pub subscriptions: Vec<NewLine>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewLine {
    #[serde(deserialize_with = "super::id::de")]
    #[schema(value_type = String)]
    pub offer_id: i64,
    pub quantity: i64,
    /// P1M, P1Y or P3Y (with `billing`; the offer's first plan when both are left out).
    pub term: Option<String>,
    /// monthly, annual or one_time.
    pub billing: Option<String>,
    #[serde(default = "yes")]
    pub auto_renew: bool,
    /// End the term on the last day of a calendar month (the first period is prorated).
    #[serde(default)]
    pub align_month_end: bool,
}

fn yes() -> bool {
    true
}

/// What `POST /customers` made.
#[derive(Serialize, ToSchema)]
pub struct CreatedCustomer {
    pub customer: CustomerDetails,
    pub order: PlacedOrder,
    pub admin: CustomerAdmin,
}

#[derive(Serialize, ToSchema)]
pub struct PlacedOrder {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub id: i64,
    /// ORD-000123.
    pub reference: String,
    pub total_minor: i64,
    /// The order waits for the provider's review (the reseller's credit): no subscriptions yet.
    pub pending_review: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerAdmin {
    pub email: String,
    /// The admin's temporary password: in the first answer only (a replay leaves it out; reset it
    /// on the customer's page if it was lost).
    pub temporary_password: Option<String>,
}

impl NewCustomer {
    /// As the wizard keeps it, and where each line's fields are in the body.
    fn wizard_data(&self) -> (WizardData, BTreeMap<i64, usize>) {
        let mut quantities = BTreeMap::new();
        let mut plans = BTreeMap::new();
        let mut no_auto_renew = BTreeSet::new();
        let mut month_end = BTreeSet::new();
        let mut index = BTreeMap::new();
        for (i, line) in self.subscriptions.iter().enumerate() {
            index.entry(line.offer_id).or_insert(i);
            quantities.insert(line.offer_id, line.quantity.to_string());
            if let (Some(term), Some(billing)) = (&line.term, &line.billing) {
                plans.insert(line.offer_id, format!("{term}:{billing}"));
            } else if line.term.is_some() || line.billing.is_some() {
                plans.insert(line.offer_id, "-".to_owned());
            }
            if !line.auto_renew {
                no_auto_renew.insert(line.offer_id);
            }
            if line.align_month_end {
                month_end.insert(line.offer_id);
            }
        }
        let flag = |b: bool| b.then(|| "on".to_owned());
        let account = AccountFields {
            reseller: self.reseller_id.map(|r| r.to_string()).unwrap_or_default(),
            company_name: self.company_name.clone(),
            domain_prefix: self.domain_prefix.clone(),
            address_line1: self.address_line1.clone(),
            address_line2: self.address_line2.clone(),
            city: self.city.clone(),
            state: self.state.clone(),
            postal_code: self.postal_code.clone(),
            country: self.country.clone(),
            contact_first_name: self.contact_first_name.clone(),
            contact_last_name: self.contact_last_name.clone(),
            contact_email: self.contact_email.clone(),
            contact_phone: self.contact_phone.clone(),
            language: self.language.clone(),
            tenant_owner: flag(self.reseller_is_tenant_owner),
            customer_agreed: flag(self.customer_agreed),
        };
        (
            WizardData {
                account,
                account_done: true,
                quantities,
                plans,
                no_auto_renew,
                month_end,
                lines_done: true,
            },
            index,
        )
    }
}

/// The body's name for a field the wizard's checks named.
fn body_field(field: &str, lines: &BTreeMap<i64, usize>) -> String {
    let line = |rest: &str, name: &str| {
        rest.parse::<i64>()
            .ok()
            .and_then(|offer| lines.get(&offer))
            .map(|i| format!("subscriptions[{i}].{name}"))
    };
    if let Some(rest) = field.strip_prefix("qty_")
        && let Some(name) = line(rest, "quantity")
    {
        return name;
    }
    if let Some(rest) = field.strip_prefix("plan_")
        && let Some(name) = line(rest, "billing")
    {
        return name;
    }
    match field {
        "lines" => "subscriptions".to_owned(),
        "reseller" => "reseller_id".to_owned(),
        "tenant_owner" => "reseller_is_tenant_owner".to_owned(),
        "email" => "contact_email".to_owned(),
        "phone" => "contact_phone".to_owned(),
        other => other.to_owned(),
    }
}

/// Creates a customer with its admin account and subscriptions, placed as one order.
#[utoipa::path(post, path = "/api/v1/customers", tag = "Customers",
    params(("Idempotency-Key" = String, Header, description = "A new key for each new request")),
    request_body = NewCustomer,
    responses((status = 201, body = CreatedCustomer), (status = 422, body = Problem)))]
pub async fn create(
    req: HttpRequest,
    caller: Api<ProviderStaff, can::Sell>,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let tr = caller.tr();
    idempotency::once(&req, &state, caller.token.id, &body, || async {
        let new: NewCustomer = super::parse_body(&body)?;
        let (data, lines) = new.wizard_data();
        let mut duplicates = Vec::new();
        for (i, line) in new.subscriptions.iter().enumerate() {
            if lines.get(&line.offer_id) != Some(&i) {
                duplicates.push((
                    format!("subscriptions[{i}].offer_id"),
                    "api.duplicate_offer",
                ));
            }
        }
        if !duplicates.is_empty() {
            return Err(Problem::invalid(tr, duplicates));
        }
        let provider = caller.provider_id();
        let placed = direct::place(
            &state.db,
            DirectOrder {
                provider,
                provider_name: caller.partner_name().unwrap_or_default().to_owned(),
                user_id: caller.user.id,
                suffix: state.config.tenant_domain_suffix.clone(),
                data,
                now: state.now(),
                base_url: state.base_url.clone(),
                idempotency_key: idempotency::order_key(&req, caller.token.id),
            },
        )
        .await
        .map_err(|err| match err {
            DirectError::Invalid(errors) => Problem::invalid(
                tr,
                errors.entries().map(|(f, k)| (body_field(f, &lines), k)),
            ),
            DirectError::Db(err) => err.into(),
        })?;
        state.wake_outbox();
        let id = placed.placed.customer_id;
        let order = &placed.placed.order;
        let made = |password: Option<String>| {
            let customer = details(&state, provider, id);
            async move {
                let customer = customer.await?;
                let email = format!("admin@{}", customer.domain);
                Ok::<_, Problem>(CreatedCustomer {
                    customer,
                    order: PlacedOrder {
                        id: order.id,
                        reference: order.reference(),
                        total_minor: order.total,
                        pending_review: placed.placed.held,
                    },
                    admin: CustomerAdmin {
                        email,
                        temporary_password: password,
                    },
                })
            }
        };
        let shown = made(placed.temporary_password.clone()).await?;
        let kept = made(None).await?;
        let location = format!("/api/v1/customers/{id}");
        Ok(Answer::created(&shown, location).keep(&kept))
    })
    .await
}
