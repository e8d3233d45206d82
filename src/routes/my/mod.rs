//! The customer admin's page: its subscriptions (from every provider it has), licenses, and each one's
//! designated support contact. Read-only.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{CustomerAdmin, Signed};
use crate::db::models::customer::{Customer, ProviderCustomer};
use crate::db::models::subscription::{CustomerSubscription, Subscription};
use crate::error::AppResult;
use crate::state::AppState;
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "my/subscriptions.html")]
pub struct MySubscriptions {
    pub ctx: Ctx,
    pub customer: Customer,
    pub subscriptions: Vec<CustomerSubscription>,
    /// Provider, associated reseller, delegated administration.
    pub providers: Vec<(String, Option<String>, bool)>,
}

pub async fn subscriptions(
    ctx: Ctx,
    user: Signed<CustomerAdmin>,
    state: web::Data<AppState>,
) -> AppResult<MySubscriptions> {
    let customer = user.customer_id();
    let (c, subscriptions, providers) = state
        .db
        .query(move |conn| {
            Ok((
                Customer::find(conn, customer.get())?,
                Subscription::for_customer(conn, customer)?,
                ProviderCustomer::providers_of_customer(conn, customer)?,
            ))
        })
        .await?;
    Ok(MySubscriptions {
        ctx,
        customer: c,
        subscriptions,
        providers,
    })
}
