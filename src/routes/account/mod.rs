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
use crate::services::account::{self, ChangePassword, PasswordError, SignedInDevice};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

pub mod api_tokens;
pub mod mfa;

#[derive(Template, WebTemplate)]
#[template(path = "account/password.html")]
pub struct PasswordPage {
    pub ctx: Ctx,
    pub forced: bool,
    pub errors: FormErrors,
    /// The zone chosen (empty: the organisation's), as shown or as typed.
    pub time_zone: String,
    /// Signed-in devices (not while a temporary password must be replaced).
    pub devices: Vec<SignedInDevice>,
    /// API tokens: members of providers and resellers only.
    pub api_tokens: Option<Vec<crate::db::models::api_token::ApiToken>>,
    /// A token just made, shown this once.
    pub new_token: Option<String>,
    /// The token form as typed (after an error).
    pub token_form: api_tokens::TokenFormFields,
}

impl PasswordPage {
    /// The lifetimes a token may be given.
    pub fn token_days(&self) -> [i64; 4] {
        crate::services::api_tokens::DAY_CHOICES
    }

    pub fn token_state(&self, token: &crate::db::models::api_token::ApiToken) -> &'static str {
        if token.revoked_at.is_some() {
            "api_tokens.state.revoked"
        } else if !token.is_live(self.ctx.now()) {
            "api_tokens.state.expired"
        } else {
            "api_tokens.state.active"
        }
    }

    pub fn zones(&self) -> impl Iterator<Item = &'static str> {
        crate::domain::time_zone::all()
    }

    async fn new(
        req: &HttpRequest,
        user: &crate::auth::CurrentUser,
        errors: FormErrors,
    ) -> AppResult<Self> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .ok_or_else(|| anyhow::anyhow!("the state is not registered"))?;
        let session = AppSession::of(req);
        let devices = if user.must_change_password {
            Vec::new()
        } else {
            account::devices(&state.db, user.id, session.device_id()).await?
        };
        let partner = user.partner_kind().is_some()
            && matches!(
                user.role,
                crate::domain::Role::Provider | crate::domain::Role::Reseller
            );
        let api_tokens = if partner && !user.must_change_password {
            Some(crate::services::api_tokens::list(&state.db, user.id).await?)
        } else {
            None
        };
        let new_token = session.secret(&state.config.session_key, api_tokens::NEW_TOKEN);
        if new_token.is_some() {
            session.forget_secret(api_tokens::NEW_TOKEN);
        }
        Ok(Self {
            ctx: Ctx::build(req).await?,
            forced: user.must_change_password,
            errors,
            time_zone: user.chosen_time_zone.clone().unwrap_or_default(),
            devices,
            api_tokens,
            new_token,
            token_form: api_tokens::TokenFormFields {
                token_days: "90".to_owned(),
                token_access: "read".to_owned(),
                ..Default::default()
            },
        })
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
        let mut page = PasswordPage::new(&req, &user, errors).await?;
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

pub async fn password_form(
    req: HttpRequest,
    user: Signed<PasswordChange>,
) -> AppResult<PasswordPage> {
    PasswordPage::new(&req, &user, FormErrors::new()).await
}

/// Account → Signed-in devices → Sign out: that session ends.
pub async fn sign_out_device(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<AnyRole>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let handle = path.into_inner();
    if session.device_id().as_deref() == Some(handle.as_str()) {
        // This very session: the same as Sign out.
        session.sign_out();
        return Ok(see_other("/sign-in"));
    }
    account::sign_out_devices(&state.db, user.id, Some(handle), None).await?;
    session.flash(FlashKind::Success, "account.devices.signed_out")?;
    Ok(see_other("/account/password#devices"))
}

/// Account → Signed-in devices → Sign out everywhere else.
pub async fn sign_out_others(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<AnyRole>,
) -> AppResult<HttpResponse> {
    let keep = session.device_id().unwrap_or_default();
    let ended = account::sign_out_devices(&state.db, user.id, None, Some(keep)).await?;
    session.flash_with(
        FlashKind::Success,
        "account.devices.signed_out_others",
        &[("count", &ended.to_string())],
    )?;
    Ok(see_other("/account/password#devices"))
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
        let page = PasswordPage::new(&req, &user, errors).await?;
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
            let page = PasswordPage::new(&req, &user, errors).await?;
            return Ok(crate::routes::form_page(&req, page, true));
        }
        Err(PasswordError::Db(err)) => return Err(err.into()),
    }
    state.wake_outbox();
    session.renew();
    session.flash(FlashKind::Success, "account.password.changed")?;
    Ok(see_other(home_page(user.role)))
}
