//! `bench-data`: fills an empty database with one provider the size of the benchmark — ten thousand
//! resellers, a million customers with one to three subscriptions each, their orders, and the counts the
//! pages read — fast enough to make (a million customers in well under a minute on SQLite).
//!
//! Rows are generated here and written as multi-row INSERT statements in large transactions, the same SQL
//! on both backends. The data is realistic where the pages care: a few resellers hold fifty thousand
//! customers each, most hold a few dozen, a tenth of customers have no reseller; customers arrive over two
//! years; names mix English and Traditional Chinese.
// Generated data mixes counts, indexes and pseudo-random numbers of known small ranges; the
// conversions between them cannot lose anything at the sizes this makes (at most a few million rows).
#![expect(
    clippy::as_conversions,
    reason = "bounded index and count arithmetic on generated benchmark data"
)]

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::auth::password;
use crate::db::models::draft::Draft;
use crate::db::models::offer::Offer;
use crate::db::schema::users;
use crate::db::{Db, DbConnection, DbError, transaction};
use crate::domain::id::id_at;
use crate::domain::{Billing, DraftKind, Term};
use crate::services::new_customer::AccountFields;
use crate::services::new_customer::wizard::{WizardData, ttl};

pub const BENCH_EMAIL: &str = "bench@contoso-distribution.example";
pub const BENCH_PASSWORD: &str = "bench-password-2026";
pub const BENCH_OPERATOR: &str = "operator@bench.example";
pub const BENCH_RESELLER: &str = "reseller@bench.example";

/// The resellers that each hold a twentieth of the customers (with a million customers: fifty thousand).
const BIG_RESELLERS: u64 = 5;
/// Rows per INSERT statement, and per transaction.
const ROWS_PER_STATEMENT: usize = 500;
const ROWS_PER_TRANSACTION: usize = 50_000;

#[derive(Clone, Copy, Debug)]
pub struct BenchSpec {
    pub customers: u64,
    pub resellers: u64,
    /// Open new customer wizard drafts (ready to Submit) for the write benchmark.
    pub drafts: u64,
}

/// What was made, for the bench script (printed as `key: value` lines).
pub struct BenchSummary {
    pub provider_id: i64,
    pub big_reseller_id: i64,
    pub big_reseller_customers: u64,
    /// A cursor (`after=`) halfway down the big reseller's customers: a deep page.
    pub deep_after: String,
    pub subscriptions: u64,
    pub draft_ids: Vec<i64>,
    pub seconds: f64,
}

/// A deterministic pseudo-random sequence (SplitMix64): the same data every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const FIRST: &[&str] = &[
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Adatum",
    "Litware",
    "Proseware",
    "Tailspin",
    "Wingtip",
    "Coho",
    "Lucerne",
    "Alpine",
    "Fourth",
    "Blue Yonder",
    "Woodgrove",
    "Margie's",
    "Trey",
    "Humongous",
    "Relecloud",
    "VanArsdel",
    "Wide World",
    "Harbor",
    "Summit",
    "Jade",
    "Orchid",
];
const SECOND: &[&str] = &[
    "Traders",
    "Toys",
    "Winery",
    "Publishing",
    "Ski House",
    "Coffee",
    "Airlines",
    "Bank",
    "Travel",
    "Research",
    "Insurance",
    "Importers",
    "Logistics",
    "Foods",
    "Studios",
    "Systems",
    "Partners",
    "Health",
    "Energy",
    "Labs",
];
const ZH_FIRST: &[&str] = &[
    "台灣",
    "新竹",
    "高雄",
    "台中",
    "玉山",
    "日月",
    "東方",
    "太平洋",
];
const ZH_SECOND: &[&str] = &[
    "茶葉", "科技", "電子", "貿易", "物流", "食品", "設計", "顧問",
];
const GIVEN: &[&str] = &[
    "Mei", "Wei", "Ada", "Lee", "Sam", "Ken", "Yu", "Ana", "Tom", "Li",
];
const FAMILY: &[&str] = &[
    "Lin", "Chen", "Wang", "Wu", "Smith", "Garcia", "Sato", "Kim",
];
const COUNTRIES: &[&str] = &["TW", "TW", "TW", "HK", "US", "JP", "SG"];

/// One customer's plan.
struct Planned {
    /// Index of its reseller, if any.
    reseller: Option<u32>,
    /// (offer index, licenses) of each subscription.
    subscriptions: Vec<(usize, i32)>,
}

