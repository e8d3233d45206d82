//! Orders and their lines. Every order belongs to exactly one provider; it records who placed it, for
//! which customer, on behalf of which reseller. A repeated submit finds the first order by its
//! idempotency key instead of ordering twice.

use diesel::prelude::*;

use crate::db::models::customer::ResellerFilter;
use crate::db::schema::{customers, offers, order_lines, orders, partners, users};
use crate::db::{DbConnection, new_id};
use crate::domain::lifecycle::Period;
use crate::domain::pricing::Prices;
use crate::domain::{Billing, OrderKind, OrderStatus, ProviderId, Term};
use crate::pagination::{Page, Seek};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = orders)]
pub struct Order {
    pub id: i64,
    pub provider_id: i64,
    pub customer_id: i64,
    pub reseller_id: Option<i64>,
    pub placed_by_user_id: i64,
    pub placed_by_partner_id: Option<i64>,
    pub kind: OrderKind,
    pub currency: String,
    pub total_minor: i64,
    pub idempotency_key: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    /// The provider's own sequence: 1, 2, 3…
    pub number: i64,
    pub status: OrderStatus,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<chrono::NaiveDateTime>,
    pub review_reason: Option<String>,
    /// The statement that bills it: the reseller's, or the direct customer's.
    pub statement_id: Option<i64>,
    /// The reseller's statement for the customer.
    pub resale_statement_id: Option<i64>,
    /// While it waits for review: what approving it will do (the command's choices, JSON).
    pub review_payload: Option<String>,
}

impl Order {
    /// The order's readable number, as people quote it: `PO-000123`.
    pub fn reference(&self) -> String {
        order_reference(self.number)
    }

    pub fn is_placed(&self) -> bool {
        self.status == OrderStatus::Placed
    }

    pub fn is_rejected(&self) -> bool {
        self.status == OrderStatus::Rejected
    }

    pub fn is_pending(&self) -> bool {
        self.status == OrderStatus::PendingReview
    }
}

/// `PO-` and at least six digits.
pub fn order_reference(number: i64) -> String {
    format!("PO-{number:06}")
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = order_lines)]
pub struct OrderLine {
    pub id: i64,
    pub order_id: i64,
    pub offer_id: i64,
    pub subscription_id: Option<i64>,
    pub quantity: i32,
    pub previous_quantity: Option<i32>,
    pub unit_price_minor: i64,
    /// A charge, or a credit or refund (negative).
    pub line_total_minor: i64,
    /// The period the line pays for.
    pub period_start: Option<chrono::NaiveDateTime>,
    pub period_end: Option<chrono::NaiveDateTime>,
    pub term: Option<Term>,
    pub billing: Option<Billing>,
    /// The provider's cost, per license and for the line.
    pub unit_cost_minor: i64,
    pub cost_total_minor: i64,
    /// The reseller's sale price where it recorded one, per license and for the line.
    pub unit_sale_minor: Option<i64>,
    pub sale_total_minor: Option<i64>,
}

impl OrderLine {
    /// Per license: cost, what the provider charges, the reseller's sale price.
    pub fn unit(&self) -> Prices {
        Prices {
            cost: self.unit_cost_minor,
            price: self.unit_price_minor,
            sale: self.unit_sale_minor,
        }
    }

    /// The line's amounts.
    pub fn amount(&self) -> Prices {
        Prices {
            cost: self.cost_total_minor,
            price: self.line_total_minor,
            sale: self.sale_total_minor,
        }
    }
}

/// An order as lists show it.
#[derive(Clone, Debug)]
pub struct OrderRow {
    pub order: Order,
    pub customer_name: String,
    pub provider_name: String,
    pub reseller_name: Option<String>,
    pub placed_by_name: String,
}

impl OrderRow {
    /// The locale key naming the kind of order.
    pub fn kind_key(&self) -> &'static str {
        self.order.kind.label_key()
    }
}

/// A line with its offer, for the order detail.
#[derive(Clone, Debug)]
pub struct LineView {
    pub line: OrderLine,
    pub offer_name: String,
    pub billing: Billing,
}

pub struct NewOrder<'a> {
    pub provider_id: i64,
    pub customer_id: i64,
    pub reseller_id: Option<i64>,
    pub placed_by_user_id: i64,
    pub placed_by_partner_id: Option<i64>,
    pub kind: OrderKind,
    pub currency: &'a str,
    pub idempotency_key: Option<&'a str>,
    /// When it was placed (the injected clock's now).
    pub at: chrono::NaiveDateTime,
}

