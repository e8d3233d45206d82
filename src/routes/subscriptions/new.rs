//! New subscription for an existing customer: an offer, the number of licenses, and the indirect
//! reseller of record (for incentives; by default the customer's reseller). Review shows what will be
//! added, its price, and the customer's subscriptions to the same offer; Submit places an order and the
//! subscription appears in the customer's list.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, ProviderStaff, Signed, can};
use crate::db::models::customer::{Customer, ProviderCustomer};
use crate::db::models::offer::{Offer, OfferPrice};
use crate::db::models::partnership::Partnership;
use crate::domain::lifecycle::{PAIRS, Plan};
use crate::domain::{FormKey, ProviderId, parse_count};
use crate::error::AppResult;
use crate::routes::see_other;
use crate::services::new_subscription::{self, AddError, AddSubscription, Reviewed};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Deserialize, Default, Clone)]
pub struct NewForm {
    #[serde(default)]
    pub offer: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub reseller: String,
    /// Term and billing, `P1Y:annual`.
    #[serde(default)]
    pub plan: String,
    /// `on` when checked (the first showing checks it).
    #[serde(default)]
    pub auto_renew: String,
    /// `""`, `month_end`, or a subscription id.
    #[serde(default)]
    pub align: String,
    /// This showing of the form (see `FormKey`), kept when it comes back with errors.
    #[serde(default)]
    pub form_key: String,
    /// Submit on Review; without it the form goes to Review first.
    #[serde(default)]
    pub confirm: Option<String>,
    /// Edit on Review: the form again, as filled in.
    #[serde(default)]
    pub edit: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "subscriptions/review.html")]
pub struct ReviewPage {
    pub ctx: Ctx,
    pub customer: Customer,
    pub form: NewForm,
    pub reviewed: Reviewed,
}

