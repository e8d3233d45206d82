//! The customer page's **Users**: Reset password for a customer admin, and the page that shows the new
//! temporary password once (as Confirmation does; a refresh shows that it is gone).

use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{AppSession, ProviderStaff, Signed, can};
use crate::db::models::customer::{Customer, ProviderCustomer};
use crate::db::models::user::User;
use crate::error::{AppError, AppResult};
use crate::routes::see_other;
use crate::services::customer_users::{self, ResetPassword};
use crate::state::AppState;
use crate::view::Ctx;

fn secret_name(user_id: i64) -> String {
    format!("customer_password:{user_id}")
}

pub async fn reset_password(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (customer_id, user_id) = path.into_inner();
    let cmd = ResetPassword {
        provider: user.provider_id(),
        customer_id,
        user_id,
        by_user_id: user.id,
        by_email: user.email.clone(),
        by_name: user.display_name.clone(),
        by_locale: user.locale,
    };
    let temporary = customer_users::reset_password(&state.db, cmd).await?;
    state.wake_outbox();
    session.put_secret(&state.config.session_key, &secret_name(user_id), &temporary)?;
    Ok(see_other(&format!(
        "/customers/{customer_id}/users/{user_id}/temporary-password"
    )))
}

#[derive(Template, WebTemplate)]
#[template(path = "customers/temporary_password.html")]
pub struct TemporaryPasswordPage {
    pub ctx: Ctx,
    pub customer: Customer,
    pub admin_user: String,
    /// The new temporary password, the first time this page is shown; none after.
    pub password: Option<String>,
}

pub async fn temporary_password(
    ctx: Ctx,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<(i64, i64)>,
) -> AppResult<TemporaryPasswordPage> {
    let provider = user.provider_id();
    let (customer_id, user_id) = path.into_inner();
    let (customer, admin) = state
        .db
        .read(move |conn| {
            ProviderCustomer::find(conn, provider, customer_id)?;
            let admin = User::find(conn, user_id)?;
            if admin.customer_id != Some(customer_id) {
                return Err(AppError::NotFound);
            }
            Ok::<_, AppError>((Customer::find(conn, customer_id)?, admin))
        })
        .await?;
    let password = session.secret(&state.config.session_key, &secret_name(user_id));
    session.forget_secret(&secret_name(user_id));
    Ok(TemporaryPasswordPage {
        ctx,
        customer,
        admin_user: admin.email,
        password,
    })
}
