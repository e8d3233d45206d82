//! Step 3, Review, then Submit or Cancel, and step 4, Confirmation. Submit and Confirmation are
//! `services::new_customer::wizard`'s: everything is written in one transaction, once, and the
//! temporary password is shown once.

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{closed_destination, load, step_path};
use crate::auth::session::FlashKind;
use crate::auth::{AppSession, ProviderStaff, Signed, can};
use crate::db::models::customer::Customer;
use crate::domain::{Billing, DraftStatus, ProviderId};
use crate::error::AppResult;
use crate::routes::see_other;
use crate::services::new_customer::wizard::{self, Submit, SubmitError, Submitted, WizardData};
use crate::services::new_customer::{AccountFields, Line};
use crate::state::AppState;
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "customers/wizard/review.html")]
pub struct ReviewPage {
    pub ctx: Ctx,
    pub draft_id: i64,
    pub account: AccountFields,
    pub reseller_name: Option<String>,
    pub domain: String,
    pub admin_user: String,
    pub lines: Vec<Line>,
    /// One total per billing frequency and currency: monthly and annual prices never add up.
    pub totals: Vec<Total>,
    /// Per line (in order): the term's end and the first charge with the period it covers, if
    /// submitted now.
    pub first: Vec<(chrono::NaiveDateTime, i64, crate::domain::lifecycle::Period)>,
    /// What Submit charges at once, per currency (the first charges added up).
    pub due_now: Vec<(String, i64)>,
    /// A problem found on the way (the reseller is no longer a partner, the domain was taken...).
    pub problem: Option<&'static str>,
}

impl ReviewPage {
    pub fn step(&self) -> u8 {
        3
    }

    /// The locale key of a billing frequency's total.
    pub fn total_key(&self, billing: &Billing) -> &'static str {
        match billing {
            Billing::Monthly => "wizard.review.total_monthly",
            Billing::Annual => "wizard.review.total_annual",
            Billing::OneTime => "wizard.review.total_one_time",
        }
    }
}

/// The sum of the lines of one billing frequency in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Total {
    pub billing: Billing,
    pub currency: String,
    pub minor: i64,
}

/// The lines' totals, monthly before annual, each currency apart.
pub fn totals(lines: &[Line]) -> Vec<Total> {
    let mut totals: Vec<Total> = Vec::new();
    for line in lines {
        let (billing, currency) = (line.plan.billing, &line.offer.currency);
        match totals
            .iter_mut()
            .find(|t| t.billing == billing && t.currency == *currency)
        {
            Some(t) => t.minor += line.total_minor(),
            None => totals.push(Total {
                billing,
                currency: currency.clone(),
                minor: line.total_minor(),
            }),
        }
    }
    totals.sort_by_key(|t| (t.billing != Billing::Monthly, t.currency.clone()));
    totals
}

async fn render_review(
    req: &HttpRequest,
    state: &AppState,
    provider: ProviderId,
    draft_id: i64,
    data: WizardData,
    problem: Option<&'static str>,
) -> AppResult<HttpResponse> {
    let checked = wizard::review(&state.db, provider, data.clone(), state.now()).await?;
    let suffix = &state.config.tenant_domain_suffix;
    let domain_prefix = data.account.domain_prefix.trim().to_ascii_lowercase();
    let (reseller_name, lines, problem) = match checked {
        Ok(c) => (c.account.reseller.map(|(_, n)| n), c.lines, problem),
        Err(key) => (None, Vec::new(), problem.or(Some(key))),
    };
    let totals = totals(&lines);
    let now = state.now();
    let first: Vec<_> = lines.iter().map(|l| l.first_term(now)).collect();
    let mut due_now: Vec<(String, i64)> = Vec::new();
    for (line, (_, amount, _)) in lines.iter().zip(&first) {
        match due_now.iter_mut().find(|(c, _)| *c == line.offer.currency) {
            Some((_, sum)) => *sum += amount,
            None => due_now.push((line.offer.currency.clone(), *amount)),
        }
    }
    let page = ReviewPage {
        first,
        due_now,
        ctx: Ctx::build(req).await?,
        draft_id,
        domain: format!("{domain_prefix}.{suffix}"),
        admin_user: format!("admin@{domain_prefix}.{suffix}"),
        account: data.account,
        reseller_name,
        lines,
        totals,
        problem,
    };
    let has_errors = page.problem.is_some();
    Ok(crate::routes::form_page(req, page, has_errors))
}

