//! Who is asking, and what they may do. Roles are checked in exactly one place: the `Signed<R, P>`
//! extractor — `R` the kind of organisation, `P` what the member's role must allow (`can::Sell`, …;
//! reading by default). It yields the signed-in user and the organisation they act for; every query is
//! then scoped by that organisation's id (`ProviderId`, `ResellerId`, `CustomerId`), which only this
//! extractor hands out.

pub mod csrf;
pub mod password;
pub mod redirect;
pub mod seal;
pub mod session;
pub mod session_store;
pub mod throttle;
pub mod user;

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::domain::{CustomerId, Need, PartnerKind, ProviderId, ResellerId, Role};
use crate::error::AppError;

pub use redirect::{client_address, safe_next};
pub use session::AppSession;
pub use user::CurrentUser;

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
/// Members of a partner organisation, provider or reseller (the Team page).
pub struct PartnerStaff;

/// What a member's role must allow for a route (SPEC.md §2.12); anyone else gets a 404, as for a page
/// of another kind of user.
pub trait Permission {
    const NEED: Need;
}

/// The permissions, one type per `Need`, for `Signed<R, P>`.
pub mod can {
    use super::{Need, Permission};

    macro_rules! permission {
        ($($name:ident),+) => {$(
            pub struct $name;
            impl Permission for $name {
                const NEED: Need = Need::$name;
            }
        )+};
    }

    permission!(Read, Sell, Support, Orders, Billing, Admin);
}

impl Access for PartnerStaff {
    fn permits(user: &CurrentUser) -> bool {
        matches!(user.role, Role::Provider | Role::Reseller) && user.partner_kind().is_some()
    }
}

impl Access for AnyRole {
    fn permits(_: &CurrentUser) -> bool {
        true
    }
}

impl Access for ProviderStaff {
    fn permits(user: &CurrentUser) -> bool {
        user.role == Role::Provider && user.partner_kind() == Some(PartnerKind::Provider)
    }
}

impl Access for ResellerStaff {
    fn permits(user: &CurrentUser) -> bool {
        user.role == Role::Reseller && user.partner_kind() == Some(PartnerKind::Reseller)
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

/// The signed-in user, admitted by `R`, whose role allows `P`.
pub struct Signed<R: Access, P: Permission = can::Read> {
    pub user: Rc<CurrentUser>,
    _access: PhantomData<(R, P)>,
}

impl<R: Access, P: Permission> std::ops::Deref for Signed<R, P> {
    type Target = CurrentUser;

    fn deref(&self) -> &CurrentUser {
        &self.user
    }
}

impl<R: Access + 'static, P: Permission + 'static> FromRequest for Signed<R, P> {
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
            if R::ENFORCE_PASSWORD_CHANGE && user.must_set_up_mfa() {
                return Err(AppError::MfaSetupRequired);
            }
            if !R::permits(&user) || !user.team_role.may(P::NEED) {
                return Err(AppError::NotFound);
            }
            Ok(Signed {
                user,
                _access: PhantomData,
            })
        })
    }
}

impl<R: Access, P: Permission> Signed<R, P> {
    /// The user an API token vouched for, if `R` admits them and their role allows `P` (the API's
    /// extractor asks here, so roles are still checked in one place). A member who must replace a
    /// temporary password or set up multi-factor sign-in is not admitted either.
    pub fn vouched(user: Rc<CurrentUser>) -> Option<Self> {
        (!user.must_change_password
            && !user.must_set_up_mfa()
            && R::permits(&user)
            && user.team_role.may(P::NEED))
        .then_some(Signed {
            user,
            _access: PhantomData,
        })
    }

    /// The same member as another kind of organisation's, if `R2` admits them (the role check of `P`
    /// stands).
    pub fn as_kind<R2: Access>(&self) -> Option<Signed<R2, P>> {
        R2::permits(&self.user).then(|| Signed {
            user: self.user.clone(),
            _access: PhantomData,
        })
    }
}

impl Signed<AnyRole> {
    /// The same user, admitted by `R` if `R` admits them (a page for everyone that shows more to some).
    pub fn admitted<R: Access>(&self) -> Option<Signed<R>> {
        R::permits(&self.user).then(|| Signed {
            user: self.user.clone(),
            _access: PhantomData,
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

// The one place scope ids are minted from a request: the user the extractor admitted belongs to the
// organisation (`Access` checked its kind).
#[expect(
    clippy::disallowed_methods,
    reason = "the extractor is where scope ids come from"
)]
impl<P: Permission> Signed<ProviderStaff, P> {
    pub fn provider_id(&self) -> ProviderId {
        ProviderId::established(self.user.partner_id().unwrap_or_default())
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "the extractor is where scope ids come from"
)]
impl<P: Permission> Signed<ResellerStaff, P> {
    pub fn reseller_id(&self) -> ResellerId {
        ResellerId::established(self.user.partner_id().unwrap_or_default())
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "the extractor is where scope ids come from"
)]
impl Signed<CustomerAdmin> {
    pub fn customer_id(&self) -> CustomerId {
        CustomerId::established(self.user.customer_id.unwrap_or_default())
    }
}
