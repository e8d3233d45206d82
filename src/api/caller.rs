//! Who calls the API: `Authorization: Bearer <token>` (never a cookie, so no CSRF token is needed),
//! the token live and its member active, within the token's rate; then the same `Signed<R, P>` check
//! as the pages (another kind of organisation or a role that does not allow it: 404), and a read-only
//! token may only read.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::problem::Problem;
use crate::auth::{Access, CurrentUser, Permission, Signed, can};
use crate::db::models::api_token::{self, ApiToken};
use crate::i18n::Tr;
use crate::state::AppState;

/// The member a token vouches for, admitted as `Signed<R, P>` would admit them.
pub struct Api<R: Access, P: Permission = can::Read> {
    pub signed: Signed<R, P>,
    pub token: Rc<ApiToken>,
    _access: PhantomData<(R, P)>,
}

impl<R: Access, P: Permission> std::ops::Deref for Api<R, P> {
    type Target = Signed<R, P>;

    fn deref(&self) -> &Signed<R, P> {
        &self.signed
    }
}

impl<R: Access, P: Permission> Api<R, P> {
    /// Messages in the member's language.
    pub fn tr(&self) -> Tr {
        Tr(self.signed.user.locale.unwrap_or_default())
    }
}

/// The token and user of this request, found once.
#[derive(Clone)]
struct Vouched(Rc<ApiToken>, Rc<CurrentUser>);

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The token's member, checked once per request.
async fn vouched(req: &HttpRequest) -> Result<Vouched, Problem> {
    if let Some(found) = req.extensions().get::<Vouched>() {
        return Ok(found.clone());
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(Problem::internal)?
        .clone();
    let Some(secret) = bearer(req) else {
        return Err(Problem::unauthorized(
            "Send an API token as Authorization: Bearer <token> (Account → API tokens).",
        ));
    };
    let found = crate::services::api_tokens::authenticate(&state.db, &secret, state.now()).await?;
    let Some((token, row)) = found else {
        return Err(Problem::unauthorized(
            "The token is unknown, expired or revoked, or its member was deactivated.",
        ));
    };
    if let Some(wait) = state.throttle.api_wait(token.id).await {
        return Err(Problem::too_many_requests(wait));
    }
    let found = Vouched(Rc::new(token), Rc::new(CurrentUser::from_row(row)));
    req.extensions_mut()
        .insert(crate::telemetry::LoggedUser(found.1.id));
    req.extensions_mut().insert(found.clone());
    Ok(found)
}

impl<R: Access + 'static, P: Permission + 'static> FromRequest for Api<R, P> {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Problem>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let Vouched(token, user) = vouched(&req).await?;
            let safe = matches!(*req.method(), Method::GET | Method::HEAD);
            if !safe && token.access() == api_token::Access::Read {
                return Err(Problem::forbidden(
                    "This token is read-only; make a read-write token to change things.",
                ));
            }
            if user.must_change_password || user.must_set_up_mfa() {
                return Err(Problem::forbidden(
                    "Sign in to the dashboard first: your organisation asks you to replace a \
                     temporary password or set up multi-factor sign-in.",
                ));
            }
            let signed = Signed::<R, P>::vouched(user).ok_or_else(Problem::not_found)?;
            Ok(Api {
                signed,
                token,
                _access: PhantomData,
            })
        })
    }
}
