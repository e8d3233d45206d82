//! Step 2, New subscription: the offer catalog with a number of licenses per offer. Back keeps what was
//! typed; Next: Review checks each number against its offer's limits and wants at least one.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{closed_destination, load, step_path};
use crate::auth::{ProviderStaff, Signed, can};
use crate::db::models::offer::{Offer, OfferPrice};
use crate::domain::ProviderId;
use crate::domain::lifecycle::Plan;
use crate::error::AppResult;
use crate::routes::see_other;
use crate::services::new_customer::wizard::{self, LinesInput};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "customers/wizard/subscriptions.html")]
pub struct SubscriptionsPage {
    pub ctx: Ctx,
    pub draft_id: i64,
    pub offers: Vec<Offer>,
    pub prices: Vec<OfferPrice>,
    pub input: LinesInput,
    pub errors: FormErrors,
}

impl SubscriptionsPage {
    pub fn step(&self) -> u8 {
        2
    }

    pub fn quantity(&self, offer_id: &i64) -> &str {
        self.input
            .quantities
            .get(offer_id)
            .map_or("", String::as_str)
    }

    pub fn field(&self, offer_id: &i64) -> String {
        format!("qty_{offer_id}")
    }

    /// The offer's plans with their prices, as the select offers them.
    pub fn plans(&self, offer: &Offer) -> Vec<(String, String)> {
        self.prices
            .iter()
            .filter(|p| p.offer_id == offer.id)
            .map(|p| {
                let plan = Plan::new(p.term, p.billing);
                let label = format!(
                    "{} — {}",
                    self.ctx.plan_label(&plan),
                    self.ctx.money(p.unit_price_minor, &offer.currency)
                );
                (plan.value(), label)
            })
            .collect()
    }

    pub fn plan_chosen(&self, offer_id: &i64, value: &str) -> bool {
        self.input.plans.get(offer_id).is_some_and(|p| p == value)
    }

    pub fn auto_renew(&self, offer_id: &i64) -> bool {
        !self.input.no_auto_renew.contains(offer_id)
    }

    pub fn month_end(&self, offer_id: &i64) -> bool {
        self.input.month_end.contains(offer_id)
    }
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    (draft_id, provider, reseller): (i64, ProviderId, Option<i64>),
    input: LinesInput,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let now = state.now();
    let (offers, prices) = state
        .db
        .query(move |conn| wizard::catalog(conn, provider, reseller, now))
        .await?;
    let page = SubscriptionsPage {
        ctx: Ctx::build(req).await?,
        draft_id,
        offers,
        prices,
        input,
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
    let (draft, data) = load(&state, user.id, path.into_inner()).await?;
    if let Some(to) = closed_destination(&draft) {
        return Ok(see_other(&to));
    }
    if !data.account_done {
        return Ok(see_other(&step_path(draft.id, "")));
    }
    let key = (draft.id, user.provider_id(), data.reseller_id());
    render(&req, &state, key, data.lines_input(), FormErrors::new()).await
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let (draft, data) = load(&state, user.id, path.into_inner()).await?;
    if let Some(to) = closed_destination(&draft) {
        return Ok(see_other(&to));
    }
    let mut input = LinesInput::default();
    let mut malformed = false;
    let mut back = false;
    // Auto-renew is a checkbox: unchecked sends nothing, so each row sends `renew_shown_{id}`.
    let mut renew_shown = Vec::new();
    let mut renew_on = Vec::new();
    for (name, value) in form.into_inner() {
        if name == "nav" {
            back = value == "back";
            continue;
        }
        let Some((field, id)) = ["qty_", "plan_", "renew_shown_", "renew_", "month_end_"]
            .iter()
            .find_map(|p| name.strip_prefix(p).map(|id| (*p, id)))
        else {
            continue;
        };
        let Ok(id) = id.parse::<i64>() else {
            malformed = true;
            continue;
        };
        match field {
            "qty_" => {
                input
                    .quantities
                    .insert(id, value.chars().take(20).collect());
            }
            "plan_" => {
                input.plans.insert(id, value.chars().take(20).collect());
            }
            "renew_shown_" => renew_shown.push(id),
            "renew_" => renew_on.push(id),
            _ => {
                input.month_end.insert(id);
            }
        }
    }
    input.no_auto_renew = renew_shown
        .into_iter()
        .filter(|id| !renew_on.contains(id))
        .collect();
    let typed = input.clone();
    let key = (draft.id, user.provider_id(), data.reseller_id());
    let errors = wizard::save_lines(&state.db, &draft, data, input, malformed).await?;
    if back {
        return Ok(see_other(&step_path(draft.id, "")));
    }
    if !errors.is_empty() {
        return render(&req, &state, key, typed, errors).await;
    }
    Ok(see_other(&step_path(draft.id, "review")))
}
