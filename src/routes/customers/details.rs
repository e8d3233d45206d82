//! Customer details: Edit on the customer page's account info: the address and primary contact,
//! saved by `services::customer_details` (logged, old → new).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, ProviderStaff, Signed, can};
use crate::db::models::customer::{Customer, CustomerDetails, ProviderCustomer};
use crate::domain::ProviderId;
use crate::error::{AppError, AppResult};
use crate::routes::see_other;
use crate::services::customer_details::{self, UpdateDetails};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "customers/details.html")]
pub struct DetailsPage {
    pub ctx: Ctx,
    pub customer: Customer,
    pub form: CustomerDetails,
    pub errors: FormErrors,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    provider: ProviderId,
    customer_id: i64,
    form: Option<CustomerDetails>,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let customer = state
        .db
        .read(move |conn| {
            ProviderCustomer::find(conn, provider, customer_id)?;
            Ok::<_, AppError>(Customer::find(conn, customer_id)?)
        })
        .await?;
    let page = DetailsPage {
        ctx: Ctx::build(req).await?,
        form: form.unwrap_or_else(|| CustomerDetails::of(&customer)),
        customer,
        errors,
    };
    let has_errors = !page.errors.is_empty();
    Ok(crate::routes::form_page(req, page, has_errors))
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    render(
        &req,
        &state,
        user.provider_id(),
        path.into_inner(),
        None,
        FormErrors::new(),
    )
    .await
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    path: web::Path<i64>,
    form: web::Form<CustomerDetails>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let customer_id = path.into_inner();
    let typed = form.into_inner();
    let details = match customer_details::parse(&typed) {
        Ok(details) => details,
        Err(errors) => {
            return render(&req, &state, provider, customer_id, Some(typed), errors).await;
        }
    };
    let cmd = UpdateDetails {
        provider,
        user_id: user.id,
        customer_id,
        details,
    };
    let changed = customer_details::update(&state.db, cmd).await?;
    session.flash(
        FlashKind::Success,
        if changed {
            "customers.details.saved"
        } else {
            "customers.reseller_unchanged"
        },
    )?;
    Ok(see_other(&format!("/customers/{customer_id}")))
}
