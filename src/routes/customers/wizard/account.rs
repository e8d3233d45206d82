//! Step 1, New customer: the account info, with the reseller preselected when started from a reseller's
//! row. Next: Subscriptions checks everything (the domain prefix's format and that it is free) first.

use crate::domain::ProviderId;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{closed_destination, load, step_path};
use crate::auth::{ProviderStaff, Signed};
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
}

impl AccountPage {
    pub fn step(&self) -> u8 {
        1
    }

    pub fn action(&self) -> String {
        self.draft_id
            .map_or_else(|| "/customers/new".to_owned(), |id| step_path(id, ""))
    }
}

const RESELLER_CHOICES: i64 = 200;

async fn render(
    req: &HttpRequest,
    state: &AppState,
    provider: ProviderId,
    draft_id: Option<i64>,
    form: AccountForm,
    errors: FormErrors,
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
    user: Signed<ProviderStaff>,
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
    user: Signed<ProviderStaff>,
    form: web::Form<AccountForm>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let form = form.into_inner();
    match wizard::start(&state.db, provider, user.id, form.clone()).await? {
        Ok(id) => Ok(see_other(&step_path(id, "subscriptions"))),
        Err(errors) => render(&req, &state, provider, None, form, errors).await,
    }
}

/// The account step of a draft, with what was saved (Edit, or Back).
pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (draft, data) = load(&state, user.id, path.into_inner()).await?;
    if let Some(to) = closed_destination(&draft) {
        return Ok(see_other(&to));
    }
    render(
        &req,
        &state,
        user.provider_id(),
        Some(draft.id),
        data.account,
        FormErrors::new(),
    )
    .await
}

pub async fn edit_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
    form: web::Form<AccountForm>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let (draft, data) = load(&state, user.id, path.into_inner()).await?;
    if let Some(to) = closed_destination(&draft) {
        return Ok(see_other(&to));
    }
    let form = form.into_inner();
    // What was typed is kept either way.
    let errors = wizard::save_account(&state.db, provider, &draft, data, form.clone()).await?;
    if !errors.is_empty() {
        return render(&req, &state, provider, Some(draft.id), form, errors).await;
    }
    Ok(see_other(&step_path(draft.id, "subscriptions")))
}
