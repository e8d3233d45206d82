//! The customer admin's page: its subscriptions (from every provider it has), licenses, and each one's
//! designated support contact; and the grants of delegated administration on it, each with End grant.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{CustomerAdmin, Signed};
use crate::db::models::customer::{Customer, ProviderCustomer};
use crate::db::models::grant::{Grant, GrantRow};
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
    /// Provider and associated reseller.
    pub providers: Vec<(String, Option<String>)>,
    /// Every grant on the organisation, from all its providers (End grant).
    pub grants: Vec<GrantRow>,
    pub now: chrono::NaiveDateTime,
}

pub async fn subscriptions(
    ctx: Ctx,
    user: Signed<CustomerAdmin>,
    state: web::Data<AppState>,
) -> AppResult<MySubscriptions> {
    let customer = user.customer_id();
    let (c, subscriptions, providers, grants) = state
        .db
        .query(move |conn| {
            Ok((
                Customer::find(conn, customer.get())?,
                Subscription::for_customer(conn, customer)?,
                ProviderCustomer::providers_of_customer(conn, customer)?,
                Grant::for_customer(conn, customer.get(), None)?,
            ))
        })
        .await?;
    Ok(MySubscriptions {
        ctx,
        customer: c,
        subscriptions,
        providers,
        grants,
        now: state.now(),
    })
}
