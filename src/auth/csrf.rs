//! CSRF defence for every state-changing request, in one middleware so no handler can forget it:
//! 1. requests the browser marks as cross-site (`Sec-Fetch-Site`) or whose `Origin` is another site are
//!    refused;
//! 2. the request must carry the session's token — the `csrf_token` form field, the `X-CSRF-Token`
//!    header, or (for multipart uploads, whose body is not buffered here) the `csrf_token` query
//!    parameter — compared in constant time.
//!
//! Either failure is a 403 page, and the handler never runs, so nothing changes.
//!
//! A visitor who is not signed in has no session, and must not get one just for viewing a page (that
//! would be a database write per anonymous page view). Their forms carry a signed double-submit token
//! instead: a random nonce in the `pd_csrf` cookie (HttpOnly), and in the form the HMAC of that nonce
//! under the server's key, which only this server can make. `AnonymousToken` (a middleware) sets the
//! cookie when a page needs it; the check accepts that token only while the session is not signed in.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::EitherBody;
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::{Method, header};
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use subtle::ConstantTimeEq;

use crate::auth::AppSession;
use crate::error::AppError;
use actix_web::cookie::{Cookie, Key, SameSite};
use base64::Engine;
use hmac::{Hmac, Mac};

/// Largest form body buffered for the token check; bigger url-encoded bodies are refused.
const MAX_FORM_BYTES: usize = 256 * 1024;

pub const FIELD: &str = "csrf_token";
/// Where requests authenticate by bearer token only (the API): no CSRF check applies there.
pub const BEARER_ONLY: &str = "/api/v1";
pub const HEADER: &str = "x-csrf-token";

#[derive(Clone)]
pub struct CsrfGuard {
    /// `scheme://host[:port]` of BASE_URL; a request's `Origin` must be this or the origin of its own Host.
    base_origin: Rc<Option<String>>,
}

impl CsrfGuard {
    pub fn new(base_url: Option<&url::Url>) -> Self {
        Self {
            base_origin: Rc::new(base_url.map(|u| u.origin().ascii_serialization())),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for CsrfGuard
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = CsrfMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CsrfMiddleware {
            service: Rc::new(service),
            base_origin: self.base_origin.clone(),
        }))
    }
}

pub struct CsrfMiddleware<S> {
    service: Rc<S>,
    base_origin: Rc<Option<String>>,
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Why a request is refused as cross-site, if it is.
fn cross_site(req: &ServiceRequest, base_origin: Option<&str>) -> Option<&'static str> {
    let fetch_site = req
        .headers()
        .get("sec-fetch-site")
        .map(|v| v.to_str().unwrap_or("").to_owned());
    if let Some(site) = fetch_site.as_deref()
        && !matches!(site, "same-origin" | "none")
    {
        return Some("sec-fetch-site");
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("null");
        if origin == "null" {
            // Browsers send `Origin: null` for a form posted from a page whose Referrer-Policy is
            // no-referrer, as every page here is. Then Sec-Fetch-Site must vouch for the request.
            return (fetch_site.as_deref() != Some("same-origin")).then_some("origin null");
        }
        let info = req.connection_info();
        let own = format!("{}://{}", info.scheme(), info.host());
        let matches_base = base_origin.is_some_and(|b| b.eq_ignore_ascii_case(origin));
        if !(matches_base || own.eq_ignore_ascii_case(origin)) {
            return Some("origin");
        }
    }
    None
}

fn tokens_match(given: &str, expected: &str) -> bool {
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

fn token_from_form(body: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v)
}

fn token_from_query(query: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v)
}

impl<S, B> Service<ServiceRequest> for CsrfMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let base_origin = self.base_origin.clone();
        Box::pin(async move {
            // The API authenticates by bearer token and never by cookie: no token of a browser's can
            // be ridden, so there is nothing to forge (SPEC.md §2.14).
            if is_safe(req.method()) || req.path().starts_with(BEARER_ONLY) {
                return service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_left_body);
            }
            let refuse = |req: ServiceRequest, why: &'static str| {
                let res: HttpResponse = AppError::Csrf(why).error_response();
                Ok(req.into_response(res).map_into_right_body())
            };
            if let Some(why) = cross_site(&req, base_origin.as_deref()) {
                return refuse(req, why);
            }

            let content_type = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase();
            let mut given = req
                .headers()
                .get(HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if given.is_none() && content_type.starts_with("multipart/form-data") {
                given = token_from_query(req.query_string());
            }
            if given.is_none() && content_type.starts_with("application/x-www-form-urlencoded") {
                // Read the body to find the field, then hand the same bytes on to the handler.
                let mut payload = req.take_payload();
                let mut body = web_bytes::BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk?;
                    if body.len() + chunk.len() > MAX_FORM_BYTES {
                        return Ok(req
                            .into_response(
                                AppError::Unprocessable("errors.unprocessable.too_large")
                                    .error_response(),
                            )
                            .map_into_right_body());
                    }
                    body.extend_from_slice(&chunk);
                }
                let body = body.freeze();
                given = token_from_form(&body);
                req.set_payload(Payload::from(body));
            }

            // A signed-in session has its own token; a visitor who is not signed in has the one their
            // cookie vouches for.
            let session = AppSession::of(req.request());
            let expected = match session.existing_csrf_token() {
                Some(token) => Some(token),
                None if matches!(session.user_id(), Ok(None)) => anonymous_expected(&req),
                None => None,
            };
            match (given, expected) {
                (Some(given), Some(expected)) if tokens_match(&given, &expected) => {
                    req.extensions_mut().insert(CsrfChecked);
                    service
                        .call(req)
                        .await
                        .map(ServiceResponse::map_into_left_body)
                }
                (None, _) => refuse(req, "token missing"),
                (_, None) => refuse(req, "no session token"),
                _ => refuse(req, "token mismatch"),
            }
        })
    }
}

