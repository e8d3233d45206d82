//! The signed-in user's own account: changing the password (forced after a temporary one). A change ends
//! the user's other sessions, renews this one, is logged, and is confirmed by email.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AnyRole, AppSession, PasswordChange, Signed, password};
use crate::error::AppResult;
use crate::routes::{home_page, see_other};
use crate::services::account::{self, ChangePassword, PasswordError};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "account/password.html")]
pub struct PasswordPage {
    pub ctx: Ctx,
    pub forced: bool,
    pub errors: FormErrors,
    /// The zone chosen (empty: the organisation's), as shown or as typed.
    pub time_zone: String,
}

impl PasswordPage {
    pub fn zones(&self) -> impl Iterator<Item = &'static str> {
        crate::domain::time_zone::all()
    }

    fn new(ctx: Ctx, user: &crate::auth::CurrentUser, errors: FormErrors) -> Self {
        Self {
            ctx,
            forced: user.must_change_password,
            errors,
            time_zone: user.chosen_time_zone.clone().unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
pub struct TimeZoneForm {
    #[serde(default)]
    time_zone: String,
}

/// Account → Time zone: where every date and time is shown for this user.
pub async fn change_time_zone(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<AnyRole>,
    form: web::Form<TimeZoneForm>,
) -> AppResult<HttpResponse> {
    let zone: String = form.into_inner().time_zone.chars().take(64).collect();
    if !account::set_time_zone(&state.db, user.id, &zone).await? {
        let mut errors = FormErrors::new();
        errors.add("time_zone", "account.time_zone.unknown");
        let mut page = PasswordPage::new(Ctx::build(&req).await?, &user, errors);
        page.time_zone = zone;
        return Ok(crate::routes::form_page(&req, page, true));
    }
    session.flash(FlashKind::Success, "account.time_zone.changed")?;
    Ok(see_other("/account/password#time-zone"))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn password_form(ctx: Ctx, user: Signed<PasswordChange>) -> AppResult<PasswordPage> {
    Ok(PasswordPage::new(ctx, &user, FormErrors::new()))
}

pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<PasswordChange>,
    form: web::Form<PasswordForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let mut errors = FormErrors::new();
    if form.current_password.is_empty() {
        errors.add("current_password", "validation.required");
    }
    if let Err(key) = password::check_new(&form.new_password) {
        errors.add("new_password", key);
    } else if form.new_password == form.current_password {
        errors.add("new_password", "account.password.same_as_current");
    }
    if form.confirm_password != form.new_password {
        errors.add("confirm_password", "account.password.mismatch");
    }

    if !errors.is_empty() {
        let page = PasswordPage::new(Ctx::build(&req).await?, &user, errors);
        return Ok(crate::routes::form_page(&req, page, true));
    }
    let changed = account::change_password(
        &state.db,
        ChangePassword {
            user_id: user.id,
            role: user.role,
            partner_id: user.partner_id(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            locale: user.locale,
            current: form.current_password,
            new: form.new_password,
            sign_in_url: state.url("/sign-in"),
        },
    )
    .await;
    match changed {
        Ok(()) => {}
        Err(PasswordError::CurrentWrong(errors)) => {
            let page = PasswordPage::new(Ctx::build(&req).await?, &user, errors);
            return Ok(crate::routes::form_page(&req, page, true));
        }
        Err(PasswordError::Db(err)) => return Err(err.into()),
    }
    state.wake_outbox();
    session.renew();
    session.flash(FlashKind::Success, "account.password.changed")?;
    Ok(see_other(home_page(user.role)))
}
