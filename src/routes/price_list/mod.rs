//! The provider's **Price list** and the reseller's **Prices** (SPEC.md §2.11). The rules and their
//! precedence are `domain::pricing`; the use cases `services::price_list`; the queries
//! `db::models::price`.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, Permission, ProviderStaff, ResellerStaff, Signed, can};
use crate::domain::Audience;
use crate::domain::pricing::RuleValue;
use crate::error::{AppError, AppResult};
use crate::routes::see_other;
use crate::services::price_list::{
    self, CustomerPriceForm, PriceListView, ProviderPrices, RuleForm,
};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "price_list/provider.html")]
pub struct PriceListPage {
    pub ctx: Ctx,
    pub view: PriceListView,
    pub form: RuleForm,
    pub errors: FormErrors,
    pub due_error: Option<&'static str>,
}

impl PriceListPage {
    /// A rule's value as the list shows it: `15 %` or a price.
    pub fn value(&self, rule: &crate::db::models::price::PriceRule) -> String {
        match rule.value() {
            RuleValue::Markup(m) => format!("{} %", m.percent()),
            RuleValue::Fixed(p) => self.ctx.money(p, &self.currency()),
        }
    }

    /// The catalog's currency (one per provider).
    pub fn currency(&self) -> String {
        self.view
            .plans
            .first()
            .map_or_else(|| "USD".to_owned(), |p| p.offer.currency.clone())
    }

    pub fn in_force(&self, rule: &crate::db::models::price::PriceRule) -> bool {
        rule.effective_from <= self.ctx.now
    }

    pub fn applies_to_is(&self, value: &str) -> bool {
        self.form.applies_to == value
    }

    pub fn reseller_selected(&self, id: &i64) -> bool {
        self.form.applies_to == id.to_string()
    }

    pub fn offer_plan_selected(&self, value: &str) -> bool {
        self.form.offer_plan == value
    }
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    user: &Signed<ProviderStaff, impl Permission>,
    form: RuleForm,
    errors: FormErrors,
    due_error: Option<&'static str>,
) -> AppResult<HttpResponse> {
    let view = price_list::view(&state.db, user.provider_id(), state.now()).await?;
    let has_errors = !errors.is_empty() || due_error.is_some();
    let page = PriceListPage {
        ctx: Ctx::build(req).await?,
        view,
        form,
        errors,
        due_error,
    };
    Ok(crate::routes::form_page(req, page, has_errors))
}

pub async fn show(
    req: HttpRequest,
    user: Signed<ProviderStaff, can::Billing>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let form = RuleForm {
        kind: "markup".into(),
        ..RuleForm::default()
    };
    render(&req, &state, &user, form, FormErrors::new(), None).await
}

pub async fn add_rule(
    req: HttpRequest,
    user: Signed<ProviderStaff, can::Billing>,
    session: AppSession,
    state: web::Data<AppState>,
    form: web::Form<RuleForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let ctx = Ctx::build(&req).await?;
    match price_list::add_rule(
        &state.db,
        user.provider_id(),
        user.user.id,
        form.clone(),
        (state.now(), ctx.tz),
    )
    .await?
    {
        Ok(()) => {
            session.flash(FlashKind::Success, "prices.rule_added")?;
            Ok(see_other("/price-list"))
        }
        Err(errors) => render(&req, &state, &user, form, errors, None).await,
    }
}

pub async fn remove_rule(
    user: Signed<ProviderStaff, can::Billing>,
    session: AppSession,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let removed = price_list::remove_rule(
        &state.db,
        user.provider_id(),
        user.user.id,
        path.into_inner(),
        state.now(),
    )
    .await?;
    if !removed {
        return Err(AppError::NotFound);
    }
    session.flash(FlashKind::Success, "prices.rule_removed")?;
    Ok(see_other("/price-list"))
}

#[derive(serde::Deserialize)]
pub struct DueDaysForm {
    #[serde(default)]
    due_days: String,
}

