//! Request a partnership: a request is made with its personal link, and its draft message is shown with
//! Open in email, Copy to clipboard, Send email and Done (the shared flow of `link_draft`).

use actix_web::{HttpResponse, web};

use crate::auth::{AppSession, ProviderStaff, Signed, can};
use crate::error::AppResult;
use crate::routes::link_draft::{self, Options, Partnership};
use crate::state::AppState;

/// Makes a new request with its link and opens its draft.
pub async fn create(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
) -> AppResult<HttpResponse> {
    let options = Options {
        reseller_id: None,
        include_delegated_admin: false,
    };
    link_draft::create::<Partnership>(&state, &session, &user, options).await
}
