//! Subscriptions: adding one to a customer (New subscription), and the subscription detail page with
//! Change quantity (an order), Suspend / Reactivate, the reseller of record (incentives) and the
//! Designated support contact. Providers do all of it; a reseller with delegated administration of the
//! customer changes quantity and status on the customer's behalf (the `reseller` routes share these
//! forms). The changes are `services::subscription_change`'s.

pub mod new;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, ProviderStaff, Signed};
use crate::db::models::partnership::Partnership;
use crate::db::models::subscription::{Scope, Subscription, SubscriptionDetail};
use crate::domain::{SubscriptionStatus, parse_count};
use crate::error::AppResult;
use crate::routes::see_other;
use crate::services::subscription_change::{self, Actor, Change, ChangeError, Parsed};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "subscriptions/show.html")]
pub struct SubscriptionPage {
    pub ctx: Ctx,
    pub detail: SubscriptionDetail,
    /// Where the forms post: `/subscriptions/{id}` or `/reseller/subscriptions/{id}`.
    pub base: String,
    /// May change quantity and status (the provider, or a reseller administering the customer).
    pub can_administer: bool,
    /// May choose the reseller of record and the support contact (the provider only).
    pub can_delegate: bool,
    pub resellers: Vec<(i64, String)>,
    pub quantity: String,
    pub errors: FormErrors,
}

impl SubscriptionPage {
    pub fn is_active(&self) -> bool {
        self.detail.subscription.status == SubscriptionStatus::Active
    }

    pub fn is_ror(&self, id: &i64) -> bool {
        self.detail.subscription.reseller_of_record_id == Some(*id)
    }

    pub fn is_support(&self, id: &i64) -> bool {
        self.detail.subscription.support_contact_id == *id
    }
}

/// Renders the detail page for whoever may see it; `errors` make it a 422.
pub async fn render(
    req: &HttpRequest,
    state: &AppState,
    scope: Scope,
    id: i64,
    base: String,
    quantity: Option<String>,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let reseller_scope = match &scope {
        Scope::Reseller(r) => Some(r.get()),
        _ => None,
    };
    let (detail, resellers, can_administer) = state
        .db
        .query(move |conn| {
            let detail = Subscription::find_in(conn, &scope, id)?;
            let (resellers, can_administer) = match (&scope, reseller_scope) {
                (Scope::Provider(p), _) => (
                    Partnership::choices_for_provider(conn, *p, 200, None)?,
                    true,
                ),
                (Scope::Reseller(_), Some(r)) => (
                    Vec::new(),
                    Subscription::administered_by(conn, &detail.subscription, r)?,
                ),
                _ => (Vec::new(), false),
            };
            Ok((detail, resellers, can_administer))
        })
        .await?;
    let can_delegate = !base.starts_with("/reseller");
    let page = SubscriptionPage {
        ctx: Ctx::build(req).await?,
        quantity: quantity.unwrap_or_else(|| detail.subscription.quantity.to_string()),
        detail,
        base,
        can_administer,
        can_delegate,
        resellers,
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
    let id = path.into_inner();
    render(
        &req,
        &state,
        Scope::Provider(user.provider_id()),
        id,
        format!("/subscriptions/{id}"),
        None,
        FormErrors::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct QuantityForm {
    #[serde(default)]
    pub quantity: String,
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    pub status: String,
}

#[derive(Deserialize)]
pub struct PartnerForm {
    #[serde(default)]
    pub partner: String,
}

impl QuantityForm {
    pub fn parse(&self) -> Parsed {
        parse_count(&self.quantity)
            .map(Change::Quantity)
            .map_err(|key| ("quantity", key))
    }
}

impl StatusForm {
    pub fn parse(&self) -> Parsed {
        SubscriptionStatus::parse(&self.status)
            .map(Change::Status)
            .ok_or(("status", "validation.invalid"))
    }
}

impl PartnerForm {
    /// A reseller of record: empty for none.
    pub fn reseller_of_record(&self) -> Parsed {
        match self.partner.trim() {
            "" => Ok(Change::ResellerOfRecord(None)),
            raw => raw
                .parse::<i64>()
                .map(|id| Change::ResellerOfRecord(Some(id)))
                .map_err(|_| ("reseller_of_record", "wizard.reseller_not_partnered")),
        }
    }

    pub fn support_contact(&self) -> Parsed {
        self.partner
            .trim()
            .parse::<i64>()
            .map(Change::SupportContact)
            .map_err(|_| ("support_contact", "subscriptions.support_contact_invalid"))
    }
}

/// Applies a change and answers: back to `base` with the flash message, or the page again (422) with
/// the field's message and what was typed.
#[allow(clippy::too_many_arguments)]
pub async fn change_and_answer(
    req: &HttpRequest,
    state: &AppState,
    session: &AppSession,
    scope: Scope,
    id: i64,
    base: String,
    actor: Actor,
    change: Parsed,
    typed: Option<String>,
) -> AppResult<HttpResponse> {
    let (field, key) = match subscription_change::apply(&state.db, scope, id, actor, change).await {
        Ok(key) => {
            state.wake_outbox();
            session.flash(FlashKind::Success, key)?;
            return Ok(see_other(&base));
        }
        Err(ChangeError::Refused { field, key }) => (field, key),
        Err(err) => return Err(err.into()),
    };
    let mut errors = FormErrors::new();
    errors.add(field, key);
    render(req, state, scope, id, base, typed, errors).await
}

/// A change made by the provider on its own subscription.
async fn provider_change(
    req: &HttpRequest,
    state: &AppState,
    session: &AppSession,
    user: &Signed<ProviderStaff>,
    id: i64,
    change: Parsed,
    typed: Option<String>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let actor = Actor::provider(user.id, provider, user.partner_name().unwrap_or_default());
    let base = format!("/subscriptions/{id}");
    change_and_answer(
        req,
        state,
        session,
        Scope::Provider(provider),
        id,
        base,
        actor,
        change,
        typed,
    )
    .await
}

pub async fn change_quantity(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
    form: web::Form<QuantityForm>,
) -> AppResult<HttpResponse> {
    let typed = Some(form.quantity.clone());
    provider_change(
        &req,
        &state,
        &session,
        &user,
        path.into_inner(),
        form.parse(),
        typed,
    )
    .await
}

pub async fn change_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
    form: web::Form<StatusForm>,
) -> AppResult<HttpResponse> {
    provider_change(
        &req,
        &state,
        &session,
        &user,
        path.into_inner(),
        form.parse(),
        None,
    )
    .await
}

pub async fn change_reseller_of_record(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
    form: web::Form<PartnerForm>,
) -> AppResult<HttpResponse> {
    let change = form.reseller_of_record();
    provider_change(
        &req,
        &state,
        &session,
        &user,
        path.into_inner(),
        change,
        None,
    )
    .await
}

pub async fn change_support_contact(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
    form: web::Form<PartnerForm>,
) -> AppResult<HttpResponse> {
    let change = form.support_contact();
    provider_change(
        &req,
        &state,
        &session,
        &user,
        path.into_inner(),
        change,
        None,
    )
    .await
}