pub async fn set_due_days(
    req: HttpRequest,
    user: Signed<ProviderStaff, can::Billing>,
    session: AppSession,
    state: web::Data<AppState>,
    form: web::Form<DueDaysForm>,
) -> AppResult<HttpResponse> {
    let raw = form.into_inner().due_days;
    match price_list::set_due_days(
        &state.db,
        user.provider_id(),
        user.user.id,
        raw,
        state.now(),
    )
    .await?
    {
        Ok(()) => {
            session.flash(FlashKind::Success, "prices.due_days_saved")?;
            Ok(see_other("/price-list"))
        }
        Err(key) => {
            let form = RuleForm {
                kind: "markup".into(),
                ..RuleForm::default()
            };
            render(&req, &state, &user, form, FormErrors::new(), Some(key)).await
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "price_list/reseller.html")]
pub struct ResellerPricesPage {
    pub ctx: Ctx,
    pub providers: Vec<ProviderPrices>,
    /// The provider whose form was sent back with errors, and what was typed.
    pub failed: Option<i64>,
    pub typed: Vec<(String, String)>,
    pub errors: FormErrors,
}

impl ResellerPricesPage {
    /// What a sale price field shows: what was typed (a form sent back), else the price recorded.
    pub fn sale_value(&self, provider: &i64, plan: &price_list::PricedPlan) -> String {
        if self.failed == Some(*provider) {
            let field = plan.field();
            if let Some((_, v)) = self.typed.iter().find(|(n, _)| *n == field) {
                return v.clone();
            }
        }
        plan.sale.map(crate::domain::decimal).unwrap_or_default()
    }

    pub fn error_for(&self, provider: &i64, plan: &price_list::PricedPlan) -> Option<&'static str> {
        if self.failed == Some(*provider) {
            self.errors.get(&plan.field())
        } else {
            None
        }
    }

    pub fn currency(&self, p: &ProviderPrices) -> String {
        p.plans
            .first()
            .map_or_else(|| "USD".to_owned(), |p| p.offer.currency.clone())
    }
}

async fn render_reseller(
    req: &HttpRequest,
    state: &AppState,
    user: &Signed<ResellerStaff, impl Permission>,
    failed: Option<i64>,
    typed: Vec<(String, String)>,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let providers = price_list::reseller_view(&state.db, user.reseller_id(), state.now()).await?;
    let has_errors = !errors.is_empty();
    let page = ResellerPricesPage {
        ctx: Ctx::build(req).await?,
        providers,
        failed,
        typed,
        errors,
    };
    Ok(crate::routes::form_page(req, page, has_errors))
}

pub async fn reseller_show(
    req: HttpRequest,
    user: Signed<ResellerStaff, can::Billing>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    render_reseller(&req, &state, &user, None, Vec::new(), FormErrors::new()).await
}

pub async fn reseller_save(
    req: HttpRequest,
    user: Signed<ResellerStaff, can::Billing>,
    session: AppSession,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let provider = path.into_inner();
    let fields = form.into_inner();
    match price_list::save_sale_prices(
        &state.db,
        user.reseller_id(),
        user.user.id,
        provider,
        fields.clone(),
        state.now(),
    )
    .await?
    {
        Ok(_) => {
            session.flash(FlashKind::Success, "prices.sale_prices_saved")?;
            Ok(see_other("/reseller/prices"))
        }
        Err(errors) => render_reseller(&req, &state, &user, Some(provider), fields, errors).await,
    }
}

pub async fn reseller_customer_price(
    req: HttpRequest,
    user: Signed<ResellerStaff, can::Billing>,
    session: AppSession,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<CustomerPriceForm>,
) -> AppResult<HttpResponse> {
    let provider = path.into_inner();
    let form = form.into_inner();
    match price_list::save_customer_price(
        &state.db,
        user.reseller_id(),
        user.user.id,
        provider,
        form.clone(),
        state.now(),
    )
    .await?
    {
        Ok(()) => {
            session.flash(FlashKind::Success, "prices.customer_price_saved")?;
            Ok(see_other("/reseller/prices"))
        }
        Err(errors) => {
            let typed = vec![
                ("customer".to_owned(), form.customer),
                ("offer_plan".to_owned(), form.offer_plan),
                ("price".to_owned(), form.price),
            ];
            render_reseller(&req, &state, &user, Some(provider), typed, errors).await
        }
    }
}
