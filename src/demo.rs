//! Demo data for looking around: an operator, two providers, a few enrolled resellers (one still waiting
//! for verification), partnerships, a catalog of realistic cloud offers, and customers with orders made
//! through the same code as the New customer wizard. Loaded only into an empty database.
//! Every demo account shares one password, printed with the sign-ins; it is for demos only.

use std::fmt::Write;

use diesel::prelude::*;

use crate::auth::password;
use crate::db::models::offer::{NewOffer, Offer};
use crate::db::models::partner::{NewPartner, Partner};
use crate::db::models::partnership::Partnership;
use crate::db::models::profile::{
    Location, Logo, ProfileChangeRequest, ProviderProfile, image_type,
};
use crate::db::models::user::{NewUser, User};
use crate::db::schema::users;
use crate::db::{Db, DbConnection, transaction};
use crate::domain::lifecycle::Plan;
use crate::domain::{
    Billing, Email, EnrollmentStatus, MemberRole, PartnerKind, ProfileRequestStatus, ProviderId,
    Role, SubscriptionStatus, Term,
};
use crate::i18n::Locale;
use crate::services::counters;
use crate::services::new_customer::{AccountFields, Line, NewCustomerOrder, check_account, place};
use crate::services::pricing::PriceBook;

pub const DEMO_PASSWORD: &str = "demo-password-2026";

struct DemoUser {
    email: &'static str,
    name: &'static str,
    role: Role,
    /// Index into the organisations below.
    org: Option<usize>,
    locale: Option<Locale>,
    /// Their role in the organisation.
    team: MemberRole,
}

struct DemoOrg {
    kind: PartnerKind,
    name: &'static str,
    partner_number: Option<&'static str>,
    country: &'static str,
    status: EnrollmentStatus,
}

const ORGS: &[DemoOrg] = &[
    DemoOrg {
        kind: PartnerKind::Provider,
        name: "Contoso Distribution",
        partner_number: Some("1000001"),
        country: "TW",
        status: EnrollmentStatus::Verified,
    },
    DemoOrg {
        kind: PartnerKind::Provider,
        name: "Fabrikam Cloud Supply",
        partner_number: Some("1000002"),
        country: "US",
        status: EnrollmentStatus::Verified,
    },
    DemoOrg {
        kind: PartnerKind::Reseller,
        name: "Northwind Traders",
        partner_number: Some("4812345"),
        country: "TW",
        status: EnrollmentStatus::Verified,
    },
    DemoOrg {
        kind: PartnerKind::Reseller,
        name: "Tailspin IT Services",
        partner_number: Some("4823456"),
        country: "US",
        status: EnrollmentStatus::Verified,
    },
    DemoOrg {
        kind: PartnerKind::Reseller,
        name: "Adatum Solutions",
        partner_number: Some("4834567"),
        country: "HK",
        status: EnrollmentStatus::Verified,
    },
    DemoOrg {
        kind: PartnerKind::Reseller,
        name: "Litware Systems",
        partner_number: Some("4845678"),
        country: "JP",
        status: EnrollmentStatus::Pending,
    },
];

