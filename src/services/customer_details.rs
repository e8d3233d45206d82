//! Customer details: the provider edits its customer's address and primary contact. One transaction:
//! the row, and one activity entry with what changed, old → new.

use crate::db::models::activity::NewActivity;
use crate::db::models::customer::{Customer, CustomerDetails, ProviderCustomer};
use crate::db::{Db, DbError};
use crate::domain::form::FormErrors;
use crate::domain::{Country, Email, ProviderId, check_phone};
use crate::services::ChangeError;

/// The rules of the wizard's account step, for these fields: the details as typed, checked and
/// trimmed, or a message per field.
pub fn parse(typed: &CustomerDetails) -> Result<CustomerDetails, FormErrors> {
    let t = typed;
    let mut errors = FormErrors::new();
    let details = CustomerDetails {
        address_line1: errors.text("address_line1", &t.address_line1, 200),
        address_line2: errors.optional_text("address_line2", &t.address_line2, 200),
        city: errors.text("city", &t.city, 100),
        state: errors.optional_text("state", &t.state, 100),
        postal_code: errors.optional_text("postal_code", &t.postal_code, 20),
        country: errors
            .check("country", Country::parse(&t.country))
            .map(|c| c.code().to_owned())
            .unwrap_or_default(),
        contact_first_name: errors.text("contact_first_name", &t.contact_first_name, 100),
        contact_last_name: errors.text("contact_last_name", &t.contact_last_name, 100),
        contact_email: errors
            .check("contact_email", Email::parse(&t.contact_email))
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        contact_phone: t.contact_phone.trim().to_owned(),
    };
    errors.check("contact_phone", check_phone(&t.contact_phone));
    if errors.is_empty() {
        Ok(details)
    } else {
        Err(errors)
    }
}

/// The changed fields' old values and new values, each joined with "; ", for the log's old → new.
fn changes(old: &CustomerDetails, new: &CustomerDetails) -> (String, String) {
    let pairs = [
        (&old.address_line1, &new.address_line1),
        (&old.address_line2, &new.address_line2),
        (&old.city, &new.city),
        (&old.state, &new.state),
        (&old.postal_code, &new.postal_code),
        (&old.country, &new.country),
        (&old.contact_first_name, &new.contact_first_name),
        (&old.contact_last_name, &new.contact_last_name),
        (&old.contact_email, &new.contact_email),
        (&old.contact_phone, &new.contact_phone),
    ];
    let changed: Vec<_> = pairs.iter().filter(|(o, n)| o != n).collect();
    (
        changed
            .iter()
            .map(|(o, _)| o.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        changed
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    )
}

pub struct UpdateDetails {
    pub provider: ProviderId,
    pub user_id: i64,
    pub customer_id: i64,
    pub details: CustomerDetails,
}

/// Saves the details; whether anything changed. Another provider's customer: `NotFound`.
pub async fn update(db: &Db, cmd: UpdateDetails) -> Result<bool, ChangeError> {
    db.write(move |conn| {
        let relation = ProviderCustomer::find(conn, cmd.provider, cmd.customer_id)
            .map_err(ChangeError::lookup)?;
        let old = CustomerDetails::of(&Customer::find(conn, cmd.customer_id)?);
        if old == cmd.details {
            return Ok(false);
        }
        Customer::set_details(conn, cmd.customer_id, &cmd.details)?;
        let (before, after) = changes(&old, &cmd.details);
        NewActivity::new(
            "customer.details_changed",
            "customer",
            Some(cmd.customer_id),
        )
        .by(cmd.user_id, Some(cmd.provider.get()))
        .provider(Some(cmd.provider.get()))
        .reseller(relation.reseller_id)
        .customer(Some(cmd.customer_id))
        .change(Some(before), Some(after))
        .record(conn)?;
        Ok::<_, ChangeError>(true)
    })
    .await
    .map_err(|e| match e {
        ChangeError::Db(DbError::NotFound) => ChangeError::NotFound,
        other => other,
    })
}
