//! Self-service enrollment of an indirect reseller. The account exists at once, pending verification by
//! an operator; the new user is signed in and returned to where they came from (a partnership link).

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;
use validator::Validate;

use crate::auth::session::{Device, FlashKind};
use crate::auth::{AppSession, CurrentUser, password};
use crate::domain::Role;
use crate::domain::{Country, Email, checks};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::routes::{home_page, see_other};
use crate::services::enrollment::{self, Enrollment, EnrollmentError};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors, request_locale};

#[derive(Deserialize, Validate, Default, Clone)]
pub struct EnrollForm {
    #[serde(default)]
    #[validate(
        custom(function = "checks::required"),
        length(max = 200, code = "too_long")
    )]
    pub company_name: String,
    #[serde(default)]
    #[validate(
        custom(function = "checks::required"),
        custom(function = "checks::digits"),
        length(max = 20, code = "too_long")
    )]
    pub partner_number: String,
    #[serde(default)]
    #[validate(custom(function = "checks::country"))]
    pub country: String,
    #[serde(default)]
    #[validate(
        custom(function = "checks::required"),
        length(max = 200, code = "too_long")
    )]
    pub contact_name: String,
    #[serde(default)]
    #[validate(custom(function = "checks::email"))]
    pub email: String,
    #[serde(default, skip_serializing)]
    pub password: String,
    #[serde(default, skip_serializing)]
    pub confirm_password: String,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "enroll/form.html")]
pub struct EnrollPage {
    pub ctx: Ctx,
    pub form: EnrollForm,
    pub next: String,
    pub errors: FormErrors,
}

#[derive(Deserialize)]
pub struct EnrollQuery {
    next: Option<String>,
}

pub async fn form(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    query: web::Query<EnrollQuery>,
) -> AppResult<HttpResponse> {
    let next = state.safe_next(query.next.as_deref());
    if let Some(user) = &ctx.user {
        return Ok(see_other(next.as_deref().unwrap_or(home_page(user.role))));
    }
    let page = EnrollPage {
        ctx,
        form: EnrollForm::default(),
        next: next.unwrap_or_default(),
        errors: FormErrors::new(),
    };
    Ok(page.respond_to(&req).map_into_boxed_body())
}

async fn rerender(
    req: &HttpRequest,
    state: &AppState,
    form: EnrollForm,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let next = state.safe_next(form.next.as_deref()).unwrap_or_default();
    let page = EnrollPage {
        ctx: Ctx::build(req).await?,
        form,
        next,
        errors,
    };
    Ok(crate::routes::form_page(req, page, true))
}

impl EnrollForm {
    /// The form parsed, or a message per field (the values typed stay in the form).
    fn parse(&self, locale: Locale) -> Result<Enrollment, FormErrors> {
        let mut errors = FormErrors::new();
        if let Err(e) = self.validate() {
            errors.extend_from(&e);
        }
        if let Err(key) = password::check_new(&self.password) {
            errors.add("password", key);
        }
        if self.confirm_password != self.password {
            errors.add("confirm_password", "account.password.mismatch");
        }
        match (Email::parse(&self.email), Country::parse(&self.country)) {
            (Ok(email), Ok(country)) if errors.is_empty() => Ok(Enrollment {
                company_name: self.company_name.trim().to_owned(),
                partner_number: self.partner_number.trim().to_owned(),
                country,
                contact_name: self.contact_name.trim().to_owned(),
                email,
                password: self.password.clone(),
                locale,
                waiting_link: None,
            }),
            _ => Err(errors),
        }
    }
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    form: web::Form<EnrollForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let locale = request_locale(&req).await?;
    let mut enrollment = match form.parse(locale) {
        Ok(enrollment) => enrollment,
        Err(errors) => return rerender(&req, &state, form, errors).await,
    };
    // Whether an address or Partner ID is taken is told only to a well-formed form, and only as often
    // as the throttle allows: no probing or squatting at speed.
    if let Some(wait) = state
        .throttle
        .sign_up_wait(enrollment.email.as_str(), state.client_address(&req))
        .await
    {
        return Err(AppError::TooManyRequests(wait));
    }
    // Enrolled from a partnership link: the request waits for the verification, on the new reseller's
    // home and in the "verified" email.
    let next = state.safe_next(form.next.as_deref());
    enrollment.waiting_link = next
        .as_deref()
        .and_then(|n| n.strip_prefix("/partnerships/accept/"))
        .filter(|token| !token.is_empty() && !token.contains(['/', '?', '#']))
        .map(|token| enrollment::WaitingLink {
            token: token.to_owned(),
            key: state.config.session_key.clone(),
        });
    let user_id = match enrollment::enroll(&state.db, enrollment).await {
        Ok(id) => id,
        Err(EnrollmentError::Invalid(errors)) => return rerender(&req, &state, form, errors).await,
        Err(err) => return Err(err.into()),
    };
    state.wake_outbox();
    session.sign_in(
        user_id,
        Some(locale),
        Device::of(&req, state.client_address(&req)),
    )?;
    CurrentUser::forget(&req);
    session.flash(FlashKind::Success, "enroll.received")?;
    Ok(see_other(
        next.as_deref().unwrap_or(home_page(Role::Reseller)),
    ))
}
