//! The new customer wizard: New customer (account info) → New subscription (licenses per offer) →
//! Review → Submit or Cancel → Confirmation with the Setup info. What was typed lives in a server-side
//! draft owned by the user, so Back, Forward and reloads lose nothing; Submit writes everything in one
//! transaction, once.

pub mod account;
pub mod review;
pub mod subscriptions;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::auth::{ProviderId, Role};
use crate::db::models::activity::NewActivity;
use crate::db::models::customer::{Customer, NewCustomer, NewRelation, ProviderCustomer};
use crate::db::models::draft::{self, Draft};
use crate::db::models::offer::Offer;
use crate::db::models::order::{NewLine, NewOrder, Order};
use crate::db::models::partnership::Partnership;
use crate::db::models::stats::{Delta, ProviderStats};
use crate::db::models::subscription::{NewSubscription, Subscription};
use crate::db::models::user::{NewUser, User};
use crate::db::{DbConnection, now};
use crate::domain::{Country, DomainPrefix, Email, check_phone, parse_quantity};
use crate::email::{self, messages::CustomerAddedForReseller};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::i18n::Tr;
use crate::startup::AppState;
use crate::view::FormErrors;

pub const KIND: &str = "new_customer";

/// How long an unfinished wizard is kept.
pub fn ttl() -> chrono::Duration {
    chrono::Duration::hours(24)
}

pub fn step_path(id: i64, step: &str) -> String {
    if step.is_empty() {
        format!("/customers/new/{id}")
    } else {
        format!("/customers/new/{id}/{step}")
    }
}

/// The account step as typed.
#[derive(Serialize, Deserialize, Default, Clone, Debug)]
pub struct AccountForm {
    #[serde(default)]
    pub reseller: String,
    #[serde(default)]
    pub company_name: String,
    #[serde(default)]
    pub domain_prefix: String,
    #[serde(default)]
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub contact_first_name: String,
    #[serde(default)]
    pub contact_last_name: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub tenant_owner: Option<String>,
}

/// Everything the wizard holds.
#[derive(Serialize, Deserialize, Default, Clone, Debug)]
pub struct WizardData {
    pub account: AccountForm,
    /// The account step passed its checks.
    pub account_done: bool,
    /// Licenses per offer id, as typed.
    pub quantities: BTreeMap<i64, String>,
    pub lines_done: bool,
}

impl WizardData {
    pub fn parse(draft: &Draft) -> WizardData {
        serde_json::from_str(&draft.data).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// The account step after its checks.
#[derive(Clone, Debug)]
pub struct CheckedAccount {
    /// The associated reseller: id and name.
    pub reseller: Option<(i64, String)>,
    pub domain: DomainPrefix,
    pub country: Country,
    pub email: Email,
    pub language: Locale,
    pub tenant_owner: bool,
}

/// Checks the account step, including what needs the database: the reseller must be one of this
/// provider's partners, the domain must be free.
pub fn check_account(
    conn: &mut DbConnection,
    provider: ProviderId,
    form: &AccountForm,
) -> Result<(FormErrors, Option<CheckedAccount>), AppError> {
    let mut errors = FormErrors::new();
    let reseller = match form.reseller.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(id) => match Partnership::active(conn, provider.get(), id)? {
                Some(p) => Some((id, p.reseller_name)),
                None => {
                    errors.add("reseller", "wizard.reseller_not_partnered");
                    None
                }
            },
            Err(_) => {
                errors.add("reseller", "wizard.reseller_not_partnered");
                None
            }
        },
    };
    errors.text("company_name", &form.company_name, 200);
    let domain = errors.check("domain_prefix", DomainPrefix::parse(&form.domain_prefix));
    if let Some(d) = &domain
        && Customer::domain_taken(conn, d.as_str())?
    {
        errors.add("domain_prefix", "wizard.domain_taken");
    }
    errors.text("address_line1", &form.address_line1, 200);
    errors.optional_text("address_line2", &form.address_line2, 200);
    errors.text("city", &form.city, 100);
    errors.optional_text("state", &form.state, 100);
    errors.optional_text("postal_code", &form.postal_code, 20);
    let country = errors.check("country", Country::parse(&form.country));
    errors.text("contact_first_name", &form.contact_first_name, 100);
    errors.text("contact_last_name", &form.contact_last_name, 100);
    let email = errors.check("contact_email", Email::parse(&form.contact_email));
    if let Err(key) = check_phone(&form.contact_phone) {
        errors.add("contact_phone", key);
    }
    let language = Locale::from_code(form.language.trim());
    if language.is_none() {
        errors.add("language", "validation.required");
    }
    let tenant_owner = form.tenant_owner.is_some();
    if tenant_owner && reseller.is_none() && !errors.has("reseller") {
        errors.add("tenant_owner", "wizard.tenant_owner_needs_reseller");
    }
    let checked = match (domain, country, email, language) {
        (Some(domain), Some(country), Some(email), Some(language)) if errors.is_empty() => {
            Some(CheckedAccount {
                reseller,
                domain,
                country,
                email,
                language,
                tenant_owner,
            })
        }
        _ => None,
    };
    Ok((errors, checked))
}

