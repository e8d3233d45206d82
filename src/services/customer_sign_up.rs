//! An organisation signs up on its own (/customers/sign-up): it then exists with no provider, ready to
//! accept invitations, and its admin is its first user.

use crate::auth::password;
use crate::db::models::activity::NewActivity;
use crate::db::models::customer::{Customer, NewCustomer};
use crate::db::models::user::{NewUser, User};
use crate::db::{Db, DbConnection, DbError};
use crate::domain::form::FormErrors;
use crate::domain::{Country, DomainPrefix, Email, Role};
use crate::error::AppError;
use crate::i18n::Locale;

/// A sign-up, every field checked.
pub struct SignUp {
    pub company_name: String,
    pub domain: DomainPrefix,
    pub country: Country,
    pub contact_first_name: String,
    pub contact_last_name: String,
    pub email: Email,
    pub password: String,
    pub locale: Locale,
}

#[derive(Debug, thiserror::Error)]
pub enum SignUpError {
    /// A message per field (the domain or the address is taken); nothing was written.
    #[error("the sign-up was refused")]
    Invalid(FormErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(SignUpError);

impl From<SignUpError> for AppError {
    fn from(err: SignUpError) -> Self {
        match err {
            SignUpError::Invalid(_) => AppError::Unprocessable("validation.summary"),
            SignUpError::Db(err) => err.into(),
        }
    }
}

/// Makes the customer and its admin; the admin's user id (to sign in).
pub async fn sign_up(db: &Db, cmd: SignUp) -> Result<i64, SignUpError> {
    let (d, e) = (cmd.domain.clone(), cmd.email.clone());
    let (domain_taken, email_taken) = db
        .query(move |conn| {
            Ok((
                Customer::domain_taken(conn, d.as_str())?,
                User::email_taken(conn, &e)?,
            ))
        })
        .await?;
    let mut errors = FormErrors::new();
    if domain_taken {
        errors.add("domain_prefix", "wizard.domain_taken");
    }
    if email_taken {
        errors.add("email", "enroll.email_taken");
    }
    if !errors.is_empty() {
        return Err(SignUpError::Invalid(errors));
    }
    let plain = cmd.password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&plain))
        .await
        .map_err(|e| DbError::Failed(anyhow::anyhow!("password hashing was cancelled: {e}")))?
        .map_err(DbError::Failed)?;
    let created = db.write(move |conn| sign_up_in(conn, &cmd, &hash)).await;
    match created {
        Ok(id) => Ok(id),
        Err(DbError::UniqueViolation) => {
            let mut errors = FormErrors::new();
            errors.add("domain_prefix", "enroll.email_or_number_taken");
            Err(SignUpError::Invalid(errors))
        }
        Err(err) => Err(err.into()),
    }
}

/// Writes the customer and its admin, in the caller's transaction, with the password already hashed.
/// The admin's user id.
pub fn sign_up_in(
    conn: &mut DbConnection,
    cmd: &SignUp,
    password_hash: &str,
) -> Result<i64, DbError> {
    let customer_id = Customer::create(
        conn,
        &NewCustomer {
            company_name: &cmd.company_name,
            domain_prefix: cmd.domain.as_str(),
            address_line1: "",
            address_line2: "",
            city: "",
            state: "",
            postal_code: "",
            country: cmd.country.code(),
            contact_first_name: &cmd.contact_first_name,
            contact_last_name: &cmd.contact_last_name,
            contact_email: cmd.email.as_str(),
            contact_phone: "",
            language: cmd.locale,
        },
    )?;
    let name = format!("{} {}", cmd.contact_first_name, cmd.contact_last_name);
    let user_id = User::create(
        conn,
        NewUser {
            email: &cmd.email,
            password_hash,
            role: Role::Customer,
            partner_id: None,
            customer_id: Some(customer_id),
            display_name: &name,
            locale: Some(cmd.locale),
            must_change_password: false,
        },
    )?;
    NewActivity::new("customer.signed_up", "customer", Some(customer_id))
        .by(user_id, None)
        .customer(Some(customer_id))
        .change(None, Some(cmd.company_name.clone()))
        .record(conn)?;
    Ok(user_id)
}
