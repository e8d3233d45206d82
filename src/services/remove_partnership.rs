//! Remove partnership: the provider ends its partnership with a reseller. Customers and subscriptions
//! made with the reseller stay (each subscription keeps its reseller of record, as history), but the
//! reseller loses every power it had through the provider: its delegated administration of the
//! provider's customers ends (its grants, and the Azure tenant-owner permissions with them), it is no longer the designated
//! support contact of the provider's subscriptions (the provider is again), and it can no longer be
//! chosen for new customers or subscriptions. Its users are told by email.

use crate::db::models::activity::NewActivity;
use crate::db::models::customer::ProviderCustomer;
use crate::db::models::partnership::Partnership;
use crate::db::models::subscription::Subscription;
use crate::db::models::user::User;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::ProviderId;
use crate::email::{self, messages::PartnershipRemoved};
use crate::i18n::Tr;
use crate::services::counters;

pub struct RemovePartnership {
    pub provider: ProviderId,
    pub provider_name: String,
    pub reseller_id: i64,
    /// The provider user removing it.
    pub by: i64,
    pub now: chrono::NaiveDateTime,
}

/// What the removal changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removed {
    pub reseller_name: String,
    /// Grants the provider had given the reseller that ended.
    pub delegations_ended: usize,
    /// Subscriptions whose support contact went back to the provider.
    pub support_moved: usize,
}

/// Removes the partnership; not found (`DbError::NotFound`) unless it is active.
pub async fn remove(db: &Db, cmd: RemovePartnership) -> Result<Removed, DbError> {
    db.write(move |conn| remove_in(conn, &cmd)).await
}

fn remove_in(conn: &mut DbConnection, cmd: &RemovePartnership) -> Result<Removed, DbError> {
    let provider = cmd.provider;
    let reseller = Partnership::find_active_for_provider(conn, provider, cmd.reseller_id)?;
    if !Partnership::remove(conn, provider, cmd.reseller_id, cmd.by)? {
        return Err(DbError::NotFound);
    }
    let delegations_ended = crate::services::grants::end_held_in(
        conn,
        provider,
        cmd.reseller_id,
        None,
        cmd.by,
        cmd.now,
    )?;
    ProviderCustomer::end_tenant_owner_of(conn, provider, cmd.reseller_id)?;
    let support_moved = Subscription::support_back_to_provider(conn, provider, cmd.reseller_id)?;
    counters::partnership_ended(conn, provider)?;
    NewActivity::new(
        "partnership.removed",
        "partnership",
        Some(reseller.partnership.id),
    )
    .by(cmd.by, Some(provider.get()))
    .provider(Some(provider.get()))
    .reseller(Some(cmd.reseller_id))
    .change(Some("active".into()), Some("removed".into()))
    .record(conn)?;
    for to in User::of_partner(conn, cmd.reseller_id)? {
        let message = PartnershipRemoved {
            tr: Tr(to.locale.unwrap_or_default()),
            name: to.display_name.clone(),
            provider: cmd.provider_name.clone(),
        };
        email::queue(conn, &to.email, &message)?;
    }
    Ok(Removed {
        reseller_name: reseller.partnership.reseller_name,
        delegations_ended,
        support_moved,
    })
}
