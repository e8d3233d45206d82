//! The new customer wizard's draft: what was typed lives server-side, owned by the user who started
//! it, so Back, Forward and reloads lose nothing. Submit re-checks the whole draft against the database
//! and places the order in the same transaction that marks the draft submitted, so a second submit
//! (double click, reload, another tab) finds it done. The temporary password is sealed on the draft
//! until Confirmation shows it once; after that it exists nowhere.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{
    Account, AccountFields, Choices, Line, NewCustomerOrder, PlaceError, check_account, check_lines,
};
use crate::auth::password;
use crate::auth::seal::{open, seal};
use crate::db::models::customer::Customer;
use crate::db::models::draft::Draft;
use crate::db::models::offer::{Offer, OfferPrice};
use crate::db::{Db, DbConnection, DbError};
use crate::domain::form::FormErrors;
use crate::domain::{DomainPrefix, DraftKind, DraftStatus, ProviderId};
use crate::services::pricing::PriceBook;

/// How long an unfinished wizard is kept.
pub fn ttl() -> chrono::Duration {
    chrono::Duration::hours(24)
}

/// Everything the wizard holds.
#[derive(Serialize, Deserialize, Default, Clone, Debug)]
pub struct WizardData {
    pub account: AccountFields,
    /// The account step passed its checks.
    pub account_done: bool,
    /// Licenses per offer id, as typed.
    pub quantities: BTreeMap<i64, String>,
    /// The plan chosen per offer id (`P1Y:annual`).
    #[serde(default)]
    pub plans: BTreeMap<i64, String>,
    /// Offers whose Auto-renew was unchecked.
    #[serde(default)]
    pub no_auto_renew: BTreeSet<i64>,
    /// Offers whose end is aligned with a calendar month's end.
    #[serde(default)]
    pub month_end: BTreeSet<i64>,
    pub lines_done: bool,
}

impl WizardData {
    /// The reseller chosen on the account step (checked again at Submit).
    pub fn reseller_id(&self) -> Option<i64> {
        self.account.reseller.trim().parse().ok()
    }

    /// The subscriptions step as it was last sent.
    pub fn lines_input(&self) -> LinesInput {
        LinesInput {
            quantities: self.quantities.clone(),
            plans: self.plans.clone(),
            no_auto_renew: self.no_auto_renew.clone(),
            month_end: self.month_end.clone(),
        }
    }

    pub fn choices(&self) -> Choices<'_> {
        Choices {
            quantities: &self.quantities,
            plans: &self.plans,
            no_auto_renew: &self.no_auto_renew,
            month_end: &self.month_end,
        }
    }
}

/// The subscriptions step as sent.
#[derive(Clone, Debug, Default)]
pub struct LinesInput {
    pub quantities: BTreeMap<i64, String>,
    pub plans: BTreeMap<i64, String>,
    pub no_auto_renew: BTreeSet<i64>,
    pub month_end: BTreeSet<i64>,
}

