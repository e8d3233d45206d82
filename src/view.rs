//! What every page template receives: the language, the signed-in user (for the Dashboard menu), the CSRF
//! token for its forms and flash messages; and the form-error collection every form uses (it lives in
//! `domain::form`, where parsing fills it).

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};

use crate::auth::{AppSession, CurrentUser};
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::{Locale, Tr};

pub use crate::domain::form::FormErrors;

/// A flash message ready to show.
#[derive(Clone, Debug)]
pub struct ShownFlash {
    pub css: &'static str,
    pub text: String,
}

/// Where each role lands after signing in, and when it opens a page that is not for it.
pub fn home_page(role: Role) -> &'static str {
    match role {
        Role::Operator => "/operations",
        Role::Provider => "/",
        Role::Reseller => "/indirect-providers",
        Role::Customer => "/my/subscriptions",
    }
}

/// The page context. Templates reach everything through `ctx`: `{{ ctx.t("menu.customers") }}`.
pub struct Ctx {
    pub tr: Tr,
    pub csrf_token: String,
    pub user: Option<Rc<CurrentUser>>,
    pub flashes: Vec<ShownFlash>,
    /// Path and query of this page, where the language switcher returns to.
    pub path: String,
    /// The simulated time, when the clock is simulated (every page says so).
    pub simulated_now: Option<String>,
    /// The reader's time zone: every date and time is shown in it.
    pub tz: crate::domain::time_zone::Tz,
    /// Offers' names in Traditional Chinese, for a zh-TW reader (empty otherwise).
    pub offer_names: crate::services::offer_catalog::names::Names,
    /// Now, by the injected clock.
    pub now: chrono::NaiveDateTime,
}

impl Ctx {
    pub async fn build(req: &HttpRequest) -> Result<Ctx, AppError> {
        let user = CurrentUser::load(req).await?;
        let session = AppSession::of(req);
        let locale = resolve_locale(req, &session, user.as_deref());
        let tr = Tr(locale);
        let flashes = session
            .take_flashes()
            .into_iter()
            .map(|f| {
                let args: Vec<(&str, &str)> = f
                    .args
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                ShownFlash {
                    css: f.kind.css(),
                    text: crate::i18n::t_args(locale, &f.key, &args),
                }
            })
            .collect();
        // A signed-in session has its token; a visitor gets the anonymous one (no session is made).
        let csrf_token = match session.existing_csrf_token() {
            Some(token) => token,
            None => crate::auth::csrf::anonymous_form_token(req).unwrap_or_default(),
        };
        let tz = user
            .as_deref()
            .map_or(crate::domain::time_zone::Tz::UTC, |u| u.time_zone);
        let state = req.app_data::<actix_web::web::Data<crate::state::AppState>>();
        let offer_names = match state {
            Some(state) if locale == crate::i18n::Locale::ZhTw => {
                crate::services::offer_catalog::names::current(&state.db).await
            }
            _ => Default::default(),
        };
        let now = state.map_or_else(crate::db::now, |s| s.now());
        let simulated_now = state
            .filter(|state| state.clock.is_simulated())
            .map(|_| tr.datetime_in(&now, tz));
        Ok(Ctx {
            now,
            simulated_now,
            tz,
            offer_names,
            tr,
            csrf_token,
            user,
            flashes,
            path: req
                .uri()
                .path_and_query()
                .map_or_else(|| "/".into(), |pq| pq.as_str().to_owned()),
        })
    }

    pub fn locale(&self) -> Locale {
        self.tr.locale()
    }

