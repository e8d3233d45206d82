//! Who is asking, and what they may do. Roles are checked in exactly one place: the `Signed<R>` extractor.
//! It yields the signed-in user and the organisation they act for; every query is then scoped by that
//! organisation's id (`ProviderId`, `ResellerId`, `CustomerId`), which only this module hands out.

pub mod csrf;
pub mod password;
pub mod seal;
pub mod session;
pub mod session_store;
pub mod throttle;

use std::future::Future;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::db::models::user::{PartnerSummary, User};
use crate::error::AppError;
use crate::i18n::Locale;
use crate::startup::AppState;

pub use session::AppSession;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Role {
    Operator,
    Provider,
    Reseller,
    Customer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Provider => "provider",
            Self::Reseller => "reseller",
            Self::Customer => "customer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "operator" => Some(Self::Operator),
            "provider" => Some(Self::Provider),
            "reseller" => Some(Self::Reseller),
            "customer" => Some(Self::Customer),
            _ => None,
        }
    }

    /// Where this role lands after signing in.
    pub fn home(self) -> &'static str {
        match self {
            Self::Operator => "/operations",
            Self::Provider => "/",
            Self::Reseller => "/indirect-providers",
            Self::Customer => "/my/subscriptions",
        }
    }
}

/// The signed-in user of this request, loaded once and cached in the request's extensions.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub partner: Option<PartnerSummary>,
    pub customer_id: Option<i64>,
    pub must_change_password: bool,
    pub locale: Option<Locale>,
}

#[derive(Clone)]
struct CachedUser(Option<Rc<CurrentUser>>);

impl CurrentUser {
    pub(crate) fn from_row(user: User, partner: Option<PartnerSummary>) -> Self {
        Self {
            id: user.id,
            role: user.role(),
            locale: user.locale(),
            email: user.email,
            display_name: user.display_name,
            partner,
            customer_id: user.customer_id,
            must_change_password: user.must_change_password,
        }
    }

    /// The signed-in user, if any. A session whose user was disabled or deleted is ended.
    pub async fn load(req: &HttpRequest) -> Result<Option<Rc<CurrentUser>>, AppError> {
        if let Some(CachedUser(cached)) = req.extensions().get::<CachedUser>() {
            return Ok(cached.clone());
        }
        let session = AppSession::of(req);
        let user = match session.user_id()? {
            None => None,
            Some(id) => {
                // The session store loads the user with the session, in the same trip to the
                // database; the query here covers a session that changed hands during this request.
                let row = match session.preloaded_user(id) {
                    Some(user) => Some(user),
                    None => {
                        let state = req
                            .app_data::<web::Data<AppState>>()
                            .ok_or_else(|| anyhow::anyhow!("application state missing"))?;
                        state
                            .db
                            .read(move |conn| Ok(User::load_signed_in(conn, id)?))
                            .await?
                            .map(|(user, partner)| CurrentUser::from_row(user, partner))
                    }
                };
                match row {
                    Some(user) => {
                        session.touch()?;
                        Some(Rc::new(user))
                    }
                    None => {
                        session.sign_out();
                        None
                    }
                }
            }
        };
        req.extensions_mut().insert(CachedUser(user.clone()));
        Ok(user)
    }

    /// Forgets the cached user (after the request changed who is signed in).
    pub fn forget(req: &HttpRequest) {
        req.extensions_mut().remove::<CachedUser>();
    }

    pub fn partner_id(&self) -> Option<i64> {
        self.partner.as_ref().map(|p| p.id)
    }

    pub fn partner_name(&self) -> Option<&str> {
        self.partner.as_ref().map(|p| p.name.as_str())
    }

    /// A reseller whose enrollment an operator has verified.
    pub fn is_verified_reseller(&self) -> bool {
        self.role == Role::Reseller
            && self
                .partner
                .as_ref()
                .is_some_and(|p| p.enrollment_status == "verified")
    }
}

/// Which users an extractor admits. Anyone else gets a 404: a page of another role does not exist
/// for them, the same answer as another tenant's row.
pub trait Access {
    fn permits(user: &CurrentUser) -> bool;
    /// Whether a user who must change a temporary password is sent to do that first.
    const ENFORCE_PASSWORD_CHANGE: bool = true;
}

/// Any signed-in user.
pub struct AnyRole;
/// Staff of an indirect provider.
pub struct ProviderStaff;
/// Staff of an indirect reseller (verified or not; pages say what an unverified one may do).
pub struct ResellerStaff;
/// Platform operators.
pub struct OperatorStaff;
/// A customer's admin account.
pub struct CustomerAdmin;
/// Any signed-in user, including one who still has to replace a temporary password.
pub struct PasswordChange;

impl Access for AnyRole {
    fn permits(_: &CurrentUser) -> bool {
        true
    }
}

impl Access for ProviderStaff {
    fn permits(user: &CurrentUser) -> bool {
        user.role == Role::Provider && user.partner.as_ref().is_some_and(|p| p.kind == "provider")
    }
}

impl Access for ResellerStaff {
    fn permits(user: &CurrentUser) -> bool {
        user.role == Role::Reseller && user.partner.as_ref().is_some_and(|p| p.kind == "reseller")
    }
}

impl Access for OperatorStaff {
    fn permits(user: &CurrentUser) -> bool {
        user.role == Role::Operator
    }
}

impl Access for CustomerAdmin {
    fn permits(user: &CurrentUser) -> bool {
        user.role == Role::Customer && user.customer_id.is_some()
    }
}

impl Access for PasswordChange {
    fn permits(_: &CurrentUser) -> bool {
        true
    }
    const ENFORCE_PASSWORD_CHANGE: bool = false;
}