/// An order line of the wizard.
#[derive(Clone, Debug)]
pub struct Line {
    pub offer: Offer,
    pub quantity: i32,
}

impl Line {
    pub fn total_minor(&self) -> i64 {
        i64::from(self.quantity) * self.offer.unit_price_minor
    }
}

/// Checks the licenses typed against the offers that can be ordered: each within its offer's limits,
/// an offer that cannot be ordered refused, at least one line.
pub fn check_lines(
    orderable: &[Offer],
    quantities: &BTreeMap<i64, String>,
) -> (FormErrors, Vec<Line>) {
    let mut errors = FormErrors::new();
    let mut lines = Vec::new();
    for (offer_id, raw) in quantities {
        if raw.trim().is_empty() {
            continue;
        }
        match orderable.iter().find(|o| o.id == *offer_id) {
            Some(offer) => match parse_quantity(raw, offer.min_licenses, offer.max_licenses) {
                Ok(quantity) => lines.push(Line {
                    offer: offer.clone(),
                    quantity,
                }),
                Err(key) => errors.add_named(&format!("qty_{offer_id}"), key),
            },
            None => errors.add("lines", "wizard.offer_not_orderable"),
        }
    }
    if lines.is_empty() && errors.is_empty() {
        errors.add("lines", "wizard.no_lines");
    }
    (errors, lines)
}

/// Everything a submitted wizard writes.
pub struct NewCustomerOrder<'a> {
    pub provider: ProviderId,
    /// The provider user placing the order.
    pub placed_by: i64,
    pub provider_name: &'a str,
    pub suffix: &'a str,
    pub form: &'a AccountForm,
    pub account: &'a CheckedAccount,
    pub lines: &'a [Line],
    pub admin_hash: &'a str,
    /// The draft submitted, and the temporary password sealed for its Confirmation.
    pub draft: Option<(i64, &'a str)>,
}

/// Writes a new customer with its order, in the caller's transaction: customer, relationship, admin
/// user, subscriptions, order and lines, counters, activity log, outbox. Returns the customer id.
pub fn write_new_customer(
    conn: &mut DbConnection,
    new: &NewCustomerOrder<'_>,
) -> Result<i64, AppError> {
    let NewCustomerOrder {
        provider,
        placed_by: user_id,
        provider_name,
        suffix,
        form,
        account,
        lines,
        admin_hash,
        draft,
    } = *new;
    let reseller_id = account.reseller.as_ref().map(|(id, _)| *id);
    let company = form.company_name.trim();
    let customer_id = Customer::create(
        conn,
        &NewCustomer {
            company_name: company,
            domain_prefix: account.domain.as_str(),
            address_line1: form.address_line1.trim(),
            address_line2: form.address_line2.trim(),
            city: form.city.trim(),
            state: form.state.trim(),
            postal_code: form.postal_code.trim(),
            country: account.country.code(),
            contact_first_name: form.contact_first_name.trim(),
            contact_last_name: form.contact_last_name.trim(),
            contact_email: account.email.as_str(),
            contact_phone: form.contact_phone.trim(),
            language: account.language.code(),
        },
    )?;
    let licenses: i64 = lines.iter().map(|l| i64::from(l.quantity)).sum();
    let subscription_count = lines.len() as i64;
    ProviderCustomer::create(
        conn,
        NewRelation {
            provider_id: provider.get(),
            customer_id,
            reseller_id,
            delegated_admin: reseller_id.is_some(),
            azure_tenant_owner: account.tenant_owner,
            origin: "created",
            subscription_count,
        },
        company,
        account.domain.as_str(),
    )?;
    let admin_email = Email::parse(&format!("admin@{}.{suffix}", account.domain.as_str()))
        .map_err(|_| AppError::Conflict("wizard.problem.domain"))?;
    if User::email_taken(conn, &admin_email)? {
        return Err(AppError::Conflict("wizard.problem.domain"));
    }
    User::create(
        conn,
        NewUser {
            email: &admin_email,
            password_hash: admin_hash,
            role: Role::Customer,
            partner_id: None,
            customer_id: Some(customer_id),
            display_name: company,
            locale: Some(account.language),
            must_change_password: true,
        },
    )?;

    // Subscriptions first, so each order line can point at the subscription it made.
    let mut order_lines = Vec::with_capacity(lines.len());
    for line in lines {
        let subscription_id = Subscription::create(
            conn,
            &NewSubscription {
                provider_id: provider.get(),
                customer_id,
                offer_id: line.offer.id,
                quantity: line.quantity,
                reseller_of_record_id: reseller_id,
                support_contact_id: provider.get(),
            },
        )?;
        order_lines.push(NewLine {
            offer_id: line.offer.id,
            subscription_id: Some(subscription_id),
            quantity: line.quantity,
            previous_quantity: None,
            unit_price_minor: line.offer.unit_price_minor,
        });
    }
    let currency = lines.first().map_or("USD", |l| l.offer.currency.as_str());
    let key = draft.map(|(id, _)| format!("draft:{id}"));
    let placed = Order::create(
        conn,
        &NewOrder {
            provider_id: provider.get(),
            customer_id,
            reseller_id,
            placed_by_user_id: user_id,
            placed_by_partner_id: Some(provider.get()),
            kind: "new_customer",
            currency,
            idempotency_key: key.as_deref(),
        },
        &order_lines,
    )?;

    if let Some(reseller_id) = reseller_id {
        Partnership::bump_counts(conn, provider.get(), reseller_id, 1, licenses)?;
    }
    ProviderStats::bump(
        conn,
        provider.get(),
        Delta {
            resellers: 0,
            customers: 1,
            subscriptions: subscription_count,
            licenses,
        },
    )?;
    ProviderStats::count_new_customer(conn, provider.get(), &now().format("%Y-%m").to_string(), 1)?;

    NewActivity::new("customer.created", "customer", Some(customer_id))
        .by(user_id, Some(provider.get()))
        .provider(Some(provider.get()))
        .reseller(reseller_id)
        .customer(Some(customer_id))
        .change(
            None,
            Some(format!("{company} ({}.{suffix})", account.domain.as_str())),
        )
        .record(conn)?;
    NewActivity::new("order.placed", "order", Some(placed.id))
        .by(user_id, Some(provider.get()))
        .provider(Some(provider.get()))
        .reseller(reseller_id)
        .customer(Some(customer_id))
        .change(
            None,
            Some(format!(
                "{} {}",
                placed.reference(),
                Tr::default().money(placed.total, currency)
            )),
        )
        .record(conn)?;

    if let Some((reseller_id, _)) = &account.reseller {
        for to in User::of_partner(conn, *reseller_id)? {
            let message = CustomerAddedForReseller {
                tr: Tr(to.locale().unwrap_or_default()),
                name: to.display_name.clone(),
                provider: provider_name.to_owned(),
                company: company.to_owned(),
                domain: format!("{}.{suffix}", account.domain.as_str()),
            };
            email::queue(conn, &to.email, &message)?;
        }
    }
    if let Some((draft_id, sealed)) = draft {
        Draft::set_result(conn, draft_id, customer_id, Some(sealed))?;
    }
    Ok(customer_id)
}

