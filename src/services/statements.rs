//! Monthly statements (SPEC.md §2.11). On the first of each month (UTC) the job issues, per
//! provider, one statement per reseller (what the provider bills it), one per direct customer, and one
//! per reseller per customer (what the reseller may bill it, at its sale prices where it recorded
//! them). A statement bills every placed order before the month's end that no statement billed yet
//! — purchases, additions, recurring periods, renewals, upgrades, credits and refunds — so its total
//! is the sum of those orders' lines exactly, and an order is billed once. The provider's run for a
//! month is claimed by one instance (`statement_runs`); a run that died is taken over after 15
//! minutes and goes on where it stopped. **Mark as paid** lowers the reseller's open balance.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::db::models::activity::NewActivity;
use crate::db::models::partner::Partner;
use crate::db::models::statement::{
    self, MonthRun, NewStatement, Statement, StatementLine, StatementRow, StatementScope,
};
use crate::db::models::user::User;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::StatementKind;
use crate::domain::lifecycle::sub_months;
use crate::email::{self, messages::StatementIssued};
use crate::i18n::Tr;
use crate::services::ChangeError;

/// Customers per transaction: a page of a reseller's, or of the direct ones. It bounds what one
/// transaction changes (and SQLite's savepoint journal, kept in memory, with it).
const PAGE: i64 = 500;