/// What `Order::create` wrote.
#[derive(Clone, Copy, Debug)]
pub struct Placed {
    pub id: i64,
    pub number: i64,
    pub total: i64,
}

impl Placed {
    pub fn reference(&self) -> String {
        order_reference(self.number)
    }
}

pub struct NewLine {
    pub offer_id: i64,
    pub subscription_id: Option<i64>,
    /// Licenses after the order (for a cancellation: the licenses cancelled).
    pub quantity: i32,
    pub previous_quantity: Option<i32>,
    /// Per license per billing period: cost, what the provider charges, the reseller's sale price.
    pub unit: Prices,
    /// What the line charges (negative: a credit or refund), prorated to its period, at each price.
    pub amount: Prices,
    pub period: Option<Period>,
    pub term: Option<Term>,
    pub billing: Option<Billing>,
}

type RowTuple = (Order, String, String, Option<String>, String);

diesel::alias!(partners as provider_partners: ProviderPartners);

/// Orders joined to what a list row shows: the customer's, provider's and reseller's names, and who
/// placed it.
macro_rules! order_rows {
    () => {
        orders::table
            .inner_join(customers::table)
            .inner_join(
                provider_partners.on(provider_partners
                    .field(partners::id)
                    .eq(orders::provider_id)),
            )
            .left_join(partners::table.on(partners::id.nullable().eq(orders::reseller_id)))
            .inner_join(users::table.on(users::id.eq(orders::placed_by_user_id)))
            .select((
                Order::as_select(),
                customers::company_name,
                provider_partners.field(partners::name),
                partners::name.nullable(),
                users::display_name,
            ))
    };
}

/// Which orders a list shows. A provider's pages always set `provider`; the operations console may not.
#[derive(Clone, Debug)]
pub struct OrderFilter {
    pub provider: Option<i64>,
    pub reseller: ResellerFilter,
    pub customer: Option<i64>,
    /// Ids are time-ordered: orders placed from this id on (a day's first id)…
    pub from_id: Option<i64>,
    /// …and before this one.
    pub to_id: Option<i64>,
    /// A reseller's orders across its providers: on its behalf (reseller of record) or placed by it.
    pub for_reseller: Option<i64>,
    /// Only orders in this state (the Needs review tab).
    pub status: Option<OrderStatus>,
}

impl OrderFilter {
    /// A reseller's orders: on its behalf or placed by it, with any of its providers.
    pub fn reseller(reseller: crate::domain::ResellerId) -> Self {
        Self {
            provider: None,
            reseller: ResellerFilter::All,
            customer: None,
            from_id: None,
            to_id: None,
            for_reseller: Some(reseller.get()),
            status: None,
        }
    }

    /// A provider's orders, all of them.
    pub fn provider(provider: ProviderId) -> Self {
        Self {
            provider: Some(provider.get()),
            reseller: ResellerFilter::All,
            customer: None,
            from_id: None,
            to_id: None,
            for_reseller: None,
            status: None,
        }
    }
}

impl Order {
    /// Writes an order and its lines, with the provider's next number.
    pub fn create(
        conn: &mut DbConnection,
        new: &NewOrder<'_>,
        lines: &[NewLine],
    ) -> QueryResult<Placed> {
        Self::create_with(conn, new, lines, None)
    }

    /// Writes an order that waits for the provider's review (`payload`: what approving it does):
    /// nothing provisioned, not counted in margins, not billed.
    pub fn create_pending(
        conn: &mut DbConnection,
        new: &NewOrder<'_>,
        lines: &[NewLine],
        payload: &str,
    ) -> QueryResult<Placed> {
        Self::create_with(conn, new, lines, Some(payload))
    }

    fn create_with(
        conn: &mut DbConnection,
        new: &NewOrder<'_>,
        lines: &[NewLine],
        pending: Option<&str>,
    ) -> QueryResult<Placed> {
        let placed = Self::create_all(conn, &[(new, lines)], pending)?;
        placed
            .first()
            .copied()
            .ok_or(diesel::result::Error::NotFound)
    }

