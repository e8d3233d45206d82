//! Step 1, New customer: the account info, with the reseller preselected when started from a reseller's
//! row. Next: Subscriptions checks everything (the domain prefix's format and that it is free) first.

use crate::domain::ProviderId;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{StepQuery, closed_destination, load, step_path};
use crate::auth::{ProviderStaff, Signed, can};
use crate::db::models::partnership::Partnership;
use crate::error::AppResult;
use crate::routes::see_other;
use crate::services::new_customer::AccountFields as AccountForm;
use crate::services::new_customer::wizard;
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "customers/wizard/account.html")]
pub struct AccountPage {
    pub ctx: Ctx,
    /// The draft being edited; none before the first Next.
    pub draft_id: Option<i64>,
    pub form: AccountForm,
    pub errors: FormErrors,
    pub resellers: Vec<(i64, String)>,
    pub suffix: String,
    /// Opened by Edit on Review: Next returns there.
    pub from_review: bool,
    /// The answer of Check availability: (available, the domain as it would be).
    pub domain_check: Option<(bool, String)>,
}

impl AccountPage {
    pub fn step(&self) -> u8 {
        1
    }

    pub fn action(&self) -> String {
        let path = self
            .draft_id
            .map_or_else(|| "/customers/new".to_owned(), |id| step_path(id, ""));
        if self.from_review {
            format!("{path}?from=review")
        } else {
            path
        }
    }

    /// Check availability posts the step to itself with `check=domain`.
    pub fn check_action(&self) -> String {
        let action = self.action();
        let join = if action.contains('?') { '&' } else { '?' };
        format!("{action}{join}check=domain")
    }

    /// Cancel: the confirmation page of a draft; before the first Next, nothing to drop.
    pub fn cancel_href(&self) -> String {
        self.draft_id
            .map_or_else(|| "/customers".to_owned(), |id| step_path(id, "cancel"))
    }
}

const RESELLER_CHOICES: i64 = 200;

/// How the step is shown besides its form: opened from Review, and Check availability's answer.
#[derive(Default)]
struct Shown {
    from_review: bool,
    domain_check: Option<(bool, String)>,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    provider: ProviderId,
    draft_id: Option<i64>,
    form: AccountForm,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    render_shown(
        req,
        state,
        provider,
        draft_id,
        form,
        errors,
        Shown::default(),
    )
    .await
}

async fn render_shown(
    req: &HttpRequest,
    state: &AppState,
    provider: ProviderId,
    draft_id: Option<i64>,
    form: AccountForm,
    errors: FormErrors,
    shown: Shown,
) -> AppResult<HttpResponse> {
    let include = form.reseller.trim().parse::<i64>().ok();
    let resellers = state
        .db
        .query(move |conn| {
            Partnership::choices_for_provider(conn, provider, RESELLER_CHOICES, include)
        })
        .await?;
    let page = AccountPage {
        ctx: Ctx::build(req).await?,
        draft_id,
        form,
        errors,
        resellers,
        suffix: state.config.tenant_domain_suffix.clone(),
        from_review: shown.from_review,
        domain_check: shown.domain_check,
    };
    let has_errors = !page.errors.is_empty();
    Ok(crate::routes::form_page(req, page, has_errors))
}

#[derive(Deserialize)]
pub struct StartQuery {
    reseller: Option<String>,
}

/// A fresh New customer form; `?reseller=` preselects one of the provider's resellers.
pub async fn start_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff, can::Sell>,
    query: web::Query<StartQuery>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let mut form = AccountForm {
        language: crate::view::request_locale(&req).await?.code().to_owned(),
        ..AccountForm::default()
    };
    if let Some(id) = query
        .reseller
        .as_deref()
        .and_then(|r| r.parse::<i64>().ok())
    {
        let partnered = state
            .db
            .query(move |conn| Partnership::active(conn, provider.get(), id))
            .await?
            .is_some();
        if partnered {
            form.reseller = id.to_string();
        }
    }
    render(&req, &state, provider, None, form, FormErrors::new()).await
}

/// Next: Subscriptions from the first visit: the draft is made once the account info passes.
pub async fn start_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff, can::Sell>,
    query: web::Query<StepQuery>,
    form: web::Form<AccountForm>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let form = form.into_inner();
    if query.checks_domain() {
        return check_domain(&req, &state, provider, None, form, false).await;
    }
    match wizard::start(&state.db, provider, user.id, form.clone()).await? {
        Ok(id) => Ok(see_other(&step_path(id, "subscriptions"))),
        Err(errors) => render(&req, &state, provider, None, form, errors).await,
    }
}

/// The account step of a draft, with what was saved (Edit, or Back).
pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff, can::Sell>,
    query: web::Query<StepQuery>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (draft, data) = load(&state, user.id, path.into_inner()).await?;
    if let Some(to) = closed_destination(&draft) {
        return Ok(see_other(&to));
    }
    let shown = Shown {
        from_review: query.from_review(),
        domain_check: None,
    };
    render_shown(
        &req,
        &state,
        user.provider_id(),
        Some(draft.id),
        data.account,
        FormErrors::new(),
        shown,
    )
    .await
}

/// Check availability: the step again, with whether the domain prefix is free (or its format's
/// message); nothing is saved.
async fn check_domain(
    req: &HttpRequest,
    state: &AppState,
    provider: ProviderId,
    draft_id: Option<i64>,
    form: AccountForm,
    from_review: bool,
) -> AppResult<HttpResponse> {
    let mut errors = FormErrors::new();
    let domain_check = match wizard::domain_available(&state.db, &form.domain_prefix).await? {
        Ok((available, prefix)) => Some((
            available,
            format!("{prefix}.{}", state.config.tenant_domain_suffix),
        )),
        Err(key) => {
            errors.add("domain_prefix", key);
            None
        }
    };
    let shown = Shown {
        from_review,
        domain_check,
    };
    render_shown(req, state, provider, draft_id, form, errors, shown).await
}

pub async fn edit_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff, can::Sell>,
    query: web::Query<StepQuery>,
    path: web::Path<i64>,
    form: web::Form<AccountForm>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let (draft, data) = load(&state, user.id, path.into_inner()).await?;
    if let Some(to) = closed_destination(&draft) {
        return Ok(see_other(&to));
    }
    let form = form.into_inner();
    if query.checks_domain() {
        return check_domain(
            &req,
            &state,
            provider,
            Some(draft.id),
            form,
            query.from_review(),
        )
        .await;
    }
    let lines_done = data.lines_done;
    // What was typed is kept either way.
    let errors = wizard::save_account(&state.db, provider, &draft, data, form.clone()).await?;
    if !errors.is_empty() {
        let shown = Shown {
            from_review: query.from_review(),
            domain_check: None,
        };
        return render_shown(&req, &state, provider, Some(draft.id), form, errors, shown).await;
    }
    // Edit on Review comes back to Review; the subscriptions step is done already.
    let next = if query.from_review() && lines_done {
        "review"
    } else {
        "subscriptions"
    };
    Ok(see_other(&step_path(draft.id, next)))
}
