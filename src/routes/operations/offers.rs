//! The offer catalog: every offer by name (retired ones marked), add, edit, retire and bring back. A
//! retired offer cannot be ordered but stays on the subscriptions that have it. Prices are typed as
//! decimals and kept in minor units.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, OperatorStaff, Signed, can};
use crate::db::models::offer::{Offer, OfferPrice};
use crate::domain::lifecycle::PAIRS;
use crate::domain::{Billing, Term, decimal, parse_money, parse_quantity};
use crate::error::AppResult;
use crate::pagination::{PER_PAGE, Page, PageQuery};
use crate::routes::see_other;
use crate::services::offer_catalog::{self, CatalogError, OfferInput};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "operations/offers/list.html")]
pub struct OffersPage {
    pub ctx: Ctx,
    pub offers: Page<Offer>,
}

pub async fn list(
    ctx: Ctx,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> AppResult<OffersPage> {
    let seek = query.seek::<(String, i64)>();
    let offers = state
        .db
        .query(move |conn| Offer::page(conn, &seek, PER_PAGE))
        .await?;
    Ok(OffersPage { ctx, offers })
}

/// The offer form as typed.
#[derive(Deserialize, Clone, Default)]
pub struct OfferForm {
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub min_licenses: String,
    #[serde(default)]
    pub max_licenses: String,
    #[serde(default)]
    pub family: String,
    #[serde(default)]
    pub name_zh_tw: String,
    #[serde(default)]
    pub description_zh_tw: String,
    /// `price_P1Y_annual` per (term, billing) pair (blank: not sold in it), and `upgrade_{id}` for
    /// each offer it may be upgraded to.
    #[serde(flatten)]
    pub rest: std::collections::BTreeMap<String, String>,
}

/// The form field of a pair's price.
pub fn price_field(term: Term, billing: Billing) -> String {
    format!("price_{}_{}", term.as_str(), billing.as_str())
}

impl OfferForm {
    fn of(offer: &Offer) -> Self {
        Self {
            sku: offer.sku.clone(),
            name: offer.name.clone(),
            description: offer.description.clone(),
            currency: offer.currency.clone(),
            min_licenses: offer.min_licenses.to_string(),
            max_licenses: offer.max_licenses.to_string(),
            family: offer.family.clone(),
            name_zh_tw: offer.name_zh_tw.clone(),
            description_zh_tw: offer.description_zh_tw.clone(),
            rest: Default::default(),
        }
    }

    /// With the offer's prices and upgrade path filled in.
    fn with(mut self, prices: &[OfferPrice], upgrades: &[i64]) -> Self {
        for p in prices {
            self.rest
                .insert(price_field(p.term, p.billing), decimal(p.unit_price_minor));
        }
        for u in upgrades {
            self.rest.insert(format!("upgrade_{u}"), "on".into());
        }
        self
    }

    /// What was typed as a pair's price.
    pub fn price(&self, term: &Term, billing: &Billing) -> &str {
        self.rest
            .get(&price_field(*term, *billing))
            .map_or("", String::as_str)
    }

    pub fn upgrades_to(&self, id: &i64) -> bool {
        self.rest.contains_key(&format!("upgrade_{id}"))
    }
}

/// The offer as typed, checked: a message per field, the values kept in the form.
fn check(form: &OfferForm, new: bool, errors: &mut FormErrors) -> Option<OfferInput> {
    if new {
        errors.text("sku", &form.sku, 64);
        if !form
            .sku
            .trim()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            errors.add("sku", "operations.offers.sku_format");
        }
    }
    let name = errors.text("name", &form.name, 200);
    let description = errors.optional_text("description", &form.description, 2000);
    let mut prices = Vec::new();
    for (term, billing) in PAIRS {
        let raw = form.price(&term, &billing);
        if raw.trim().is_empty() {
            continue;
        }
        if let Some(p) = errors.check_named(&price_field(term, billing), parse_money(raw)) {
            prices.push((term, billing, p));
        }
    }
    if prices.is_empty() && errors.is_empty() {
        errors.add("unit_price", "operations.offers.no_prices");
    }
    let currency = form.currency.trim();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        errors.add("currency", "operations.offers.currency_format");
    }
    let family = errors.optional_text("family", &form.family, 100);
    let name_zh_tw = errors.optional_text("name_zh_tw", &form.name_zh_tw, 200);
    let description_zh_tw =
        errors.optional_text("description_zh_tw", &form.description_zh_tw, 2000);
    let upgrades: Vec<i64> = form
        .rest
        .keys()
        .filter_map(|k| k.strip_prefix("upgrade_")?.parse().ok())
        .collect();
    // The list price: the first pair's (a month billed monthly, usually).
    let list = prices.first().map(|(_, b, p)| {
        (
            *p,
            if *b == Billing::Monthly {
                Billing::Monthly
            } else {
                Billing::Annual
            },
        )
    });
    let min = errors.check(
        "min_licenses",
        parse_quantity(&form.min_licenses, 1, 1_000_000),
    );
    let max = errors.check(
        "max_licenses",
        parse_quantity(&form.max_licenses, 1, 1_000_000),
    );
    if let (Some(min), Some(max)) = (min, max)
        && max < min
    {
        errors.add("max_licenses", "operations.offers.max_below_min");
    }
    match (list, min, max, errors.is_empty()) {
        (Some((unit_price_minor, billing)), Some(min_licenses), Some(max_licenses), true) => {
            Some(OfferInput {
                sku: form.sku.trim().to_owned(),
                name,
                description,
                unit_price_minor,
                currency: currency.to_owned(),
                billing,
                min_licenses,
                max_licenses,
                family,
                prices,
                upgrades,
                name_zh_tw,
                description_zh_tw,
            })
        }
        _ => None,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "operations/offers/form.html")]
