//! An indirect reseller's page, for its provider: contact, Partner ID and country, the partnership
//! (since when, customers and licenses), and the customers associated with it, newest first.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, Permission, ProviderStaff, Signed, can};
use crate::db::models::customer::{CustomerRow, ProviderCustomer, ResellerFilter};
use crate::db::models::partner::Partner;
use crate::db::models::partnership::Partnership;
use crate::error::{AppError, AppResult};
use crate::pagination::{Page, Seek};
use crate::routes::see_other;
use crate::services::credit::{self, Credit};
use crate::state::AppState;
use crate::view::Ctx;

/// The customers shown on the page; the rest are one click away (the filtered customer list).
const RECENT_CUSTOMERS: usize = 10;

#[derive(Template, WebTemplate)]
#[template(path = "indirect_resellers/show.html")]
pub struct ResellerPage {
    pub ctx: Ctx,
    pub reseller: Partner,
    pub partnership: Partnership,
    pub customers: Page<CustomerRow>,
    pub suffix: String,
    pub credit: Credit,
    pub currency: String,
    /// The credit limit as typed (sent back with its message) or as set.
    pub credit_typed: String,
    pub credit_error: Option<&'static str>,
}

pub async fn show(
    ctx: Ctx,
    user: Signed<ProviderStaff>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<ResellerPage> {
    page(ctx, &user, &state, path.into_inner(), None).await
}

async fn page(
    ctx: Ctx,
    user: &Signed<ProviderStaff, impl Permission>,
    state: &AppState,
    reseller_id: i64,
    typed: Option<(String, &'static str)>,
) -> AppResult<ResellerPage> {
    let provider = user.provider_id();
    let (reseller, partnership, customers, credit, currency) = state
        .db
        .read(move |conn| {
            // Only a partner of this provider has a page here.
            let partnership = Partnership::active(conn, provider.get(), reseller_id)?
                .ok_or(AppError::NotFound)?;
            let reseller = Partner::find(conn, reseller_id)?;
            let customers = ProviderCustomer::page_for_provider(
                conn,
                provider,
                ResellerFilter::Reseller(reseller_id),
                None,
                None,
                &Seek::First,
                RECENT_CUSTOMERS,
            )?;
            let credit = credit::credit_of(conn, provider.get(), reseller_id)?;
            let currency = crate::db::models::offer::Offer::catalog_currency(conn)?;
            Ok::<_, AppError>((reseller, partnership, customers, credit, currency))
        })
        .await?;
    let (credit_typed, credit_error) = match typed {
        Some((raw, key)) => (raw, Some(key)),
        None => (
            credit.limit.map(crate::domain::decimal).unwrap_or_default(),
            None,
        ),
    };
    Ok(ResellerPage {
        ctx,
        reseller,
        partnership,
        customers,
        suffix: state.config.tenant_domain_suffix.clone(),
        credit,
        currency,
        credit_typed,
        credit_error,
    })
}

#[derive(serde::Deserialize)]
pub struct CreditForm {
    #[serde(default)]
    credit_limit: String,
    review_every_order: Option<String>,
}

/// Sets the reseller's credit limit and Approve every order.
pub async fn set_credit(
    req: HttpRequest,
    user: Signed<ProviderStaff, can::Billing>,
    session: AppSession,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<CreditForm>,
) -> AppResult<HttpResponse> {
    let reseller = path.into_inner();
    let form = form.into_inner();
    let every = form.review_every_order.is_some();
    match credit::set_credit(
        &state.db,
        user.provider_id(),
        user.user.id,
        reseller,
        (form.credit_limit.clone(), every),
        state.now(),
    )
    .await
    {
        Ok(Ok(())) => {
            session.flash(FlashKind::Success, "credit.saved")?;
            Ok(see_other(&format!("/indirect-resellers/{reseller}")))
        }
        Ok(Err(key)) => {
            let ctx = Ctx::build(&req).await?;
            let page = page(ctx, &user, &state, reseller, Some((form.credit_limit, key))).await?;
            Ok(crate::routes::form_page(&req, page, true))
        }
        Err(crate::db::DbError::NotFound) => Err(AppError::NotFound),
        Err(err) => Err(err.into()),
    }
}
