//! **Forgot your password?** (SPEC.md §2.12): a single-use link by email, for one hour. Whether or not
//! the address has an account, the answer is the same; a deactivated account gets no link. Setting the
//! new password ends every session of that user, is logged, and is confirmed by email.

use crate::auth::password;
use crate::db::models::activity::NewActivity;
use crate::db::models::password_reset::PasswordReset;
use crate::db::models::session::SessionRow;
use crate::db::models::user::User;
use crate::db::{Db, DbError};
use crate::domain::token::{hash_token, new_token};
use crate::domain::{Email, Role};
use crate::email::{
    self, messages::AccountLink, messages::AccountNotice, messages::PasswordChanged,
};
use crate::i18n::{Locale, Tr};

/// Sends a reset link to the address if it belongs to an active account; nothing otherwise. The
/// language of the email: the account's, else the page's.
pub async fn request(
    db: &Db,
    at: chrono::NaiveDateTime,
    email: Email,
    page_locale: Locale,
    base_url: String,
) -> Result<(), DbError> {
    let token = new_token().map_err(|e| DbError::Failed(e.into()))?;
    db.write(move |conn| {
        let Some(user) = User::find_by_email(conn, &email)?.filter(|u| !u.disabled) else {
            return Ok(());
        };
        PasswordReset::create(conn, user.id, &hash_token(&token), at)?;
        let tr = Tr(user.locale.unwrap_or(page_locale));
        let message = AccountLink(AccountNotice {
            tr,
            name: user.display_name.clone(),
            subject: tr.t("email.password_reset.subject").to_owned(),
            paragraphs: vec![
                tr.t("email.password_reset.body").to_owned(),
                tr.t("email.password_reset.expires").to_owned(),
            ],
            link: Some(format!("{base_url}/password-reset/{token}")),
        });
        email::queue(conn, &user.email, &message)?;
        Ok(())
    })
    .await
}

/// Whether a reset link still works.
pub async fn is_open(db: &Db, at: chrono::NaiveDateTime, token: String) -> Result<bool, DbError> {
    db.query(move |conn| Ok(PasswordReset::find_open(conn, &hash_token(&token), at)?.is_some()))
        .await
}

/// Sets the new password (already checked against the rule): false when the link no longer works
/// (nothing written). Every session of the user ends.
pub async fn reset(
    db: &Db,
    at: chrono::NaiveDateTime,
    token: String,
    new_password: String,
    sign_in_url: String,
) -> Result<bool, DbError> {
    let hash = tokio::task::spawn_blocking(move || password::hash(&new_password))
        .await
        .map_err(|e| DbError::Failed(anyhow::anyhow!("password hashing was cancelled: {e}")))?
        .map_err(DbError::Failed)?;
    db.write(move |conn| {
        let Some(link) = PasswordReset::find_open(conn, &hash_token(&token), at)? else {
            return Ok(false);
        };
        let user = User::find(conn, link.user_id)?;
        if user.disabled || !PasswordReset::use_up(conn, link.id, user.id, at)? {
            return Ok(false);
        }
        User::set_password(conn, user.id, &hash, false)?;
        SessionRow::delete_for_user(conn, user.id, None)?;
        let provider = (user.role == Role::Provider)
            .then_some(user.partner_id)
            .flatten();
        let reseller = (user.role == Role::Reseller)
            .then_some(user.partner_id)
            .flatten();
        NewActivity::new("user.password_reset", "user", Some(user.id))
            .by(user.id, user.partner_id)
            .provider(provider)
            .reseller(reseller)
            .record(conn)?;
        let tr = Tr(user.locale.unwrap_or_default());
        let message = PasswordChanged {
            tr,
            name: user.display_name.clone(),
            when: tr.datetime(&at),
            sign_in_url,
        };
        email::queue(conn, &user.email, &message)?;
        Ok(true)
    })
    .await
}
