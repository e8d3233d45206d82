//! A reseller answers a partnership request by its personal link: authorizes the provider (the
//! partnership starts, or starts again) or declines. Exactly one answer counts; the provider user who
//! sent the request is told by email.

use crate::db::models::activity::NewActivity;
use crate::db::models::partner::Partner;
use crate::db::models::partnership::{Accepted, Partnership};
use crate::db::models::relationship_request::RelationshipRequest;
use crate::db::models::user::User;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::{EnrollmentStatus, ProviderId, RequestKind, RequestStatus};
use crate::email::{self, messages::PartnershipAnswered};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::services::counters;
use crate::services::link_request::{Unusable, by_token};

#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error(transparent)]
    Unusable(#[from] Unusable),
    /// The reseller's enrollment is not verified (any more).
    #[error("the reseller is not verified")]
    NotVerified,
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(AnswerError);

impl From<AnswerError> for AppError {
    fn from(err: AnswerError) -> Self {
        match err {
            AnswerError::Unusable(why) => why.into(),
            AnswerError::NotVerified => AppError::Forbidden("errors.link.reseller_pending"),
            AnswerError::Db(err) => err.into(),
        }
    }
}

/// What the link's page shows a reseller.
pub struct Asked {
    pub provider_name: String,
    /// The reseller is partnered with the provider already (`None` when nobody is signed in).
    pub already_partnered: Option<bool>,
}

/// The request behind a link, for its page; `reseller` is who is signed in, if a reseller is.
pub async fn asked(db: &Db, token: String, reseller: Option<i64>) -> Result<Asked, AnswerError> {
    db.read(move |conn| {
        let request = by_token(conn, RequestKind::Partnership, &token)??;
        let already_partnered = match reseller {
            Some(r) => Some(Partnership::active(conn, request.provider_id, r)?.is_some()),
            None => None,
        };
        Ok(Asked {
            provider_name: Partner::find(conn, request.provider_id)?.name,
            already_partnered,
        })
    })
    .await
}

pub struct Answer {
    pub token: String,
    pub reseller_id: i64,
    pub user_id: i64,
    pub accept: bool,
    /// `BASE_URL`, for the link in the email to the provider.
    pub base_url: String,
}

/// How the answer went; each carries the provider's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answered {
    Accepted(String),
    Declined(String),
    /// Partnered already: nothing to do.
    AlreadyPartnered(String),
    /// Another of the provider's requests was accepted at the same moment; that one made the
    /// partnership.
    AcceptedMeanwhile,
}

pub async fn answer(db: &Db, cmd: Answer) -> Result<Answered, AnswerError> {
    let result = db.write(move |conn| answer_in(conn, &cmd)).await;
    match result {
        // Two of this provider's requests accepted at the same moment: the other one made it.
        Err(AnswerError::Db(DbError::UniqueViolation)) => Ok(Answered::AcceptedMeanwhile),
        other => other,
    }
}

/// The answer, in the caller's transaction.
pub fn answer_in(conn: &mut DbConnection, cmd: &Answer) -> Result<Answered, AnswerError> {
    let request = by_token(conn, RequestKind::Partnership, &cmd.token)??;
    #[expect(
        clippy::disallowed_methods,
        reason = "the provider of the request behind a checked link"
    )]
    let provider_id = ProviderId::established(request.provider_id);
    let provider = Partner::find(conn, request.provider_id)?;
    let reseller = Partner::find_reseller(conn, cmd.reseller_id)?;
    if reseller.enrollment_status != EnrollmentStatus::Verified {
        return Err(AnswerError::NotVerified);
    }
    if Partnership::active(conn, provider.id, cmd.reseller_id)?.is_some() {
        return Ok(Answered::AlreadyPartnered(provider.name));
    }
    let status = if cmd.accept {
        RequestStatus::Accepted
    } else {
        RequestStatus::Declined
    };
    let accepted_by = cmd.accept.then_some(cmd.reseller_id);
    if !RelationshipRequest::respond(conn, request.id, status, Some(cmd.user_id), accepted_by)? {
        // Someone answered this link a moment ago.
        return Err(AnswerError::Unusable(Unusable::Used));
    }
    let entry = if cmd.accept {
        let id = match Partnership::activate(
            conn,
            provider.id,
            cmd.reseller_id,
            &reseller.name,
            Some(request.id),
        )? {
            Accepted::Created(id) | Accepted::Reactivated(id) => id,
        };
        counters::partnership_started(conn, provider_id)?;
        NewActivity::new("partnership.accepted", "partnership", Some(id))
    } else {
        NewActivity::new(
            "partnership_request.declined",
            "relationship_request",
            Some(request.id),
        )
    };
    entry
        .by(cmd.user_id, Some(cmd.reseller_id))
        .provider(Some(provider.id))
        .reseller(Some(cmd.reseller_id))
        .change(Some("pending".into()), Some(status.as_str().into()))
        .record(conn)?;
    let sender = User::find(conn, request.created_by)?;
    let message = PartnershipAnswered {
        tr: Tr(sender.locale.unwrap_or_default()),
        name: sender.display_name.clone(),
        reseller: reseller.name.clone(),
        accepted: cmd.accept,
        list_url: format!("{}/indirect-resellers", cmd.base_url),
    };
    email::queue(conn, &sender.email, &message)?;
    Ok(if cmd.accept {
        Answered::Accepted(provider.name)
    } else {
        Answered::Declined(provider.name)
    })
}