    pub fn lang(&self) -> &'static str {
        self.tr.locale().code()
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.tr.t(key)
    }

    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.tr.t1(key, name, value)
    }

    pub fn t2(
        &self,
        key: &str,
        name1: &str,
        value1: impl std::fmt::Display,
        name2: &str,
        value2: impl std::fmt::Display,
    ) -> String {
        self.tr.t2(key, name1, value1, name2, value2)
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "three (name, value) pairs, as the template reads"
    )]
    pub fn t3(
        &self,
        key: &str,
        name1: &str,
        value1: impl std::fmt::Display,
        name2: &str,
        value2: impl std::fmt::Display,
        name3: &str,
        value3: impl std::fmt::Display,
    ) -> String {
        self.tr.t3(key, name1, value1, name2, value2, name3, value3)
    }

    /// The label of a form field by its name, for the error summary ("Company name: This field is
    /// required."); `None` for fields whose message names them already.
    pub fn field_label(&self, field: &str) -> Option<&'static str> {
        field_label_key(field).map(|key| self.t(key))
    }

    pub fn role(&self) -> Option<Role> {
        self.user.as_ref().map(|u| u.role)
    }

    pub fn is_provider(&self) -> bool {
        self.role() == Some(Role::Provider)
    }

    pub fn is_reseller(&self) -> bool {
        self.role() == Some(Role::Reseller)
    }

    pub fn is_operator(&self) -> bool {
        self.role() == Some(Role::Operator)
    }

    /// Whether the signed-in user has multi-factor sign-in on.
    pub fn user_mfa(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.mfa_enabled)
    }

    /// Whether the signed-in member's role allows it (the menu shows only what it does): `sell`,
    /// `support`, `orders`, `billing`, `admin`; anything else is reading.
    pub fn may(&self, need: &str) -> bool {
        let need = match need {
            "sell" => crate::domain::Need::Sell,
            "support" => crate::domain::Need::Support,
            "orders" => crate::domain::Need::Orders,
            "billing" => crate::domain::Need::Billing,
            "admin" => crate::domain::Need::Admin,
            _ => crate::domain::Need::Read,
        };
        self.user.as_ref().is_some_and(|u| u.may(need))
    }

    /// An offer's name as this reader reads it: its Traditional Chinese name for a zh-TW reader, where
    /// the catalog has one; the catalog's name otherwise.
    pub fn offer(&self, name: impl AsRef<str>) -> String {
        let name = name.as_ref();
        match self.offer_names.get(name) {
            Some((zh, _)) => zh.clone(),
            None => name.to_owned(),
        }
    }

    /// An offer's description as this reader reads it (see `offer`).
    pub fn offer_description(&self, name: impl AsRef<str>, description: impl AsRef<str>) -> String {
        let (name, description) = (name.as_ref(), description.as_ref());
        match self.offer_names.get(name) {
            Some((_, zh)) if !zh.is_empty() => zh.clone(),
            _ => description.to_owned(),
        }
    }

    /// The signed-in user's first page.
    pub fn home(&self) -> &'static str {
        self.role().map_or("/", home_page)
    }

    pub fn is_customer(&self) -> bool {
        self.role() == Some(Role::Customer)
    }

    /// Whether the menu item for `prefix` is the current page ("/" only matches itself).
    pub fn active(&self, prefix: &str) -> bool {
        let path = self.path.split('?').next().unwrap_or("/");
        if prefix == "/" {
            path == "/"
        } else {
            path == prefix || path.starts_with(&format!("{prefix}/"))
        }
    }

    /// Whether this is exactly the page at `path` (a menu item whose section has items of its own).
    pub fn is_page(&self, path: &str) -> bool {
        self.path.split('?').next() == Some(path)
    }

    /// `aria-current` for a menu link.
    pub fn current(&self, prefix: &str) -> &'static str {
        if self.active(prefix) { "page" } else { "false" }
    }

    pub fn now(&self) -> chrono::NaiveDateTime {
        self.now
    }

    /// A stored (UTC) time in the reader's zone and language.
    pub fn datetime(&self, at: &chrono::NaiveDateTime) -> String {
        self.tr.datetime_in(at, self.tz)
    }

    /// The date of a stored (UTC) time in the reader's zone.
    pub fn date(&self, at: &chrono::NaiveDateTime) -> String {
        self.tr.date_in(at, self.tz)
    }

    /// The date of a UTC time as UTC (statement periods, which are UTC months).
    pub fn utc_date(&self, at: impl std::borrow::Borrow<chrono::NaiveDateTime>) -> String {
        self.tr.date(at.borrow())
    }

    /// A month (`YYYY-MM`) in the reader's language.
    pub fn month(&self, month: &str) -> String {
        self.tr.month(month)
    }

    pub fn person_name(&self, given: &str, family: &str) -> String {
        self.tr.person_name(given, family)
    }

    pub fn number(&self, n: i64) -> String {
        self.tr.number(n)
    }

    /// A change waiting for the renewal, in the reader's language (see `Tr::change_spec`).
    pub fn change_spec(
        &self,
        spec: &crate::domain::lifecycle::ChangeSpec,
        offer: &Option<String>,
    ) -> String {
        self.tr.change_spec(spec, offer.as_deref())
    }

    /// `1 year · billed annually`.
    pub fn plan_label(&self, plan: &crate::domain::lifecycle::Plan) -> String {
        format!(
            "{} · {}",
            self.t(plan.term.label_key()),
            self.t(plan.billing.label_key())
        )
    }

    pub fn money(&self, minor: impl std::borrow::Borrow<i64>, currency: &str) -> String {
        self.tr.money(*minor.borrow(), currency)
    }

    pub fn country(&self, code: &str) -> String {
        crate::domain::country_name(code, self.locale()).to_owned()
    }

    /// Countries sorted by name in the page's language, for a select list.
    pub fn countries(&self) -> Vec<(&'static str, &'static str)> {
        crate::domain::countries_by_name(self.locale())
    }

    pub fn other_locales(&self) -> Vec<Locale> {
        Locale::ALL
            .into_iter()
            .filter(|l| *l != self.locale())
            .collect()
    }
}