pub async fn review(
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
    if !data.lines_done {
        return Ok(see_other(&step_path(draft.id, "subscriptions")));
    }
    render_review(&req, &state, user.provider_id(), draft.id, data, None).await
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let (draft, data) = load(&state, user.id, path.into_inner()).await?;
    if let Some(to) = closed_destination(&draft) {
        return Ok(see_other(&to));
    }
    let cmd = Submit {
        provider,
        provider_name: user.partner_name().unwrap_or_default().to_owned(),
        user_id: user.id,
        suffix: state.config.tenant_domain_suffix.clone(),
        draft_id: draft.id,
        key: state.config.session_key.clone(),
        now: state.now(),
        base_url: state.base_url.clone(),
    };
    match wizard::submit(&state.db, cmd, data.clone()).await {
        Ok(done) => {
            if done == Submitted::Done {
                state.wake_outbox();
            }
            Ok(see_other(&step_path(draft.id, "confirmation")))
        }
        Err(SubmitError::Problem(key)) => {
            render_review(&req, &state, provider, draft.id, data, Some(key)).await
        }
        Err(SubmitError::Db(err)) => Err(err.into()),
    }
}

/// Cancel: the whole draft is dropped, nothing is written, and the wizard starts over.
#[derive(Template, WebTemplate)]
#[template(path = "customers/wizard/cancel.html")]
pub struct CancelPage {
    pub ctx: Ctx,
    pub draft_id: i64,
    /// Back to the furthest step reached.
    pub keep_going: String,
}

/// Cancel on any step: asks first (nothing is dropped by a stray click).
pub async fn confirm_cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (draft, data) = load(&state, user.id, path.into_inner()).await?;
    if let Some(to) = closed_destination(&draft) {
        return Ok(see_other(&to));
    }
    let step = match (data.account_done, data.lines_done) {
        (true, true) => "review",
        (true, false) => "subscriptions",
        _ => "",
    };
    let page = CancelPage {
        ctx: Ctx::build(&req).await?,
        draft_id: draft.id,
        keep_going: step_path(draft.id, step),
    };
    Ok(page.respond_to(&req).map_into_boxed_body())
}

pub async fn cancel(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (draft, data) = load(&state, user.id, path.into_inner()).await?;
    if let Some(to) = closed_destination(&draft) {
        return Ok(see_other(&to));
    }
    wizard::cancel(&state.db, draft.id).await?;
    session.flash(FlashKind::Info, "wizard.cancelled")?;
    let reseller = data.account.reseller.trim().to_owned();
    // Back where the wizard was started from: the customer list (with its reseller, if one was chosen).
    Ok(see_other(&if reseller.is_empty() {
        "/customers".to_owned()
    } else {
        format!("/customers?reseller={reseller}")
    }))
}

#[derive(Template, WebTemplate)]
#[template(path = "customers/wizard/confirmation.html")]
pub struct ConfirmationPage {
    pub ctx: Ctx,
    pub customer: Customer,
    pub admin_user: String,
    /// The temporary password, on the first showing only.
    pub password: Option<String>,
    /// The order waits for the provider's review: no subscriptions yet.
    pub held: bool,
}

impl ConfirmationPage {
    pub fn step(&self) -> u8 {
        4
    }
}

pub async fn confirmation(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (draft, _) = load(&state, user.id, path.into_inner()).await?;
    if draft.status != DraftStatus::Submitted {
        return Ok(see_other(&step_path(draft.id, "review")));
    }
    let (customer, password, held) =
        wizard::confirmation(&state.db, &state.config.session_key, &draft).await?;
    let page = ConfirmationPage {
        ctx: Ctx::build(&req).await?,
        admin_user: format!(
            "admin@{}.{}",
            customer.domain_prefix, state.config.tenant_domain_suffix
        ),
        customer,
        password,
        held,
    };
    Ok(page.respond_to(&req).map_into_boxed_body())
}
