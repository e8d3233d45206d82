//! New subscription for an existing customer: an offer, the number of licenses, and the indirect
//! reseller of record (for incentives; by default the customer's reseller). Submit places an order and
//! the subscription appears in the customer's list.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::actions::partnered;
use crate::auth::session::FlashKind;
use crate::auth::{AppSession, ProviderId, ProviderStaff, Signed};
use crate::db::models::activity::NewActivity;
use crate::db::models::customer::{Customer, ProviderCustomer};
use crate::db::models::offer::Offer;
use crate::db::models::order::{NewLine, NewOrder, Order};
use crate::db::models::partnership::Partnership;
use crate::db::models::stats::{Delta, ProviderStats};
use crate::db::models::subscription::{NewSubscription, Subscription};
use crate::db::models::user::User;
use crate::domain::parse_quantity;
use crate::email::{self, messages::SubscriptionAssigned};
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::routes::see_other;
use crate::startup::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Deserialize, Default, Clone)]
pub struct NewForm {
    #[serde(default)]
    pub offer: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub reseller: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "subscriptions/new.html")]
pub struct NewPage {
    pub ctx: Ctx,
    pub customer: Customer,
    pub offers: Vec<Offer>,
    pub resellers: Vec<(i64, String)>,
    pub form: NewForm,
    pub errors: FormErrors,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    provider: ProviderId,
    customer_id: i64,
    form: Option<NewForm>,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let (customer, relation, offers, resellers) = state
        .db
        .read(move |conn| {
            let relation = ProviderCustomer::find(conn, provider, customer_id)?;
            let customer = Customer::find(conn, customer_id)?;
            let offers = Offer::orderable(conn)?;
            let resellers =
                Partnership::choices_for_provider(conn, provider, 200, relation.reseller_id)?;
            Ok((customer, relation, offers, resellers))
        })
        .await?;
    let form = form.unwrap_or_else(|| NewForm {
        reseller: relation
            .reseller_id
            .filter(|id| resellers.iter().any(|(r, _)| r == id))
            .map(|id| id.to_string())
            .unwrap_or_default(),
        ..NewForm::default()
    });
    let page = NewPage {
        ctx: Ctx::build(req).await?,
        customer,
        offers,
        resellers,
        form,
        errors,
    };
    let has_errors = !page.errors.is_empty();
    Ok(crate::routes::form_page(req, page, has_errors))
}

pub async fn form(
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
        None,
        FormErrors::new(),
    )
    .await
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
    form: web::Form<NewForm>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let customer_id = path.into_inner();
    let form = form.into_inner();
    let user_id = user.id;
    let provider_name = user.partner_name().unwrap_or_default().to_owned();
    let checked = form.clone();
    let result = state
        .db
        .write(move |conn| {
            let relation = ProviderCustomer::find(conn, provider, customer_id)?;
            let mut errors = FormErrors::new();
            let offer = match checked.offer.trim().parse::<i64>() {
                Ok(id) => Offer::orderable_by_ids(conn, &[id])?.pop(),
                Err(_) => None,
            };
            if offer.is_none() {
                errors.add(
                    "offer",
                    if checked.offer.trim().is_empty() {
                        "validation.required"
                    } else {
                        "wizard.offer_not_orderable"
                    },
                );
            }
            let quantity = offer.as_ref().and_then(|o| {
                errors.check(
                    "quantity",
                    parse_quantity(&checked.quantity, o.min_licenses, o.max_licenses),
                )
            });
            let reseller = match partnered(conn, provider, &checked.reseller, true)? {
                Ok(r) => r,
                Err(key) => {
                    errors.add("reseller", key);
                    None
                }
            };
            let (Some(offer), Some(quantity)) = (offer, quantity) else {
                return Ok(Err(errors));
            };
            if !errors.is_empty() {
                return Ok(Err(errors));
            }
            let subscription_id = Subscription::create(
                conn,
                &NewSubscription {
                    provider_id: provider.get(),
                    customer_id,
                    offer_id: offer.id,
                    quantity,
                    reseller_of_record_id: reseller,
                    support_contact_id: provider.get(),
                },
            )?;
            let placed = Order::create(
                conn,
                &NewOrder {
                    provider_id: provider.get(),
                    customer_id,
                    reseller_id: reseller,
                    placed_by_user_id: user_id,
                    placed_by_partner_id: Some(provider.get()),
                    kind: "new_subscription",
                    currency: &offer.currency,
                    idempotency_key: None,
                },
                &[NewLine {
                    offer_id: offer.id,
                    subscription_id: Some(subscription_id),
                    quantity,
                    previous_quantity: None,
                    unit_price_minor: offer.unit_price_minor,
                }],
            )?;
            ProviderCustomer::add_subscriptions(conn, provider.get(), customer_id, 1)?;
            ProviderStats::bump(
                conn,
                provider.get(),
                Delta {
                    subscriptions: 1,
                    licenses: i64::from(quantity),
                    ..Delta::default()
                },
            )?;
            if let Some(r) = reseller {
                Partnership::bump_counts(conn, provider.get(), r, 0, i64::from(quantity))?;
            }
            NewActivity::new(
                "subscription.created",
                "subscription",
                Some(subscription_id),
            )
            .by(user_id, Some(provider.get()))
            .provider(Some(provider.get()))
            .reseller(reseller)
            .customer(Some(customer_id))
            .change(
                None,
                Some(format!(
                    "{} × {quantity} ({})",
                    offer.name,
                    placed.reference()
                )),
            )
            .record(conn)?;
            if let Some(r) = reseller {
                for to in User::of_partner(conn, r)? {
                    let message = SubscriptionAssigned {
                        tr: Tr(to.locale().unwrap_or_default()),
                        name: to.display_name.clone(),
                        provider: provider_name.clone(),
                        company: relation.company_name.clone(),
                        offer: offer.name.clone(),
                        support: false,
                    };
                    email::queue(conn, &to.email, &message)?;
                }
            }
            Ok(Ok(subscription_id))
        })
        .await?;
    match result {
        Ok(_) => {
            state.wake_outbox();
            session.flash(FlashKind::Success, "subscriptions.added")?;
            Ok(see_other(&format!("/customers/{customer_id}")))
        }
        Err(errors) => render(&req, &state, provider, customer_id, Some(form), errors).await,
    }
}
