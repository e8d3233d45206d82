//! A provider's listing on the public official indirect providers list changes by request: the provider
//! files one (company name, logo, a target URL per location; one open at a time), an operator starts
//! the review, then approves it (the listing changes at once, all of it) or rejects it with a reason.
//! The provider's users are told by email; every step is in the activity log.

use crate::db::models::activity::NewActivity;
use crate::db::models::profile::{Location, Logo, ProfileChangeRequest, ProviderProfile};
use crate::db::models::user::User;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::{ProfileRequestStatus, ProviderId};
use crate::email::{self, messages::ProfileReviewed};
use crate::error::AppError;
use crate::i18n::Tr;

/// A logo, its type judged from its bytes.
pub struct NewLogo {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Request a profile change, every field checked.
pub struct ChangeRequest {
    pub provider: ProviderId,
    pub user_id: i64,
    pub company_name: String,
    pub logo: Option<NewLogo>,
    pub locations: Vec<Location>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// A request is open already (one at a time).
    #[error("a request is open already")]
    AlreadyOpen,
    /// The request was decided (or its review started) by someone else first.
    #[error("the request was decided already")]
    AlreadyDecided,
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(ProfileError);

impl From<ProfileError> for AppError {
    fn from(err: ProfileError) -> Self {
        match err {
            ProfileError::AlreadyOpen => AppError::Conflict("profile.already_open"),
            ProfileError::AlreadyDecided => {
                AppError::Conflict("operations.profile_requests.already_decided")
            }
            ProfileError::Db(err) => err.into(),
        }
    }
}

/// Files the request (status Submitted, expected within 21 days); its id.
pub async fn request(db: &Db, cmd: ChangeRequest) -> Result<i64, ProfileError> {
    let result = db
        .write(move |conn| {
            let provider = cmd.provider;
            if ProfileChangeRequest::latest(conn, provider)?.is_some_and(|r| r.is_open()) {
                return Err(ProfileError::AlreadyOpen);
            }
            let logo_id = match &cmd.logo {
                Some(logo) => Some(Logo::create(
                    conn,
                    provider.get(),
                    logo.content_type,
                    &logo.bytes,
                )?),
                None => None,
            };
            let id = ProfileChangeRequest::create(
                conn,
                provider,
                cmd.user_id,
                &cmd.company_name,
                logo_id,
                &cmd.locations,
            )?;
            NewActivity::new(
                "profile_request.submitted",
                "profile_change_request",
                Some(id),
            )
            .by(cmd.user_id, Some(provider.get()))
            .provider(Some(provider.get()))
            .change(None, Some(cmd.company_name.clone()))
            .record(conn)?;
            Ok(id)
        })
        .await;
    match result {
        // Another request was filed at the same moment (one open per provider, by a unique index).
        Err(ProfileError::Db(DbError::UniqueViolation)) => Err(ProfileError::AlreadyOpen),
        other => other,
    }
}

/// Marks a submitted request In review, so the provider sees someone has it.
pub async fn start_review(db: &Db, operator: i64, id: i64) -> Result<(), ProfileError> {
    use ProfileRequestStatus::{InReview, Submitted};
    db.write(move |conn| {
        let request = ProfileChangeRequest::find(conn, id)?;
        if !ProfileChangeRequest::decide(conn, id, &[Submitted], InReview, operator, None)? {
            return Err(ProfileError::AlreadyDecided);
        }
        NewActivity::new(
            "profile_request.review_started",
            "profile_change_request",
            Some(id),
        )
        .by(operator, None)
        .provider(Some(request.provider_id))
        .change(
            Some(Submitted.as_str().into()),
            Some(InReview.as_str().into()),
        )
        .record(conn)?;
        Ok(())
    })
    .await
}

/// Approves (`reason` none) or rejects an open request, in one transaction with the listing change, the
/// activity entry and the emails.
pub async fn decide(
    db: &Db,
    operator: i64,
    id: i64,
    reason: Option<String>,
    profile_url: String,
) -> Result<(), ProfileError> {
    use ProfileRequestStatus::{Completed, InReview, Rejected, Submitted};
    db.write(move |conn| {
        let request = ProfileChangeRequest::find(conn, id)?;
        let to = if reason.is_some() {
            Rejected
        } else {
            Completed
        };
        if !ProfileChangeRequest::decide(
            conn,
            id,
            &[Submitted, InReview],
            to,
            operator,
            reason.as_deref(),
        )? {
            return Err(ProfileError::AlreadyDecided);
        }
        let before = ProviderProfile::of(conn, request.provider_id)?.map(|p| p.company_name);
        if reason.is_none() {
            ProviderProfile::apply(conn, &request)?;
        }
        let action = if reason.is_none() {
            "profile_request.approved"
        } else {
            "profile_request.rejected"
        };
        NewActivity::new(action, "profile_change_request", Some(id))
            .by(operator, None)
            .provider(Some(request.provider_id))
            .change(before, Some(request.company_name.clone()))
            .record(conn)?;
        tell_provider(conn, &request, reason.as_deref(), &profile_url)?;
        Ok(())
    })
    .await
}

fn tell_provider(
    conn: &mut DbConnection,
    request: &ProfileChangeRequest,
    reason: Option<&str>,
    profile_url: &str,
) -> Result<(), DbError> {
    for to in User::of_partner(conn, request.provider_id)? {
        email::queue(
            conn,
            &to.email,
            &ProfileReviewed {
                tr: Tr(to.locale.unwrap_or_default()),
                name: to.display_name.clone(),
                company: request.company_name.clone(),
                approved: reason.is_none(),
                reason: reason.unwrap_or_default().to_owned(),
                profile_url: profile_url.to_owned(),
            },
        )?;
    }
    Ok(())
}
