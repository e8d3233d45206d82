//! A new customer with its subscriptions in one call (the API's `POST /customers`): the wizard's
//! account and subscriptions steps checked together, every problem reported per field, then placed
//! as the wizard's Submit places it — in one transaction, or not at all.

use super::wizard::WizardData;
use super::{NewCustomerOrder, PlaceError, PlacedCustomer, check_account, check_lines};
use crate::auth::password;
use crate::db::models::offer::Offer;
use crate::db::models::order::Order;
use crate::db::{Db, DbError};
use crate::domain::ProviderId;
use crate::domain::form::FormErrors;
use crate::services::pricing::PriceBook;

pub struct DirectOrder {
    pub provider: ProviderId,
    pub provider_name: String,
    pub user_id: i64,
    pub suffix: String,
    /// The account and the lines, as the wizard keeps them.
    pub data: WizardData,
    pub now: chrono::NaiveDateTime,
    pub base_url: String,
    /// The caller's key for this request (the API's `Idempotency-Key`, scoped to its token): the
    /// order carries it, so the request sent again after a crash finds the customer it made.
    pub idempotency_key: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectError {
    /// The fields that did not pass their checks (the wizard's names: `qty_<offer id>`, …).
    #[error("the order did not pass its checks")]
    Invalid(FormErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(DirectError);

/// What was placed, with the admin's temporary password (the only time it exists in clear; none when
/// the order was placed by an earlier request with the same key).
pub struct Placed {
    pub placed: PlacedCustomer,
    pub temporary_password: Option<String>,
}

pub async fn place(db: &Db, cmd: DirectOrder) -> Result<Placed, DirectError> {
    // Hashed before the transaction, so the write lock is not held for it.
    let (temporary, hash) = password::temporary_with_hash().map_err(DbError::Failed)?;
    let placed = db
        .write(move |conn| {
            if let Some(key) = &cmd.idempotency_key
                && let Some(order) = Order::by_idempotency_key(conn, key)?
                && order.provider_id == cmd.provider.get()
            {
                return Ok((
                    PlacedCustomer {
                        customer_id: order.customer_id,
                        held: order.is_pending(),
                        order: crate::db::models::order::Placed {
                            id: order.id,
                            number: order.number,
                            total: order.total_minor,
                        },
                    },
                    false,
                ));
            }
            let (mut errors, account) = check_account(conn, cmd.provider, &cmd.data.account)?;
            let ids: Vec<i64> = cmd.data.quantities.keys().copied().collect();
            let offers = Offer::orderable_by_ids(conn, &ids)?;
            let mut prices = Offer::prices_of(conn, &ids)?;
            let reseller = account
                .as_ref()
                .and_then(|a| a.reseller.as_ref().map(|r| r.0));
            PriceBook::load(conn, cmd.provider.get(), reseller)?.price_plans(&mut prices, cmd.now);
            let (line_errors, lines) = check_lines(&offers, &prices, cmd.data.choices());
            for (field, key) in line_errors.entries() {
                errors.add(field, key);
            }
            let account = match account {
                Some(account) if errors.is_empty() => account,
                _ => return Err(DirectError::Invalid(errors)),
            };
            super::place(
                conn,
                &NewCustomerOrder {
                    provider: cmd.provider,
                    provider_name: &cmd.provider_name,
                    placed_by: cmd.user_id,
                    suffix: &cmd.suffix,
                    account: &account,
                    lines: &lines,
                    admin_hash: &hash,
                    draft: None,
                    idempotency_key: cmd.idempotency_key.as_deref(),
                    now: cmd.now,
                    base_url: &cmd.base_url,
                },
            )
            .map_err(|err| match err {
                PlaceError::DomainTaken => {
                    let mut errors = FormErrors::new();
                    errors.add("domain_prefix", "wizard.domain_taken");
                    DirectError::Invalid(errors)
                }
                PlaceError::Db(err) => DirectError::Db(err),
            })
            .map(|placed| (placed, true))
        })
        .await?;
    let (placed, new) = placed;
    Ok(Placed {
        placed,
        temporary_password: new.then_some(temporary),
    })
}