/// The signed-in user, admitted by `R`.
pub struct Signed<R: Access> {
    pub user: Rc<CurrentUser>,
    _access: PhantomData<R>,
}

impl<R: Access> std::ops::Deref for Signed<R> {
    type Target = CurrentUser;

    fn deref(&self) -> &CurrentUser {
        &self.user
    }
}

impl<R: Access + 'static> FromRequest for Signed<R> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let Some(user) = CurrentUser::load(&req).await? else {
                return Err(AppError::SignInRequired {
                    next: return_path(&req),
                });
            };
            if R::ENFORCE_PASSWORD_CHANGE && user.must_change_password {
                return Err(AppError::PasswordChangeRequired);
            }
            if !R::permits(&user) {
                return Err(AppError::NotFound);
            }
            Ok(Signed {
                user,
                _access: PhantomData,
            })
        })
    }
}

/// Where to come back to after signing in: the page asked for (GET), else the home page.
fn return_path(req: &HttpRequest) -> String {
    if req.method() == actix_web::http::Method::GET {
        let uri = req.uri();
        uri.path_and_query()
            .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned())
    } else {
        "/".to_owned()
    }
}

/// Accepts only a path on this site as a place to return to: an open redirect would let a phishing
/// link borrow the dashboard's name. Control characters and backslashes are refused anywhere (browsers
/// drop a tab or a line break and read `/\t/evil.example` as `//evil.example`); what is left is resolved
/// against BASE_URL with the `url` crate and must keep its origin. The path and query come back
/// normalised (percent-encoded), ready for a `Location` header.
pub fn safe_next(next: Option<&str>, base: &url::Url) -> Option<String> {
    let next = next?;
    let plain = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 2000
        && !next
            .chars()
            .any(|c| c.is_control() || c == '\\' || c == '\u{7f}');
    if !plain {
        return None;
    }
    let resolved = base.join(next).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    let mut path = resolved.path().to_owned();
    if let Some(query) = resolved.query() {
        path.push('?');
        path.push_str(query);
    }
    Some(path)
}

/// The address of the client behind this request: the connection's peer, unless the peer is one of
/// the trusted proxies, when `X-Forwarded-For` is read from the right, past the trusted hops. A header
/// from anyone else is ignored (it is the client's to forge).
pub fn client_address(req: &HttpRequest, trusted: &[ipnet::IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect();
    Some(
        hops.iter()
            .rev()
            .find(|ip| !is_trusted(ip))
            .or_else(|| hops.first())
            .copied()
            .unwrap_or(peer),
    )
}

/// A provider's id as the scope of a query. Obtainable only from a signed-in provider user (or by code
/// that has checked the relationship itself), so a handler cannot scope by an id from the URL by mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProviderId(i64);

/// A reseller's id as the scope of a query; see `ProviderId`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResellerId(i64);

/// A customer's id as the scope of a customer admin's queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomerId(i64);

macro_rules! scope_id {
    ($t:ident) => {
        impl $t {
            pub fn get(self) -> i64 {
                self.0
            }

            /// For code that established the relationship itself (CLI, demo data, checked joins).
            pub fn trusted(id: i64) -> Self {
                Self(id)
            }
        }
    };
}
scope_id!(ProviderId);
scope_id!(ResellerId);
scope_id!(CustomerId);

impl Signed<ProviderStaff> {
    pub fn provider_id(&self) -> ProviderId {
        ProviderId(self.user.partner_id().unwrap_or_default())
    }
}

impl Signed<ResellerStaff> {
    pub fn reseller_id(&self) -> ResellerId {
        ResellerId(self.user.partner_id().unwrap_or_default())
    }
}

impl Signed<CustomerAdmin> {
    pub fn customer_id(&self) -> CustomerId {
        CustomerId(self.user.customer_id.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy() {
        use actix_web::test::TestRequest;
        let lb: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let req = |peer: &str, xff: Option<&str>| {
            let mut r = TestRequest::default().peer_addr(peer.parse().unwrap());
            if let Some(xff) = xff {
                r = r.insert_header(("x-forwarded-for", xff));
            }
            r.to_http_request()
        };
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // No trusted proxies: the header is the client's to forge, and ignored.
        assert_eq!(
            client_address(&req("198.51.100.7:5000", Some("1.2.3.4")), &[]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_address(&req("198.51.100.7:5000", Some("1.2.3.4")), &lb),
            ip("198.51.100.7")
        );
        // Behind the load balancer: the rightmost hop that is not one of ours.
        assert_eq!(
            client_address(
                &req("10.0.0.2:5000", Some("1.2.3.4, 203.0.113.5, 10.0.0.9")),
                &lb
            ),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_address(&req("10.0.0.2:5000", None), &lb),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        let base = url::Url::parse("https://partners.example.com").unwrap();
        let next = |s: &str| safe_next(Some(s), &base);
        assert_eq!(
            next("/customers?page=2").as_deref(),
            Some("/customers?page=2")
        );
        assert_eq!(
            next("/customers?q=中").as_deref(),
            Some("/customers?q=%E4%B8%AD")
        );
        for bad in [
            "//evil.example/",
            "/\\evil.example",
            "/\t/evil.example",
            "/\r\n/evil.example",
            "/x\r\nSet-Cookie: a=b",
            "/\u{7f}/evil.example",
            "/a\\b",
            "https://evil.example/",
            "https://partners.example.com/customers",
            "evil.example",
            "",
        ] {
            assert_eq!(next(bad), None, "{bad:?}");
        }
        assert_eq!(safe_next(None, &base), None);
    }
}
