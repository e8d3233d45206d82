//! The signed-in user's own account: changing the password (forced after a temporary one). A change ends
//! the user's other sessions, renews this one, is logged, and is confirmed by email.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, PasswordChange, Signed, password};
use crate::db::models::activity::NewActivity;
use crate::db::models::session::SessionRow;
use crate::db::models::user::User;
use crate::email::{self, messages::PasswordChanged};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::routes::see_other;
use crate::startup::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "account/password.html")]
pub struct PasswordPage {
    pub ctx: Ctx,
    pub forced: bool,
    pub errors: FormErrors,
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
    Ok(PasswordPage {
        ctx,
        forced: user.must_change_password,
        errors: FormErrors::new(),
    })
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

    let user_id = user.id;
    let stored = state
        .db
        .read(move |conn| Ok(User::find(conn, user_id)?.password_hash))
        .await?;
    let current = form.current_password.clone();
    let new = form.new_password.clone();
    let check_current = errors.has("current_password");
    let (current_ok, new_hash) = web::block(move || {
        let ok = !check_current && password::verify(&stored, &current);
        let hash = if ok { Some(password::hash(&new)) } else { None };
        (ok, hash)
    })
    .await
    .map_err(|e| anyhow::anyhow!("password hashing was cancelled: {e}"))?;
    if !current_ok {
        errors.add("current_password", "account.password.current_wrong");
    }
    if !errors.is_empty() {
        let page = PasswordPage {
            ctx: Ctx::build(&req).await?,
            forced: user.must_change_password,
            errors,
        };
        return Ok(crate::routes::form_page(&req, page, true));
    }
    let new_hash =
        new_hash.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no hash made")))??;

    let tr = Tr(user.locale.unwrap_or_default());
    let message = PasswordChanged {
        tr,
        name: user.display_name.clone(),
        when: tr.datetime(&crate::db::now()),
        sign_in_url: state.url("/sign-in"),
    };
    let to = user.email.clone();
    let partner_id = user.partner_id();
    let role = user.role;
    state
        .db
        .write(move |conn| {
            User::set_password(conn, user_id, &new_hash, false)?;
            // Every session of this user ends, this one included; it continues under a new key below.
            SessionRow::delete_for_user(conn, user_id, None)?;
            let provider = (role == crate::auth::Role::Provider)
                .then_some(partner_id)
                .flatten();
            NewActivity::new("user.password_changed", "user", Some(user_id))
                .by(user_id, partner_id)
                .provider(provider)
                .record(conn)?;
            email::queue(conn, &to, &message)?;
            Ok(())
        })
        .await?;
    state.wake_outbox();
    session.renew();
    session.flash(FlashKind::Success, "account.password.changed")?;
    Ok(see_other(user.role.home()))
}
