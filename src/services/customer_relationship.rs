//! A provider's relationship with one of its customers: the associated reseller (change or remove; a
//! customer the provider created delegates administration to it, one that came by invitation keeps its
//! own decision) and the reseller's tenant-owner permissions for Azure (only with delegated
//! administration). Each change is logged; the resellers concerned are told by email.

use crate::db::Db;
use crate::db::models::activity::NewActivity;
use crate::db::models::customer::ProviderCustomer;
use crate::db::models::partner::Partner;
use crate::db::models::partnership::Partnership;
use crate::db::models::user::User;
use crate::domain::ProviderId;
use crate::email::{self, messages::DelegationChanged};
use crate::i18n::Tr;
use crate::services::counters;

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
        let delegated = relation.delegation_for(new);
        // Choosing the same reseller again changes nothing, unless it restores the delegation of a
        // customer the provider created (after the partnership was removed and made again).
        if old == new && (relation.delegated_admin || !delegated) {
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
        ProviderCustomer::set_reseller(conn, provider, cmd.customer_id, new, delegated)?;
        counters::customer_reseller_changed(conn, provider, old, new)?;
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
        if !relation.delegated_admin && on {
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