pub struct OfferFormPage {
    pub ctx: Ctx,
    /// The offer being edited; none when adding one.
    pub offer: Option<Offer>,
    pub form: OfferForm,
    pub errors: FormErrors,
    /// The other offers, for Upgrades to.
    pub others: Vec<Offer>,
}

impl OfferFormPage {
    pub fn pairs(&self) -> Vec<(Term, Billing)> {
        PAIRS.to_vec()
    }

    pub fn price_field(&self, term: &Term, billing: &Billing) -> String {
        price_field(*term, *billing)
    }

    pub fn action(&self) -> String {
        self.offer.as_ref().map_or_else(
            || "/operations/offers/new".to_owned(),
            |o| format!("/operations/offers/{}", o.id),
        )
    }
}

/// The offers an offer may name in Upgrades to (all but itself).
async fn others(state: &AppState, except: Option<i64>) -> AppResult<Vec<Offer>> {
    let all = state.db.query(Offer::orderable).await?;
    Ok(all.into_iter().filter(|o| Some(o.id) != except).collect())
}

pub async fn new_form(
    ctx: Ctx,
    _user: Signed<OperatorStaff, can::Admin>,
    state: web::Data<AppState>,
) -> AppResult<OfferFormPage> {
    Ok(OfferFormPage {
        ctx,
        offer: None,
        form: OfferForm {
            currency: "USD".into(),
            min_licenses: "1".into(),
            max_licenses: "300".into(),
            ..OfferForm::default()
        },
        errors: FormErrors::new(),
        others: others(&state, None).await?,
    })
}

async fn form_again(
    req: &HttpRequest,
    state: &AppState,
    offer: Option<Offer>,
    form: OfferForm,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let page = OfferFormPage {
        ctx: Ctx::build(req).await?,
        others: others(state, offer.as_ref().map(|o| o.id)).await?,
        offer,
        form,
        errors,
    };
    Ok(crate::routes::form_page(req, page, true))
}

pub async fn create(
    req: HttpRequest,
    user: Signed<OperatorStaff, can::Admin>,
    state: web::Data<AppState>,
    session: AppSession,
    form: web::Form<OfferForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let mut errors = FormErrors::new();
    let Some(offer) = check(&form, true, &mut errors) else {
        return form_again(&req, &state, None, form, errors).await;
    };
    match offer_catalog::add(&state.db, user.id, offer).await {
        Ok(_) => {}
        Err(CatalogError::SkuTaken) => {
            errors.add("sku", "operations.offers.sku_taken");
            return form_again(&req, &state, None, form, errors).await;
        }
        Err(CatalogError::OtherCurrency) => {
            errors.add("currency", "operations.offers.one_currency");
            return form_again(&req, &state, None, form, errors).await;
        }
        Err(err) => return Err(err.into()),
    }
    session.flash(FlashKind::Success, "operations.offers.created")?;
    Ok(see_other("/operations/offers"))
}

pub async fn edit_form(
    ctx: Ctx,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<OfferFormPage> {
    let id = path.into_inner();
    let (offer, prices, upgrades) = state
        .db
        .query(move |conn| {
            Ok((
                Offer::find(conn, id)?,
                Offer::prices_of(conn, &[id])?,
                Offer::upgrade_ids(conn, id)?,
            ))
        })
        .await?;
    Ok(OfferFormPage {
        ctx,
        form: OfferForm::of(&offer).with(&prices, &upgrades),
        others: others(&state, Some(id)).await?,
        offer: Some(offer),
        errors: FormErrors::new(),
    })
}

pub async fn update(
    req: HttpRequest,
    user: Signed<OperatorStaff, can::Admin>,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<i64>,
    form: web::Form<OfferForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let offer = state.db.query(move |conn| Offer::find(conn, id)).await?;
    let mut form = form.into_inner();
    form.sku = offer.sku.clone();
    let mut errors = FormErrors::new();
    let Some(input) = check(&form, false, &mut errors) else {
        return form_again(&req, &state, Some(offer), form, errors).await;
    };
    match offer_catalog::change(&state.db, user.id, id, input).await {
        Ok(()) => {}
        Err(CatalogError::OtherCurrency) => {
            errors.add("currency", "operations.offers.one_currency");
            return form_again(&req, &state, Some(offer), form, errors).await;
        }
        Err(err) => return Err(err.into()),
    }
    session.flash(FlashKind::Success, "operations.offers.updated")?;
    Ok(see_other("/operations/offers"))
}

pub async fn retire(
    user: Signed<OperatorStaff, can::Admin>,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    offer_catalog::set_retired(&state.db, user.id, path.into_inner(), true).await?;
    session.flash(FlashKind::Success, "operations.offers.retired")?;
    Ok(see_other("/operations/offers"))
}

pub async fn restore(
    user: Signed<OperatorStaff, can::Admin>,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    offer_catalog::set_retired(&state.db, user.id, path.into_inner(), false).await?;
    session.flash(FlashKind::Success, "operations.offers.restored")?;
    Ok(see_other("/operations/offers"))
}
