//! Indirect resellers enroll themselves: the organisation and its first user exist at once, pending
//! verification, and an operator verifies or rejects (with a reason) each enrollment. The reseller is
//! told by email at each step; every step is in the activity log.

use crate::auth::password;
use crate::db::models::activity::NewActivity;
use crate::db::models::partner::{NewPartner, Partner};
use crate::db::models::user::{NewUser, User};
use crate::db::{Db, DbConnection, DbError};
use crate::domain::form::FormErrors;
use crate::domain::{Country, Email, EnrollmentStatus, PartnerKind, Role};
use crate::email::messages::{EnrollmentReceived, EnrollmentRejected, EnrollmentVerified};
use crate::email::{self};
use crate::error::AppError;
use crate::i18n::{Locale, Tr};
use crate::services::waiting_request;

/// A self-service enrollment, every field checked.
pub struct Enrollment {
    pub company_name: String,
    pub partner_number: String,
    pub country: Country,
    pub contact_name: String,
    pub email: Email,
    pub password: String,
    pub locale: Locale,
    /// The partnership link the reseller enrolled from, kept for it until it is verified.
    pub waiting_link: Option<WaitingLink>,
}

/// A partnership link to keep for the new reseller, and the server's key to seal it.
#[derive(Clone)]
pub struct WaitingLink {
    pub token: String,
    pub key: actix_web::cookie::Key,
}

#[derive(Debug, thiserror::Error)]
pub enum EnrollmentError {
    /// A message per field (the address or the Partner ID is taken); nothing was written.
    #[error("the enrollment was refused")]
    Invalid(FormErrors),
    #[error("not found")]
    NotFound,
    /// An operator reviewed it first.
    #[error("the enrollment was already reviewed")]
    AlreadyReviewed,
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(EnrollmentError);

impl From<EnrollmentError> for AppError {
    fn from(err: EnrollmentError) -> Self {
        match err {
            EnrollmentError::Invalid(_) => AppError::Unprocessable("validation.summary"),
            EnrollmentError::NotFound => AppError::NotFound,
            EnrollmentError::AlreadyReviewed => {
                AppError::Conflict("errors.conflict.already_reviewed")
            }
            EnrollmentError::Db(err) => err.into(),
        }
    }
}

/// Enrolls the reseller with its first user; the user's id (to sign in).
pub async fn enroll(db: &Db, cmd: Enrollment) -> Result<i64, EnrollmentError> {
    let (email, number) = (cmd.email.clone(), cmd.partner_number.clone());
    let (email_taken, number_taken) = db
        .query(move |conn| {
            Ok((
                User::email_taken(conn, &email)?,
                Partner::partner_number_taken(conn, &number)?,
            ))
        })
        .await?;
    let mut errors = FormErrors::new();
    if email_taken {
        errors.add("email", "enroll.email_taken");
    }
    if number_taken {
        errors.add("partner_number", "enroll.partner_number_taken");
    }
    if !errors.is_empty() {
        return Err(EnrollmentError::Invalid(errors));
    }
    let plain = cmd.password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&plain))
        .await
        .map_err(|e| DbError::Failed(anyhow::anyhow!("password hashing was cancelled: {e}")))?
        .map_err(DbError::Failed)?;
    let created = db.write(move |conn| enroll_in(conn, &cmd, &hash)).await;
    match created {
        Ok(id) => Ok(id),
        // Someone took the email or Partner ID between the check and the insert.
        Err(DbError::UniqueViolation) => {
            let mut errors = FormErrors::new();
            errors.add("email", "enroll.email_or_number_taken");
            Err(EnrollmentError::Invalid(errors))
        }
        Err(err) => Err(err.into()),
    }
}

