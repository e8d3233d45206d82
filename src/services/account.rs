//! A person's own account: signing in (throttled, every answer at the cost of a full check), changing
//! the password (every other session ends; confirmed by email), and the language kept on the account.

use std::net::IpAddr;
use std::time::Duration;

use crate::auth::password;
use crate::auth::throttle::Throttle;
use crate::db::models::activity::NewActivity;
use crate::db::models::session::SessionRow;
use crate::db::models::user::User;
use crate::db::{Db, DbError, now};
use crate::domain::form::FormErrors;
use crate::domain::{Email, Role};
use crate::email::{self, messages::PasswordChanged};
use crate::i18n::{Locale, Tr};

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Too many failures: the next attempt may be made after this long.
    #[error("too many sign-in attempts")]
    Throttled(Duration),
    /// Wrong email or password (or a disabled account): the same answer for each.
    #[error("the email or password is not correct")]
    BadCredentials,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Checks a sign-in and records it; the user signed in.
pub async fn sign_in(
    db: &Db,
    throttle: &Throttle,
    email: Email,
    password: String,
    address: Option<IpAddr>,
) -> Result<User, SignInError> {
    if let Some(wait) = throttle.sign_in_wait(email.as_str(), address).await {
        return Err(SignInError::Throttled(wait));
    }
    let lookup = email.clone();
    let user = db
        .query(move |conn| User::find_by_email(conn, &lookup))
        .await?;
    // Hashing is CPU work: off the async executor, like the database. Every answer costs one full
    // check, so neither an unknown account nor a fresh temporary password (hashed lightly) is told
    // apart by timing.
    let user = tokio::task::spawn_blocking(move || match user {
        Some(user) => {
            let ok = password::verify_at_full_cost(&user.password_hash, &password);
            (ok && !user.disabled).then_some(user)
        }
        None => {
            password::verify_dummy(&password);
            None
        }
    })
    .await
    .map_err(|e| DbError::Failed(anyhow::anyhow!("password check was cancelled: {e}")))?;
    let Some(user) = user else {
        throttle.sign_in_failed(email.as_str(), address).await;
        return Err(SignInError::BadCredentials);
    };
    throttle.sign_in_succeeded(email.as_str(), address).await;
    // With a second factor, the sign-in counts once its code is accepted (`mfa::check`).
    if user.totp_secret.is_none() {
        let id = user.id;
        db.execute(move |conn| User::record_sign_in(conn, id))
            .await?;
    }
    Ok(user)
}

/// Change password, as typed.
pub struct ChangePassword {
    pub user_id: i64,
    pub role: Role,
    pub partner_id: Option<i64>,
    pub email: String,
    pub display_name: String,
    pub locale: Option<Locale>,
    pub current: String,
    /// Already checked against the rule for new passwords.
    pub new: String,
    pub sign_in_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the current password is not correct")]
    CurrentWrong(FormErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Changes the password: every session of the user ends (the caller's continues under a new key),
/// logged, confirmed by email.
pub async fn change_password(db: &Db, cmd: ChangePassword) -> Result<(), PasswordError> {
    let user_id = cmd.user_id;
    let stored = db
        .query(move |conn| User::find(conn, user_id).map(|u| u.password_hash))
        .await?;
    let (current, new) = (cmd.current.clone(), cmd.new.clone());
    let hash = tokio::task::spawn_blocking(move || {
        password::verify(&stored, &current).then(|| password::hash(&new))
    })
    .await
    .map_err(|e| DbError::Failed(anyhow::anyhow!("password hashing was cancelled: {e}")))?;
    let Some(hash) = hash else {
        let mut errors = FormErrors::new();
        errors.add("current_password", "account.password.current_wrong");
        return Err(PasswordError::CurrentWrong(errors));
    };
    let hash = hash.map_err(DbError::Failed)?;
    let tr = Tr(cmd.locale.unwrap_or_default());
    let message = PasswordChanged {
        tr,
        name: cmd.display_name.clone(),
        when: tr.datetime(&now()),
        sign_in_url: cmd.sign_in_url.clone(),
    };
    db.write(move |conn| {
        User::set_password(conn, user_id, &hash, false)?;
        // Every session of this user ends, the caller's included; it continues under a new key.
        SessionRow::delete_for_user(conn, user_id, None)?;
        let provider = (cmd.role == Role::Provider)
            .then_some(cmd.partner_id)
            .flatten();
        NewActivity::new("user.password_changed", "user", Some(user_id))
            .by(user_id, cmd.partner_id)
            .provider(provider)
            .record(conn)?;
        email::queue(conn, &cmd.email, &message)?;
        Ok::<_, DbError>(())
    })
    .await?;
    Ok(())
}

/// Keeps the language chosen on the user's account.
/// Sets the user's time zone: an IANA name, or none for the organisation's country's zone; false when
/// the name is not a zone (nothing is written).
pub async fn set_time_zone(db: &Db, user_id: i64, zone: &str) -> Result<bool, DbError> {
    let zone = match zone.trim() {
        "" => None,
        name => match crate::domain::time_zone::parse(name) {
            Some(tz) => Some(tz.name().to_owned()),
            None => return Ok(false),
        },
    };
    db.execute(move |conn| User::set_time_zone(conn, user_id, zone.as_deref()))
        .await?;
    Ok(true)
}

pub async fn set_locale(db: &Db, user_id: i64, locale: Locale) -> Result<(), DbError> {
    db.execute(move |conn| User::set_locale(conn, user_id, locale))
        .await
}

/// A signed-in session, as Account → Signed-in devices lists it.
pub struct SignedInDevice {
    /// The session's device id (not its key): what Sign out names.
    pub handle: String,
    pub browser: String,
    pub address: String,
    pub signed_in_at: chrono::NaiveDateTime,
    pub last_seen_at: Option<chrono::NaiveDateTime>,
    pub current: bool,
}

fn device_handle(state: &str) -> Option<String> {
    let state: std::collections::HashMap<String, String> = serde_json::from_str(state).ok()?;
    serde_json::from_str(state.get(crate::auth::session::DEVICE_KEY)?).ok()
}

/// The user's signed-in sessions, this one marked.
pub async fn devices(
    db: &Db,
    user_id: i64,
    current: Option<String>,
) -> Result<Vec<SignedInDevice>, DbError> {
    let rows = db
        .query(move |conn| SessionRow::devices_of(conn, user_id))
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let handle = device_handle(&row.state)?;
            Some(SignedInDevice {
                current: current.as_deref() == Some(handle.as_str()),
                handle,
                browser: crate::domain::browser::describe(row.user_agent.as_deref().unwrap_or("")),
                address: row.address.unwrap_or_default(),
                signed_in_at: row.created_at,
                last_seen_at: row.last_seen_at,
            })
        })
        .collect())
}

/// Signs out one device of the user (`Some(handle)`), or every one but `keep`.
pub async fn sign_out_devices(
    db: &Db,
    user_id: i64,
    only: Option<String>,
    keep: Option<String>,
) -> Result<usize, DbError> {
    db.execute(move |conn| {
        let mut ended = 0;
        for row in SessionRow::devices_of(conn, user_id)? {
            let handle = device_handle(&row.state);
            let end = match (&only, &keep) {
                (Some(only), _) => handle.as_ref() == Some(only),
                (None, Some(keep)) => handle.as_ref() != Some(keep),
                (None, None) => false,
            };
            if end {
                ended += SessionRow::delete_of_user(conn, user_id, &row.id)?;
            }
        }
        Ok(ended)
    })
    .await
}
