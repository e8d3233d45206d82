//! An indirect reseller's page, for its provider: contact, Partner ID and country, the partnership
//! (since when, customers and licenses), and the customers associated with it, newest first.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{ProviderStaff, Signed};
use crate::db::models::customer::{CustomerRow, ProviderCustomer, ResellerFilter};
use crate::db::models::partner::Partner;
use crate::db::models::partnership::Partnership;
use crate::error::{AppError, AppResult};
use crate::pagination::{Page, Seek};
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
}

pub async fn show(
    ctx: Ctx,
    user: Signed<ProviderStaff>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<ResellerPage> {
    let provider = user.provider_id();
    let reseller_id = path.into_inner();
    let (reseller, partnership, customers) = state
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
                &Seek::First,
                RECENT_CUSTOMERS,
            )?;
            Ok::<_, AppError>((reseller, partnership, customers))
        })
        .await?;
    Ok(ResellerPage {
        ctx,
        reseller,
        partnership,
        customers,
        suffix: state.config.tenant_domain_suffix.clone(),
    })
}
