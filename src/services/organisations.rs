//! Organisations the platform makes: a provider with its first user (by an operator in the console, or
//! on the command line) and operators (on the command line). Logged in the activity log.

use crate::db::models::activity::NewActivity;
use crate::db::models::partner::{NewPartner, Partner};
use crate::db::models::user::{NewUser, User};
use crate::db::{Db, DbConnection, DbError};
use crate::domain::{Country, Email, EnrollmentStatus, PartnerKind, ProviderId, Role};
use crate::error::AppError;

/// A provider organisation and its first user.
pub struct NewProvider {
    pub name: String,
    pub country: Country,
    pub user_name: String,
    pub email: Email,
    pub password_hash: String,
    /// The password is a temporary one, to be replaced at first sign-in.
    pub must_change_password: bool,
    /// The operator who created it (none from the command line).
    pub created_by: Option<i64>,
    /// Members must set up multi-factor authentication (on for providers an operator makes, from the
    /// console or the command line; the organisation's admins can turn it off on Team).
    pub require_mfa: bool,
}

/// What was made.
#[derive(Clone, Copy, Debug)]
pub struct MadeProvider {
    pub provider: ProviderId,
    pub user_id: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum OrganisationError {
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(OrganisationError);

impl From<OrganisationError> for AppError {
    fn from(err: OrganisationError) -> Self {
        match err {
            OrganisationError::EmailTaken => AppError::Conflict("operations.providers.email_taken"),
            OrganisationError::Db(err) => err.into(),
        }
    }
}

/// Creates the provider and its first user, in the caller's transaction.
pub fn create_provider_in(
    conn: &mut DbConnection,
    new: &NewProvider,
) -> Result<MadeProvider, OrganisationError> {
    if User::email_taken(conn, &new.email)? {
        return Err(OrganisationError::EmailTaken);
    }
    let provider_id = Partner::create(
        conn,
        NewPartner {
            kind: PartnerKind::Provider,
            name: &new.name,
            partner_number: None,
            country: new.country.code(),
            contact_name: &new.user_name,
            contact_email: new.email.as_str(),
            enrollment_status: EnrollmentStatus::Verified,
        },
    )?;
    if new.require_mfa {
        Partner::set_require_mfa(conn, provider_id, true)?;
    }
    let user_id = User::create(
        conn,
        NewUser {
            email: &new.email,
            password_hash: &new.password_hash,
            role: Role::Provider,
            partner_id: Some(provider_id),
            customer_id: None,
            display_name: &new.user_name,
            locale: None,
            must_change_password: new.must_change_password,
        },
    )?;
    let mut activity = NewActivity::new("provider.created", "partner", Some(provider_id))
        .provider(Some(provider_id))
        .change(None, Some(new.name.clone()));
    if let Some(operator) = new.created_by {
        activity = activity.by(operator, None);
    }
    activity.record(conn)?;
    #[expect(
        clippy::disallowed_methods,
        reason = "the provider was created just now"
    )]
    let provider = ProviderId::established(provider_id);
    Ok(MadeProvider { provider, user_id })
}

/// The console's Create provider (its own transaction).
pub async fn create_provider(db: &Db, new: NewProvider) -> Result<MadeProvider, OrganisationError> {
    let result = db.write(move |conn| create_provider_in(conn, &new)).await;
    match result {
        Err(OrganisationError::Db(DbError::UniqueViolation)) => Err(OrganisationError::EmailTaken),
        other => other,
    }
}

/// Creates an operator, in the caller's transaction; its user id.
pub fn create_operator_in(
    conn: &mut DbConnection,
    email: &Email,
    name: &str,
    password_hash: &str,
) -> Result<i64, OrganisationError> {
    if User::email_taken(conn, email)? {
        return Err(OrganisationError::EmailTaken);
    }
    let id = User::create(
        conn,
        NewUser {
            email,
            password_hash,
            role: Role::Operator,
            partner_id: None,
            customer_id: None,
            display_name: name,
            locale: None,
            must_change_password: false,
        },
    )?;
    NewActivity::new("operator.created", "user", Some(id))
        .change(None, Some(email.to_string()))
        .record(conn)?;
    Ok(id)
}

/// The platform's **Require multi-factor authentication** for operators (a platform admin switches it;
/// logged): operators without it are sent to set it up at their next page.
pub async fn set_platform_mfa(db: &Db, by: i64, required: bool) -> Result<(), DbError> {
    db.execute(move |conn| {
        if crate::db::models::platform::Platform::set_require_mfa(conn, required)? {
            NewActivity::new("platform.mfa_required_changed", "platform", None)
                .by(by, None)
                .change(Some((!required).to_string()), Some(required.to_string()))
                .record(conn)?;
        }
        Ok(())
    })
    .await
}