#[derive(Template, WebTemplate)]
#[template(path = "subscriptions/new.html")]
pub struct NewPage {
    pub ctx: Ctx,
    pub customer: Customer,
    pub offers: Vec<Offer>,
    pub prices: Vec<OfferPrice>,
    /// The customer's subscriptions an end can be aligned with: (id, offer, end).
    pub align_choices: Vec<(i64, String, chrono::NaiveDateTime)>,
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
    let (customer, relation, offers, prices, resellers, align_choices) = state
        .db
        .read(move |conn| {
            let relation = ProviderCustomer::find(conn, provider, customer_id)?;
            let customer = Customer::find(conn, customer_id)?;
            let offers = Offer::orderable(conn)?;
            let ids: Vec<i64> = offers.iter().map(|o| o.id).collect();
            let prices = Offer::prices_of(conn, &ids)?;
            let resellers =
                Partnership::choices_for_provider(conn, provider, 200, relation.reseller_id)?;
            let align = new_subscription::align_choices(conn, provider, customer_id)?;
            Ok::<_, crate::db::DbError>((customer, relation, offers, prices, resellers, align))
        })
        .await?;
    let mut form = form.unwrap_or_else(|| NewForm {
        reseller: relation
            .reseller_id
            .filter(|id| resellers.iter().any(|(r, _)| r == id))
            .map(|id| id.to_string())
            .unwrap_or_default(),
        auto_renew: "on".into(),
        ..NewForm::default()
    });
    if FormKey::parse(&form.form_key).is_none() {
        form.form_key = FormKey::generate()?.as_str().to_owned();
    }
    let page = NewPage {
        ctx: Ctx::build(req).await?,
        customer,
        offers,
        prices,
        align_choices,
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
    user: Signed<ProviderStaff, can::Sell>,
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

impl NewPage {
    /// Every valid (term, billing) pair, as the plan select offers them.
    pub fn plans(&self) -> Vec<Plan> {
        PAIRS.iter().map(|(t, b)| Plan::new(*t, *b)).collect()
    }

    /// The plans an offer is sold in, for the select's filter (`static/js/plans.js`).
    pub fn plans_of(&self, offer: &i64) -> String {
        self.prices
            .iter()
            .filter(|p| p.offer_id == *offer)
            .map(|p| Plan::new(p.term, p.billing).value())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// An offer's prices in one line: `1 year, billed annually: $432.00 · …`.
    pub fn prices_line(&self, offer: &Offer) -> String {
        self.prices
            .iter()
            .filter(|p| p.offer_id == offer.id)
            .map(|p| {
                format!(
                    "{}: {}",
                    self.ctx.plan_label(&Plan::new(p.term, p.billing)),
                    self.ctx.money(p.unit_price_minor, &offer.currency)
                )
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

impl NewForm {
    /// The form parsed; the offer's limits and the reseller are checked by the use case.
    fn parse(&self) -> Result<(i64, i64, Option<i64>), FormErrors> {
        let mut errors = FormErrors::new();
        let offer = match self.offer.trim() {
            "" => {
                errors.add("offer", "validation.required");
                None
            }
            raw => raw.parse::<i64>().ok().or_else(|| {
                errors.add("offer", "wizard.offer_not_orderable");
                None
            }),
        };
        let quantity = errors.check("quantity", parse_count(&self.quantity));
        let reseller = match self.reseller.trim() {
            "" => Some(None),
            raw => raw.parse::<i64>().ok().map(Some).or_else(|| {
                errors.add("reseller", "wizard.reseller_not_partnered");
                None
            }),
        };
        match (offer, quantity, reseller) {
            (Some(offer), Some(quantity), Some(reseller)) if errors.is_empty() => {
                Ok((offer, quantity, reseller))
            }
            _ => Err(errors),
        }
    }
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
    form: web::Form<NewForm>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let customer_id = path.into_inner();
    let form = form.into_inner();
    if form.edit.is_some() {
        return render(
            &req,
            &state,
            provider,
            customer_id,
            Some(form),
            FormErrors::new(),
        )
        .await;
    }
    let added = match form.parse() {
        Err(errors) => Err(errors),
        Ok((offer_id, quantity, reseller)) => {
            let cmd = AddSubscription {
                provider,
                provider_name: user.partner_name().unwrap_or_default().to_owned(),
                user_id: user.id,
                customer_id,
                offer_id,
                quantity,
                reseller,
                plan: form.plan.clone(),
                auto_renew: form.auto_renew == "on",
                align: form.align.clone(),
                now: state.now(),
                form_key: FormKey::parse(&form.form_key),
                base_url: state.base_url.clone(),
            };
            if form.confirm.is_none() {
                // Review first: what will be added, and whether the customer has that offer already.
                return match new_subscription::review(&state.db, cmd).await {
                    Ok(reviewed) => {
                        let customer = state
                            .db
                            .query(move |conn| Customer::find(conn, customer_id))
                            .await?;
                        Ok(actix_web::Responder::respond_to(
                            ReviewPage {
                                ctx: Ctx::build(&req).await?,
                                customer,
                                form,
                                reviewed,
                            },
                            &req,
                        )
                        .map_into_boxed_body())
                    }
                    Err(AddError::Invalid(errors)) => {
                        render(&req, &state, provider, customer_id, Some(form), errors).await
                    }
                    Err(err) => Err(err.into()),
                };
            }
            match new_subscription::add(&state.db, cmd).await {
                Ok(added) => Ok(added),
                Err(AddError::Invalid(errors)) => Err(errors),
                Err(err) => return Err(err.into()),
            }
        }
    };
    match added {
        Ok(added) => {
            state.wake_outbox();
            session.flash(
                FlashKind::Success,
                match added {
                    new_subscription::Added::Subscription(_) => "subscriptions.added",
                    new_subscription::Added::PendingReview(_) => "orders.held_for_review",
                },
            )?;
            Ok(see_other(&format!("/customers/{customer_id}")))
        }
        Err(errors) => render(&req, &state, provider, customer_id, Some(form), errors).await,
    }
}
