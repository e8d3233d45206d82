//! Customers (the organisations) and a provider's relationship with each: the associated indirect reseller
//! (delegated administration) and the Azure tenant-owner grant. Everything a provider sees of a customer
//! goes through `provider_customers`, scoped by the provider.

use diesel::prelude::*;

use crate::db::schema::{customers, partners, provider_customers};
use crate::db::{DbConnection, like_pattern, lower, new_id, now};
use crate::domain::{CustomerId, CustomerOrigin, ProviderId, ResellerId};
use crate::i18n::Locale;
use crate::pagination::{Page, Seek};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = customers)]
pub struct Customer {
    pub id: i64,
    pub company_name: String,
    pub domain_prefix: String,
    pub address_line1: String,
    pub address_line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
    pub contact_first_name: String,
    pub contact_last_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub language: Locale,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = provider_customers)]
pub struct ProviderCustomer {
    pub id: i64,
    pub provider_id: i64,
    pub customer_id: i64,
    pub reseller_id: Option<i64>,
    pub azure_tenant_owner: bool,
    pub origin: CustomerOrigin,
    pub company_name: String,
    pub domain_prefix: String,
    pub subscription_count: i64,
    pub created_at: chrono::NaiveDateTime,
}

/// A row of the Customers list: the relationship and its reseller's name.
#[derive(Clone, Debug)]
pub struct CustomerRow {
    pub relation: ProviderCustomer,
    pub reseller_name: Option<String>,
}

/// Which customers by associated reseller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResellerFilter {
    All,
    /// Customers with no associated reseller.
    None,
    Reseller(i64),
}

pub struct NewCustomer<'a> {
    pub company_name: &'a str,
    pub domain_prefix: &'a str,
    pub address_line1: &'a str,
    pub address_line2: &'a str,
    pub city: &'a str,
    pub state: &'a str,
    pub postal_code: &'a str,
    pub country: &'a str,
    pub contact_first_name: &'a str,
    pub contact_last_name: &'a str,
    pub contact_email: &'a str,
    pub contact_phone: &'a str,
    pub language: Locale,
}

impl Customer {
    pub fn domain_taken(conn: &mut DbConnection, prefix: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            customers::table.filter(customers::domain_prefix.eq(prefix)),
        ))
        .get_result(conn)
    }

    pub fn set_details(conn: &mut DbConnection, id: i64, d: &CustomerDetails) -> QueryResult<()> {
        diesel::update(customers::table.find(id))
            .set((
                customers::address_line1.eq(&d.address_line1),
                customers::address_line2.eq(&d.address_line2),
                customers::city.eq(&d.city),
                customers::state.eq(&d.state),
                customers::postal_code.eq(&d.postal_code),
                customers::country.eq(&d.country),
                customers::contact_first_name.eq(&d.contact_first_name),
                customers::contact_last_name.eq(&d.contact_last_name),
                customers::contact_email.eq(&d.contact_email),
                customers::contact_phone.eq(&d.contact_phone),
                customers::updated_at.eq(now()),
            ))
            .execute(conn)
            .map(|_| ())
    }

    pub fn create(conn: &mut DbConnection, new: &NewCustomer<'_>) -> QueryResult<i64> {
        let id = new_id();
        let at = now();
        diesel::insert_into(customers::table)
            .values((
                customers::id.eq(id),
                customers::company_name.eq(new.company_name),
                customers::domain_prefix.eq(new.domain_prefix),
                customers::address_line1.eq(new.address_line1),
                customers::address_line2.eq(new.address_line2),
                customers::city.eq(new.city),
                customers::state.eq(new.state),
                customers::postal_code.eq(new.postal_code),
                customers::country.eq(new.country),
                customers::contact_first_name.eq(new.contact_first_name),
                customers::contact_last_name.eq(new.contact_last_name),
                customers::contact_email.eq(new.contact_email),
                customers::contact_phone.eq(new.contact_phone),
                customers::language.eq(new.language),
                customers::created_at.eq(at),
                customers::updated_at.eq(at),
            ))
            .execute(conn)?;
        Ok(id)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Customer> {
        customers::table
            .find(id)
            .select(Customer::as_select())
            .first(conn)
    }
}

/// What a provider's new relationship with a customer holds.
pub struct NewRelation {
    pub provider_id: i64,
    pub customer_id: i64,
    pub reseller_id: Option<i64>,
    pub azure_tenant_owner: bool,
    pub origin: CustomerOrigin,
    pub subscription_count: i64,
    /// When the customer joined the provider (it counts in that month).
    pub created_at: chrono::NaiveDateTime,
}