/// The user's draft: 404 for anyone else's, 410 once expired.
pub async fn load(state: &AppState, user_id: i64, id: i64) -> AppResult<(Draft, WizardData)> {
    let draft = state
        .db
        .read(move |conn| Ok(Draft::find_for_user(conn, id, user_id, KIND)?))
        .await?;
    if draft.is_expired() {
        return Err(AppError::Gone("errors.draft.expired"));
    }
    let data = WizardData::parse(&draft);
    Ok((draft, data))
}

/// Where a draft that is no longer open sends the user.
pub fn closed_destination(draft: &Draft) -> Option<String> {
    match draft.status.as_str() {
        draft::SUBMITTED => Some(step_path(draft.id, "confirmation")),
        draft::CANCELLED => Some("/customers/new".to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(id: i64, min: i32, max: i32, price: i64) -> Offer {
        let at = chrono::Utc::now().naive_utc();
        Offer {
            id,
            sku: format!("S{id}"),
            name: format!("Offer {id}"),
            description: String::new(),
            unit_price_minor: price,
            currency: "USD".into(),
            billing: "monthly".into(),
            min_licenses: min,
            max_licenses: max,
            retired_at: None,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn lines_are_checked_against_each_offers_limits() {
        let offers = vec![offer(1, 1, 300, 600), offer(2, 5, 10, 1000)];
        let q = |pairs: &[(i64, &str)]| pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        let (errors, lines) = check_lines(&offers, &q(&[(1, "10"), (2, "")]));
        assert!(errors.is_empty());
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].total_minor(), 6000);
        let (errors, _) = check_lines(&offers, &q(&[(1, ""), (2, "")]));
        assert_eq!(errors.get("lines"), Some("wizard.no_lines"));
        let (errors, _) = check_lines(&offers, &q(&[(2, "4")]));
        assert_eq!(errors.get("qty_2"), Some("validation.quantity_below_min"));
        let (errors, _) = check_lines(&offers, &q(&[(2, "11")]));
        assert_eq!(errors.get("qty_2"), Some("validation.quantity_above_max"));
        let (errors, _) = check_lines(&offers, &q(&[(1, "x")]));
        assert_eq!(errors.get("qty_1"), Some("validation.quantity_number"));
        let (errors, _) = check_lines(&offers, &q(&[(3, "5")]));
        assert_eq!(errors.get("lines"), Some("wizard.offer_not_orderable"));
    }
}
