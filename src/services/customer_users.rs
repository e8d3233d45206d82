//! **Reset password** for a customer's admin user, by its provider (the customer page's Users):
//! a new temporary password (shown once, as on Confirmation), the old one and every session of that
//! user ended, the change logged and a notice emailed to the provider user who made it.

use crate::auth::password;
use crate::db::models::activity::NewActivity;
use crate::db::models::customer::{Customer, ProviderCustomer};
use crate::db::models::session::SessionRow;
use crate::db::models::user::User;
use crate::db::{Db, DbError, now};
use crate::domain::{ProviderId, Role};
use crate::email::{self, messages::CustomerPasswordReset};
use crate::i18n::{Locale, Tr};
use crate::services::ChangeError;

/// Reset password, by a provider user for a customer admin.
pub struct ResetPassword {
    pub provider: ProviderId,
    pub customer_id: i64,
    pub user_id: i64,
    /// The provider user who resets it, who gets the notice.
    pub by_user_id: i64,
    pub by_email: String,
    pub by_name: String,
    pub by_locale: Option<Locale>,
}

/// Gives the user a new temporary password and returns it (the only time it exists in the clear).
/// Not this provider's customer, or not that customer's user: `NotFound`, nothing written.
pub async fn reset_password(db: &Db, cmd: ResetPassword) -> Result<String, ChangeError> {
    // Hashed before the transaction, so the write lock is not held for it.
    let (temporary, hash) = password::temporary_with_hash().map_err(DbError::Failed)?;
    db.write(move |conn| {
        ProviderCustomer::find(conn, cmd.provider, cmd.customer_id).map_err(ChangeError::lookup)?;
        let user = User::find(conn, cmd.user_id).map_err(ChangeError::lookup)?;
        if user.customer_id != Some(cmd.customer_id) || user.role != Role::Customer {
            return Err(ChangeError::NotFound);
        }
        let customer = Customer::find(conn, cmd.customer_id)?;
        User::set_password(conn, user.id, &hash, true)?;
        // The old password is gone, and so is every session made with it.
        SessionRow::delete_for_user(conn, user.id, None)?;
        NewActivity::new("customer.password_reset", "user", Some(user.id))
            .by(cmd.by_user_id, Some(cmd.provider.get()))
            .provider(Some(cmd.provider.get()))
            .customer(Some(cmd.customer_id))
            .change(None, Some(user.email.clone()))
            .record(conn)?;
        let tr = Tr(cmd.by_locale.unwrap_or_default());
        let notice = CustomerPasswordReset {
            tr,
            name: cmd.by_name.clone(),
            user_email: user.email.clone(),
            company: customer.company_name.clone(),
            when: tr.datetime(&now()),
        };
        email::queue(conn, &cmd.by_email, &notice)?;
        Ok(())
    })
    .await?;
    Ok(temporary)
}
