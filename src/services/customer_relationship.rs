//! A provider's relationship with one of its customers: the associated reseller (change or remove) and
//! the reseller's tenant-owner permissions for Azure (only for a reseller holding a Subscription
//! administrator grant). A reseller no longer associated loses the grants the provider gave it on the
//! customer; a newly associated one, for a customer the provider created, gets a grant request to the
//! customer's admin — or the grant at once when the provider states the customer agreed (logged).
//! Each change is logged; the resellers concerned are told by email.

use crate::db::Db;
use crate::db::models::activity::NewActivity;
use crate::db::models::customer::ProviderCustomer;
use crate::db::models::grant::{Grant, Role};
use crate::db::models::partner::Partner;
use crate::db::models::partnership::Partnership;
use crate::db::models::user::User;
use crate::domain::{CustomerOrigin, ProviderId};
use crate::email::{self, messages::DelegationChanged};
use crate::i18n::Tr;
use crate::services::{counters, grants};

/// How a relationship change fails (the shared shape of a change).
pub type RelationshipError = crate::services::ChangeError;

fn relation(
    conn: &mut crate::db::DbConnection,
    provider: ProviderId,
    customer_id: i64,
) -> Result<ProviderCustomer, RelationshipError> {
    ProviderCustomer::find(conn, provider, customer_id).map_err(RelationshipError::lookup)
}

pub struct ChangeReseller {
    pub provider: ProviderId,
    pub provider_name: String,
    pub user_id: i64,
    pub customer_id: i64,
    /// The reseller to associate, or none.
    pub reseller: Option<i64>,
    /// The provider states the customer agreed to delegate administration to the new reseller.
    pub customer_agreed: bool,
    pub now: chrono::NaiveDateTime,
    pub base_url: String,
}

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Changed {
    Unchanged,
    Associated,
    Removed,
}

pub async fn change_reseller(db: &Db, cmd: ChangeReseller) -> Result<Changed, RelationshipError> {
    db.write(move |conn| {
        let provider = cmd.provider;
        let relation = relation(conn, provider, cmd.customer_id)?;
        let old = relation.reseller_id;
        let new = cmd.reseller;
        // A customer the provider created is asked to delegate administration to its new reseller (one
        // that came by invitation decided about delegation itself when it accepted).
        let ask = match new {
            Some(r) => {
                relation.origin == CustomerOrigin::Created
                    && Grant::open_held(conn, provider.get(), r, Some(cmd.customer_id))?.is_empty()
            }
            None => false,
        };
        // Choosing the same reseller again changes nothing, unless it asks again for a grant that ended
        // (after the partnership was removed and made again, or the grant expired).
        if old == new && !ask {
            return Ok(Changed::Unchanged);
        }
        let new_partner = match new {
            Some(id) => Some(Partnership::active(conn, provider.get(), id)?.ok_or(
                RelationshipError::Refused {
                    field: "reseller",
                    key: "wizard.reseller_not_partnered",
                },
            )?),
            None => None,
        };
        ProviderCustomer::set_reseller(conn, provider, cmd.customer_id, new)?;
        counters::customer_reseller_changed(conn, provider, old, new)?;
        if let Some(old) = old.filter(|o| Some(*o) != new) {
            grants::end_held_in(
                conn,
                provider,
                old,
                Some(cmd.customer_id),
                cmd.user_id,
                cmd.now,
            )?;
        }
        if let (Some(reseller_id), true) = (new, ask) {
            grants::for_reseller_in(
                conn,
                &grants::ForReseller {
                    provider,
                    provider_name: cmd.provider_name.clone(),
                    user_id: cmd.user_id,
                    customer_id: cmd.customer_id,
                    reseller_id,
                    agreed: cmd.customer_agreed,
                    now: cmd.now,
                    base_url: cmd.base_url.clone(),
                },
            )?;
        }
        let old_name = match old {
            Some(id) => Some(Partner::find(conn, id)?.name),
            None => None,
        };
        NewActivity::new(
            "customer.reseller_changed",
            "customer",
            Some(cmd.customer_id),
        )
        .by(cmd.user_id, Some(provider.get()))
        .provider(Some(provider.get()))
        .reseller(new.or(old))
        .customer(Some(cmd.customer_id))
        .change(
            old_name,
            new_partner.as_ref().map(|p| p.reseller_name.clone()),
        )
        .record(conn)?;
        for (reseller, gained) in [(old, false), (new, true)] {
            let Some(reseller) = reseller else { continue };
            for to in User::of_partner(conn, reseller)? {
                let message = DelegationChanged {
                    tr: Tr(to.locale.unwrap_or_default()),
                    name: to.display_name.clone(),
                    provider: cmd.provider_name.clone(),
                    company: relation.company_name.clone(),
                    gained,
                };
                email::queue(conn, &to.email, &message)?;
            }
        }
        Ok(if new.is_some() {
            Changed::Associated
        } else {
            Changed::Removed
        })
    })
    .await
}

/// Grants (`on`) or withdraws the associated reseller's tenant-owner permissions for Azure; false when
/// it already was so.
pub async fn set_tenant_owner(
    db: &Db,
    provider: ProviderId,
    user_id: i64,
    customer_id: i64,
    on: bool,
    now: chrono::NaiveDateTime,
) -> Result<bool, RelationshipError> {
    db.write(move |conn| {
        let relation = relation(conn, provider, customer_id)?;
        let refused = |key| RelationshipError::Refused {
            field: "tenant_owner",
            key,
        };
        if relation.reseller_id.is_none() && on {
            return Err(refused("wizard.tenant_owner_needs_reseller"));
        }
        // Tenant-owner rights go only to a reseller that administers the customer.
        let administers = match relation.reseller_id {
            Some(r) => Grant::holds(
                conn,
                provider.get(),
                customer_id,
                r,
                Some(Role::SubscriptionAdmin),
                now,
            )?,
            None => false,
        };
        if !administers && on {
            return Err(refused("customers.tenant_owner_needs_delegation"));
        }
        if relation.azure_tenant_owner == on {
            return Ok(false);
        }
        ProviderCustomer::set_tenant_owner(conn, provider, customer_id, on)?;
        let word = |b: bool| if b { "granted" } else { "not granted" }.to_owned();
        NewActivity::new(
            "customer.tenant_owner_changed",
            "customer",
            Some(customer_id),
        )
        .by(user_id, Some(provider.get()))
        .provider(Some(provider.get()))
        .reseller(relation.reseller_id)
        .customer(Some(customer_id))
        .change(Some(word(relation.azure_tenant_owner)), Some(word(on)))
        .record(conn)?;
        Ok(true)
    })
    .await
}
