//! Subscriptions: adding one to a customer (New subscription), and the subscription detail page with
//! Change quantity (an order), Suspend / Reactivate, the reseller of record (incentives) and the
//! Designated support contact. Providers do all of it; a reseller with delegated administration of the
//! customer changes quantity and status on the customer's behalf (the `reseller` routes share these
//! forms). The changes are `services::subscription_change`'s.

pub mod new;
pub mod suspended;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, Permission, ProviderStaff, Signed, can};
use crate::db::models::lifecycle::ChangeSpec;
use crate::db::models::partnership::Partnership;
use crate::db::models::subscription::{Scope, Subscription, SubscriptionDetail};
use crate::domain::lifecycle::Plan;
use crate::domain::{Billing, SubscriptionStatus, parse_count};
use crate::error::AppResult;
use crate::routes::see_other;
use crate::services::subscription_change::{self, Actor, Change, ChangeError, Parsed, Preview};
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
    /// The resellers that may be the designated support contact (related to the customer).
    pub support_choices: Vec<(i64, String)>,
    pub quantity: String,
    pub errors: FormErrors,
    pub life: subscription_change::Lifecycle,
}

impl SubscriptionPage {
    pub fn is_active(&self) -> bool {
        self.detail.subscription.status == SubscriptionStatus::Active
    }

    pub fn is_live(&self) -> bool {
        self.detail.subscription.status.is_live()
    }

    pub fn plan(&self) -> Plan {
        Plan::new(
            self.detail.subscription.term,
            self.detail.subscription.billing,
        )
    }

    /// Another subscription's page beside this one (`/subscriptions/{id}` or the reseller's).
    pub fn sibling(&self, id: &i64) -> String {
        match self.base.rsplit_once('/') {
            Some((prefix, _)) => format!("{prefix}/{id}"),
            None => self.base.clone(),
        }
    }