impl WizardData {
    pub fn of(draft: &Draft) -> WizardData {
        serde_json::from_str(&draft.data).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WizardError {
    /// No such draft of this user's.
    #[error("no such draft")]
    NotFound,
    #[error("the draft has expired")]
    Expired,
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(WizardError);

/// One of this user's drafts, with what it holds.
pub async fn load(db: &Db, user_id: i64, id: i64) -> Result<(Draft, WizardData), WizardError> {
    let draft = db
        .query(move |conn| Draft::find_for_user(conn, id, user_id, DraftKind::NewCustomer))
        .await
        .map_err(|e| match e {
            DbError::NotFound => WizardError::NotFound,
            other => WizardError::Db(other),
        })?;
    if draft.is_expired() {
        return Err(WizardError::Expired);
    }
    let data = WizardData::of(&draft);
    Ok((draft, data))
}

/// Checks the account step (see `check_account`) on a read connection.
pub async fn check(
    db: &Db,
    provider: ProviderId,
    fields: AccountFields,
) -> Result<(FormErrors, Option<Account>), DbError> {
    db.read(move |conn| check_account(conn, provider, &fields))
        .await
}

/// The account step's first Next: a draft is made once the account info passes. The errors when it
/// does not.
pub async fn start(
    db: &Db,
    provider: ProviderId,
    user_id: i64,
    fields: AccountFields,
) -> Result<Result<i64, FormErrors>, DbError> {
    let (errors, account) = check(db, provider, fields.clone()).await?;
    if account.is_none() {
        return Ok(Err(errors));
    }
    let json = WizardData {
        account: fields,
        account_done: true,
        ..WizardData::default()
    }
    .to_json();
    let id = db
        .execute(move |conn| {
            Draft::create(
                conn,
                DraftKind::NewCustomer,
                user_id,
                provider.get(),
                &json,
                ttl(),
            )
        })
        .await?;
    Ok(Ok(id))
}

/// Saves an edited account step; what was typed is kept either way. The errors when it does not pass.
pub async fn save_account(
    db: &Db,
    provider: ProviderId,
    draft: &Draft,
    mut data: WizardData,
    fields: AccountFields,
) -> Result<FormErrors, DbError> {
    let (errors, account) = check(db, provider, fields.clone()).await?;
    data.account = fields;
    data.account_done = account.is_some();
    save(db, draft.id, &data).await?;
    Ok(errors)
}

/// Saves the licenses typed per offer; the errors when they do not pass (what was typed is kept).
pub async fn save_lines(
    db: &Db,
    draft: &Draft,
    mut data: WizardData,
    input: LinesInput,
    malformed: bool,
) -> Result<FormErrors, DbError> {
    // Only whether each line can be ordered so: the prices are the Review's.
    let (offers, prices) = db
        .query(|conn| {
            let offers = Offer::orderable(conn)?;
            let ids: Vec<i64> = offers.iter().map(|o| o.id).collect();
            let prices = Offer::prices_of(conn, &ids)?;
            Ok::<_, diesel::result::Error>((offers, prices))
        })
        .await?;
    data.quantities = input.quantities;
    data.plans = input.plans;
    data.no_auto_renew = input.no_auto_renew;
    data.month_end = input.month_end;
    let (mut errors, _) = check_lines(&offers, &prices, data.choices());
    if malformed {
        errors.add("lines", "wizard.offer_not_orderable");
    }
    data.lines_done = errors.is_empty();
    save(db, draft.id, &data).await?;
    Ok(errors)
}

/// The offers that can be ordered with their plans, priced for `reseller`'s customers (or the
/// provider's direct customers) at `now`: the subscriptions step's table.
pub fn catalog(
    conn: &mut DbConnection,
    provider: ProviderId,
    reseller: Option<i64>,
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<(Vec<Offer>, Vec<OfferPrice>)> {
    let offers = Offer::orderable(conn)?;
    let ids: Vec<i64> = offers.iter().map(|o| o.id).collect();
    let mut prices = Offer::prices_of(conn, &ids)?;
    PriceBook::load(conn, provider.get(), reseller)?.price_plans(&mut prices, now);
    Ok((offers, prices))
}

async fn save(db: &Db, id: i64, data: &WizardData) -> Result<(), DbError> {
    let json = data.to_json();
    db.execute(move |conn| Draft::save(conn, id, &json)).await?;
    Ok(())
}

/// The whole draft, checked again against the database now: the account and the lines, or the first
/// problem found (a message key).
pub struct Checked {
    pub account: Account,
    pub lines: Vec<Line>,
}

pub fn check_draft(
    conn: &mut DbConnection,
    provider: ProviderId,
    data: &WizardData,
    now: chrono::NaiveDateTime,
) -> Result<Result<Checked, &'static str>, DbError> {
    let (errors, account) = check_account(conn, provider, &data.account)?;
    let Some(account) = account else {
        let key = if errors.has("reseller") {
            "wizard.problem.reseller"
        } else if errors.has("domain_prefix") {
            "wizard.problem.domain"
        } else {
            "wizard.problem.account"
        };
        return Ok(Err(key));
    };
    let ids: Vec<i64> = data.quantities.keys().copied().collect();
    let offers = Offer::orderable_by_ids(conn, &ids)?;
    let mut prices = Offer::prices_of(conn, &ids)?;
    let reseller = account.reseller.as_ref().map(|(id, _)| *id);
    PriceBook::load(conn, provider.get(), reseller)?.price_plans(&mut prices, now);
    let (errors, lines) = check_lines(&offers, &prices, data.choices());
    if !errors.is_empty() {
        return Ok(Err("wizard.problem.lines"));
    }
    Ok(Ok(Checked { account, lines }))
}

/// The draft re-checked for the Review page.
pub async fn review(
    db: &Db,
    provider: ProviderId,
    data: WizardData,
    now: chrono::NaiveDateTime,
) -> Result<Result<Checked, &'static str>, DbError> {
    db.read(move |conn| check_draft(conn, provider, &data, now))
        .await
}

pub struct Submit {
    pub provider: ProviderId,
    pub provider_name: String,
    pub user_id: i64,
    pub suffix: String,
    pub draft_id: i64,
    /// The server's key, to seal the temporary password for Confirmation.
    pub key: actix_web::cookie::Key,
    /// Now, by the injected clock.
    pub now: chrono::NaiveDateTime,
    /// Where the emails' links start.
    pub base_url: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Submitted {
    Done,
    /// The draft was submitted before (double click, reload, another tab).
    Already,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Something changed since the Review was shown; the message key says what.
    #[error("the draft cannot be submitted ({0})")]
    Problem(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(SubmitError);

impl From<PlaceError> for SubmitError {
    fn from(err: PlaceError) -> Self {
        match err {
            PlaceError::DomainTaken => Self::Problem("wizard.problem.domain"),
            PlaceError::Db(err) => Self::Db(err),
        }
    }
}

fn secret_name(draft_id: i64) -> String {
    format!("temp_password:{draft_id}")
}

/// Check availability: the domain prefix as it would be kept and whether no customer has it, or the
/// message for a malformed one.
pub async fn domain_available(
    db: &Db,
    raw: &str,
) -> Result<Result<(bool, String), &'static str>, DbError> {
    let prefix = match DomainPrefix::parse(raw) {
        Ok(prefix) => prefix,
        Err(key) => return Ok(Err(key)),
    };
    let taken = db
        .query({
            let prefix = prefix.as_str().to_owned();
            move |conn| Customer::domain_taken(conn, &prefix)
        })
        .await?;
    Ok(Ok((!taken, prefix.as_str().to_owned())))
}

/// Submit: marks the draft submitted and places the order, in one transaction, once.
pub async fn submit(db: &Db, cmd: Submit, data: WizardData) -> Result<Submitted, SubmitError> {
    // The password is made and hashed (light settings: see `password::temporary_hasher`) before the
    // transaction, so the write lock is not held for it.
    let (temporary, hash) = password::temporary_with_hash().map_err(DbError::Failed)?;
    let sealed = seal(&cmd.key, &secret_name(cmd.draft_id), &temporary).map_err(DbError::Failed)?;
    drop(temporary);
    db.write(move |conn| {
        if !Draft::mark_submitted(conn, cmd.draft_id)? {
            return Ok(Submitted::Already);
        }
        // A problem rolls back, so the draft stays open.
        let checked =
            check_draft(conn, cmd.provider, &data, cmd.now)?.map_err(SubmitError::Problem)?;
        super::place(
            conn,
            &NewCustomerOrder {
                provider: cmd.provider,
                provider_name: &cmd.provider_name,
                placed_by: cmd.user_id,
                suffix: &cmd.suffix,
                account: &checked.account,
                lines: &checked.lines,
                admin_hash: &hash,
                draft: Some((cmd.draft_id, &sealed)),
                idempotency_key: None,
                now: cmd.now,
                base_url: &cmd.base_url,
            },
        )?;
        Ok(Submitted::Done)
    })
    .await
}

/// Cancel: the whole draft is dropped and nothing is written.
pub async fn cancel(db: &Db, draft_id: i64) -> Result<(), DbError> {
    db.execute(move |conn| Draft::cancel(conn, draft_id))
        .await?;
    Ok(())
}

/// What Confirmation shows: the customer made, the temporary password the first time only, and
/// whether the order waits for the provider's review (the reseller's credit).
pub async fn confirmation(
    db: &Db,
    key: &actix_web::cookie::Key,
    draft: &Draft,
) -> Result<(Customer, Option<String>, bool), DbError> {
    let id = draft.id;
    let customer_id = draft.result_id.ok_or(DbError::NotFound)?;
    let (sealed, customer, held) = db
        .execute(move |conn| {
            let held =
                crate::db::models::order::Order::by_idempotency_key(conn, &format!("draft:{id}"))?
                    .is_some_and(|o| o.is_pending());
            Ok((
                Draft::take_secret(conn, id)?,
                Customer::find(conn, customer_id)?,
                held,
            ))
        })
        .await?;
    let password = sealed.and_then(|s| open(key, &secret_name(id), &s));
    Ok((customer, password, held))
}

/// Where a draft that is no longer open sends the user, as a step of the wizard: `Some("confirmation")`
/// for a submitted one, `None` (the start) for a cancelled one; `Ok` for an open one.
pub fn closed(draft: &Draft) -> Result<(), Option<&'static str>> {
    match draft.status {
        DraftStatus::Open => Ok(()),
        DraftStatus::Submitted => Err(Some("confirmation")),
        DraftStatus::Cancelled => Err(None),
    }
}