/// Which reseller a customer belongs to: a twentieth each for the big ones, a tenth with none, the rest
/// spread over the others.
fn reseller_of(i: u64, resellers: u64, rng: &mut Rng) -> Option<u32> {
    if resellers == 0 {
        return None;
    }
    let slot = i % 20;
    let big = BIG_RESELLERS.min(resellers);
    if slot < big {
        Some(slot as u32)
    } else if slot < BIG_RESELLERS + 2 {
        None
    } else if resellers > big {
        Some((big + rng.below(resellers - big)) as u32)
    } else {
        Some(rng.below(big) as u32)
    }
}

/// SQL text for a value.
/// Drops a table's secondary indexes on SQLite and returns the statements that make them again
/// (read from `sqlite_master`, so they are exactly the migrations'); nothing on PostgreSQL.
fn without_indexes(conn: &mut DbConnection, table: &str) -> anyhow::Result<Vec<String>> {
    #[derive(QueryableByName)]
    struct Index {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        sql: String,
    }
    let DbConnection::Sqlite(c) = conn else {
        return Ok(Vec::new());
    };
    let indexes: Vec<Index> = diesel::sql_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
    )
    .bind::<diesel::sql_types::Text, _>(table)
    .load(c)?;
    for index in &indexes {
        c.batch_execute(&format!("DROP INDEX {};", index.name))?;
    }
    Ok(indexes.into_iter().map(|i| format!("{};", i.sql)).collect())
}

/// The term of customer `i`'s subscription `k` and its current end: three in five a month billed
/// monthly, ending within the next 30 days; the rest a year billed annually, ending within the
/// next 365 — end dates spread evenly (a multiplicative hash of the row), so a day's renewals are
/// about a thirtieth of the monthly ones and a 365th of the annual ones.
fn term_of(i: u64, k: u64, now: chrono::NaiveDateTime) -> (Term, Billing, chrono::NaiveDateTime) {
    let h = (i * 3 + k).wrapping_mul(2_654_435_761) % (365 * 86_400);
    if (i * 3 + k) % 5 < 3 {
        let s = i64::try_from(h % (30 * 86_400)).unwrap_or(0);
        (
            Term::Month,
            Billing::Monthly,
            now + chrono::Duration::seconds(s + 60),
        )
    } else {
        let s = i64::try_from(h).unwrap_or(0);
        (
            Term::Year,
            Billing::Annual,
            now + chrono::Duration::seconds(s + 60),
        )
    }
}

fn text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn ts(at: chrono::NaiveDateTime) -> String {
    format!("'{}'", at.format("%Y-%m-%d %H:%M:%S%.3f"))
}

fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "NULL".to_owned(), |v| v.to_string())
}

/// Writes rows as multi-row INSERTs, a transaction per `ROWS_PER_TRANSACTION` rows.
struct Writer<'a> {
    conn: &'a mut DbConnection,
    head: &'static str,
    rows: Vec<String>,
    sql: String,
    in_batch: usize,
}

impl<'a> Writer<'a> {
    fn new(conn: &'a mut DbConnection, head: &'static str) -> Self {
        Self {
            conn,
            head,
            rows: Vec::with_capacity(ROWS_PER_STATEMENT),
            sql: String::new(),
            in_batch: 0,
        }
    }

    fn row(&mut self, values: String) -> anyhow::Result<()> {
        self.rows.push(values);
        if self.rows.len() == ROWS_PER_STATEMENT {
            self.statement();
        }
        if self.in_batch >= ROWS_PER_TRANSACTION {
            self.flush()?;
        }
        Ok(())
    }

    fn statement(&mut self) {
        if self.rows.is_empty() {
            return;
        }
        self.in_batch += self.rows.len();
        self.sql.push_str(self.head);
        self.sql.push_str(" VALUES ");
        for (i, row) in self.rows.drain(..).enumerate() {
            if i > 0 {
                self.sql.push(',');
            }
            self.sql.push('(');
            self.sql.push_str(&row);
            self.sql.push(')');
        }
        self.sql.push_str(";\n");
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        self.statement();
        if self.sql.is_empty() {
            return Ok(());
        }
        let sql = std::mem::take(&mut self.sql);
        transaction(self.conn, |conn| {
            conn.batch_execute(&sql).map_err(DbError::from)
        })
        .with_context(|| format!("writing {}", self.head))?;
        self.in_batch = 0;
        Ok(())
    }
}

