//! An organisation signs up on its own (/customers/sign-up): it then exists with no provider, ready to
//! accept invitations. Its admin is signed in at once and returned to where it came from.

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::{Device, FlashKind};
use crate::auth::{AppSession, CurrentUser, password};
use crate::domain::Role;
use crate::domain::{Country, DomainPrefix, Email};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::routes::{home_page, see_other};
use crate::services::customer_sign_up::{self, SignUp, SignUpError};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors, request_locale};

#[derive(Deserialize, Default, Clone)]
pub struct SignUpForm {
    #[serde(default)]
    pub company_name: String,
    #[serde(default)]
    pub domain_prefix: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub contact_first_name: String,
    #[serde(default)]
    pub contact_last_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub confirm_password: String,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "customer_sign_up/form.html")]
pub struct SignUpPage {
    pub ctx: Ctx,
    pub form: SignUpForm,
    pub next: String,
    pub suffix: String,
    pub errors: FormErrors,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    form: SignUpForm,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let has_errors = !errors.is_empty();
    let page = SignUpPage {
        ctx: Ctx::build(req).await?,
        next: state.safe_next(form.next.as_deref()).unwrap_or_default(),
        form,
        suffix: state.config.tenant_domain_suffix.clone(),
        errors,
    };
    Ok(if has_errors {
        crate::routes::form_page(req, page, true)
    } else {
        page.respond_to(req).map_into_boxed_body()
    })
}

#[derive(Deserialize)]
pub struct SignUpQuery {
    next: Option<String>,
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SignUpQuery>,
) -> AppResult<HttpResponse> {
    if let Some(user) = CurrentUser::load(&req).await? {
        return Ok(see_other(
            state
                .safe_next(query.next.as_deref())
                .as_deref()
                .unwrap_or(home_page(user.role)),
        ));
    }
    let form = SignUpForm {
        next: query.next.clone(),
        ..SignUpForm::default()
    };
    render(&req, &state, form, FormErrors::new()).await
}

impl SignUpForm {
    /// The form parsed, or a message per field (the values typed stay in the form).
    fn parse(&self, locale: Locale) -> Result<SignUp, FormErrors> {
        let mut errors = FormErrors::new();
        let company_name = errors.text("company_name", &self.company_name, 200);
        let domain = errors.check("domain_prefix", DomainPrefix::parse(&self.domain_prefix));
        let country = errors.check("country", Country::parse(&self.country));
        let contact_first_name = errors.text("contact_first_name", &self.contact_first_name, 100);
        let contact_last_name = errors.text("contact_last_name", &self.contact_last_name, 100);
        let email = errors.check("email", Email::parse(&self.email));
        if let Err(key) = password::check_new(&self.password) {
            errors.add("password", key);
        }
        if self.confirm_password != self.password {
            errors.add("confirm_password", "account.password.mismatch");
        }
        match (domain, country, email) {
            (Some(domain), Some(country), Some(email)) if errors.is_empty() => Ok(SignUp {
                company_name,
                domain,
                country,
                contact_first_name,
                contact_last_name,
                email,
                password: self.password.clone(),
                locale,
            }),
            _ => Err(errors),
        }
    }
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    form: web::Form<SignUpForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let locale = request_locale(&req).await?;
    let sign_up = match form.parse(locale) {
        Ok(sign_up) => sign_up,
        Err(errors) => return render(&req, &state, form, errors).await,
    };
    // Whether a domain or address is taken is told only to a well-formed form, and only as often as
    // the throttle allows: no probing or squatting at speed.
    if let Some(wait) = state
        .throttle
        .sign_up_wait(sign_up.email.as_str(), state.client_address(&req))
        .await
    {
        return Err(AppError::TooManyRequests(wait));
    }
    let user_id = match customer_sign_up::sign_up(&state.db, sign_up).await {
        Ok(id) => id,
        Err(SignUpError::Invalid(errors)) => return render(&req, &state, form, errors).await,
        Err(err) => return Err(err.into()),
    };
    session.sign_in(
        user_id,
        Some(locale),
        Device::of(&req, state.client_address(&req)),
    )?;
    CurrentUser::forget(&req);
    session.flash(FlashKind::Success, "sign_up.done")?;
    Ok(see_other(
        state
            .safe_next(form.next.as_deref())
            .as_deref()
            .unwrap_or(home_page(Role::Customer)),
    ))
}