    /// Writes placed orders with their lines (a job's batch): the orders and the lines each in
    /// multi-row INSERTs, each provider's order numbers taken at once, the margin months added up
    /// once per month, reseller and offer. What each order wrote, in order.
    pub fn create_many(
        conn: &mut DbConnection,
        orders: &[(&NewOrder<'_>, &[NewLine])],
    ) -> QueryResult<Vec<Placed>> {
        Self::create_all(conn, orders, None)
    }

    fn create_all(
        conn: &mut DbConnection,
        orders: &[(&NewOrder<'_>, &[NewLine])],
        pending: Option<&str>,
    ) -> QueryResult<Vec<Placed>> {
        // Each provider's next numbers (taken in provider order), given in the orders' order.
        let mut numbers = std::collections::BTreeMap::<i64, i64>::new();
        for (new, _) in orders {
            *numbers.entry(new.provider_id).or_default() += 1;
        }
        for (provider, n) in &mut numbers {
            *n = crate::db::models::stats::ProviderStats::take_order_numbers(conn, *provider, *n)?;
        }
        let placed: Vec<Placed> = orders
            .iter()
            .map(|(new, lines)| {
                let next = numbers.get_mut(&new.provider_id).map_or(0, |n| {
                    *n += 1;
                    *n - 1
                });
                Placed {
                    id: new_id(),
                    number: next,
                    total: lines.iter().map(|l| l.amount.price).sum(),
                }
            })
            .collect();
        let status = if pending.is_some() {
            OrderStatus::PendingReview
        } else {
            OrderStatus::Placed
        };
        for chunk in orders
            .iter()
            .zip(&placed)
            .collect::<Vec<_>>()
            .chunks(ROWS_PER_INSERT)
        {
            let rows: Vec<_> = chunk
                .iter()
                .map(|((new, _), p)| {
                    (
                        orders::id.eq(p.id),
                        orders::provider_id.eq(new.provider_id),
                        orders::customer_id.eq(new.customer_id),
                        orders::reseller_id.eq(new.reseller_id),
                        orders::placed_by_user_id.eq(new.placed_by_user_id),
                        orders::placed_by_partner_id.eq(new.placed_by_partner_id),
                        orders::kind.eq(new.kind),
                        orders::currency.eq(new.currency),
                        orders::total_minor.eq(p.total),
                        orders::idempotency_key.eq(new.idempotency_key),
                        orders::created_at.eq(new.at),
                        orders::number.eq(p.number),
                        orders::status.eq(status),
                        orders::review_payload.eq(pending),
                    )
                })
                .collect();
            on_each_backend!(&mut *conn, |c| diesel::insert_into(orders::table)
                .values(rows)
                .execute(c))?;
        }
        let lines: Vec<(i64, &NewLine)> = orders
            .iter()
            .zip(&placed)
            .flat_map(|((_, lines), p)| lines.iter().map(|l| (p.id, l)))
            .collect();
        insert_lines(conn, &lines)?;
        if pending.is_none() {
            let months: Vec<_> = orders
                .iter()
                .map(|(new, lines)| (new.provider_id, new.reseller_id, new.at, *lines))
                .collect();
            count_margins(conn, &months)?;
        }
        Ok(placed)
    }

    /// Decides an order waiting for review, once: true when this call moved it from pending review
    /// (false: it was decided already, or is not the provider's).
    pub fn decide(
        conn: &mut DbConnection,
        provider: i64,
        id: i64,
        status: OrderStatus,
        (by, at): (i64, chrono::NaiveDateTime),
        reason: Option<&str>,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            orders::table
                .filter(orders::id.eq(id))
                .filter(orders::provider_id.eq(provider))
                .filter(orders::status.eq(OrderStatus::PendingReview)),
        )
        .set((
            orders::status.eq(status),
            orders::reviewed_by.eq(Some(by)),
            orders::reviewed_at.eq(Some(at)),
            orders::review_reason.eq(reason),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// An approved order's lines as provisioned at `at` (its term starts then): they replace the
    /// lines it waited with, the order is dated `at` and counted in its month's margins.
    pub fn settle(
        conn: &mut DbConnection,
        order: &Order,
        lines: &[NewLine],
        at: chrono::NaiveDateTime,
    ) -> QueryResult<i64> {
        let total: i64 = lines.iter().map(|l| l.amount.price).sum();
        diesel::delete(order_lines::table.filter(order_lines::order_id.eq(order.id)))
            .execute(conn)?;
        let with_order: Vec<(i64, &NewLine)> = lines.iter().map(|l| (order.id, l)).collect();
        insert_lines(conn, &with_order)?;
        diesel::update(orders::table.find(order.id))
            .set((
                orders::total_minor.eq(total),
                orders::created_at.eq(at),
                orders::review_payload.eq(None::<String>),
            ))
            .execute(conn)?;
        count_margins(conn, &[(order.provider_id, order.reseller_id, at, lines)])?;
        Ok(total)
    }

    /// The order and its lines as stored (the review's).
    pub fn find_in(
        conn: &mut DbConnection,
        provider: i64,
        id: i64,
    ) -> QueryResult<(Order, Vec<OrderLine>)> {
        let order: Order = orders::table
            .filter(orders::id.eq(id))
            .filter(orders::provider_id.eq(provider))
            .select(Order::as_select())
            .first(conn)?;
        let lines = order_lines::table
            .filter(order_lines::order_id.eq(id))
            .order(order_lines::id.asc())
            .select(OrderLine::as_select())
            .load(conn)?;
        Ok((order, lines))
    }

    /// How many orders wait for the provider's review (up to `cap`).
    /// How many orders on a reseller's behalf wait for its provider's review (up to `cap`).
    pub fn count_pending_for_reseller(
        conn: &mut DbConnection,
        reseller: i64,
        cap: i64,
    ) -> QueryResult<i64> {
        orders::table
            .filter(orders::reseller_id.eq(reseller))
            .filter(orders::status.eq(OrderStatus::PendingReview))
            .select(orders::id)
            .limit(cap)
            .load::<i64>(conn)
            .map(|ids| i64::try_from(ids.len()).unwrap_or(cap))
    }

    pub fn count_pending(conn: &mut DbConnection, provider: i64, cap: i64) -> QueryResult<i64> {
        orders::table
            .filter(orders::provider_id.eq(provider))
            .filter(orders::status.eq(OrderStatus::PendingReview))
            .select(orders::id)
            .limit(cap)
            .load::<i64>(conn)
            .map(|ids| i64::try_from(ids.len()).unwrap_or(cap))
    }
}

/// Rows per multi-row INSERT: at most 16 columns each, well inside both backends' limits on
/// bound values.
const ROWS_PER_INSERT: usize = 500;

/// Writes order lines (each with its order's id) in multi-row INSERTs.
fn insert_lines(conn: &mut DbConnection, lines: &[(i64, &NewLine)]) -> QueryResult<()> {
    for chunk in lines.chunks(ROWS_PER_INSERT) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(order, line)| {
                (
                    order_lines::id.eq(new_id()),
                    order_lines::order_id.eq(*order),
                    order_lines::offer_id.eq(line.offer_id),
                    order_lines::subscription_id.eq(line.subscription_id),
                    order_lines::quantity.eq(line.quantity),
                    order_lines::previous_quantity.eq(line.previous_quantity),
                    order_lines::unit_price_minor.eq(line.unit.price),
                    order_lines::line_total_minor.eq(line.amount.price),
                    order_lines::unit_cost_minor.eq(line.unit.cost),
                    order_lines::cost_total_minor.eq(line.amount.cost),
                    order_lines::unit_sale_minor.eq(line.unit.sale),
                    order_lines::sale_total_minor.eq(line.amount.sale),
                    order_lines::period_start.eq(line.period.map(|p| p.start)),
                    order_lines::period_end.eq(line.period.map(|p| p.end)),
                    order_lines::term.eq(line.term),
                    order_lines::billing.eq(line.billing),
                )
            })
            .collect();
        on_each_backend!(&mut *conn, |c| diesel::insert_into(order_lines::table)
            .values(rows)
            .execute(c))?;
    }
    Ok(())
}

impl Order {
    /// Orders that pass `filter`, newest first, a page at a time.
    pub fn page(
        conn: &mut DbConnection,
        filter: &OrderFilter,
        seek: &Seek<i64>,
        per_page: usize,
    ) -> QueryResult<Page<OrderRow>> {
        let mut query = order_rows!()
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        if let Some(provider) = filter.provider {
            query = query.filter(orders::provider_id.eq(provider));
        }
        query = match filter.reseller {
            ResellerFilter::All => query,
            ResellerFilter::None => query.filter(orders::reseller_id.is_null()),
            ResellerFilter::Reseller(id) => query.filter(orders::reseller_id.eq(id)),
        };
        if let Some(customer) = filter.customer {
            query = query.filter(orders::customer_id.eq(customer));
        }
        if let Some(status) = filter.status {
            query = query.filter(orders::status.eq(status));
        }
        if let Some(r) = filter.for_reseller {
            query = query.filter(
                orders::reseller_id
                    .eq(r)
                    .or(orders::placed_by_partner_id.eq(r)),
            );
        }
        // A date range is an id range, walked on the primary key.
        if let Some(from) = filter.from_id {
            query = query.filter(orders::id.ge(from));
        }
        if let Some(to) = filter.to_id {
            query = query.filter(orders::id.lt(to));
        }
        query = crate::newest_first!(query, orders::id, seek);
        let rows: Vec<RowTuple> = query.load(conn)?;
        let rows = rows.into_iter().map(to_row).collect();
        Ok(Page::from_rows(rows, seek, per_page, |r: &OrderRow| {
            r.order.id
        }))
    }

    /// An order with its lines; with `provider`, only that provider's (anyone else's is not found).
    pub fn find_with_lines(
        conn: &mut DbConnection,
        provider: Option<ProviderId>,
        id: i64,
    ) -> QueryResult<(OrderRow, Vec<LineView>)> {
        let mut query = order_rows!().filter(orders::id.eq(id)).into_boxed();
        if let Some(provider) = provider {
            query = query.filter(orders::provider_id.eq(provider.get()));
        }
        let row: RowTuple = query.first(conn)?;
        let lines: Vec<(OrderLine, String, Billing)> = order_lines::table
            .inner_join(offers::table)
            .filter(order_lines::order_id.eq(id))
            .order(order_lines::id.asc())
            .select((OrderLine::as_select(), offers::name, offers::billing))
            .load(conn)?;
        let lines = lines
            .into_iter()
            .map(|(line, offer_name, billing)| LineView {
                line,
                offer_name,
                billing,
            })
            .collect();
        Ok((to_row(row), lines))
    }

    /// The name of the organisation an order was placed for (the provider, or a reseller acting).
    pub fn placed_by_partner_name(
        conn: &mut DbConnection,
        order: &Order,
    ) -> QueryResult<Option<String>> {
        match order.placed_by_partner_id {
            Some(id) => partners::table
                .find(id)
                .select(partners::name)
                .first(conn)
                .optional(),
            None => Ok(None),
        }
    }

    /// The subscription an order's first line is for.
    pub fn first_subscription(conn: &mut DbConnection, order: i64) -> QueryResult<Option<i64>> {
        order_lines::table
            .filter(order_lines::order_id.eq(order))
            .order(order_lines::id.asc())
            .select(order_lines::subscription_id)
            .first::<Option<i64>>(conn)
            .optional()
            .map(Option::flatten)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Order> {
        orders::table
            .find(id)
            .select(Order::as_select())
            .first(conn)
    }

    pub fn by_idempotency_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Order>> {
        orders::table
            .filter(orders::idempotency_key.eq(key))
            .select(Order::as_select())
            .first(conn)
            .optional()
    }
}

/// `YYYY-MM` (UTC): the month an order counts in for margins and statements.
pub fn month_of(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m").to_string()
}

/// Adds orders' lines to their providers' margin months (per reseller, 0 for direct customers, and
/// offer, and the provider's whole month): revenue what the provider charges, its cost, and what the
/// reseller bills at its sale price. Each month, reseller and offer is one upsert however many
/// orders it has.
fn count_margins(
    conn: &mut DbConnection,
    orders: &[(i64, Option<i64>, chrono::NaiveDateTime, &[NewLine])],
) -> QueryResult<()> {
    use crate::db::models::stats::{MONTH_TOTAL, add_margin};
    // (provider, reseller or 0 or MONTH_TOTAL, offer or 0, month) → (revenue, cost, resale), in
    // key order (two transactions upsert shared rows in the same order: no deadlock).
    let mut sums = std::collections::BTreeMap::<(i64, i64, i64, String), (i64, i64, i64)>::new();
    let mut add = |key: (i64, i64, i64, String), p: &Prices| {
        let s = sums.entry(key).or_default();
        *s = (s.0 + p.price, s.1 + p.cost, s.2 + p.resale());
    };
    for (provider, reseller, at, lines) in orders {
        let month = month_of(*at);
        for line in *lines {
            let key = (
                *provider,
                reseller.unwrap_or(0),
                line.offer_id,
                month.clone(),
            );
            add(key, &line.amount);
            // The provider's month in one row (the chart's).
            add((*provider, MONTH_TOTAL, 0, month.clone()), &line.amount);
        }
    }
    for ((provider, reseller, offer, month), (revenue, cost, resale)) in sums {
        add_margin(
            conn,
            (provider, reseller, offer, &month),
            revenue,
            cost,
            resale,
        )?;
    }
    Ok(())
}

fn to_row(
    (order, customer_name, provider_name, reseller_name, placed_by_name): RowTuple,
) -> OrderRow {
    OrderRow {
        order,
        customer_name,
        provider_name,
        reseller_name,
        placed_by_name,
    }
}
