//! Monthly statements: what the provider bills a reseller or a direct customer, and what a reseller
//! may bill one of its customers (a resale statement). Orders point at the statements that bill them,
//! so a statement's total is the sum of its orders by construction, and an order is billed once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{
    customers, offers, order_lines, orders, partners, statement_runs, statements,
};
use crate::db::{DbConnection, new_id};
use crate::domain::{OrderKind, OrderStatus, StatementKind};
use crate::pagination::{Page, Seek};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = statements)]
pub struct Statement {
    pub id: i64,
    pub provider_id: i64,
    pub number: i64,
    pub kind: StatementKind,
    /// 0 where it does not apply.
    pub reseller_id: i64,
    pub customer_id: i64,
    /// `YYYY-MM` (UTC).
    pub month: String,
    pub period_start: NaiveDateTime,
    pub period_end: NaiveDateTime,
    pub issued_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub currency: String,
    pub total_minor: i64,
    pub line_count: i64,
    pub paid_at: Option<NaiveDateTime>,
    pub paid_by: Option<i64>,
}

impl Statement {
    /// `ST-000123`.
    pub fn reference(&self) -> String {
        format!("ST-{:06}", self.number)
    }

    pub fn reseller(&self) -> Option<i64> {
        (self.reseller_id != 0).then_some(self.reseller_id)
    }

    pub fn customer(&self) -> Option<i64> {
        (self.customer_id != 0).then_some(self.customer_id)
    }

    /// The last day the period covers (its end is exclusive).
    pub fn last_day(&self) -> NaiveDateTime {
        self.period_end - chrono::Duration::days(1)
    }
}

/// A statement with the names its list shows.
#[derive(Clone, Debug)]
pub struct StatementRow {
    pub statement: Statement,
    pub provider_name: String,
    pub reseller_name: Option<String>,
    pub customer_name: Option<String>,
}

/// One charge, credit or refund on a statement.
#[derive(Clone, Debug)]
pub struct StatementLine {
    pub order_id: i64,
    pub order_number: i64,
    pub order_kind: OrderKind,
    pub placed_at: NaiveDateTime,
    pub customer_name: String,
    pub offer_name: String,
    pub quantity: i32,
    pub period_start: Option<NaiveDateTime>,
    pub period_end: Option<NaiveDateTime>,
    /// What this statement bills for the line (for a resale statement: the sale amount).
    pub amount_minor: i64,
}

impl StatementLine {
    /// The order's readable number.
    pub fn reference(&self) -> String {
        crate::db::models::order::order_reference(self.order_number)
    }
}

/// Which statements a list shows.
#[derive(Clone, Copy, Debug)]
pub enum StatementScope {
    /// Everything the provider issued (optionally one kind).
    Provider(i64, Option<StatementKind>),
    /// A reseller's: what its providers bill it, its resale statements, and the statements of the
    /// customers it holds a Billing reader grant on (in force at the time given).
    Reseller(i64, Option<StatementKind>, chrono::NaiveDateTime),
    /// A direct customer's own statements.
    Customer(i64),
}

pub struct NewStatement<'a> {
    pub provider_id: i64,
    pub kind: StatementKind,
    pub reseller_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub month: &'a str,
    pub period: (NaiveDateTime, NaiveDateTime),
    pub issued_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub currency: &'a str,
}