    pub fn status_key(&self) -> &'static str {
        self.detail.subscription.status.label_key()
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
    let now = state.now();
    let (detail, resellers, support_choices, can_administer, life) = state
        .db
        .read(move |conn| {
            let detail = Subscription::find_in(conn, &scope, id, now)?;
            let life = subscription_change::lifecycle(conn, &detail, now)?;
            let (resellers, support_choices, can_administer) = match (&scope, reseller_scope) {
                (Scope::Provider(p), _) => {
                    let resellers = Partnership::choices_for_provider(conn, *p, 200, None)?;
                    let related =
                        subscription_change::support_choices(conn, *p, &detail.subscription, now)?;
                    let support = resellers
                        .iter()
                        .filter(|(id, _)| related.contains(id))
                        .cloned()
                        .collect();
                    (resellers, support, true)
                }
                (Scope::Reseller(_), Some(r)) => (
                    Vec::new(),
                    Vec::new(),
                    Subscription::administered_by(conn, &detail.subscription, r, now)?,
                ),
                _ => (Vec::new(), Vec::new(), false),
            };
            Ok::<_, crate::db::DbError>((detail, resellers, support_choices, can_administer, life))
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
        support_choices,
        errors,
        life,
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
    /// Sent by the confirmation step's Confirm; without it the change is shown first.
    #[serde(default)]
    pub confirm: Option<String>,
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    pub status: String,
    /// Why a subscription is suspended (asked for on the confirmation step, logged).
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub confirm: Option<String>,
}

/// Whether a change was confirmed on its confirmation step, or that step is still to be shown (with
/// a message when Confirm came without what it needs).
pub enum Confirmation {
    Ask,
    Confirmed,
    Incomplete(FormErrors),
}

impl QuantityForm {
    pub fn confirmation(&self) -> Confirmation {
        match self.confirm {
            Some(_) => Confirmation::Confirmed,
            None => Confirmation::Ask,
        }
    }
}

impl StatusForm {
    /// A suspension needs its reason (at most 500 characters).
    pub fn confirmation(&self) -> Confirmation {
        if self.confirm.is_none() {
            return Confirmation::Ask;
        }
        if self.status == SubscriptionStatus::Suspended.as_str() {
            let mut errors = FormErrors::new();
            errors.text("reason", &self.reason, 500);
            if !errors.is_empty() {
                return Confirmation::Incomplete(errors);
            }
        }
        Confirmation::Confirmed
    }
}

/// The lifecycle's buttons: `action` says which, with what it needs.
#[derive(Deserialize)]
pub struct LifecycleForm {
    #[serde(default)]
    pub action: String,
    /// A scheduled change's licenses (blank: unchanged).
    #[serde(default)]
    pub quantity: String,
    /// A scheduled change's term and billing, `P1Y:annual` (blank: unchanged).
    #[serde(default)]
    pub plan: String,
    /// A scheduled change's or an upgrade's offer (blank: unchanged).
    #[serde(default)]
    pub offer: String,
    #[serde(default)]
    pub confirm: Option<String>,
}

impl LifecycleForm {
    pub fn parse(&self) -> Parsed {
        match self.action.as_str() {
            "cancel" => Ok(Change::Cancel),
            "auto_renew_on" => Ok(Change::AutoRenew(true)),
            "auto_renew_off" => Ok(Change::AutoRenew(false)),
            "cancel_scheduled" => Ok(Change::CancelScheduled),
            "upgrade" => self
                .offer
                .trim()
                .parse::<i64>()
                .map(Change::Upgrade)
                .map_err(|_| ("upgrade", "lifecycle.offer_not_on_path")),
            "schedule" => {
                let quantity = match self.quantity.trim() {
                    "" => None,
                    raw => Some(
                        parse_count(raw)
                            .ok()
                            .and_then(|n| i32::try_from(n).ok())
                            .ok_or(("schedule_quantity", "validation.quantity_number"))?,
                    ),
                };
                let plan = match self.plan.trim() {
                    "" => None,
                    raw => Some(
                        Plan::parse(raw).ok_or(("schedule_billing", "lifecycle.pair_not_sold"))?,
                    ),
                };
                let offer_id = match self.offer.trim() {
                    "" => None,
                    raw => Some(
                        raw.parse::<i64>()
                            .map_err(|_| ("schedule_offer", "lifecycle.offer_not_on_path"))?,
                    ),
                };
                Ok(Change::Schedule(ChangeSpec {
                    quantity,
                    term: plan.map(|p| p.term),
                    billing: plan.map(|p| p.billing),
                    offer_id,
                }))
            }
            _ => Err(("action", "validation.invalid")),
        }
    }

    /// Cancelling and upgrading are confirmed first (they place an order at once).
    pub fn confirmation(&self) -> Confirmation {
        match (self.action.as_str(), &self.confirm) {
            ("cancel" | "upgrade", None) => Confirmation::Ask,
            _ => Confirmation::Confirmed,
        }
    }
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
        let reason = Some(self.reason.trim().to_owned()).filter(|r| !r.is_empty());
        SubscriptionStatus::parse(&self.status)
            .map(|status| Change::Status(status, reason))
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

/// The confirmation step: the change and what it does, with Confirm and Cancel.
#[derive(Template, WebTemplate)]
#[template(path = "subscriptions/confirm.html")]
pub struct ConfirmPage {
    pub ctx: Ctx,
    pub preview: Preview,
    pub base: String,
    pub reason: String,
    pub errors: FormErrors,
}

/// One change from a form: what was sent, and whether its confirmation step was passed.
pub struct Request {
    pub scope: Scope,
    pub id: i64,
    pub base: String,
    pub actor: Actor,
    pub change: Parsed,
    /// What was typed, to show again with a message.
    pub typed: Option<String>,
    pub confirmation: Confirmation,
}

/// Applies a change and answers: a change of licenses or a suspension is shown on its confirmation
/// step first; then back to `base` with the flash message, or the page again (422) with the field's
/// message and what was typed.
pub async fn change_and_answer(
    req: &HttpRequest,
    state: &AppState,
    session: &AppSession,
    r: Request,
) -> AppResult<HttpResponse> {
    let confirm_errors = match r.confirmation {
        Confirmation::Confirmed => None,
        Confirmation::Ask => Some(FormErrors::new()),
        Confirmation::Incomplete(errors) => Some(errors),
    };
    if let Some(errors) = confirm_errors {
        let reason = match &r.change {
            Ok(Change::Status(_, reason)) => reason.clone().unwrap_or_default(),
            _ => String::new(),
        };
        match subscription_change::preview(
            &state.db,
            r.scope,
            r.id,
            r.actor.clone(),
            r.change.clone(),
            state.now(),
        )
        .await
        {
            Ok(Preview::NoConfirmation) => {}
            Ok(Preview::Unchanged) => {
                session.flash(FlashKind::Success, "subscriptions.unchanged")?;
                return Ok(see_other(&r.base));
            }
            Ok(preview) => {
                let has_errors = !errors.is_empty();
                let page = ConfirmPage {
                    ctx: Ctx::build(req).await?,
                    preview,
                    base: r.base,
                    reason,
                    errors,
                };
                return Ok(crate::routes::form_page(req, page, has_errors));
            }
            Err(ChangeError::Refused { field, key }) => {
                let mut errors = FormErrors::new();
                errors.add(field, key);
                return render(req, state, r.scope, r.id, r.base, r.typed, errors).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
    let (field, key) = match subscription_change::apply(
        &state.db,
        r.scope,
        r.id,
        r.actor,
        r.change,
        (state.now(), state.base_url.clone()),
    )
    .await
    {
        Ok(key) => {
            state.wake_outbox();
            session.flash(FlashKind::Success, key)?;
            return Ok(see_other(&r.base));
        }
        Err(ChangeError::Refused { field, key }) => (field, key),
        Err(err) => return Err(err.into()),
    };
    let mut errors = FormErrors::new();
    errors.add(field, key);
    render(req, state, r.scope, r.id, r.base, r.typed, errors).await
}

/// A change made by the provider on its own subscription.
#[allow(clippy::too_many_arguments)]
async fn provider_change(
    req: &HttpRequest,
    state: &AppState,
    session: &AppSession,
    user: &Signed<ProviderStaff, impl Permission>,
    id: i64,
    change: Parsed,
    typed: Option<String>,
    confirmation: Confirmation,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let request = Request {
        scope: Scope::Provider(provider),
        id,
        base: format!("/subscriptions/{id}"),
        actor: Actor::provider(user.id, provider, user.partner_name().unwrap_or_default()),
        change,
        typed,
        confirmation,
    };
    change_and_answer(req, state, session, request).await
}

pub async fn change_quantity(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
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
        form.confirmation(),
    )
    .await
}

pub async fn change_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
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
        form.confirmation(),
    )
    .await
}

/// Cancel, Auto-renew, Schedule change at renewal (and cancelling it), Upgrade.
pub async fn change_lifecycle(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
    form: web::Form<LifecycleForm>,
) -> AppResult<HttpResponse> {
    provider_change(
        &req,
        &state,
        &session,
        &user,
        path.into_inner(),
        form.parse(),
        None,
        form.confirmation(),
    )
    .await
}

pub async fn change_reseller_of_record(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
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
        Confirmation::Confirmed,
    )
    .await
}

pub async fn change_support_contact(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Support>,
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
        Confirmation::Confirmed,
    )
    .await
}