/// Loads the benchmark data into an empty database.
pub fn load(db: &Db, spec: BenchSpec, suffix: &str) -> anyhow::Result<BenchSummary> {
    let started = Instant::now();
    let mut conn = db.write_conn()?;
    let existing: i64 = users::table.count().get_result(&mut *conn)?;
    if existing > 0 {
        anyhow::bail!(
            "the database already holds data; bench data is only loaded into an empty database"
        );
    }
    if let DbConnection::Sqlite(c) = &mut *conn {
        // Bulk-load settings for this connection: a large page cache, no fsync per transaction, no
        // foreign-key lookups (the rows are written parents first). Restored at the end.
        c.batch_execute(
            "PRAGMA foreign_keys = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -524288;",
        )?;
    }
    let result = fill(&mut conn, spec, suffix, started);
    if let DbConnection::Sqlite(c) = &mut *conn {
        c.batch_execute(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16000;",
        )?;
    }
    result
}

fn fill(
    conn: &mut DbConnection,
    spec: BenchSpec,
    suffix: &str,
    started: Instant,
) -> anyhow::Result<BenchSummary> {
    let now = chrono::Utc::now().naive_utc() - chrono::Duration::hours(1);
    // Two years of customers, but none before the id epoch (ids encode their creation time).
    let earliest = crate::domain::id::created_at(0) + chrono::Duration::days(95);
    let first_customer_at = (now - chrono::Duration::days(730)).max(earliest);
    let hash = password::hash(BENCH_PASSWORD)?;
    let mut rng = Rng(0x5EED_2026);

    // The catalog, the provider, its user, an operator.
    let (provider_id, user_id, offers) = transaction(conn, |conn| -> anyhow::Result<_> {
        crate::demo::create_offers(conn)?;
        let provider_at = first_customer_at - chrono::Duration::days(60);
        let provider_id = id_at(provider_at, 0);
        let user_id = id_at(provider_at, 1);
        let operator_id = id_at(provider_at, 2);
        conn.batch_execute(&format!(
            "INSERT INTO partners (id, kind, name, partner_number, country, contact_name, contact_email, \
             enrollment_status, created_at, updated_at) VALUES ({provider_id}, 'provider', 'Contoso Distribution', \
             '1000001', 'TW', 'Bench User', {email}, 'verified', {at}, {at});
             INSERT INTO users (id, email, password_hash, role, partner_id, display_name, locale, created_at, updated_at) \
             VALUES ({user_id}, {email}, {hash}, 'provider', {provider_id}, 'Bench User', 'en', {at}, {at}), \
             ({operator_id}, {operator}, {hash}, 'operator', NULL, 'Bench Operator', 'en', {at}, {at});",
            email = text(BENCH_EMAIL),
            operator = text(BENCH_OPERATOR),
            hash = text(&hash),
            at = ts(provider_at),
        ))?;
        Ok((provider_id, user_id, Offer::orderable(conn)?))
    })?;

    // Plan every customer first, so the counts the pages read are known before the rows are written.
    let mut per_reseller = vec![(0i64, 0i64); spec.resellers as usize];
    let mut plans = Vec::with_capacity(spec.customers as usize);
    let (mut subscriptions, mut licenses) = (0u64, 0i64);
    for i in 0..spec.customers {
        let reseller = reseller_of(i, spec.resellers, &mut rng);
        let count = 1 + rng.below(3) as usize;
        let mut subs = Vec::with_capacity(count);
        for _ in 0..count {
            let offer = rng.below(offers.len() as u64) as usize;
            if subs.iter().any(|(o, _)| *o == offer) {
                continue;
            }
            let max = offers[offer].max_licenses.min(500);
            let qty = offers[offer].min_licenses
                + rng.below((max - offers[offer].min_licenses + 1) as u64) as i32;
            subs.push((offer, qty));
        }
        let lic: i64 = subs.iter().map(|(_, q)| i64::from(*q)).sum();
        if let Some(r) = reseller {
            per_reseller[r as usize].0 += 1;
            per_reseller[r as usize].1 += lic;
        }
        subscriptions += subs.len() as u64;
        licenses += lic;
        plans.push(Planned {
            reseller,
            subscriptions: subs,
        });
    }

    // Resellers and the partnerships, with their counts.
    let reseller_ids: Vec<i64> = (0..spec.resellers)
        .map(|r| {
            id_at(
                first_customer_at - chrono::Duration::days(30)
                    + chrono::Duration::seconds(r as i64),
                0,
            )
        })
        .collect();
    let reseller_name = |r: usize| {
        format!(
            "{} {} {:05}",
            FIRST[r % FIRST.len()],
            SECOND[(r / FIRST.len()) % SECOND.len()],
            r
        )
    };
    {
        let mut w = Writer::new(
            conn,
            "INSERT INTO partners (id, kind, name, partner_number, country, contact_name, contact_email, \
             enrollment_status, created_at, updated_at)",
        );
        for (r, id) in reseller_ids.iter().enumerate() {
            let at = ts(crate::domain::id::created_at(*id));
            w.row(format!(
                "{id}, 'reseller', {name}, '{number}', '{country}', 'Reseller Admin', 'admin{r}@reseller.example', \
                 'verified', {at}, {at}",
                name = text(&reseller_name(r)),
                number = 5_000_000 + r,
                country = COUNTRIES[r % COUNTRIES.len()],
            ))?;
        }
        w.flush()?;
        let mut w = Writer::new(
            conn,
            "INSERT INTO partnerships (id, provider_id, reseller_id, status, customer_count, license_count, \
             created_at, reseller_name)",
        );
        for (r, id) in reseller_ids.iter().enumerate() {
            let at = crate::domain::id::created_at(*id) + chrono::Duration::days(1);
            w.row(format!(
                "{pid}, {provider_id}, {id}, 'active', {count}, {lic}, {at}, {name}",
                pid = id_at(at, 1),
                count = per_reseller[r].0,
                lic = per_reseller[r].1,
                at = ts(at),
                name = text(&reseller_name(r)),
            ))?;
        }
        w.flush()?;
    }

    // Customers and their provider relationship.
    let span_ms = (now - first_customer_at).num_milliseconds();
    let customer_at = |i: u64| {
        first_customer_at
            + chrono::Duration::milliseconds(
                (span_ms as u128 * u128::from(i) / u128::from(spec.customers.max(1))) as i64,
            )
    };
    let name_of = |i: u64| -> (String, String, &'static str) {
        if i % 10 == 3 {
            let first = ZH_FIRST[(i / 10) as usize % ZH_FIRST.len()];
            let second = ZH_SECOND[(i / 80) as usize % ZH_SECOND.len()];
            (
                format!("{first}{second}股份有限公司 {i}"),
                format!("tw{i:08}"),
                "zh-TW",
            )
        } else {
            let first = FIRST[(i % 24) as usize];
            let second = SECOND[((i / 24) % 20) as usize];
            let prefix: String = first
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_lowercase();
            (
                format!("{first} {second} {i}"),
                format!("{prefix}{i:08}"),
                "en",
            )
        }
    };
    {
        let mut w = Writer::new(
            conn,
            "INSERT INTO customers (id, company_name, domain_prefix, address_line1, city, country, \
             contact_first_name, contact_last_name, contact_email, language, created_at, updated_at)",
        );
        for i in 0..spec.customers {
            let at = customer_at(i);
            let (company, prefix, language) = name_of(i);
            let given = GIVEN[(i % 10) as usize];
            let family = FAMILY[((i / 10) % 8) as usize];
            w.row(format!(
                "{id}, {company}, '{prefix}', '{n} Harbour Road', 'Taipei', '{country}', '{given}', '{family}', \
                 '{mail}@{prefix}.example', '{language}', {at}, {at}",
                id = id_at(at, 0),
                company = text(&company),
                n = 1 + i % 200,
                country = COUNTRIES[(i % 7) as usize],
                mail = given.to_lowercase(),
                at = ts(at),
            ))?;
        }
        w.flush()?;
        let mut w = Writer::new(
            conn,
            "INSERT INTO provider_customers (id, provider_id, customer_id, reseller_id, \
             azure_tenant_owner, origin, company_name, domain_prefix, subscription_count, created_at)",
        );
        for (i, plan) in plans.iter().enumerate() {
            let at = customer_at(i as u64);
            let (company, prefix, _) = name_of(i as u64);
            let reseller = plan.reseller.map(|r| reseller_ids[r as usize]);
            w.row(format!(
                "{id}, {provider_id}, {customer}, {reseller}, FALSE, 'created', {company}, '{prefix}', \
                 {subs}, {at}",
                id = id_at(at, 1),
                customer = id_at(at, 0),
                reseller = opt(reseller),
                company = text(&company),
                subs = plan.subscriptions.len(),
                at = ts(at),
            ))?;
        }
        w.flush()?;
        // Each associated reseller holds the two-year grant the customer approved when it was made.
        let mut w = Writer::new(
            conn,
            "INSERT INTO grants (id, provider_id, customer_id, holder_id, role_admin, role_licenses, \
             role_support, role_billing, days, auto_extend, status, created_at, expires_at, approved_at, \
             reminded)",
        );
        for (i, plan) in plans.iter().enumerate() {
            let Some(r) = plan.reseller else { continue };
            let at = customer_at(i as u64);
            w.row(format!(
                "{id}, {provider_id}, {customer}, {holder}, TRUE, TRUE, TRUE, FALSE, 730, FALSE, 'active', \
                 {at}, {expires}, {at}, 0",
                id = id_at(at, 1),
                customer = id_at(at, 0),
                holder = reseller_ids[r as usize],
                at = ts(at),
                expires = ts(at + chrono::Duration::days(730)),
            ))?;
        }
        w.flush()?;
    }

    // Subscriptions, then the order that made each customer with its lines. On SQLite the
    // subscriptions' secondary indexes (four of them by end date, in no order the rows come in) are
    // dropped for the load and built again after it, from their own definitions: a sort instead of
    // millions of inserts at random places.
    let indexes = without_indexes(conn, "subscriptions")?;
    {
        let ids: Vec<i64> = offers.iter().map(|o| o.id).collect();
        let prices = Offer::prices_of(conn, &ids)?;
        let mut w = Writer::new(
            conn,
            "INSERT INTO subscriptions (id, provider_id, customer_id, offer_id, quantity, status, \
             reseller_of_record_id, support_contact_id, created_at, updated_at, term, billing, auto_renew, \
             term_start, ends_at, unit_price_minor, unit_cost_minor)",
        );
        let price_of = |offer: i64, term: Term, billing: Billing| {
            prices
                .iter()
                .find(|p| p.offer_id == offer && p.term == term && p.billing == billing)
                .map_or(0, |p| p.unit_price_minor)
        };
        for (i, plan) in plans.iter().enumerate() {
            let at = customer_at(i as u64);
            let reseller = plan.reseller.map(|r| reseller_ids[r as usize]);
            for (k, (offer, qty)) in plan.subscriptions.iter().enumerate() {
                let (term, billing, ends_at) = term_of(i as u64, k as u64, now);
                w.row(format!(
                    "{id}, {provider_id}, {customer}, {offer}, {qty}, 'active', {reseller}, {support}, {at}, {at}, \
                     '{term}', '{billing}', TRUE, {start}, {end}, {price}, {price}",
                    id = id_at(at, 10 + k as i64),
                    customer = id_at(at, 0),
                    offer = offers[*offer].id,
                    reseller = opt(reseller),
                    support = reseller.unwrap_or(provider_id),
                    at = ts(at),
                    term = term.as_str(),
                    billing = billing.as_str(),
                    start = ts(crate::domain::lifecycle::sub_months(ends_at, term.months())),
                    end = ts(ends_at),
                    price = price_of(offers[*offer].id, term, billing),
                ))?;
            }
        }
        w.flush()?;
        let mut w = Writer::new(
            conn,
            "INSERT INTO orders (id, provider_id, customer_id, reseller_id, placed_by_user_id, \
             placed_by_partner_id, kind, currency, total_minor, created_at, number)",
        );
        for (i, plan) in plans.iter().enumerate() {
            let at = customer_at(i as u64);
            let total: i64 = plan
                .subscriptions
                .iter()
                .map(|(o, q)| offers[*o].unit_price_minor * i64::from(*q))
                .sum();
            w.row(format!(
                "{id}, {provider_id}, {customer}, {reseller}, {user_id}, {provider_id}, 'new_customer', 'USD', \
                 {total}, {at}, {number}",
                id = id_at(at, 2),
                number = i + 1,
                customer = id_at(at, 0),
                reseller = opt(plan.reseller.map(|r| reseller_ids[r as usize])),
                at = ts(at),
            ))?;
        }
        w.flush()?;
        let mut w = Writer::new(
            conn,
            "INSERT INTO order_lines (id, order_id, offer_id, subscription_id, quantity, unit_price_minor, \
             line_total_minor, unit_cost_minor, cost_total_minor)",
        );
        for (i, plan) in plans.iter().enumerate() {
            let at = customer_at(i as u64);
            for (k, (offer, qty)) in plan.subscriptions.iter().enumerate() {
                let price = offers[*offer].unit_price_minor;
                w.row(format!(
                    "{id}, {order}, {offer_id}, {sub}, {qty}, {price}, {total}, {price}, {total}",
                    id = id_at(at, 20 + k as i64),
                    order = id_at(at, 2),
                    offer_id = offers[*offer].id,
                    sub = id_at(at, 10 + k as i64),
                    total = price * i64::from(*qty),
                ))?;
            }
        }
        w.flush()?;
    }

    for sql in indexes {
        conn.batch_execute(&sql)?;
    }

    // The counts the Dashboard home reads.
    let mut months: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for i in 0..spec.customers {
        *months
            .entry(customer_at(i).format("%Y-%m").to_string())
            .or_default() += 1;
    }
    let mut sql = format!(
        "INSERT INTO provider_stats (provider_id, resellers, customers, subscriptions, licenses, orders) \
         VALUES ({provider_id}, {}, {}, {subscriptions}, {licenses}, {});\n",
        spec.resellers, spec.customers, spec.customers
    );
    for (month, count) in &months {
        let _ = writeln!(
            sql,
            "INSERT INTO provider_monthly_stats (provider_id, month, new_customers) VALUES ({provider_id}, '{month}', {count});"
        );
    }
    transaction(conn, |conn| conn.batch_execute(&sql).map_err(DbError::from))?;

    // The big reseller has a user, so each Submit for it also queues that user's email, as it would.
    if let Some(big) = reseller_ids.first() {
        conn.batch_execute(&format!(
            "INSERT INTO users (id, email, password_hash, role, partner_id, display_name, locale, created_at, updated_at) \
             VALUES ({id}, {email}, {hash}, 'reseller', {big}, 'Bench Reseller', 'zh-TW', {at}, {at});",
            id = crate::db::new_id(),
            email = text(BENCH_RESELLER),
            hash = text(&hash),
            at = ts(now),
        ))?;
    }

    // Open wizard drafts, ready to Submit, for the write benchmark.
    let draft_ids = make_drafts(
        conn,
        spec,
        user_id,
        provider_id,
        reseller_ids.first().copied(),
        &offers,
        suffix,
    )?;

    // Statistics for the query planner, as after any bulk load.
    conn.batch_execute("ANALYZE;")?;
    // Everything into the database file, so the file alone is the whole benchmark database.
    if let DbConnection::Sqlite(_) = conn {
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")?;
    }

    let (big_reseller_id, big_reseller_customers) = reseller_ids
        .first()
        .map_or((0, 0), |id| (*id, per_reseller[0].0 as u64));
    // The big reseller's customers are every twentieth; its middle one starts a deep page.
    let middle = (spec.customers / 40) * 20;
    let deep_after = crate::pagination::encode(&id_at(customer_at(middle), 1));
    Ok(BenchSummary {
        provider_id,
        big_reseller_id,
        big_reseller_customers,
        deep_after,
        subscriptions,
        draft_ids,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn make_drafts(
    conn: &mut DbConnection,
    spec: BenchSpec,
    user_id: i64,
    provider_id: i64,
    reseller: Option<i64>,
    offers: &[Offer],
    _suffix: &str,
) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(spec.drafts as usize);
    for chunk in (0..spec.drafts)
        .collect::<Vec<_>>()
        .chunks(ROWS_PER_TRANSACTION)
    {
        let made = transaction(conn, |conn| -> Result<Vec<i64>, DbError> {
            let mut made = Vec::with_capacity(chunk.len());
            for k in chunk {
                let data = WizardData {
                    account: AccountFields {
                        reseller: reseller.map(|r| r.to_string()).unwrap_or_default(),
                        company_name: format!("Bench Wizard Customer {k}"),
                        domain_prefix: format!("benchwizard{k:08}"),
                        address_line1: "1 Harbour Road".into(),
                        city: "Taipei".into(),
                        country: "TW".into(),
                        contact_first_name: "Mei".into(),
                        contact_last_name: "Lin".into(),
                        contact_email: format!("mei@benchwizard{k}.example"),
                        language: "zh-TW".into(),
                        ..AccountFields::default()
                    },
                    account_done: true,
                    quantities: offers
                        .iter()
                        .take(3)
                        .map(|o| (o.id, (o.min_licenses + 4).to_string()))
                        .collect(),
                    lines_done: true,
                    ..WizardData::default()
                };
                made.push(Draft::create(
                    conn,
                    DraftKind::NewCustomer,
                    user_id,
                    provider_id,
                    &data.to_json(),
                    ttl(),
                )?);
            }
            Ok(made)
        })?;
        ids.extend(made);
    }
    Ok(ids)
}
