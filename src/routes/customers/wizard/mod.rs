//! The new customer wizard's pages: New customer (account info) → New subscription (licenses per
//! offer) → Review → Submit or Cancel → Confirmation with the Setup info. What was typed lives in a
//! server-side draft (`services::new_customer::wizard`), so Back, Forward and reloads lose nothing.

pub mod account;
pub mod review;
pub mod subscriptions;

use crate::db::models::draft::Draft;
use crate::error::{AppError, AppResult};
use crate::services::new_customer::wizard::{self, WizardData, WizardError};
use crate::state::AppState;

/// A step's query: `?from=review` (Edit on Review: Next returns there) and `?check=domain` (Check
/// availability: the step again with the domain prefix's answer, nothing saved).
#[derive(serde::Deserialize, Default, Clone)]
pub struct StepQuery {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub check: Option<String>,
}

impl StepQuery {
    pub fn from_review(&self) -> bool {
        self.from.as_deref() == Some("review")
    }

    pub fn checks_domain(&self) -> bool {
        self.check.as_deref() == Some("domain")
    }
}

pub fn step_path(id: i64, step: &str) -> String {
    if step.is_empty() {
        format!("/customers/new/{id}")
    } else {
        format!("/customers/new/{id}/{step}")
    }
}

impl From<WizardError> for AppError {
    fn from(err: WizardError) -> Self {
        match err {
            WizardError::NotFound => AppError::NotFound,
            WizardError::Expired => AppError::Gone("errors.draft.expired"),
            WizardError::Db(err) => err.into(),
        }
    }
}

/// The user's draft: 404 for anyone else's, 410 once expired.
pub async fn load(state: &AppState, user_id: i64, id: i64) -> AppResult<(Draft, WizardData)> {
    Ok(wizard::load(&state.db, user_id, id).await?)
}

/// Where a draft that is no longer open sends the user.
pub fn closed_destination(draft: &Draft) -> Option<String> {
    match wizard::closed(draft) {
        Ok(()) => None,
        Err(Some(step)) => Some(step_path(draft.id, step)),
        Err(None) => Some("/customers/new".to_owned()),
    }
}
