//! The signed-in user of a request: loaded once (with the session, when the store could) and kept in
//! the request's extensions. A session whose user was disabled or deleted is ended.

use std::rc::Rc;

use actix_web::{HttpMessage, HttpRequest, web};

use super::session::AppSession;
use crate::db::Db;
use crate::db::models::user::{PartnerSummary, User};
use crate::domain::{CustomerId, EnrollmentStatus, MemberRole, Need, PartnerKind, Role};
use crate::error::AppError;
use crate::i18n::Locale;

/// The signed-in user of this request.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Their role in their organisation (what `Signed<R, P>` checks).
    pub team_role: MemberRole,
    pub partner: Option<PartnerSummary>,
    pub customer_id: Option<i64>,
    pub must_change_password: bool,
    /// Multi-factor sign-in is on.
    pub mfa_enabled: bool,
    /// An operator's: the platform requires multi-factor sign-in.
    #[serde(default)]
    pub platform_requires_mfa: bool,
    pub locale: Option<Locale>,
    /// Where their times are shown: their choice, else their organisation's country's zone.
    pub time_zone: crate::domain::time_zone::Tz,
    /// Their own choice of zone, if any (Account shows it).
    pub chosen_time_zone: Option<String>,
}

#[derive(Clone)]
struct CachedUser(Option<Rc<CurrentUser>>);

impl CurrentUser {
    pub(crate) fn from_row(
        (user, partner, customer_country, platform_mfa): crate::db::models::user::SignedInRow,
    ) -> Self {
        let country = partner
            .as_ref()
            .map(|p| p.country.clone())
            .or(customer_country);
        Self {
            time_zone: crate::domain::time_zone::of_user(
                user.time_zone.as_deref(),
                country.as_deref(),
            ),
            chosen_time_zone: user.time_zone.clone(),
            id: user.id,
            role: user.role,
            team_role: user.team_role,
            locale: user.locale,
            email: user.email,
            display_name: user.display_name,
            partner,
            customer_id: user.customer_id,
            must_change_password: user.must_change_password,
            mfa_enabled: user.totp_secret.is_some(),
            platform_requires_mfa: platform_mfa.unwrap_or(false),
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
                let preloaded = session
                    .preloaded::<CurrentUser>()
                    .filter(|user| user.id == id);
                let row = match preloaded {
                    Some(user) => Some(user),
                    None => {
                        let db = req
                            .app_data::<web::Data<Db>>()
                            .ok_or_else(|| anyhow::anyhow!("the database is not registered"))?;
                        db.query(move |conn| User::load_signed_in(conn, id))
                            .await?
                            .map(CurrentUser::from_row)
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
        if let Some(user) = &user {
            req.extensions_mut()
                .insert(crate::telemetry::LoggedUser(user.id));
        }
        req.extensions_mut().insert(CachedUser(user.clone()));
        Ok(user)
    }

    /// Forgets the cached user (after the request changed who is signed in).
    pub fn forget(req: &HttpRequest) {
        req.extensions_mut().remove::<CachedUser>();
    }

    /// The customer whose admin this user is, as a scope (none for any other role).
    pub fn own_customer(&self) -> Option<CustomerId> {
        match (self.role, self.customer_id) {
            #[expect(
                clippy::disallowed_methods,
                reason = "a customer admin's own organisation, from the signed-in user"
            )]
            (Role::Customer, Some(id)) => Some(CustomerId::established(id)),
            _ => None,
        }
    }

    /// Their organisation requires multi-factor sign-in and they have not set it up: every page but
    /// Account's sends them to do that first.
    pub fn must_set_up_mfa(&self) -> bool {
        let required = match self.role {
            Role::Operator => self.platform_requires_mfa,
            _ => self.partner.as_ref().is_some_and(|p| p.require_mfa),
        };
        !self.mfa_enabled && required
    }

    /// Whether their role allows `need` (the menu and pages showing more to some roles ask this).
    pub fn may(&self, need: Need) -> bool {
        self.team_role.may(need)
    }

    pub fn partner_id(&self) -> Option<i64> {
        self.partner.as_ref().map(|p| p.id)
    }

    pub fn partner_name(&self) -> Option<&str> {
        self.partner.as_ref().map(|p| p.name.as_str())
    }

    pub fn partner_kind(&self) -> Option<PartnerKind> {
        self.partner.as_ref().map(|p| p.kind)
    }

    /// A reseller whose enrollment an operator has verified.
    pub fn is_verified_reseller(&self) -> bool {
        self.role == Role::Reseller
            && self
                .partner
                .as_ref()
                .is_some_and(|p| p.enrollment_status == EnrollmentStatus::Verified)
    }
}