/// The editable part of a customer: its address and primary contact (also the form, as typed).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct CustomerDetails {
    pub address_line1: String,
    pub address_line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
    pub contact_first_name: String,
    pub contact_last_name: String,
    pub contact_email: String,
    pub contact_phone: String,
}

impl CustomerDetails {
    pub fn of(c: &Customer) -> Self {
        Self {
            address_line1: c.address_line1.clone(),
            address_line2: c.address_line2.clone(),
            city: c.city.clone(),
            state: c.state.clone(),
            postal_code: c.postal_code.clone(),
            country: c.country.clone(),
            contact_first_name: c.contact_first_name.clone(),
            contact_last_name: c.contact_last_name.clone(),
            contact_email: c.contact_email.clone(),
            contact_phone: c.contact_phone.clone(),
        }
    }
}

/// A search of the customer list, for what the list shows and what people type: the company name,
/// the domain as shown (`cohowinery.onmicrosoft.com`, or its start), the contact's name and email.
#[derive(Clone, Debug)]
pub struct CustomerSearch {
    /// Lowercased, for "contains".
    text: String,
    /// Lowercased, the tenant suffix taken off, for "starts with".
    domain: String,
}

impl CustomerSearch {
    /// `suffix` is the tenant domain suffix the list shows after each prefix (`onmicrosoft.com`).
    pub fn new(term: &str, suffix: &str) -> Self {
        let text = term.trim().to_lowercase();
        let domain = text
            .strip_suffix(&suffix.to_lowercase())
            .and_then(|rest| rest.strip_suffix('.'))
            .unwrap_or(&text)
            .to_owned();
        Self { text, domain }
    }
}

/// The reseller filter and the search, on a boxed query over `provider_customers` (alone or joined).
macro_rules! filtered {
    ($query:expr, $filter:expr, $search:expr) => {{
        let mut query = match $filter {
            ResellerFilter::All => $query,
            ResellerFilter::None => $query.filter(provider_customers::reseller_id.is_null()),
            ResellerFilter::Reseller(id) => $query.filter(provider_customers::reseller_id.eq(id)),
        };
        if let Some(search) = $search {
            let contains = like_pattern(&search.text, true);
            let contacts = customers::table
                .filter(
                    lower(customers::contact_email)
                        .like(contains.clone())
                        .escape('\\')
                        .or(lower(
                            customers::contact_first_name
                                .concat(" ")
                                .concat(customers::contact_last_name),
                        )
                        .like(contains.clone())
                        .escape('\\'))
                        .or(lower(
                            customers::contact_last_name
                                .concat(" ")
                                .concat(customers::contact_first_name),
                        )
                        .like(contains.clone())
                        .escape('\\')),
                )
                .select(customers::id);
            query = query.filter(
                lower(provider_customers::company_name)
                    .like(contains.clone())
                    .escape('\\')
                    .or(provider_customers::domain_prefix
                        .like(like_pattern(&search.domain, false))
                        .escape('\\'))
                    .or(provider_customers::customer_id.eq_any(contacts)),
            );
        }
        query
    }};
}

impl ProviderCustomer {
    pub fn create(
        conn: &mut DbConnection,
        new: NewRelation,
        company_name: &str,
        domain_prefix: &str,
    ) -> QueryResult<i64> {
        let id = new_id();
        diesel::insert_into(provider_customers::table)
            .values((
                provider_customers::id.eq(id),
                provider_customers::provider_id.eq(new.provider_id),
                provider_customers::customer_id.eq(new.customer_id),
                provider_customers::reseller_id.eq(new.reseller_id),
                provider_customers::azure_tenant_owner.eq(new.azure_tenant_owner),
                provider_customers::origin.eq(new.origin),
                provider_customers::company_name.eq(company_name),
                provider_customers::domain_prefix.eq(domain_prefix),
                provider_customers::subscription_count.eq(new.subscription_count),
                provider_customers::created_at.eq(new.created_at),
            ))
            .execute(conn)?;
        Ok(id)
    }

    /// The provider's relationship with a customer; a customer it has none with is not found.
    /// A reseller's customers with this provider, by name, at most `limit`: (customer id, name).
    pub fn customers_of_reseller(
        conn: &mut DbConnection,
        provider: i64,
        reseller: i64,
        limit: i64,
    ) -> QueryResult<Vec<(i64, String)>> {
        provider_customers::table
            .filter(provider_customers::provider_id.eq(provider))
            .filter(provider_customers::reseller_id.eq(reseller))
            .order((
                provider_customers::company_name.asc(),
                provider_customers::customer_id.asc(),
            ))
            .limit(limit)
            .select((
                provider_customers::customer_id,
                provider_customers::company_name,
            ))
            .load(conn)
    }

