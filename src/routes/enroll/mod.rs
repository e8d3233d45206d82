//! Self-service enrollment of an indirect reseller. The account exists at once, pending verification by
//! an operator; the new user is signed in and returned to where they came from (a partnership link).

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;
use validator::Validate;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, CurrentUser, Role, password};
use crate::db::models::activity::NewActivity;
use crate::db::models::partner::{EnrollmentStatus, NewPartner, Partner, PartnerKind};
use crate::db::models::user::{NewUser, User};
use crate::domain::{Country, Email, checks};
use crate::email::{self, messages::EnrollmentReceived};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::routes::see_other;
use crate::startup::AppState;
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
        return Ok(see_other(next.as_deref().unwrap_or(user.role.home())));
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

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    form: web::Form<EnrollForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let mut errors = FormErrors::new();
    if let Err(e) = form.validate() {
        errors.extend_from(&e);
    }
    if let Err(key) = password::check_new(&form.password) {
        errors.add("password", key);
    }
    if form.confirm_password != form.password {
        errors.add("confirm_password", "account.password.mismatch");
    }
    let email = Email::parse(&form.email).ok();
    let country = Country::parse(&form.country).ok();
    let number = form.partner_number.trim().to_owned();
    let (Some(email), Some(country)) = (email, country) else {
        return rerender(&req, &state, form, errors).await;
    };
    if !errors.is_empty() {
        return rerender(&req, &state, form, errors).await;
    }
    // Whether an address or Partner ID is taken is told only to a well-formed form, and only as often
    // as the throttle allows: no probing or squatting at speed.
    if let Some(wait) = state
        .throttle
        .sign_up_wait(email.as_str(), state.client_address(&req))
    {
        return Err(AppError::TooManyRequests(wait));
    }
    let (e, n) = (email.clone(), number.clone());
    let (email_taken, number_taken) = state
        .db
        .read(move |conn| {
            Ok((
                User::email_taken(conn, &e)?,
                Partner::partner_number_taken(conn, &n)?,
            ))
        })
        .await?;
    if email_taken {
        errors.add("email", "enroll.email_taken");
    }
    if number_taken {
        errors.add("partner_number", "enroll.partner_number_taken");
    }
    if !errors.is_empty() {
        return rerender(&req, &state, form, errors).await;
    }

    let password = form.password.clone();
    let hash = web::block(move || password::hash(&password))
        .await
        .map_err(|e| anyhow::anyhow!("password hashing was cancelled: {e}"))??;
    let locale = request_locale(&req).await?;
    let company = form.company_name.trim().to_owned();
    let contact = form.contact_name.trim().to_owned();
    let message = EnrollmentReceived {
        tr: Tr(locale),
        name: contact.clone(),
        company: company.clone(),
    };
    let created = state
        .db
        .write(move |conn| {
            let reseller_id = Partner::create(
                conn,
                NewPartner {
                    kind: PartnerKind::Reseller,
                    name: &company,
                    partner_number: Some(&number),
                    country: country.code(),
                    contact_name: &contact,
                    contact_email: email.as_str(),
                    enrollment_status: EnrollmentStatus::Pending,
                },
            )?;
            let user_id = User::create(
                conn,
                NewUser {
                    email: &email,
                    password_hash: &hash,
                    role: Role::Reseller,
                    partner_id: Some(reseller_id),
                    customer_id: None,
                    display_name: &contact,
                    locale: Some(locale),
                    must_change_password: false,
                },
            )?;
            NewActivity::new("reseller.enrolled", "partner", Some(reseller_id))
                .by(user_id, Some(reseller_id))
                .reseller(Some(reseller_id))
                .change(None, Some(company.clone()))
                .record(conn)?;
            email::queue(conn, email.as_str(), &message)?;
            Ok(user_id)
        })
        .await;
    let user_id = match created {
        Ok(id) => id,
        // Someone took the email or Partner ID between the check and the insert.
        Err(AppError::Unexpected(err)) if is_unique_violation(&err) => {
            let mut errors = FormErrors::new();
            errors.add("email", "enroll.email_or_number_taken");
            return rerender(&req, &state, form, errors).await;
        }
        Err(err) => return Err(err),
    };
    state.wake_outbox();
    session.sign_in(user_id, Some(locale))?;
    CurrentUser::forget(&req);
    session.flash(FlashKind::Success, "enroll.received")?;
    Ok(see_other(
        state
            .safe_next(form.next.as_deref())
            .as_deref()
            .unwrap_or(Role::Reseller.home()),
    ))
}

/// Whether a database error (inside `anyhow`) is a unique-constraint violation, on either backend.
pub fn is_unique_violation(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        matches!(
            e.downcast_ref::<diesel::result::Error>(),
            Some(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    })
}