/// Claims the provider's statement run for `month`: true for the one instance that inserts it (or
/// takes over a run left unfinished for 15 minutes); false when another has it or it is done.
pub fn claim_run(
    conn: &mut DbConnection,
    provider: i64,
    month: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let row = (
        statement_runs::provider_id.eq(provider),
        statement_runs::month.eq(month),
        statement_runs::claimed_at.eq(now),
    );
    let n = match conn {
        DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(statement_runs::table)
            .values(row)
            .execute(c)?,
        DbConnection::Postgresql(c) => diesel::insert_into(statement_runs::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    if n == 1 {
        return Ok(true);
    }
    let stale = now - chrono::Duration::minutes(15);
    let n = diesel::update(
        statement_runs::table
            .filter(statement_runs::provider_id.eq(provider))
            .filter(statement_runs::month.eq(month))
            .filter(statement_runs::done_at.is_null())
            .filter(statement_runs::claimed_at.lt(stale)),
    )
    .set(statement_runs::claimed_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn finish_run(
    conn: &mut DbConnection,
    provider: i64,
    month: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(statement_runs::table.find((provider, month)))
        .set(statement_runs::done_at.eq(Some(now)))
        .execute(conn)
        .map(|_| ())
}

/// The resellers with placed orders before `end` that no statement bills yet (read in the order of
/// `orders_unbilled_customer_idx`: no list of orders in memory).
pub fn unbilled_resellers(
    conn: &mut DbConnection,
    provider: i64,
    end: NaiveDateTime,
) -> QueryResult<Vec<i64>> {
    let ids: Vec<Option<i64>> = orders::table
        .filter(orders::provider_id.eq(provider))
        .filter(orders::reseller_id.is_not_null())
        .filter(orders::statement_id.is_null())
        .filter(orders::status.eq(OrderStatus::Placed))
        .filter(orders::created_at.lt(end))
        .select(orders::reseller_id)
        .distinct()
        .load(conn)?;
    Ok(ids.into_iter().flatten().collect())
}

/// The next page of a reseller's customers (none: the direct customers), after `after`, with placed
/// orders before `end` that no statement bills yet, by id.
pub fn unbilled_customers(
    conn: &mut DbConnection,
    provider: i64,
    reseller: Option<i64>,
    (end, after): (NaiveDateTime, i64),
    limit: i64,
) -> QueryResult<Vec<i64>> {
    let mut query = orders::table
        .filter(orders::provider_id.eq(provider))
        .filter(orders::statement_id.is_null())
        .filter(orders::customer_id.gt(after))
        .filter(orders::status.eq(OrderStatus::Placed))
        .filter(orders::created_at.lt(end))
        .select(orders::customer_id)
        .distinct()
        .order(orders::customer_id.asc())
        .limit(limit)
        .into_boxed();
    query = match reseller {
        Some(r) => query.filter(orders::reseller_id.eq(r)),
        None => query.filter(orders::reseller_id.is_null()),
    };
    query.load(conn)
}

/// This month's statement of `kind` for the reseller and customer (0: none), if it was written.
pub fn find_once(
    conn: &mut DbConnection,
    provider: i64,
    month: &str,
    kind: StatementKind,
    (reseller, customer): (i64, i64),
) -> QueryResult<Option<Statement>> {
    statements::table
        .filter(statements::provider_id.eq(provider))
        .filter(statements::month.eq(month))
        .filter(statements::kind.eq(kind))
        .filter(statements::reseller_id.eq(reseller))
        .filter(statements::customer_id.eq(customer))
        .select(Statement::as_select())
        .first(conn)
        .optional()
}

/// Writes an empty statement with the provider's next number; its orders and total come next.
pub fn create(conn: &mut DbConnection, new: &NewStatement<'_>) -> QueryResult<i64> {
    let id = new_id();
    let last: Option<i64> = statements::table
        .filter(statements::provider_id.eq(new.provider_id))
        .select(diesel::dsl::max(statements::number))
        .first(conn)?;
    diesel::insert_into(statements::table)
        .values((
            statements::id.eq(id),
            statements::provider_id.eq(new.provider_id),
            statements::number.eq(last.unwrap_or(0) + 1),
            statements::kind.eq(new.kind),
            statements::reseller_id.eq(new.reseller_id.unwrap_or(0)),
            statements::customer_id.eq(new.customer_id.unwrap_or(0)),
            statements::month.eq(new.month),
            statements::period_start.eq(new.period.0),
            statements::period_end.eq(new.period.1),
            statements::issued_at.eq(new.issued_at),
            statements::due_at.eq(new.due_at),
            statements::currency.eq(new.currency),
            statements::total_minor.eq(0_i64),
            statements::line_count.eq(0_i64),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Bills with the reseller's `statement` its unbilled placed orders before `end` for `customers`
/// (a page of them); how many.
pub fn bill_reseller_page(
    conn: &mut DbConnection,
    statement: i64,
    (provider, reseller): (i64, i64),
    customers: &[i64],
    end: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        orders::table
            .filter(orders::provider_id.eq(provider))
            .filter(orders::reseller_id.eq(reseller))
            .filter(orders::statement_id.is_null())
            .filter(orders::customer_id.eq_any(customers))
            .filter(orders::status.eq(OrderStatus::Placed))
            .filter(orders::created_at.lt(end)),
    )
    .set(orders::statement_id.eq(Some(statement)))
    .execute(conn)
}

/// Removes a statement that billed nothing (its number is given back).
pub fn discard(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    diesel::delete(statements::table.find(id))
        .execute(conn)
        .map(|_| ())
}

/// Sets a statement's total and line count from the order lines it bills (a resale statement at the
/// reseller's sale prices, its price where it set none): the sum, exactly.
pub fn close(conn: &mut DbConnection, id: i64, kind: StatementKind) -> QueryResult<(i64, i64)> {
    let base = order_lines::table.inner_join(orders::table).into_boxed();
    let base = match kind {
        StatementKind::Resale => base.filter(orders::resale_statement_id.eq(id)),
        _ => base.filter(orders::statement_id.eq(id)),
    };
    // Summed here: SUM(BIGINT) is NUMERIC on PostgreSQL.
    let rows: Vec<(i64, Option<i64>)> = base
        .select((order_lines::line_total_minor, order_lines::sale_total_minor))
        .load(conn)?;
    let total = rows
        .iter()
        .map(|(price, sale)| match kind {
            StatementKind::Resale => sale.unwrap_or(*price),
            _ => *price,
        })
        .sum();
    let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    diesel::update(statements::table.find(id))
        .set((
            statements::total_minor.eq(total),
            statements::line_count.eq(count),
        ))
        .execute(conn)?;
    Ok((total, count))
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Statement> {
    statements::table
        .find(id)
        .select(Statement::as_select())
        .first(conn)
}

diesel::alias!(partners as reseller_partners: ResellerPartners);

/// A page of statements, newest first.
pub fn page(
    conn: &mut DbConnection,
    scope: StatementScope,
    seek: &Seek<i64>,
    per_page: usize,
) -> QueryResult<Page<StatementRow>> {
    rows_in(conn, scope, None, seek, per_page)
}

/// A statement with its names, within `scope` (anyone else's is not found).
pub fn find_in(
    conn: &mut DbConnection,
    scope: StatementScope,
    id: i64,
) -> QueryResult<StatementRow> {
    rows_in(conn, scope, Some(id), &Seek::First, 1)?
        .items
        .pop()
        .ok_or(diesel::result::Error::NotFound)
}

fn rows_in(
    conn: &mut DbConnection,
    scope: StatementScope,
    id: Option<i64>,
    seek: &Seek<i64>,
    per_page: usize,
) -> QueryResult<Page<StatementRow>> {
    let mut query = statements::table
        .inner_join(partners::table.on(partners::id.eq(statements::provider_id)))
        .left_join(
            reseller_partners.on(reseller_partners
                .field(partners::id)
                .eq(statements::reseller_id)),
        )
        .left_join(customers::table.on(customers::id.eq(statements::customer_id)))
        .select((
            Statement::as_select(),
            partners::name,
            reseller_partners.field(partners::name).nullable(),
            customers::company_name.nullable(),
        ))
        .limit(crate::pagination::fetch_limit(per_page))
        .into_boxed();
    let kind = match scope {
        StatementScope::Provider(p, kind) => {
            query = query.filter(statements::provider_id.eq(p));
            kind
        }
        StatementScope::Reseller(r, kind, now) => {
            use crate::db::schema::grants;
            macro_rules! billing_reader {
                () => {
                    grants::table
                        .filter(grants::holder_id.eq(r))
                        .filter(grants::role_billing.eq(true))
                        .filter(grants::status.eq(crate::domain::GrantStatus::Active))
                        .filter(grants::expires_at.gt(now).or(grants::auto_extend.eq(true)))
                };
            }
            // Each side of the OR on an index of its own: the reseller's statements by reseller, the
            // billed customers' by customer (from its grants), never a scan of every statement.
            query = query.filter(
                statements::reseller_id
                    .eq(r)
                    .and(
                        statements::kind
                            .eq(StatementKind::Reseller)
                            .or(statements::kind.eq(StatementKind::Resale)),
                    )
                    .or(statements::kind
                        .eq(StatementKind::Customer)
                        .and(
                            statements::customer_id
                                .eq_any(billing_reader!().select(grants::customer_id)),
                        )
                        .and(diesel::dsl::exists(
                            billing_reader!()
                                .filter(grants::provider_id.eq(statements::provider_id))
                                .filter(grants::customer_id.eq(statements::customer_id)),
                        ))),
            );
            kind
        }
        StatementScope::Customer(c) => {
            query = query
                .filter(statements::customer_id.eq(c))
                .filter(statements::kind.eq(StatementKind::Customer));
            None
        }
    };
    if let Some(kind) = kind {
        query = query.filter(statements::kind.eq(kind));
    }
    if let Some(id) = id {
        query = query.filter(statements::id.eq(id));
    }
    query = crate::newest_first!(query, statements::id, seek);
    let rows: Vec<(Statement, String, Option<String>, Option<String>)> = query.load(conn)?;
    let rows = rows
        .into_iter()
        .map(
            |(statement, provider_name, reseller_name, customer_name)| StatementRow {
                statement,
                provider_name,
                reseller_name,
                customer_name,
            },
        )
        .collect();
    Ok(Page::from_rows(rows, seek, per_page, |r: &StatementRow| {
        r.statement.id
    }))
}

/// The charges, credits and refunds a statement bills, by order then line.
pub fn lines(conn: &mut DbConnection, statement: &Statement) -> QueryResult<Vec<StatementLine>> {
    let mut query = order_lines::table
        .inner_join(orders::table)
        .inner_join(offers::table)
        .inner_join(customers::table.on(customers::id.eq(orders::customer_id)))
        .select((
            orders::id,
            orders::number,
            orders::kind,
            orders::created_at,
            customers::company_name,
            offers::name,
            order_lines::quantity,
            order_lines::period_start,
            order_lines::period_end,
            order_lines::line_total_minor,
            order_lines::sale_total_minor,
        ))
        .order((orders::id.asc(), order_lines::id.asc()))
        .into_boxed();
    let resale = statement.kind == StatementKind::Resale;
    query = if resale {
        query.filter(orders::resale_statement_id.eq(statement.id))
    } else {
        query.filter(orders::statement_id.eq(statement.id))
    };
    type Row = (
        i64,
        i64,
        OrderKind,
        NaiveDateTime,
        String,
        String,
        i32,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        i64,
        Option<i64>,
    );
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| StatementLine {
            order_id: r.0,
            order_number: r.1,
            order_kind: r.2,
            placed_at: r.3,
            customer_name: r.4,
            offer_name: r.5,
            quantity: r.6,
            period_start: r.7,
            period_end: r.8,
            amount_minor: if resale { r.10.unwrap_or(r.9) } else { r.9 },
        })
        .collect())
}

/// Marks the provider's statement paid, once; false when it was already (or is not its).
pub fn mark_paid(
    conn: &mut DbConnection,
    provider: i64,
    id: i64,
    by: i64,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        statements::table
            .filter(statements::id.eq(id))
            .filter(statements::provider_id.eq(provider))
            .filter(statements::kind.ne(StatementKind::Resale))
            .filter(statements::paid_at.is_null()),
    )
    .set((
        statements::paid_at.eq(Some(at)),
        statements::paid_by.eq(Some(by)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// What a reseller owes its provider: placed orders no statement bills yet, and its unpaid
/// statements.
pub fn open_balance(conn: &mut DbConnection, provider: i64, reseller: i64) -> QueryResult<i64> {
    let unbilled: Vec<i64> = orders::table
        .filter(orders::reseller_id.eq(reseller))
        .filter(orders::statement_id.is_null())
        .filter(orders::provider_id.eq(provider))
        .filter(orders::status.eq(OrderStatus::Placed))
        .select(orders::total_minor)
        .load(conn)?;
    let unpaid: Vec<i64> = statements::table
        .filter(statements::reseller_id.eq(reseller))
        .filter(statements::kind.eq(StatementKind::Reseller))
        .filter(statements::provider_id.eq(provider))
        .filter(statements::paid_at.is_null())
        .select(statements::total_minor)
        .load(conn)?;
    Ok(unbilled.iter().sum::<i64>() + unpaid.iter().sum::<i64>())
}

/// One provider's statements for one month, written set-wise: a statement per customer in one batch
/// of inserts, the orders pointed at theirs by one correlated update, the totals by another.
#[derive(Clone, Debug)]
pub struct MonthRun {
    pub provider: i64,
    /// `YYYY-MM`, made by `services::statements::billing_month`.
    pub month: String,
    pub period: (NaiveDateTime, NaiveDateTime),
    pub issued_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub currency: String,
}

impl MonthRun {
    /// The month, checked to be `YYYY-MM` before it goes into SQL text.
    fn month_sql(&self) -> QueryResult<String> {
        let ok = self.month.len() == 7
            && self.month.bytes().enumerate().all(|(i, b)| {
                if i == 4 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if ok {
            Ok(format!("'{}'", self.month))
        } else {
            Err(diesel::result::Error::NotFound)
        }
    }

    /// Statements of `kind` (of `reseller`, 0 for none), one per (customer, total, line count), numbered
    /// on from the provider's last; ids made here.
    pub fn create_for(
        &self,
        conn: &mut DbConnection,
        kind: StatementKind,
        reseller: Option<i64>,
        customers: &[(i64, i64, i64)],
    ) -> QueryResult<()> {
        let last: Option<i64> = statements::table
            .filter(statements::provider_id.eq(self.provider))
            .select(diesel::dsl::max(statements::number))
            .first(conn)?;
        let mut number = last.unwrap_or(0);
        for chunk in customers.chunks(500) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(customer, total, lines)| {
                    number += 1;
                    (
                        statements::id.eq(new_id()),
                        statements::provider_id.eq(self.provider),
                        statements::number.eq(number),
                        statements::kind.eq(kind),
                        statements::reseller_id.eq(reseller.unwrap_or(0)),
                        statements::customer_id.eq(*customer),
                        statements::month.eq(self.month.clone()),
                        statements::period_start.eq(self.period.0),
                        statements::period_end.eq(self.period.1),
                        statements::issued_at.eq(self.issued_at),
                        statements::due_at.eq(self.due_at),
                        statements::currency.eq(self.currency.clone()),
                        statements::total_minor.eq(*total),
                        statements::line_count.eq(*lines),
                    )
                })
                .collect();
            // Batch inserts are per backend (MultiConnection offers only single rows).
            match conn {
                DbConnection::Sqlite(c) => diesel::insert_into(statements::table)
                    .values(rows)
                    .execute(c)?,
                DbConnection::Postgresql(c) => diesel::insert_into(statements::table)
                    .values(rows)
                    .execute(c)?,
            };
        }
        Ok(())
    }

    /// Points each unbilled placed order before the month's end of the direct customers `customers`
    /// at its customer's statement of this run.
    pub fn bill_direct(&self, conn: &mut DbConnection, customers: &[i64]) -> QueryResult<usize> {
        if customers.is_empty() {
            return Ok(0);
        }
        let ids = customers
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "UPDATE orders SET statement_id = (SELECT s.id FROM statements s \
             WHERE s.provider_id = orders.provider_id AND s.month = {month} AND s.kind = 'customer' \
             AND s.reseller_id = 0 AND s.customer_id = orders.customer_id) \
             WHERE provider_id = {provider} AND reseller_id IS NULL AND statement_id IS NULL \
             AND status = 'placed' AND created_at < '{end}' AND customer_id IN ({ids})",
            month = self.month_sql()?,
            provider = self.provider,
            end = self.period.1.format("%Y-%m-%d %H:%M:%S"),
        );
        diesel::sql_query(sql).execute(conn)
    }

    /// The resale statements of the reseller's statement, one per customer on it, written with their
    /// totals (at the sale prices, else the reseller's price) and line counts from its lines; how many.
    pub fn create_resale(
        &self,
        conn: &mut DbConnection,
        reseller: i64,
        reseller_statement: i64,
        customers: &[i64],
    ) -> QueryResult<usize> {
        if customers.is_empty() {
            return Ok(0);
        }
        let ids = customers
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        #[derive(QueryableByName)]
        struct Group {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            customer_id: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            total: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            lines: i64,
        }
        let groups: Vec<Group> = diesel::sql_query(format!(
            "SELECT o.customer_id AS customer_id, \
             CAST(SUM(COALESCE(ol.sale_total_minor, ol.line_total_minor)) AS BIGINT) AS total, \
             COUNT(*) AS lines \
             FROM order_lines ol JOIN orders o ON o.id = ol.order_id \
             WHERE o.statement_id = {reseller_statement} AND o.customer_id IN ({ids}) \
             GROUP BY o.customer_id ORDER BY o.customer_id"
        ))
        .load(conn)?;
        let rows: Vec<(i64, i64, i64)> = groups
            .iter()
            .map(|g| (g.customer_id, g.total, g.lines))
            .collect();
        self.create_for(conn, StatementKind::Resale, Some(reseller), &rows)?;
        self.bill_resale(conn, reseller, reseller_statement, &ids)?;
        Ok(groups.len())
    }

    /// Points each order of the reseller's statement at its customer's resale statement of this run.
    fn bill_resale(
        &self,
        conn: &mut DbConnection,
        reseller: i64,
        reseller_statement: i64,
        customer_ids: &str,
    ) -> QueryResult<usize> {
        let sql = format!(
            "UPDATE orders SET resale_statement_id = (SELECT s.id FROM statements s \
             WHERE s.provider_id = orders.provider_id AND s.month = {month} AND s.kind = 'resale' \
             AND s.reseller_id = {reseller} AND s.customer_id = orders.customer_id) \
             WHERE statement_id = {reseller_statement} AND customer_id IN ({customer_ids})",
            month = self.month_sql()?,
        );
        diesel::sql_query(sql).execute(conn)
    }

    /// Sets the totals and line counts of this run's statements of `kind` (of `reseller`, or of
    /// `customers`) from the order lines they bill (resale ones at the sale prices), then removes the
    /// ones that bill nothing. The sum of the lines, exactly.
    pub fn close(
        &self,
        conn: &mut DbConnection,
        kind: StatementKind,
        reseller: Option<i64>,
        customers: Option<&[i64]>,
    ) -> QueryResult<()> {
        let (link, amount) = match kind {
            StatementKind::Resale => (
                "resale_statement_id",
                "COALESCE(ol.sale_total_minor, ol.line_total_minor)",
            ),
            _ => ("statement_id", "ol.line_total_minor"),
        };
        let mut scope = format!(
            "provider_id = {} AND month = {} AND kind = '{}' AND reseller_id = {}",
            self.provider,
            self.month_sql()?,
            kind.as_str(),
            reseller.unwrap_or(0)
        );
        if let Some(customers) = customers {
            if customers.is_empty() {
                return Ok(());
            }
            let ids = customers
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            scope.push_str(&format!(" AND customer_id IN ({ids})"));
        }
        let lines = format!(
            "FROM order_lines ol JOIN orders o ON o.id = ol.order_id WHERE o.{link} = statements.id"
        );
        diesel::sql_query(format!(
            "UPDATE statements SET total_minor = (SELECT COALESCE(SUM({amount}), 0) {lines}), \
             line_count = (SELECT COUNT(*) {lines}) WHERE {scope}"
        ))
        .execute(conn)?;
        diesel::sql_query(format!(
            "DELETE FROM statements WHERE {scope} AND line_count = 0"
        ))
        .execute(conn)?;
        Ok(())
    }

    /// This run's statements of `kind` for `customers` (direct ones), to tell their readers.
    pub fn issued_to(
        &self,
        conn: &mut DbConnection,
        kind: StatementKind,
        customers: &[i64],
    ) -> QueryResult<Vec<Statement>> {
        statements::table
            .filter(statements::provider_id.eq(self.provider))
            .filter(statements::month.eq(self.month.clone()))
            .filter(statements::kind.eq(kind))
            .filter(statements::customer_id.eq_any(customers))
            .select(Statement::as_select())
            .load(conn)
    }
}