/// The month a run at `now` bills, `YYYY-MM`, and its bounds: the month before `now`'s (UTC).
pub fn billing_month(now: NaiveDateTime) -> (String, NaiveDateTime, NaiveDateTime) {
    let end = NaiveDate::from_ymd_opt(now.year(), now.month(), 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or(now);
    let start = sub_months(end, 1);
    (start.format("%Y-%m").to_string(), start, end)
}

/// Issues the statements of the month before `now` for every provider not issued yet; how many.
pub async fn issue_due(db: &Db, now: NaiveDateTime, base_url: &str) -> Result<u64, DbError> {
    let providers = db
        .read(|conn| Partner::provider_ids(conn).map_err(DbError::from))
        .await?;
    let mut issued = 0;
    for provider in providers {
        issued += issue_for(db, provider, now, base_url).await?;
    }
    Ok(issued)
}

/// One provider's statements for the month before `now`, if this run claims them: a transaction per
/// reseller (its statement and its customers' resale statements) and per batch of direct customers.
pub async fn issue_for(
    db: &Db,
    provider: i64,
    now: NaiveDateTime,
    base_url: &str,
) -> Result<u64, DbError> {
    let base_url = base_url.to_owned();
    let Some((run, resellers)) = db
        .write(move |conn| start(conn, provider, now, Some(base_url)))
        .await?
    else {
        return Ok(0);
    };
    let mut issued = 0;
    for reseller in resellers {
        let mut after = 0;
        loop {
            let run = run.clone();
            let (n, last) = db
                .write(move |conn| run.reseller_page(conn, reseller, after))
                .await?;
            issued += n;
            match last {
                Some(last) => after = last,
                None => break,
            }
        }
        let run = run.clone();
        issued += db
            .write(move |conn| run.reseller_close(conn, reseller))
            .await?;
    }
    // Direct customers a page at a time: each page read, issued and committed together.
    let mut after = 0;
    loop {
        let run = run.clone();
        let (n, last) = db.write(move |conn| run.direct_page(conn, after)).await?;
        issued += n;
        match last {
            Some(last) => after = last,
            None => break,
        }
    }
    let month = run.key.month.clone();
    db.write(move |conn| statement::finish_run(conn, provider, &month, now).map_err(DbError::from))
        .await?;
    Ok(issued)
}

/// The same inside the caller's transaction, without emails (the demo data's past months).
pub fn issue_in(
    conn: &mut DbConnection,
    provider: i64,
    now: NaiveDateTime,
) -> Result<u64, DbError> {
    let Some((run, resellers)) = start(conn, provider, now, None)? else {
        return Ok(0);
    };
    let mut issued = 0;
    for reseller in resellers {
        issued += run.reseller_in(conn, reseller)?;
    }
    let mut after = 0;
    while let (n, Some(last)) = run.direct_page(conn, after)? {
        issued += n;
        after = last;
    }
    statement::finish_run(conn, provider, &run.key.month, now)?;
    Ok(issued)
}

/// Claims the provider's run for the month before `now`; its settings and the resellers with
/// unbilled orders, or none when another run has it.
fn start(
    conn: &mut DbConnection,
    provider: i64,
    now: NaiveDateTime,
    base_url: Option<String>,
) -> Result<Option<(Run, Vec<i64>)>, DbError> {
    let (month, start, end) = billing_month(now);
    if !statement::claim_run(conn, provider, &month, now)? {
        return Ok(None);
    }
    let days = Partner::statement_due_days(conn, provider)?;
    let run = Run {
        key: MonthRun {
            provider,
            month,
            period: (start, end),
            issued_at: now,
            due_at: now + chrono::Duration::days(i64::from(days)),
            currency: crate::db::models::offer::Offer::catalog_currency(conn)?,
        },
        provider_name: Partner::find(conn, provider)?.name,
        base_url,
    };
    let resellers = statement::unbilled_resellers(conn, provider, end)?;
    Ok(Some((run, resellers)))
}

/// One provider's run for one month.
#[derive(Clone)]
struct Run {
    key: MonthRun,
    provider_name: String,
    /// Where the emails' links start; none: no emails (the demo's past months).
    base_url: Option<String>,
}

impl Run {
    /// The reseller's statement and its customers' resale statements, a page of customers per
    /// transaction (`issue_for`; the demo runs them in its own); how many.
    fn reseller_in(&self, conn: &mut DbConnection, reseller: i64) -> Result<u64, DbError> {
        let mut issued = 0;
        let mut after = 0;
        while let (n, Some(last)) = self.reseller_page(conn, reseller, after)? {
            issued += n;
            after = last;
        }
        Ok(issued + self.reseller_close(conn, reseller)?)
    }

    /// The next page of the reseller's customers (after `after`): their orders billed on the
    /// reseller's statement (written by the first page, found by a run taking over), their resale
    /// statements; how many of those, and the page's last customer (none: no more).
    fn reseller_page(
        &self,
        conn: &mut DbConnection,
        reseller: i64,
        after: i64,
    ) -> Result<(u64, Option<i64>), DbError> {
        let k = &self.key;
        let customers = statement::unbilled_customers(
            conn,
            k.provider,
            Some(reseller),
            (k.period.1, after),
            PAGE,
        )?;
        let Some(last) = customers.last().copied() else {
            return Ok((0, None));
        };
        let once = (reseller, 0);
        let id = match statement::find_once(
            conn,
            k.provider,
            &k.month,
            StatementKind::Reseller,
            once,
        )? {
            Some(st) => st.id,
            None => statement::create(
                conn,
                &NewStatement {
                    provider_id: k.provider,
                    kind: StatementKind::Reseller,
                    reseller_id: Some(reseller),
                    customer_id: None,
                    month: &k.month,
                    period: k.period,
                    issued_at: k.issued_at,
                    due_at: k.due_at,
                    currency: &k.currency,
                },
            )?,
        };
        statement::bill_reseller_page(conn, id, (k.provider, reseller), &customers, k.period.1)?;
        let resale = k.create_resale(conn, reseller, id, &customers)?;
        Ok((u64::try_from(resale).unwrap_or(0), Some(last)))
    }

    /// The reseller's statement totalled from its lines and told (or removed when it bills nothing);
    /// 1 when it was issued.
    fn reseller_close(&self, conn: &mut DbConnection, reseller: i64) -> Result<u64, DbError> {
        let k = &self.key;
        let once = (reseller, 0);
        let Some(st) =
            statement::find_once(conn, k.provider, &k.month, StatementKind::Reseller, once)?
        else {
            return Ok(0);
        };
        let (_, lines) = statement::close(conn, st.id, StatementKind::Reseller)?;
        if lines == 0 {
            statement::discard(conn, st.id)?;
            return Ok(0);
        }
        // Those who see money (admins and billing admins).
        let users = User::of_partner_who_may(conn, reseller, crate::domain::Need::Billing)?;
        let st = statement::find(conn, st.id)?;
        self.tell(conn, &st, users, "/reseller/statements")?
            .record(conn)?;
        Ok(1)
    }

    /// The next page of direct customers' statements (after customer `after`): how many, and the
    /// page's last customer (none: no more).
    fn direct_page(
        &self,
        conn: &mut DbConnection,
        after: i64,
    ) -> Result<(u64, Option<i64>), DbError> {
        let k = &self.key;
        let customers =
            statement::unbilled_customers(conn, k.provider, None, (k.period.1, after), PAGE)?;
        let last = customers.last().copied();
        Ok((self.direct(conn, &customers)?, last))
    }

    /// The direct customers' statements (one each, for those with something to bill); how many.
    fn direct(&self, conn: &mut DbConnection, customers: &[i64]) -> Result<u64, DbError> {
        let k = &self.key;
        if customers.is_empty() {
            return Ok(0);
        }
        let empty: Vec<(i64, i64, i64)> = customers.iter().map(|c| (*c, 0, 0)).collect();
        k.create_for(conn, StatementKind::Customer, None, &empty)?;
        k.bill_direct(conn, customers)?;
        k.close(conn, StatementKind::Customer, None, Some(customers))?;
        let issued = k.issued_to(conn, StatementKind::Customer, customers)?;
        let mut readers = User::of_customers(conn, customers)?;
        let mut entries = Vec::with_capacity(issued.len());
        for st in &issued {
            let users = readers
                .iter()
                .filter(|u| u.customer_id == Some(st.customer_id))
                .cloned()
                .collect();
            entries.push(self.tell(conn, st, users, "/my/statements")?);
        }
        readers.clear();
        // The page's activity entries (and their webhooks) written together.
        NewActivity::record_all(conn, &entries)?;
        Ok(u64::try_from(issued.len()).unwrap_or(0))
    }

    /// Emails the statement's readers (each in their language); the activity entry of the issue,
    /// for the caller to record.
    fn tell(
        &self,
        conn: &mut DbConnection,
        st: &Statement,
        users: Vec<User>,
        path: &str,
    ) -> Result<NewActivity, DbError> {
        let base_url = self.base_url.as_deref();
        for to in users.into_iter().filter(|_| base_url.is_some()) {
            let tr = Tr(to.locale.unwrap_or_default());
            let message = StatementIssued {
                name: to.display_name.clone(),
                provider: self.provider_name.clone(),
                reference: st.reference(),
                month: tr.month(&st.month),
                total: tr.money(st.total_minor, &st.currency),
                due: tr.date(&st.due_at),
                url: format!("{}{path}/{}", base_url.unwrap_or_default(), st.id),
                tr,
            };
            email::queue(conn, &to.email, &message)?;
        }
        Ok(
            NewActivity::new("statement.issued", "statement", Some(st.id))
                .provider(Some(self.key.provider))
                .reseller(st.reseller())
                .customer(st.customer())
                .change(
                    None,
                    Some(format!(
                        "{} {} {}",
                        st.reference(),
                        st.month,
                        Tr::default().money(st.total_minor, &st.currency)
                    )),
                )
                .at(self.key.issued_at),
        )
    }
}

/// A statement and its lines, within the viewer's scope.
pub async fn show(
    db: &Db,
    scope: StatementScope,
    id: i64,
) -> Result<(StatementRow, Vec<StatementLine>), ChangeError> {
    db.read(move |conn| {
        let row = statement::find_in(conn, scope, id).map_err(|e| match DbError::from(e) {
            DbError::NotFound => ChangeError::NotFound,
            other => ChangeError::Db(other),
        })?;
        let lines = statement::lines(conn, &row.statement)?;
        Ok((row, lines))
    })
    .await
}

/// Marks the provider's statement paid; false when it already was.
pub async fn mark_paid(
    db: &Db,
    provider: i64,
    id: i64,
    by: i64,
    now: NaiveDateTime,
) -> Result<bool, ChangeError> {
    db.write(move |conn| {
        let st: Statement = statement::find(conn, id).map_err(|e| match DbError::from(e) {
            DbError::NotFound => ChangeError::NotFound,
            other => ChangeError::Db(other),
        })?;
        if st.provider_id != provider || st.kind == StatementKind::Resale {
            return Err(ChangeError::NotFound);
        }
        if !statement::mark_paid(conn, provider, id, by, now)? {
            return Ok(false);
        }
        NewActivity::new("statement.paid", "statement", Some(id))
            .by(by, Some(provider))
            .provider(Some(provider))
            .reseller(st.reseller())
            .customer(st.customer())
            .change(None, Some(st.reference()))
            .at(now)
            .record(conn)?;
        Ok(true)
    })
    .await
}
