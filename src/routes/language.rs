//! The language switcher: kept in the session, and on the user's account when signed in.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::{AppSession, CurrentUser};
use crate::error::AppResult;
use crate::i18n::Locale;
use crate::routes::see_other;
use crate::services::account;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    locale: String,
    next: Option<String>,
}

pub async fn switch(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    form: web::Form<LanguageForm>,
) -> AppResult<HttpResponse> {
    let next = state
        .safe_next(form.next.as_deref())
        .unwrap_or_else(|| "/".into());
    let Some(locale) = Locale::from_code(&form.locale) else {
        return Ok(see_other(&next));
    };
    session.set_locale(locale)?;
    if let Some(user) = CurrentUser::load(&req).await? {
        account::set_locale(&state.db, user.id, locale).await?;
    }
    Ok(see_other(&next))
}