    pub fn find(
        conn: &mut DbConnection,
        provider: ProviderId,
        customer_id: i64,
    ) -> QueryResult<ProviderCustomer> {
        provider_customers::table
            .filter(provider_customers::provider_id.eq(provider.get()))
            .filter(provider_customers::customer_id.eq(customer_id))
            .select(ProviderCustomer::as_select())
            .first(conn)
    }

    /// Whether the provider has a relationship with the customer.
    pub fn exists(
        conn: &mut DbConnection,
        provider_id: i64,
        customer_id: i64,
    ) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            provider_customers::table
                .filter(provider_customers::provider_id.eq(provider_id))
                .filter(provider_customers::customer_id.eq(customer_id)),
        ))
        .get_result(conn)
    }

    /// The provider's customers, newest first, filtered and searched, a page at a time.
    pub fn page_for_provider(
        conn: &mut DbConnection,
        provider: ProviderId,
        filter: ResellerFilter,
        search: Option<&CustomerSearch>,
        only: Option<&[i64]>,
        seek: &Seek<i64>,
        per_page: usize,
    ) -> QueryResult<Page<CustomerRow>> {
        let mut query = provider_customers::table
            .left_join(
                partners::table.on(partners::id.nullable().eq(provider_customers::reseller_id)),
            )
            .filter(provider_customers::provider_id.eq(provider.get()))
            .select((ProviderCustomer::as_select(), partners::name.nullable()))
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        query = filtered!(query, filter, search);
        // Only these customers (those the relationship check flags).
        if let Some(ids) = only {
            query = query.filter(provider_customers::customer_id.eq_any(ids.to_vec()));
        }
        query = crate::newest_first!(query, provider_customers::id, seek);
        let rows: Vec<(ProviderCustomer, Option<String>)> = query.load(conn)?;
        let rows = rows
            .into_iter()
            .map(|(relation, reseller_name)| CustomerRow {
                relation,
                reseller_name,
            })
            .collect();
        Ok(Page::from_rows(rows, seek, per_page, |r: &CustomerRow| {
            r.relation.id
        }))
    }

    /// How many of the provider's customers the filter and search match, counted up to `cap` (a
    /// search over a million customers stops there: "more than 10,000").
    pub fn count_matching(
        conn: &mut DbConnection,
        provider: ProviderId,
        filter: ResellerFilter,
        search: Option<&CustomerSearch>,
        cap: i64,
    ) -> QueryResult<i64> {
        let mut query = provider_customers::table
            .filter(provider_customers::provider_id.eq(provider.get()))
            .select(provider_customers::id)
            .limit(cap)
            .into_boxed();
        query = filtered!(query, filter, search);
        let ids: Vec<i64> = query.load(conn)?;
        i64::try_from(ids.len()).map_err(|e| diesel::result::Error::DeserializationError(e.into()))
    }

    /// The customers delegated to a reseller, across its providers, newest first; with each provider's name.
    pub fn page_for_reseller(
        conn: &mut DbConnection,
        reseller: ResellerId,
        seek: &Seek<i64>,
        per_page: usize,
        now: chrono::NaiveDateTime,
    ) -> QueryResult<Page<CustomerRow>> {
        use crate::db::schema::grants;
        let r = reseller.get();
        // Its grants in force with a role that sees subscriptions.
        macro_rules! held {
            () => {
                grants::table
                    .filter(grants::holder_id.eq(r))
                    .filter(grants::status.eq(crate::domain::GrantStatus::Active))
                    .filter(grants::expires_at.gt(now).or(grants::auto_extend.eq(true)))
                    .filter(
                        grants::role_admin
                            .eq(true)
                            .or(grants::role_licenses.eq(true))
                            .or(grants::role_support.eq(true)),
                    )
            };
        }
        let fetch = crate::pagination::fetch_limit(per_page);
        // Two index paths, merged: the customers associated with it (its own index, in id order), and
        // the few it holds a grant on without being associated (found from its grants).
        let mut associated = provider_customers::table
            .inner_join(partners::table.on(partners::id.eq(provider_customers::provider_id)))
            .filter(provider_customers::reseller_id.eq(r))
            .filter(diesel::dsl::exists(
                held!()
                    .filter(grants::provider_id.eq(provider_customers::provider_id))
                    .filter(grants::customer_id.eq(provider_customers::customer_id)),
            ))
            .select((ProviderCustomer::as_select(), partners::name.nullable()))
            .limit(fetch)
            .into_boxed();
        associated = crate::newest_first!(associated, provider_customers::id, seek);
        let mut others = provider_customers::table
            .inner_join(partners::table.on(partners::id.eq(provider_customers::provider_id)))
            .filter(
                provider_customers::reseller_id
                    .is_null()
                    .or(provider_customers::reseller_id.ne(r)),
            )
            .filter(provider_customers::customer_id.eq_any(held!().select(grants::customer_id)))
            .filter(diesel::dsl::exists(
                held!()
                    .filter(grants::provider_id.eq(provider_customers::provider_id))
                    .filter(grants::customer_id.eq(provider_customers::customer_id)),
            ))
            .select((ProviderCustomer::as_select(), partners::name.nullable()))
            .limit(fetch)
            .into_boxed();
        others = crate::newest_first!(others, provider_customers::id, seek);
        let mut rows: Vec<(ProviderCustomer, Option<String>)> = associated.load(conn)?;
        rows.extend(others.load::<(ProviderCustomer, Option<String>)>(conn)?);
        // In the seek's direction, as one query would have returned them.
        match seek {
            Seek::Before(_) => rows.sort_by_key(|(pc, _)| pc.id),
            _ => rows.sort_by_key(|(pc, _)| std::cmp::Reverse(pc.id)),
        }
        rows.truncate(usize::try_from(fetch).unwrap_or(usize::MAX));
        // For a reseller the name carried along is the provider's.
        let rows = rows
            .into_iter()
            .map(|(relation, provider_name)| CustomerRow {
                relation,
                reseller_name: provider_name,
            })
            .collect();
        Ok(Page::from_rows(rows, seek, per_page, |r: &CustomerRow| {
            r.relation.id
        }))
    }

    /// A customer's providers: the provider's name and the associated reseller's.
    pub fn providers_of_customer(
        conn: &mut DbConnection,
        customer: CustomerId,
    ) -> QueryResult<Vec<(String, Option<String>)>> {
        let providers = diesel::alias!(partners as providers);
        provider_customers::table
            .inner_join(
                providers.on(providers
                    .field(partners::id)
                    .eq(provider_customers::provider_id)),
            )
            .left_join(
                partners::table.on(partners::id.nullable().eq(provider_customers::reseller_id)),
            )
            .filter(provider_customers::customer_id.eq(customer.get()))
            .order(provider_customers::id.asc())
            .limit(100)
            .select((providers.field(partners::name), partners::name.nullable()))
            .load(conn)
    }

    /// Associates a reseller with the customer, or none (what it may do comes from its grants).
    pub fn set_reseller(
        conn: &mut DbConnection,
        provider: ProviderId,
        customer_id: i64,
        reseller_id: Option<i64>,
    ) -> QueryResult<()> {
        diesel::update(
            provider_customers::table
                .filter(provider_customers::provider_id.eq(provider.get()))
                .filter(provider_customers::customer_id.eq(customer_id)),
        )
        .set((
            provider_customers::reseller_id.eq(reseller_id),
            // Tenant-owner rights go with the reseller they were given to.
            provider_customers::azure_tenant_owner.eq(false),
        ))
        .execute(conn)
        .map(|_| ())
    }

    /// Withdraws the reseller's tenant-owner permissions on every customer of the provider (its grants
    /// end separately); the association stays, as history. Returns how many customers it held them for.
    pub fn end_tenant_owner_of(
        conn: &mut DbConnection,
        provider: ProviderId,
        reseller_id: i64,
    ) -> QueryResult<usize> {
        diesel::update(
            provider_customers::table
                .filter(provider_customers::provider_id.eq(provider.get()))
                .filter(provider_customers::reseller_id.eq(reseller_id))
                .filter(provider_customers::azure_tenant_owner.eq(true)),
        )
        .set(provider_customers::azure_tenant_owner.eq(false))
        .execute(conn)
    }

    pub fn set_tenant_owner(
        conn: &mut DbConnection,
        provider: ProviderId,
        customer_id: i64,
        on: bool,
    ) -> QueryResult<()> {
        diesel::update(
            provider_customers::table
                .filter(provider_customers::provider_id.eq(provider.get()))
                .filter(provider_customers::customer_id.eq(customer_id)),
        )
        .set(provider_customers::azure_tenant_owner.eq(on))
        .execute(conn)
        .map(|_| ())
    }

    pub fn add_subscriptions(
        conn: &mut DbConnection,
        provider_id: i64,
        customer_id: i64,
        n: i64,
    ) -> QueryResult<()> {
        diesel::update(
            provider_customers::table
                .filter(provider_customers::provider_id.eq(provider_id))
                .filter(provider_customers::customer_id.eq(customer_id)),
        )
        .set(provider_customers::subscription_count.eq(provider_customers::subscription_count + n))
        .execute(conn)
        .map(|_| ())
    }
}