const USERS: &[DemoUser] = &[
    DemoUser {
        email: "operator@demo.example",
        name: "Olivia Operator",
        role: Role::Operator,
        org: None,
        locale: None,
        team: MemberRole::Admin,
    },
    DemoUser {
        email: "alice@contoso-distribution.example",
        name: "Alice Chen",
        role: Role::Provider,
        org: Some(0),
        locale: Some(Locale::En),
        team: MemberRole::Admin,
    },
    DemoUser {
        email: "meihua@contoso-distribution.example",
        name: "林美華",
        role: Role::Provider,
        org: Some(0),
        locale: Some(Locale::ZhTw),
        team: MemberRole::Admin,
    },
    DemoUser {
        email: "bob@fabrikam-supply.example",
        name: "Bob Miller",
        role: Role::Provider,
        org: Some(1),
        locale: Some(Locale::En),
        team: MemberRole::Admin,
    },
    DemoUser {
        email: "wei@northwind.example",
        name: "王偉",
        role: Role::Reseller,
        org: Some(2),
        locale: Some(Locale::ZhTw),
        team: MemberRole::Admin,
    },
    DemoUser {
        email: "tom@tailspin.example",
        name: "Tom Baker",
        role: Role::Reseller,
        org: Some(3),
        locale: Some(Locale::En),
        team: MemberRole::Admin,
    },
    DemoUser {
        email: "grace@adatum.example",
        name: "Grace Wong",
        role: Role::Reseller,
        org: Some(4),
        locale: Some(Locale::En),
        team: MemberRole::Admin,
    },
    DemoUser {
        email: "ken@litware.example",
        name: "Ken Sato",
        role: Role::Reseller,
        org: Some(5),
        locale: Some(Locale::En),
        team: MemberRole::Admin,
    },
    DemoUser {
        email: "sam@contoso-distribution.example",
        name: "Sam Lee",
        role: Role::Provider,
        org: Some(0),
        locale: Some(Locale::En),
        team: MemberRole::Sales,
    },
    DemoUser {
        email: "hana@contoso-distribution.example",
        name: "陳小涵",
        role: Role::Provider,
        org: Some(0),
        locale: Some(Locale::ZhTw),
        team: MemberRole::Helpdesk,
    },
    DemoUser {
        email: "bill@contoso-distribution.example",
        name: "Bill Lin",
        role: Role::Provider,
        org: Some(0),
        locale: Some(Locale::En),
        team: MemberRole::Billing,
    },
    DemoUser {
        email: "sara@fabrikam-supply.example",
        name: "Sara Jones",
        role: Role::Provider,
        org: Some(1),
        locale: Some(Locale::En),
        team: MemberRole::Sales,
    },
    DemoUser {
        email: "hugo@fabrikam-supply.example",
        name: "Hugo Diaz",
        role: Role::Provider,
        org: Some(1),
        locale: Some(Locale::En),
        team: MemberRole::Helpdesk,
    },
    DemoUser {
        email: "bea@fabrikam-supply.example",
        name: "Bea Novak",
        role: Role::Provider,
        org: Some(1),
        locale: Some(Locale::En),
        team: MemberRole::Billing,
    },
    DemoUser {
        email: "support@demo.example",
        name: "Sven Support",
        role: Role::Operator,
        org: None,
        locale: None,
        team: MemberRole::Support,
    },
];

/// (sku, name, description, unit price in cents, billing, min, max)
pub(crate) const OFFERS: &[(&str, &str, &str, i64, &str, i32, i32)] = &[
    (
        "M365-BB",
        "Microsoft 365 Business Basic",
        "Web and mobile Office apps, Teams, 1 TB OneDrive and business email.",
        600,
        "monthly",
        1,
        300,
    ),
    (
        "M365-BS",
        "Microsoft 365 Business Standard",
        "Everything in Business Basic plus desktop Office apps and webinars.",
        1250,
        "monthly",
        1,
        300,
    ),
    (
        "M365-BP",
        "Microsoft 365 Business Premium",
        "Business Standard plus advanced security and device management.",
        2200,
        "monthly",
        1,
        300,
    ),
    (
        "M365-E3",
        "Microsoft 365 E3",
        "Enterprise Office apps, Windows Enterprise, identity and device management.",
        3600,
        "annual",
        1,
        100_000,
    ),
    (
        "M365-E5",
        "Microsoft 365 E5",
        "E3 plus advanced security, compliance, Teams Phone and Power BI Pro.",
        5700,
        "annual",
        1,
        100_000,
    ),
    (
        "EXO-P1",
        "Exchange Online (Plan 1)",
        "Business email with a 50 GB mailbox per user.",
        400,
        "monthly",
        1,
        100_000,
    ),
    (
        "TEAMS-ESS",
        "Microsoft Teams Essentials",
        "Unlimited group meetings for up to 30 hours, 10 GB cloud storage per user.",
        400,
        "monthly",
        1,
        300,
    ),
    (
        "DEF-BIZ",
        "Microsoft Defender for Business",
        "Endpoint security for businesses with up to 300 employees.",
        300,
        "monthly",
        1,
        300,
    ),
    (
        "PBI-PRO",
        "Power BI Pro",
        "Self-service analytics: publish and share reports.",
        1000,
        "monthly",
        1,
        100_000,
    ),
    (
        "VISIO-P2",
        "Visio Plan 2",
        "Professional diagramming with the Visio desktop app.",
        1500,
        "monthly",
        1,
        10_000,
    ),
    (
        "PROJ-P3",
        "Project Plan 3",
        "Project management with the Project desktop client.",
        3000,
        "monthly",
        1,
        10_000,
    ),
    (
        "D365-SP",
        "Dynamics 365 Sales Professional",
        "Sales force automation for growing teams.",
        6500,
        "annual",
        1,
        10_000,
    ),
];