/// Writes the enrollment, in the caller's transaction, with the password already hashed: the reseller
/// (pending), its first user, the activity entry and the email. The user's id.
pub fn enroll_in(
    conn: &mut DbConnection,
    cmd: &Enrollment,
    password_hash: &str,
) -> Result<i64, DbError> {
    let reseller_id = Partner::create(
        conn,
        NewPartner {
            kind: PartnerKind::Reseller,
            name: &cmd.company_name,
            partner_number: Some(&cmd.partner_number),
            country: cmd.country.code(),
            contact_name: &cmd.contact_name,
            contact_email: cmd.email.as_str(),
            enrollment_status: EnrollmentStatus::Pending,
        },
    )?;
    let user_id = User::create(
        conn,
        NewUser {
            email: &cmd.email,
            password_hash,
            role: Role::Reseller,
            partner_id: Some(reseller_id),
            customer_id: None,
            display_name: &cmd.contact_name,
            locale: Some(cmd.locale),
            must_change_password: false,
        },
    )?;
    if let Some(link) = &cmd.waiting_link {
        waiting_request::keep_in(conn, &link.key, &link.token, reseller_id)?;
    }
    NewActivity::new("reseller.enrolled", "partner", Some(reseller_id))
        .by(user_id, Some(reseller_id))
        .reseller(Some(reseller_id))
        .change(None, Some(cmd.company_name.clone()))
        .record(conn)?;
    let message = EnrollmentReceived {
        tr: Tr(cmd.locale),
        name: cmd.contact_name.clone(),
        company: cmd.company_name.clone(),
    };
    email::queue(conn, cmd.email.as_str(), &message)?;
    Ok(user_id)
}

/// A reseller whose enrollment waits for review.
pub async fn pending(db: &Db, id: i64) -> Result<Partner, EnrollmentError> {
    let reseller = db
        .query(move |conn| Partner::find_reseller(conn, id))
        .await
        .map_err(|e| match e {
            DbError::NotFound => EnrollmentError::NotFound,
            other => EnrollmentError::Db(other),
        })?;
    if reseller.enrollment_status != EnrollmentStatus::Pending {
        return Err(EnrollmentError::AlreadyReviewed);
    }
    Ok(reseller)
}

/// An operator's decision on an enrollment.
pub enum Decision {
    Verify,
    Reject(String),
}

/// Where the review's emails point: `BASE_URL`, and the key the waiting links are sealed with.
#[derive(Clone)]
pub struct Links {
    pub base_url: String,
    pub key: actix_web::cookie::Key,
}

pub async fn review(
    db: &Db,
    operator: i64,
    id: i64,
    decision: Decision,
    links: Links,
) -> Result<(), EnrollmentError> {
    db.write(move |conn| review_in(conn, operator, id, &decision, &links))
        .await
}

/// Records the decision, in the caller's transaction, with its activity entry and emails.
pub fn review_in(
    conn: &mut DbConnection,
    operator: i64,
    id: i64,
    decision: &Decision,
    links: &Links,
) -> Result<(), EnrollmentError> {
    let sign_in_url = format!("{}/sign-in", links.base_url);
    let reseller = Partner::find_reseller(conn, id).map_err(|e| match DbError::from(e) {
        DbError::NotFound => EnrollmentError::NotFound,
        other => EnrollmentError::Db(other),
    })?;
    let (status, reason) = match decision {
        Decision::Verify => (EnrollmentStatus::Verified, None),
        Decision::Reject(reason) => (EnrollmentStatus::Rejected, Some(reason.as_str())),
    };
    if !Partner::review_enrollment(conn, id, status, reason, operator)? {
        return Err(EnrollmentError::AlreadyReviewed);
    }
    let action = match decision {
        Decision::Verify => "reseller.verified",
        Decision::Reject(_) => "reseller.rejected",
    };
    NewActivity::new(action, "partner", Some(id))
        .by(operator, None)
        .reseller(Some(id))
        .change(Some("pending".into()), Some(status.as_str().into()))
        .record(conn)?;
    // The partnership requests that waited for the verification, offered again in its email.
    let waiting = match decision {
        Decision::Verify => {
            waiting_request::for_reseller_in(conn, &links.key, &links.base_url, id)?
        }
        Decision::Reject(_) => Vec::new(),
    };
    for to in User::of_partner(conn, id)? {
        let tr = Tr(to.locale.unwrap_or_default());
        match decision {
            Decision::Verify => email::queue(
                conn,
                &to.email,
                &EnrollmentVerified {
                    tr,
                    name: to.display_name.clone(),
                    company: reseller.name.clone(),
                    sign_in_url: sign_in_url.clone(),
                    waiting: waiting
                        .iter()
                        .map(|w| (w.provider.clone(), w.link.clone()))
                        .collect(),
                },
            )?,
            Decision::Reject(reason) => email::queue(
                conn,
                &to.email,
                &EnrollmentRejected {
                    tr,
                    name: to.display_name.clone(),
                    company: reseller.name.clone(),
                    reason: reason.clone(),
                },
            )?,
        };
    }
    Ok(())
}
