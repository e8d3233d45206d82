//! Provider organisations: the list by name, and creating one with its first user. The first user gets a
//! temporary password, shown to the operator once (kept sealed in the session until that page is seen)
//! and replaced at first sign-in.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{AppSession, OperatorStaff, Signed, can, password};
use crate::db::models::partner::Partner;
use crate::domain::{Country, Email, PartnerKind};
use crate::error::{AppError, AppResult};
use crate::pagination::{PER_PAGE, Page, PageQuery};
use crate::routes::see_other;
use crate::services::organisations::{self, NewProvider, OrganisationError};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "operations/providers/list.html")]
pub struct ProvidersPage {
    pub ctx: Ctx,
    pub providers: Page<Partner>,
}

pub async fn list(
    ctx: Ctx,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> AppResult<ProvidersPage> {
    let seek = query.seek::<(String, i64)>();
    let providers = state
        .db
        .query(move |conn| Partner::page_by_name(conn, PartnerKind::Provider, &seek, PER_PAGE))
        .await?;
    Ok(ProvidersPage { ctx, providers })
}

#[derive(Deserialize, Clone, Default)]
pub struct ProviderForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub user_name: String,
    #[serde(default)]
    pub email: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "operations/providers/new.html")]
pub struct NewProviderPage {
    pub ctx: Ctx,
    pub form: ProviderForm,
    pub errors: FormErrors,
}

pub async fn new_form(
    ctx: Ctx,
    _user: Signed<OperatorStaff, can::Admin>,
) -> AppResult<NewProviderPage> {
    Ok(NewProviderPage {
        ctx,
        form: ProviderForm::default(),
        errors: FormErrors::new(),
    })
}

fn secret_name(provider: i64) -> String {
    format!("new_provider_password:{provider}")
}

pub async fn create(
    req: HttpRequest,
    user: Signed<OperatorStaff, can::Admin>,
    state: web::Data<AppState>,
    session: AppSession,
    form: web::Form<ProviderForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let mut errors = FormErrors::new();
    let name = errors.text("name", &form.name, 200);
    let user_name = errors.text("user_name", &form.user_name, 200);
    let country = errors.check("country", Country::parse(&form.country));
    let email = errors.check("email", Email::parse(&form.email));
    let (Some(country), Some(email), true) = (country, email, errors.is_empty()) else {
        return again(&req, form, errors).await;
    };
    let (temporary, hash) = password::temporary_with_hash()?;
    let created = organisations::create_provider(
        &state.db,
        NewProvider {
            name,
            country,
            user_name,
            email,
            password_hash: hash,
            must_change_password: true,
            created_by: Some(user.id),
            require_mfa: true,
        },
    )
    .await;
    let provider = match created {
        Ok(made) => made.provider.get(),
        Err(OrganisationError::EmailTaken) => {
            errors.add("email", "operations.providers.email_taken");
            return again(&req, form, errors).await;
        }
        Err(err) => return Err(err.into()),
    };
    session.put_secret(
        &state.config.session_key,
        &secret_name(provider),
        &temporary,
    )?;
    Ok(see_other(&format!(
        "/operations/providers/{provider}/created"
    )))
}

async fn again(
    req: &HttpRequest,
    form: ProviderForm,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let page = NewProviderPage {
        ctx: Ctx::build(req).await?,
        form,
        errors,
    };
    Ok(crate::routes::form_page(req, page, true))
}

#[derive(Template, WebTemplate)]
#[template(path = "operations/providers/created.html")]
pub struct CreatedPage {
    pub ctx: Ctx,
    pub provider: Partner,
    pub sign_in_email: String,
    /// The temporary password, the first time this page is shown; none after.
    pub password: Option<String>,
}

pub async fn created(
    req: HttpRequest,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let provider = state
        .db
        .read(move |conn| {
            let provider = Partner::find(conn, id)?;
            if provider.kind != PartnerKind::Provider {
                return Err(AppError::NotFound);
            }
            Ok::<_, AppError>(provider)
        })
        .await?;
    let password = session.secret(&state.config.session_key, &secret_name(id));
    session.forget_secret(&secret_name(id));
    let page = CreatedPage {
        ctx: Ctx::build(&req).await?,
        sign_in_email: provider.contact_email.clone(),
        provider,
        password,
    };
    Ok(actix_web::Responder::respond_to(page, &req).map_into_boxed_body())
}
