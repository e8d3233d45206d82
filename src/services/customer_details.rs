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
    typed.checked()
}

trait Checked {
    fn checked(&self) -> Result<CustomerDetails, FormErrors>;
}

impl Checked for CustomerDetails {
    fn checked(&self) -> Result<CustomerDetails, FormErrors> {
        let mut errors = FormErrors::new();
        let details = CustomerDetails {
            address_line1: errors.text("address_line1", &self.address_line1, 200),
            address_line2: errors.optional_text("address_line2", &self.address_line2, 200),
            city: errors.text("city", &self.city, 100),
            state: errors.optional_text("state", &self.state, 100),
            postal_code: errors.optional_text("postal_code", &self.postal_code, 20),
            country: errors
                .check("country", Country::parse(&self.country))
                .map(|c| c.code().to_owned())
                .unwrap_or_default(),
            contact_first_name: errors.text("contact_first_name", &self.contact_first_name, 100),
            contact_last_name: errors.text("contact_last_name", &self.contact_last_name, 100),
            contact_email: errors
                .check("contact_email", Email::parse(&self.contact_email))
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
            contact_phone: self.contact_phone.trim().to_owned(),
        };
        errors.check("contact_phone", check_phone(&self.contact_phone));
        if errors.is_empty() {
            Ok(details)
        } else {
            Err(errors)
        }
    }
}

/// One line per changed field, "label: old → new", for the log.
fn changes(old: &CustomerDetails, new: &CustomerDetails) -> (String, String) {
    let pairs = [
        ("address_line1", &old.address_line1, &new.address_line1),
        ("address_line2", &old.address_line2, &new.address_line2),
        ("city", &old.city, &new.city),
        ("state", &old.state, &new.state),
        ("postal_code", &old.postal_code, &new.postal_code),
        ("country", &old.country, &new.country),
        (
            "contact_first_name",
            &old.contact_first_name,
            &new.contact_first_name,
        ),
        (
            "contact_last_name",
            &old.contact_last_name,
            &new.contact_last_name,
        ),
        ("contact_email", &old.contact_email, &new.contact_email),
        ("contact_phone", &old.contact_phone, &new.contact_phone),
    ];
    let changed: Vec<_> = pairs.iter().filter(|(_, o, n)| o != n).collect();
    (
        changed
            .iter()
            .map(|(_, o, _)| o.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        changed
            .iter()
            .map(|(_, _, n)| n.as_str())
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