/// The cookie holding an anonymous visitor's nonce.
pub const ANONYMOUS_COOKIE: &str = "pd_csrf";

/// The form token for a nonce: HMAC-SHA256 under the server's key, URL-safe base64.
fn anonymous_token(key: &Key, nonce: &str) -> String {
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.signing())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(b"anonymous-csrf:");
    mac.update(nonce.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn plausible_nonce(nonce: &str) -> bool {
    nonce.len() == 43
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// This request's anonymous token: from the visitor's cookie, or new (then the cookie is set on the
/// response, if a page used the token).
#[derive(Clone, Debug)]
struct Anonymous {
    token: String,
    /// A nonce made for this request, not yet in the visitor's cookie.
    fresh_nonce: Option<String>,
}

/// Set on a request whose page put the anonymous token in a form.
#[derive(Clone, Copy, Debug)]
struct AnonymousTokenUsed;

/// The form token for an anonymous visitor's page, if `AnonymousToken` runs for this request.
pub fn anonymous_form_token(req: &actix_web::HttpRequest) -> Option<String> {
    let token = req
        .extensions()
        .get::<Anonymous>()
        .map(|a| a.token.clone())?;
    req.extensions_mut().insert(AnonymousTokenUsed);
    Some(token)
}

/// The token the visitor's cookie vouches for (not one made for this request).
fn anonymous_expected(req: &ServiceRequest) -> Option<String> {
    req.extensions()
        .get::<Anonymous>()
        .filter(|a| a.fresh_nonce.is_none())
        .map(|a| a.token.clone())
}

/// Gives every request its anonymous token, and sets the cookie when a page used a new one. It wraps
/// the error pages, which render forms too.
#[derive(Clone)]
pub struct AnonymousToken {
    key: Rc<Key>,
    secure: bool,
}

impl AnonymousToken {
    pub fn new(key: Key, secure: bool) -> Self {
        Self {
            key: Rc::new(key),
            secure,
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for AnonymousToken
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = AnonymousTokenMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AnonymousTokenMiddleware {
            service: Rc::new(service),
            key: self.key.clone(),
            secure: self.secure,
        }))
    }
}

pub struct AnonymousTokenMiddleware<S> {
    service: Rc<S>,
    key: Rc<Key>,
    secure: bool,
}

impl<S, B> Service<ServiceRequest> for AnonymousTokenMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let key = self.key.clone();
        let secure = self.secure;
        Box::pin(async move {
            let existing = req
                .cookie(ANONYMOUS_COOKIE)
                .map(|c| c.value().to_owned())
                .filter(|n| plausible_nonce(n));
            let anonymous = match existing {
                Some(nonce) => Anonymous {
                    token: anonymous_token(&key, &nonce),
                    fresh_nonce: None,
                },
                None => {
                    let nonce = crate::domain::token::new_token().map_err(AppError::from)?;
                    Anonymous {
                        token: anonymous_token(&key, &nonce),
                        fresh_nonce: Some(nonce),
                    }
                }
            };
            let fresh = anonymous.fresh_nonce.clone();
            req.extensions_mut().insert(anonymous);
            let mut res = service.call(req).await?;
            let used = res
                .request()
                .extensions()
                .get::<AnonymousTokenUsed>()
                .is_some();
            if let (Some(nonce), true) = (fresh, used) {
                let cookie = Cookie::build(ANONYMOUS_COOKIE, nonce)
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .secure(secure)
                    .finish();
                res.response_mut().add_cookie(&cookie)?;
            }
            Ok(res)
        })
    }
}

/// Marks a request that passed the check (useful in tests and debugging).
#[derive(Clone, Copy, Debug)]
pub struct CsrfChecked;

mod web_bytes {
    pub use actix_web::web::BytesMut;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_found_in_a_form_body() {
        assert_eq!(
            token_from_form(b"a=1&csrf_token=abc%2Bdef&b=2").as_deref(),
            Some("abc+def")
        );
        assert_eq!(token_from_form(b"a=1"), None);
        assert_eq!(token_from_query("csrf_token=xyz").as_deref(), Some("xyz"));
    }

    #[test]
    fn an_anonymous_token_belongs_to_its_nonce_and_key() {
        let key = Key::from(&[7u8; 64]);
        let nonce = "a".repeat(43);
        let token = anonymous_token(&key, &nonce);
        assert_eq!(token, anonymous_token(&key, &nonce));
        assert_ne!(token, anonymous_token(&key, &"b".repeat(43)));
        assert_ne!(token, anonymous_token(&Key::from(&[8u8; 64]), &nonce));
        assert!(plausible_nonce(&nonce));
        assert!(!plausible_nonce("short"));
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "abcd"));
    }
}
