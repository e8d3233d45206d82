//! A reseller's credit with its provider (SPEC.md §2.11): its limit, its open balance (placed orders
//! no statement bills yet, and unpaid statements), whether an order on its behalf waits for review,
//! and the notices of an order that waits or was decided. The services that place orders ask it;
//! `order_review` decides what waits.

use chrono::NaiveDateTime;

use crate::db::models::activity::NewActivity;
use crate::db::models::order::Order;
use crate::db::models::partner::Partner;
use crate::db::models::partnership::Partnership;
use crate::db::models::statement::open_balance;
use crate::db::models::user::User;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::{OrderStatus, ProviderId};
use crate::email::{self, messages::OrderReviewNotice};
use crate::i18n::Tr;

/// The reseller's credit with its provider, for its page.
#[derive(Clone, Debug)]
pub struct Credit {
    pub limit: Option<i64>,
    pub review_every_order: bool,
    pub open_balance: i64,
}

pub fn credit_of(conn: &mut DbConnection, provider: i64, reseller: i64) -> Result<Credit, DbError> {
    let p = Partnership::active(conn, provider, reseller)?.ok_or(DbError::NotFound)?;
    Ok(Credit {
        limit: p.credit_limit_minor,
        review_every_order: p.review_every_order,
        open_balance: open_balance(conn, provider, reseller)?,
    })
}

/// Whether an order charging `amount` on `reseller`'s behalf waits for review: at the limit exactly
/// it does not, one minor unit over it does.
pub fn needs_review(
    conn: &mut DbConnection,
    provider: i64,
    reseller: Option<i64>,
    amount: i64,
) -> Result<bool, DbError> {
    let Some(reseller) = reseller else {
        return Ok(false);
    };
    if amount <= 0 {
        return Ok(false);
    }
    let Some(p) = Partnership::active(conn, provider, reseller)? else {
        return Ok(false);
    };
    if p.review_every_order {
        return Ok(true);
    }
    Ok(match p.credit_limit_minor {
        Some(limit) => open_balance(conn, provider, reseller)?.saturating_add(amount) > limit,
        None => false,
    })
}

/// Sets a reseller's credit limit (blank: none) and Approve every order; the message key when the
/// limit is not an amount.
pub async fn set_credit(
    db: &Db,
    provider: ProviderId,
    user_id: i64,
    reseller: i64,
    (raw_limit, every_order): (String, bool),
    now: NaiveDateTime,
) -> Result<Result<(), &'static str>, DbError> {
    let limit = match raw_limit.trim() {
        "" => None,
        raw => match crate::domain::parse_money(raw) {
            Ok(v) => Some(v),
            Err(key) => return Ok(Err(key)),
        },
    };
    db.write(move |conn| {
        let p = provider.get();
        let before = Partnership::active(conn, p, reseller)?.ok_or(DbError::NotFound)?;
        Partnership::set_credit(conn, p, reseller, limit, every_order)?;
        let describe = |limit: Option<i64>, every: bool| {
            format!(
                "{}{}",
                limit.map_or_else(|| "no limit".to_owned(), crate::domain::decimal),
                if every { ", every order reviewed" } else { "" }
            )
        };
        NewActivity::new("reseller.credit_changed", "partner", Some(reseller))
            .by(user_id, Some(p))
            .provider(Some(p))
            .reseller(Some(reseller))
            .change(
                Some(describe(
                    before.credit_limit_minor,
                    before.review_every_order,
                )),
                Some(describe(limit, every_order)),
            )
            .at(now)
            .record(conn)?;
        Ok(Ok(()))
    })
    .await
}

/// Logs an order that waits and tells both sides (inside the caller's transaction).
pub fn held(conn: &mut DbConnection, order_id: i64, base_url: &str) -> Result<(), DbError> {
    let order = Order::find(conn, order_id)?;
    NewActivity::new("order.pending_review", "order", Some(order.id))
        .by(order.placed_by_user_id, order.placed_by_partner_id)
        .provider(Some(order.provider_id))
        .reseller(order.reseller_id)
        .customer(Some(order.customer_id))
        .change(None, Some(order.reference()))
        .at(order.created_at)
        .record(conn)?;
    tell(conn, &order, None, base_url)
}

/// Emails the provider's users and the reseller's: the order waits (`decided` none), or was approved
/// or rejected.
pub(crate) fn tell(
    conn: &mut DbConnection,
    order: &Order,
    decided: Option<OrderStatus>,
    base_url: &str,
) -> Result<(), DbError> {
    let provider = Partner::find(conn, order.provider_id)?.name;
    let company =
        crate::db::models::customer::Customer::find(conn, order.customer_id)?.company_name;
    let mut to = Vec::new();
    // The members whose role sees orders (not the helpdesk).
    let orders = crate::domain::Need::Orders;
    for u in User::of_partner_who_may(conn, order.provider_id, orders)? {
        to.push((u, format!("{base_url}/orders/{}", order.id)));
    }
    if let Some(r) = order.reseller_id {
        for u in User::of_partner_who_may(conn, r, orders)? {
            to.push((u, format!("{base_url}/reseller/orders")));
        }
    }
    for (user, url) in to {
        let tr = Tr(user.locale.unwrap_or_default());
        let message = OrderReviewNotice {
            name: user.display_name.clone(),
            provider: provider.clone(),
            company: company.clone(),
            reference: order.reference(),
            total: tr.money(order.total_minor, &order.currency),
            keys: match decided {
                None => (
                    "email.order_review.pending_subject",
                    "email.order_review.pending_body",
                ),
                Some(OrderStatus::Rejected) => (
                    "email.order_review.rejected_subject",
                    "email.order_review.rejected_body",
                ),
                Some(_) => (
                    "email.order_review.approved_subject",
                    "email.order_review.approved_body",
                ),
            },
            reason: order.review_reason.clone().unwrap_or_default(),
            url,
            tr,
        };
        email::queue(conn, &user.email, &message)?;
    }
    Ok(())
}
