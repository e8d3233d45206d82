//! Credit limits and order review (SPEC.md §2.11). A reseller's open balance is what its provider
//! has charged it and not been paid: placed orders no statement bills yet, and unpaid statements. An
//! order on the reseller's behalf that charges something and would take that balance over the
//! reseller's credit limit — or any such order, with **Approve every order** — waits as **Pending
//! review**: written with its prices, nothing provisioned, not billed. The provider's **Approve**
//! provisions it exactly once (its term starts then); **Reject** (with a reason) changes nothing
//! else. Both sides get an email each time.
//!
//! Review covers new customers' orders (the account is made, its subscriptions wait), new
//! subscriptions, added licenses and upgrades that cost more than they credit, on the provider's
//! pages, the reseller's and the API.
//! Renewals, recurring charges, credits and refunds never wait.

use chrono::NaiveDateTime;

use crate::db::models::activity::NewActivity;
use crate::db::models::order::{Order, OrderLine};
use crate::db::{Db, DbConnection, DbError};
use crate::domain::{OrderKind, OrderStatus, ProviderId};
use crate::services::ChangeError;
use crate::services::credit::tell;

/// What the provider decided.
#[derive(Clone, Debug)]
pub enum Decision {
    Approve,
    Reject(String),
}

/// What deciding did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decided {
    Approved,
    Rejected,
    /// Someone decided it already (a second submit, or another admin): nothing more was done.
    AlreadyDecided,
}

/// Approves (provisions, once) or rejects the provider's order waiting for review.
pub async fn decide(
    db: &Db,
    provider: ProviderId,
    user_id: i64,
    order_id: i64,
    decision: Decision,
    (now, base_url): (NaiveDateTime, String),
) -> Result<Decided, ChangeError> {
    db.write(move |conn| {
        let p = provider.get();
        // Another provider's order is not found, whatever the form says.
        let (order, lines) =
            Order::find_in(conn, p, order_id).map_err(|e| match DbError::from(e) {
                DbError::NotFound => ChangeError::NotFound,
                other => ChangeError::Db(other),
            })?;
        if let Decision::Reject(reason) = &decision
            && reason.trim().is_empty()
            && order.is_pending()
        {
            return Err(ChangeError::Refused {
                field: "reason",
                key: "orders.reject_reason_required",
            });
        }
        let (status, reason) = match &decision {
            Decision::Approve => (OrderStatus::Placed, None),
            Decision::Reject(reason) => (OrderStatus::Rejected, Some(reason.trim().to_owned())),
        };
        // The claim: of two submits at once, one moves it out of review.
        if !Order::decide(conn, p, order.id, status, (user_id, now), reason.as_deref())? {
            return Ok(Decided::AlreadyDecided);
        }
        if status == OrderStatus::Placed {
            provision(conn, &order, &lines, now, &base_url)?;
        }
        NewActivity::new(
            if status == OrderStatus::Placed {
                "order.approved"
            } else {
                "order.rejected"
            },
            "order",
            Some(order.id),
        )
        .by(user_id, Some(p))
        .provider(Some(p))
        .reseller(order.reseller_id)
        .customer(Some(order.customer_id))
        .change(
            Some("pending_review".to_owned()),
            Some(match &reason {
                Some(r) => format!("rejected, {r}"),
                None => "placed".to_owned(),
            }),
        )
        .at(now)
        .record(conn)?;
        let decided = Order::find(conn, order.id)?;
        tell(conn, &decided, Some(status), &base_url)?;
        Ok(if status == OrderStatus::Placed {
            Decided::Approved
        } else {
            Decided::Rejected
        })
    })
    .await
}

/// Does what the approved order waited to do, as of `now`.
fn provision(
    conn: &mut DbConnection,
    order: &Order,
    lines: &[OrderLine],
    now: NaiveDateTime,
    base_url: &str,
) -> Result<(), ChangeError> {
    let line = lines.first().ok_or(ChangeError::NotFound)?;
    match order.kind {
        OrderKind::NewSubscription => {
            crate::services::new_subscription::provision_approved(conn, order, line, now).map_err(
                |e| match e {
                    crate::services::new_subscription::AddError::Db(db) => ChangeError::Db(db),
                    crate::services::new_subscription::AddError::NotFound => ChangeError::NotFound,
                    crate::services::new_subscription::AddError::Invalid(_) => {
                        ChangeError::Refused {
                            field: "approve",
                            key: "orders.review_stale",
                        }
                    }
                },
            )?;
        }
        OrderKind::NewCustomer => {
            crate::services::new_customer::provision_approved(conn, order, lines, now)?;
        }
        OrderKind::ChangeQuantity => {
            crate::services::subscription_change::approve_quantity(conn, order, line, now)?;
        }
        OrderKind::Upgrade => {
            crate::services::subscription_change::approve_upgrade(conn, order, lines, now)?;
        }
        _ => {
            return Err(ChangeError::Refused {
                field: "approve",
                key: "orders.review_stale",
            });
        }
    }
    let _ = base_url;
    Ok(())
}