/// The language of this request's pages, for handlers that render no page (they queue email, say).
pub async fn request_locale(req: &HttpRequest) -> Result<Locale, AppError> {
    let user = CurrentUser::load(req).await?;
    Ok(resolve_locale(req, &AppSession::of(req), user.as_deref()))
}

/// The session's choice, else the user's saved choice, else the browser's `Accept-Language`.
fn resolve_locale(req: &HttpRequest, session: &AppSession, user: Option<&CurrentUser>) -> Locale {
    session
        .locale()
        .or_else(|| user.and_then(|u| u.locale))
        .unwrap_or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map_or(Locale::En, Locale::from_accept_language)
        })
}

impl FromRequest for Ctx {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ctx::build(&req).await })
    }
}

/// The label key of the fields the forms share, by field name (the error summary names the field).
fn field_label_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "address_line1" => "wizard.account.address_line1",
        "address_line2" => "wizard.account.address_line2",
        "align" => "lifecycle.align",
        "auto_renew" => "lifecycle.auto_renew",
        "cancel" => "lifecycle.cancel",
        "plan" => "lifecycle.plan",
        "schedule" | "schedule_quantity" | "schedule_billing" | "schedule_offer" => {
            "lifecycle.schedule"
        }
        "upgrade" => "lifecycle.upgrade",
        "billing" => "wizard.subscriptions.billing",
        "body" => "partnership.draft.body_label",
        "city" => "wizard.account.city",
        "company_name" => "wizard.account.company_name",
        "confirm_password" => "account.password.confirm",
        "contact_email" => "wizard.account.email",
        "contact_first_name" => "wizard.account.first_name",
        "contact_last_name" => "wizard.account.last_name",
        "contact_name" => "enroll.contact_name",
        "contact_phone" => "wizard.account.phone",
        "country" => "wizard.account.country",
        "currency" => "operations.offers.currency",
        "current_password" => "account.password.current",
        "description" => "operations.offers.description",
        "domain_prefix" => "wizard.account.domain_prefix",
        "email" => "enroll.email",
        "language" => "wizard.account.language",
        "max_licenses" => "operations.offers.max_licenses",
        "min_licenses" => "operations.offers.min_licenses",
        "name" => "customers.users.name",
        "new_password" => "account.password.new",
        "offer" => "wizard.subscriptions.offer",
        "partner_number" => "enroll.partner_number",
        "password" => "sign_in.password",
        "postal_code" => "wizard.account.postal_code",
        "quantity" => "wizard.subscriptions.licenses",
        "reason" => "operations.enrollments.reason",
        "reseller" => "wizard.account.reseller",
        "sku" => "operations.offers.sku",
        "state" => "wizard.account.state",
        "subject" => "partnership.draft.subject_label",
        "time_zone" => "account.time_zone.title",
        "unit_price" => "operations.offers.unit_price",
        "user_name" => "operations.providers.user_name",
        _ => return None,
    })
}