/// Loads the demo into an empty database and returns the sign-ins to print; `None` when there is data.
/// Loads the demo into an empty database as of `now` (the clock's: `SIMULATED_NOW` in a demo).
pub fn load_if_empty(
    db: &Db,
    tenant_domain_suffix: &str,
    now: chrono::NaiveDateTime,
) -> anyhow::Result<Option<String>> {
    let hash = password::hash(DEMO_PASSWORD)?;
    let mut conn = db.write_conn()?;
    transaction(&mut conn, |conn| -> anyhow::Result<Option<String>> {
        let existing: i64 = users::table.count().get_result(conn)?;
        if existing > 0 || Offer::count(conn)? > 0 {
            return Ok(None);
        }
        load(conn, &hash, tenant_domain_suffix, now)?;
        Ok(Some(sign_ins(tenant_domain_suffix)))
    })
}

/// How many days before now each demo customer bought its subscriptions (in `CUSTOMERS` order): an
/// annual term ending within 30 days, one still in its cancellation window, monthly terms renewed by
/// the job, one without auto-renew that expired.
const BOUGHT_DAYS_AGO: [i64; 6] = [350, 3, 20, 200, 40, 45];

fn load(
    conn: &mut DbConnection,
    hash: &str,
    suffix: &str,
    now: chrono::NaiveDateTime,
) -> anyhow::Result<()> {
    // Demo sign-ins need only the password (the platform requires MFA otherwise).
    crate::db::models::platform::Platform::set_require_mfa(conn, false)?;
    let mut org_ids = Vec::with_capacity(ORGS.len());
    for org in ORGS {
        let contact = USERS
            .iter()
            .find(|u| u.org == Some(org_ids.len()))
            .map_or(("", ""), |u| (u.name, u.email));
        let id = Partner::create(
            conn,
            NewPartner {
                kind: org.kind,
                name: org.name,
                partner_number: org.partner_number,
                country: org.country,
                contact_name: contact.0,
                contact_email: contact.1,
                enrollment_status: org.status,
            },
        )?;
        org_ids.push(id);
    }
    let mut user_ids = Vec::with_capacity(USERS.len());
    for user in USERS {
        let email = Email::parse(user.email)
            .map_err(|e| anyhow::anyhow!("demo email {}: {e}", user.email))?;
        let id = User::create_member(
            conn,
            NewUser {
                email: &email,
                password_hash: hash,
                role: user.role,
                partner_id: user.org.map(|i| org_ids[i]),
                customer_id: None,
                display_name: user.name,
                locale: user.locale,
                must_change_password: false,
            },
            user.team,
        )?;
        user_ids.push(id);
    }
    create_offers(conn)?;
    for (provider, reseller) in PARTNERSHIPS {
        let (provider, reseller) = (org_ids[*provider], org_ids[*reseller]);
        let name = Partner::find(conn, reseller)?.name;
        Partnership::activate(conn, provider, reseller, &name, None)?;
        counters::partnership_started(conn, established(provider))?;
    }
    price_lists(conn, &org_ids, &user_ids, now)?;
    let offers = Offer::orderable(conn)?;
    let mut placed = Vec::with_capacity(CUSTOMERS.len());
    for (index, customer) in CUSTOMERS.iter().enumerate() {
        let bought = now - chrono::Duration::days(BOUGHT_DAYS_AGO.get(index).copied().unwrap_or(0));
        let provider = established(org_ids[customer.provider]);
        let reseller = customer
            .reseller
            .map(|i| org_ids[i].to_string())
            .unwrap_or_default();
        let form = AccountFields {
            reseller,
            company_name: customer.company.into(),
            domain_prefix: customer.prefix.into(),
            address_line1: customer.address.into(),
            city: customer.city.into(),
            country: customer.country.into(),
            contact_first_name: customer.contact.0.into(),
            contact_last_name: customer.contact.1.into(),
            contact_email: format!(
                "{}@{}.example",
                customer.contact.0.to_lowercase(),
                customer.prefix
            ),
            language: customer.language.into(),
            tenant_owner: customer.tenant_owner.then(|| "yes".to_owned()),
            // The demo's customers agreed to their reseller's delegated administration.
            customer_agreed: Some("yes".to_owned()),
            ..AccountFields::default()
        };
        let (errors, account) =
            check_account(conn, provider, &form).map_err(|e| anyhow::anyhow!("{e}"))?;
        let account = account.ok_or_else(|| {
            anyhow::anyhow!("demo customer {} is invalid: {errors:?}", customer.company)
        })?;
        let book = PriceBook::load(
            conn,
            provider.get(),
            account.reseller.as_ref().map(|(id, _)| *id),
        )?;
        let lines: Vec<Line> = customer
            .lines
            .iter()
            .map(|(sku, quantity)| {
                let offer = offers.iter().find(|o| o.sku == *sku).cloned();
                let offer = offer.ok_or_else(|| anyhow::anyhow!("demo offer {sku} missing"))?;
                // Annual terms for the larger orders, a month for the rest.
                let plan = if *quantity >= 20 {
                    Plan::new(Term::Year, Billing::Annual)
                } else {
                    Plan::default()
                };
                let cost = Offer::price(conn, offer.id, plan.term, plan.billing)?
                    .unwrap_or(offer.unit_price_minor);
                let (price, _) = book.price(cost, (offer.id, plan.term, plan.billing), bought);
                Ok(Line {
                    offer,
                    quantity: *quantity,
                    plan,
                    unit_price_minor: price,
                    unit_cost_minor: cost,
                    // Fourth Coffee let its subscription run out.
                    auto_renew: customer.company != "Fourth Coffee",
                    month_end: false,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let placed_by = user_ids[USERS
            .iter()
            .position(|u| u.org == Some(customer.provider))
            .unwrap_or(0)];
        let provider_name = ORGS[customer.provider].name;
        let made = place(
            conn,
            &NewCustomerOrder {
                provider,
                placed_by,
                provider_name,
                suffix,
                account: &account,
                lines: &lines,
                admin_hash: hash,
                draft: None,
                idempotency_key: None,
                now: bought,
                base_url: "",
            },
        )?;
        placed.push((provider, made.customer_id, placed_by));
    }
    lifecycle_states(conn, &placed, now)?;
    billing_history(conn, &org_ids, &user_ids, now)?;
    load_listings(conn, &org_ids, &user_ids)
}

/// The providers' price lists: a default reseller markup and a customer markup from before the first
/// order, Contoso's override for Litware and a markup it raises next month; Litware's sale prices.
fn price_lists(
    conn: &mut DbConnection,
    org_ids: &[i64],
    user_ids: &[i64],
    now: chrono::NaiveDateTime,
) -> anyhow::Result<()> {
    use crate::db::models::price::{self, NewRule};
    use crate::domain::pricing::{Markup, RuleValue};
    use crate::domain::{Audience, Term};
    let long_ago = now - chrono::Duration::days(400);
    let next_month = crate::services::statements::billing_month(now).2 + chrono::Duration::days(40);
    let next_month = crate::services::statements::billing_month(next_month).2;
    let markup = |bp: i32| RuleValue::Markup(Markup::from_bp(bp).unwrap_or_default());
    let e3 = Offer::orderable(conn)?
        .into_iter()
        .find(|o| o.sku == "M365-E3")
        .map(|o| o.id);
    for (org, reseller_bp, customer_bp) in [(0, 1_000, 2_500), (1, 1_200, 2_000)] {
        let provider = org_ids[org];
        let by = user_ids[USERS.iter().position(|u| u.org == Some(org)).unwrap_or(0)];
        let rule = |audience, reseller, offer, value, effective_from| NewRule {
            provider_id: provider,
            audience,
            reseller_id: reseller,
            offer,
            value,
            effective_from,
            created_by: by,
            at: long_ago,
        };
        price::add(
            conn,
            &rule(
                Audience::Reseller,
                None,
                None,
                markup(reseller_bp),
                long_ago,
            ),
        )?;
        price::add(
            conn,
            &rule(
                Audience::Customer,
                None,
                None,
                markup(customer_bp),
                long_ago,
            ),
        )?;
        if org == 0 {
            // Litware (the first reseller) pays 8 % on everything; from next month the default is 12 %.
            price::add(
                conn,
                &rule(
                    Audience::Reseller,
                    Some(org_ids[2]),
                    None,
                    markup(800),
                    long_ago,
                ),
            )?;
            price::add(
                conn,
                &rule(Audience::Reseller, None, None, markup(1_200), next_month),
            )?;
            if let Some(e3) = e3 {
                let plan = Some((e3, Term::Year, Billing::Annual));
                price::add(
                    conn,
                    &rule(
                        Audience::Reseller,
                        Some(org_ids[2]),
                        plan,
                        RuleValue::Fixed(3_800),
                        long_ago,
                    ),
                )?;
                price::set_sale_price(
                    conn,
                    (org_ids[2], provider),
                    (e3, Term::Year, Billing::Annual),
                    0,
                    Some(4_320),
                    long_ago,
                )?;
                price::set_sale_price(
                    conn,
                    (org_ids[2], provider),
                    (e3, Term::Month, Billing::Monthly),
                    0,
                    Some(450),
                    long_ago,
                )?;
            }
        }
    }
    Ok(())
}

/// A year of billing as the jobs would have done it: each period of the monthly-billed terms
/// charged, a statement per month issued on its first day (older ones paid).
fn billing_history(
    conn: &mut DbConnection,
    org_ids: &[i64],
    user_ids: &[i64],
    now: chrono::NaiveDateTime,
) -> anyhow::Result<()> {
    use crate::db::models::statement;
    use crate::services::statements::{billing_month, issue_in};
    crate::services::billing::charge_due_in(conn, now)?;
    let this_month = billing_month(now).2;
    for org in [0, 1] {
        let provider = org_ids[org];
        let by = user_ids[USERS.iter().position(|u| u.org == Some(org)).unwrap_or(0)];
        for back in (0..12).rev() {
            let first = crate::domain::lifecycle::sub_months(this_month, back);
            issue_in(conn, provider, first)?;
        }
        // Everything before last month's statements is paid.
        let page = statement::page(
            conn,
            statement::StatementScope::Provider(provider, None),
            &crate::pagination::Seek::First,
            500,
        )?;
        for row in page.items {
            let st = row.statement;
            if st.issued_at < this_month && st.kind != crate::domain::StatementKind::Resale {
                statement::mark_paid(conn, provider, st.id, by, st.due_at)?;
            }
        }
    }
    Ok(())
}

/// Brings the demo's subscriptions up to `now` (renewals and an expiry, as the job would), and shows
/// the other states: a suspended subscription, a cancelled one, a change scheduled for a renewal.
fn lifecycle_states(
    conn: &mut DbConnection,
    placed: &[(ProviderId, i64, i64)],
    now: chrono::NaiveDateTime,
) -> anyhow::Result<()> {
    use crate::db::models::lifecycle::{ChangeSpec, ScheduledChange};
    use crate::db::models::subscription::Subscription;
    crate::services::renewals::renew_due_in(conn, now, "")?;
    let subs = |conn: &mut DbConnection, i: usize| -> anyhow::Result<Vec<Subscription>> {
        let (provider, customer, _) = placed[i];
        Ok(Subscription::summaries_for(conn, provider, &[customer])?
            .into_iter()
            .map(|s| s.subscription)
            .collect())
    };
    // Coho Winery (third): Teams suspended, Power BI cancelled.
    let coho = subs(conn, 2)?;
    if let (Some(teams), Some(power_bi)) = (coho.get(2), coho.get(1)) {
        Subscription::set_status(conn, teams.id, SubscriptionStatus::Suspended)?;
        Subscription::end(conn, power_bi.id, SubscriptionStatus::Cancelled, now, None)?;
        counters::subscription_ended(
            conn,
            placed[2].0,
            power_bi.customer_id,
            power_bi.reseller_of_record_id,
            i64::from(power_bi.quantity),
        )?;
    }
    // Alpine Ski House (fourth): fewer licenses from its renewal on.
    if let Some(e3) = subs(conn, 3)?.first() {
        let spec = ChangeSpec {
            quantity: Some(120),
            ..ChangeSpec::default()
        };
        ScheduledChange::schedule(conn, e3.id, &spec, placed[3].2, now, e3.ends_at)?;
    }
    Ok(())
}

/// (organisation, logo, company name, locations, approved).
type DemoListing = (
    usize,
    &'static [u8],
    &'static str,
    &'static [(&'static str, &'static str)],
    bool,
);

/// Contoso is on the official indirect providers list (its request approved); Fabrikam's request
/// waits in the operators' queue.
fn load_listings(conn: &mut DbConnection, org_ids: &[i64], user_ids: &[i64]) -> anyhow::Result<()> {
    let operator = user_ids[0];
    let listings: [DemoListing; 2] = [
        (
            0,
            include_bytes!("../assets/demo/contoso-logo.png"),
            "Contoso Distribution",
            &[
                ("TW", "https://contoso-distribution.example/zh-tw/partners"),
                ("HK", "https://contoso-distribution.example/zh-hk/partners"),
                ("US", "https://contoso-distribution.example/en-us/partners"),
            ],
            true,
        ),
        (
            1,
            include_bytes!("../assets/demo/fabrikam-logo.png"),
            "Fabrikam Cloud Supply",
            &[("US", "https://fabrikam-supply.example/resellers")],
            false,
        ),
    ];
    for (org, logo, company, locations, approve) in listings {
        let provider = org_ids[org];
        let submitted_by = user_ids[USERS.iter().position(|u| u.org == Some(org)).unwrap_or(0)];
        let content_type =
            image_type(logo).ok_or_else(|| anyhow::anyhow!("demo logo is not an image"))?;
        let logo_id = Logo::create(conn, provider, content_type, logo)?;
        let locations: Vec<Location> = locations
            .iter()
            .map(|(country, url)| Location {
                country: (*country).to_owned(),
                url: (*url).to_owned(),
            })
            .collect();
        let id = ProfileChangeRequest::create(
            conn,
            established(provider),
            submitted_by,
            company,
            Some(logo_id),
            &locations,
        )?;
        if approve {
            ProfileChangeRequest::decide(
                conn,
                id,
                &[ProfileRequestStatus::Submitted],
                ProfileRequestStatus::Completed,
                operator,
                None,
            )?;
            let request = ProfileChangeRequest::find(conn, id)?;
            ProviderProfile::apply(conn, &request)?;
        }
    }
    Ok(())
}

/// (provider, reseller) by index into `ORGS`.
const PARTNERSHIPS: &[(usize, usize)] = &[(0, 2), (0, 3), (1, 4)];

struct DemoCustomer {
    provider: usize,
    reseller: Option<usize>,
    company: &'static str,
    prefix: &'static str,
    address: &'static str,
    city: &'static str,
    country: &'static str,
    contact: (&'static str, &'static str),
    language: &'static str,
    tenant_owner: bool,
    lines: &'static [(&'static str, i32)],
}

const CUSTOMERS: &[DemoCustomer] = &[
    DemoCustomer {
        provider: 0,
        reseller: Some(2),
        company: "Wingtip Toys",
        prefix: "wingtiptoys",
        address: "1 Harbour Road",
        city: "Taipei",
        country: "TW",
        contact: ("Mei", "Lin"),
        language: "zh-TW",
        tenant_owner: true,
        lines: &[("M365-BS", 25), ("DEF-BIZ", 25)],
    },
    DemoCustomer {
        provider: 0,
        reseller: Some(2),
        company: "台灣茶葉股份有限公司",
        prefix: "taiwantea",
        address: "No. 8, Section 2, Zhongshan N. Rd.",
        city: "Taipei",
        country: "TW",
        contact: ("Chen", "Hao"),
        language: "zh-TW",
        tenant_owner: false,
        lines: &[("M365-BB", 40)],
    },
    DemoCustomer {
        provider: 0,
        reseller: Some(3),
        company: "Coho Winery",
        prefix: "cohowinery",
        address: "500 Vineyard Way",
        city: "Napa",
        country: "US",
        contact: ("Ann", "Beebe"),
        language: "en",
        tenant_owner: false,
        lines: &[("M365-BP", 12), ("PBI-PRO", 4), ("TEAMS-ESS", 3)],
    },
    DemoCustomer {
        provider: 0,
        reseller: Some(3),
        company: "Alpine Ski House",
        prefix: "alpineskihouse",
        address: "2 Summit Road",
        city: "Denver",
        country: "US",
        contact: ("Nils", "Berg"),
        language: "en",
        tenant_owner: false,
        lines: &[("M365-E3", 150)],
    },
    DemoCustomer {
        provider: 0,
        reseller: None,
        company: "Fourth Coffee",
        prefix: "fourthcoffee",
        address: "77 Roast Street",
        city: "Seattle",
        country: "US",
        contact: ("Ivy", "Park"),
        language: "en",
        tenant_owner: false,
        lines: &[("EXO-P1", 18)],
    },
    DemoCustomer {
        provider: 1,
        reseller: Some(4),
        company: "Lucerne Publishing",
        prefix: "lucernepublishing",
        address: "3 Queen's Road",
        city: "Hong Kong",
        country: "HK",
        contact: ("May", "Chan"),
        language: "en",
        tenant_owner: false,
        lines: &[("M365-E5", 60), ("VISIO-P2", 5)],
    },
];

/// The demo's providers were made just above.
#[expect(
    clippy::disallowed_methods,
    reason = "demo data: the providers were created by this loader"
)]
fn established(id: i64) -> ProviderId {
    ProviderId::established(id)
}

