//! An organisation signs up on its own (/customers/sign-up): it then exists with no provider, ready to
//! accept invitations. Its admin is signed in at once and returned to where it came from.

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, CurrentUser, Role, password};
use crate::db::models::activity::NewActivity;
use crate::db::models::customer::{Customer, NewCustomer};
use crate::db::models::user::{NewUser, User};
use crate::domain::{Country, DomainPrefix, Email};
use crate::error::{AppError, AppResult};
use crate::routes::enroll::is_unique_violation;
use crate::routes::see_other;
use crate::startup::AppState;
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
                .unwrap_or(user.role.home()),
        ));
    }
    let form = SignUpForm {
        next: query.next.clone(),
        ..SignUpForm::default()
    };
    render(&req, &state, form, FormErrors::new()).await
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    form: web::Form<SignUpForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let mut errors = FormErrors::new();
    errors.text("company_name", &form.company_name, 200);
    let domain = errors.check("domain_prefix", DomainPrefix::parse(&form.domain_prefix));
    let country = errors.check("country", Country::parse(&form.country));
    errors.text("contact_first_name", &form.contact_first_name, 100);
    errors.text("contact_last_name", &form.contact_last_name, 100);
    let email = errors.check("email", Email::parse(&form.email));
    if let Err(key) = password::check_new(&form.password) {
        errors.add("password", key);
    }
    if form.confirm_password != form.password {
        errors.add("confirm_password", "account.password.mismatch");
    }
    let (Some(domain), Some(country), Some(email)) = (domain, country, email) else {
        return render(&req, &state, form, errors).await;
    };
    if !errors.is_empty() {
        return render(&req, &state, form, errors).await;
    }
    // Whether a domain or address is taken is told only to a well-formed form, and only as often as
    // the throttle allows: no probing or squatting at speed.
    if let Some(wait) = state
        .throttle
        .sign_up_wait(email.as_str(), state.client_address(&req))
    {
        return Err(AppError::TooManyRequests(wait));
    }
    let (d, e) = (domain.clone(), email.clone());
    let (domain_taken, email_taken) = state
        .db
        .read(move |conn| {
            Ok((
                Customer::domain_taken(conn, d.as_str())?,
                User::email_taken(conn, &e)?,
            ))
        })
        .await?;
    if domain_taken {
        errors.add("domain_prefix", "wizard.domain_taken");
    }
    if email_taken {
        errors.add("email", "enroll.email_taken");
    }
    if !errors.is_empty() {
        return render(&req, &state, form, errors).await;
    }
    let pw = form.password.clone();
    let hash = web::block(move || password::hash(&pw))
        .await
        .map_err(|e| anyhow::anyhow!("password hashing was cancelled: {e}"))??;
    let locale = request_locale(&req).await?;
    let f = form.clone();
    let created = state
        .db
        .write(move |conn| {
            let customer_id = Customer::create(
                conn,
                &NewCustomer {
                    company_name: f.company_name.trim(),
                    domain_prefix: domain.as_str(),
                    address_line1: "",
                    address_line2: "",
                    city: "",
                    state: "",
                    postal_code: "",
                    country: country.code(),
                    contact_first_name: f.contact_first_name.trim(),
                    contact_last_name: f.contact_last_name.trim(),
                    contact_email: email.as_str(),
                    contact_phone: "",
                    language: locale.code(),
                },
            )?;
            let name = format!(
                "{} {}",
                f.contact_first_name.trim(),
                f.contact_last_name.trim()
            );
            let user_id = User::create(
                conn,
                NewUser {
                    email: &email,
                    password_hash: &hash,
                    role: Role::Customer,
                    partner_id: None,
                    customer_id: Some(customer_id),
                    display_name: &name,
                    locale: Some(locale),
                    must_change_password: false,
                },
            )?;
            NewActivity::new("customer.signed_up", "customer", Some(customer_id))
                .by(user_id, None)
                .customer(Some(customer_id))
                .change(None, Some(f.company_name.trim().to_owned()))
                .record(conn)?;
            Ok(user_id)
        })
        .await;
    let user_id = match created {
        Ok(id) => id,
        Err(AppError::Unexpected(err)) if is_unique_violation(&err) => {
            let mut errors = FormErrors::new();
            errors.add("domain_prefix", "enroll.email_or_number_taken");
            return render(&req, &state, form, errors).await;
        }
        Err(err) => return Err(err),
    };
    session.sign_in(user_id, Some(locale))?;
    CurrentUser::forget(&req);
    session.flash(FlashKind::Success, "sign_up.done")?;
    Ok(see_other(
        state
            .safe_next(form.next.as_deref())
            .as_deref()
            .unwrap_or(Role::Customer.home()),
    ))
}
