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
    self, NewStatement, Statement, StatementLine, StatementRow, StatementScope,
};
use crate::db::models::user::User;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::StatementKind;
use crate::domain::lifecycle::sub_months;
use crate::email::{self, messages::StatementIssued};
use crate::i18n::Tr;
use crate::services::ChangeError;

/// Direct customers' statements per transaction.
const BATCH: usize = 200;

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

/// One provider's statements for the month before `now`, if this run claims them.
pub async fn issue_for(
    db: &Db,
    provider: i64,
    now: NaiveDateTime,
    base_url: &str,
) -> Result<u64, DbError> {
    let (month, start, end) = billing_month(now);
    let claim_month = month.clone();
    let claimed = db
        .write(move |conn| {
            statement::claim_run(conn, provider, &claim_month, now).map_err(DbError::from)
        })
        .await?;
    if !claimed {
        return Ok(0);
    }
    let pairs = db
        .read(move |conn| statement::unbilled(conn, provider, end).map_err(DbError::from))
        .await?;
    let mut resellers: Vec<i64> = pairs.iter().filter_map(|(r, _)| *r).collect();
    resellers.dedup();
    let direct: Vec<i64> = pairs
        .iter()
        .filter(|(r, _)| r.is_none())
        .map(|(_, c)| *c)
        .collect();
    let run = Run {
        provider,
        month: month.clone(),
        period: (start, end),
        now,
        base_url: Some(base_url.to_owned()),
    };
    let mut issued = 0;
    for reseller in resellers {
        let run = run.clone();
        issued += db
            .write(move |conn| run.reseller(conn, reseller))
            .await?;
    }
    for chunk in direct.chunks(BATCH) {
        let (run, chunk) = (run.clone(), chunk.to_vec());
        issued += db
            .write(move |conn| {
                let mut n = 0;
                for customer in chunk {
                    n += run.direct(conn, customer)?;
                }
                Ok::<_, DbError>(n)
            })
            .await?;
    }
    db.write(move |conn| statement::finish_run(conn, provider, &month, now).map_err(DbError::from))
        .await?;
    Ok(issued)
}

/// One provider's run for one month.
#[derive(Clone)]
struct Run {
    provider: i64,
    month: String,
    period: (NaiveDateTime, NaiveDateTime),
    now: NaiveDateTime,
    /// Where the emails' links start; none: no emails (the demo's past months).
    base_url: Option<String>,
}

/// The same inside the caller's transaction, without emails (the demo data's past months).
pub fn issue_in(conn: &mut DbConnection, provider: i64, now: NaiveDateTime) -> Result<u64, DbError> {
    let (month, start, end) = billing_month(now);
    if !statement::claim_run(conn, provider, &month, now)? {
        return Ok(0);
    }
    let run = Run {
        provider,
        month: month.clone(),
        period: (start, end),
        now,
        base_url: None,
    };
    let mut issued = 0;
    let pairs = statement::unbilled(conn, provider, end)?;
    let mut resellers: Vec<i64> = pairs.iter().filter_map(|(r, _)| *r).collect();
    resellers.dedup();
    for reseller in resellers {
        issued += run.reseller(conn, reseller)?;
    }
    for (_, customer) in pairs.iter().filter(|(r, _)| r.is_none()) {
        issued += run.direct(conn, *customer)?;
    }
    statement::finish_run(conn, provider, &month, now)?;
    Ok(issued)
}

impl Run {
    fn new_statement(
        &self,
        conn: &mut DbConnection,
        kind: StatementKind,
        who: (Option<i64>, Option<i64>),
        currency: &str,
    ) -> Result<i64, DbError> {
        let days = Partner::statement_due_days(conn, self.provider)?;
        Ok(statement::create(
            conn,
            &NewStatement {
                provider_id: self.provider,
                kind,
                reseller_id: who.0,
                customer_id: who.1,
                month: &self.month,
                period: self.period,
                issued_at: self.now,
                due_at: self.now + chrono::Duration::days(i64::from(days)),
                currency,
            },
        )?)
    }

    /// The reseller's statement and one resale statement per customer on it; how many.
    fn reseller(&self, conn: &mut DbConnection, reseller: i64) -> Result<u64, DbError> {
        let currency = statement::unbilled_currency(conn, self.provider, Some(reseller), None)?;
        let Some(currency) = currency else {
            return Ok(0);
        };
        let id = self.new_statement(
            conn,
            StatementKind::Reseller,
            (Some(reseller), None),
            &currency,
        )?;
        let billed = statement::bill_orders(conn, id, self.provider, (Some(reseller), None), self.period.1)?;
        if billed == 0 {
            // Another run billed them in the meantime: nothing to issue.
            statement::discard(conn, id)?;
            return Ok(0);
        }
        statement::close(conn, id, StatementKind::Reseller)?;
        let mut issued = 1;
        for customer in statement::customers_of(conn, id)? {
            let resale = self.new_statement(
                conn,
                StatementKind::Resale,
                (Some(reseller), Some(customer)),
                &currency,
            )?;
            statement::bill_resale(conn, resale, id, customer)?;
            statement::close(conn, resale, StatementKind::Resale)?;
            issued += 1;
        }
        let users = User::of_partner(conn, reseller)?;
        self.tell(conn, id, users, "/reseller/statements")?;
        Ok(issued)
    }

    /// A direct customer's statement; how many (0 or 1).
    fn direct(&self, conn: &mut DbConnection, customer: i64) -> Result<u64, DbError> {
        let currency = statement::unbilled_currency(conn, self.provider, None, Some(customer))?;
        let Some(currency) = currency else {
            return Ok(0);
        };
        let id = self.new_statement(
            conn,
            StatementKind::Customer,
            (None, Some(customer)),
            &currency,
        )?;
        if statement::bill_orders(conn, id, self.provider, (None, Some(customer)), self.period.1)? == 0 {
            statement::discard(conn, id)?;
            return Ok(0);
        }
        statement::close(conn, id, StatementKind::Customer)?;
        let users = User::of_customer(conn, customer)?;
        self.tell(conn, id, users, "/my/statements")?;
        Ok(1)
    }

    /// Emails the statement's readers (each in their language), and logs the issue.
    fn tell(
        &self,
        conn: &mut DbConnection,
        id: i64,
        users: Vec<User>,
        path: &str,
    ) -> Result<(), DbError> {
        let st = statement::find(conn, id)?;
        let provider = Partner::find(conn, self.provider)?.name;
        let base_url = self.base_url.as_deref();
        for to in users.into_iter().filter(|_| base_url.is_some()) {
            let tr = Tr(to.locale.unwrap_or_default());
            let message = StatementIssued {
                name: to.display_name.clone(),
                provider: provider.clone(),
                reference: st.reference(),
                month: tr.month(&st.month),
                total: tr.money(st.total_minor, &st.currency),
                due: tr.date(&st.due_at),
                url: format!("{}{path}/{id}", base_url.unwrap_or_default()),
                tr,
            };
            email::queue(conn, &to.email, &message)?;
        }
        NewActivity::new("statement.issued", "statement", Some(id))
            .provider(Some(self.provider))
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
            .at(self.now)
            .record(conn)?;
        Ok(())
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