fn sign_ins(suffix: &str) -> String {
    let mut out = String::from("Demo data loaded. Sign in with any of these (password for all: ");
    out.push_str(DEMO_PASSWORD);
    out.push_str("):\n");
    for user in USERS {
        let org = user.org.map_or("the platform", |i| ORGS[i].name);
        let note = match user.org.map(|i| ORGS[i].status) {
            Some(EnrollmentStatus::Pending) => ", enrollment not yet verified",
            _ => "",
        };
        let _ = writeln!(
            out,
            "  {:<40} {:<9} {:<9} {org}{note}",
            user.email,
            user.role.as_str(),
            user.team.as_str()
        );
    }
    let _ = writeln!(
        out,
        "  {:<40} {:<9} {:<9} {} (chooses its own password at first sign-in)",
        format!("admin@{}.{suffix}", CUSTOMERS[0].prefix),
        "customer",
        "admin",
        CUSTOMERS[0].company
    );
    out
}

/// The upgrade paths of the demo's Microsoft 365 family.
const UPGRADES: [(&str, &str); 4] = [
    ("M365-BB", "M365-BS"),
    ("M365-BS", "M365-BP"),
    ("M365-BP", "M365-E3"),
    ("M365-E3", "M365-E5"),
];

/// The offer catalog of the demo (and of the benchmark data): each offer sold as new commerce sells
/// it — a month billed monthly (20% above the annual term's monthly price), a year billed monthly or
/// annually, three years billed annually or once — the Microsoft 365 offers one family with an
/// upgrade path.
pub(crate) fn create_offers(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    let mut ids = Vec::new();
    for (sku, name, description, price, billing, min, max) in OFFERS {
        let billing = Billing::parse(billing).unwrap_or(Billing::Monthly);
        let monthly = match billing {
            Billing::Annual => (*price + 6) / 12,
            _ => *price,
        };
        let family = if sku.starts_with("M365-") {
            "Microsoft 365"
        } else {
            ""
        };
        let id = Offer::create(
            conn,
            NewOffer {
                sku,
                name,
                description,
                unit_price_minor: *price,
                currency: "USD",
                billing,
                min_licenses: *min,
                max_licenses: *max,
                family,
            },
        )?;
        Offer::set_prices(
            conn,
            id,
            &[
                (Term::Month, Billing::Monthly, (monthly * 12 + 5) / 10),
                (Term::Year, Billing::Monthly, monthly),
                (Term::Year, Billing::Annual, monthly * 12),
                (Term::ThreeYears, Billing::Annual, monthly * 12),
                (Term::ThreeYears, Billing::OneTime, monthly * 36),
            ],
        )?;
        ids.push((*sku, id));
    }
    let id = |sku: &str| ids.iter().find(|(s, _)| *s == sku).map(|(_, id)| *id);
    for (from, to) in UPGRADES {
        if let (Some(from), Some(to)) = (id(from), id(to)) {
            Offer::set_upgrades(conn, from, &[to])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_user_belongs_where_its_role_says() {
        for user in USERS {
            match user.role {
                Role::Operator => assert!(user.org.is_none()),
                Role::Provider => assert_eq!(ORGS[user.org.unwrap()].kind, PartnerKind::Provider),
                Role::Reseller => assert_eq!(ORGS[user.org.unwrap()].kind, PartnerKind::Reseller),
                Role::Customer => panic!("no demo customers yet"),
            }
        }
        assert!(password::check_new(DEMO_PASSWORD).is_ok());
    }
}
