//! Delegated-administration grants (SPEC.md §2.13): a provider asks its customer's admin, by a personal
//! approval link, to give roles to itself or to one of its resellers for a number of days; the admin
//! approves or declines; the customer, the provider or the grantee can end a grant at once; the job
//! lapses unanswered requests, extends Auto-extend grants, expires the rest and sends the reminders 30
//! and 7 days before and at expiry — each exactly once, however many instances run it. Every step is
//! logged; the times are the injected clock's.

use chrono::{Duration, NaiveDateTime};

use crate::db::models::activity::NewActivity;
use crate::db::models::customer::{Customer, ProviderCustomer};
use crate::db::models::grant::{
    EXTEND_DAYS, Grant, GrantRow, GrantState, MAX_DAYS, NewGrant, REQUEST_DAYS, Roles,
};
use crate::db::models::partner::Partner;
use crate::db::models::partnership::Partnership;
use crate::db::models::relationship_request::RelationshipRequest;
use crate::db::models::user::User;
use crate::db::models::webhook::Delivery;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::form::FormErrors;
use crate::domain::token::new_token;
use crate::domain::{CustomerId, GrantStatus, ProviderId, RequestKind, RequestStatus};
use crate::email::{self, messages::AccountLink, messages::AccountNotice};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::services::link_request::{self, NewLink, Unusable, by_token};

/// A request as the form has it.
#[derive(Clone, Debug)]
pub struct GrantForm {
    /// A reseller's id, or none for the provider itself.
    pub holder: Option<i64>,
    pub roles: Roles,
    pub days: String,
    pub auto_extend: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error("not found")]
    NotFound,
    /// The form's fields, each with its message; nothing was written.
    #[error("invalid")]
    Invalid(FormErrors),
    #[error(transparent)]
    Unusable(#[from] Unusable),
    /// Signed in as a customer that is not the one asked.
    #[error("another customer's request")]
    WrongCustomer,
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(GrantError);

impl From<GrantError> for AppError {
    fn from(err: GrantError) -> Self {
        match err {
            GrantError::NotFound => AppError::NotFound,
            GrantError::Invalid(_) => AppError::Unprocessable("validation.summary"),
            GrantError::Unusable(why) => why.into(),
            GrantError::WrongCustomer => AppError::Forbidden("errors.grant.wrong_customer"),
            GrantError::Db(err) => err.into(),
        }
    }
}

fn lookup(err: diesel::result::Error) -> GrantError {
    match DbError::from(err) {
        DbError::NotFound => GrantError::NotFound,
        other => GrantError::Db(other),
    }
}

/// The form checked: holder (partnered with the provider, or the provider), roles, days.
fn check(
    conn: &mut DbConnection,
    provider: ProviderId,
    form: &GrantForm,
) -> Result<(i64, i32), GrantError> {
    let mut errors = FormErrors::new();
    let holder = match form.holder {
        None => provider.get(),
        Some(r) if Partnership::active(conn, provider.get(), r)?.is_some() => r,
        Some(_) => {
            errors.add("holder", "wizard.reseller_not_partnered");
            0
        }
    };
    if form.roles.is_empty() {
        errors.add("roles", "grants.roles_required");
    }
    let days = match form.days.trim().parse::<i32>() {
        Ok(d) if (1..=MAX_DAYS).contains(&d) => d,
        _ => {
            errors.add("days", "grants.days_range");
            0
        }
    };
    if !errors.is_empty() {
        return Err(GrantError::Invalid(errors));
    }
    Ok((holder, days))
}

pub struct RequestGrant {
    pub provider: ProviderId,
    pub user_id: i64,
    pub customer_id: i64,
    pub form: GrantForm,
    pub now: NaiveDateTime,
}

/// Request a grant: a pending grant and its approval link (the request, and the token, the only time it
/// exists in clear). The provider's draft page sends it.
pub async fn request(
    db: &Db,
    cmd: RequestGrant,
) -> Result<(RelationshipRequest, String), GrantError> {
    let token = new_token().map_err(|e| DbError::Failed(e.into()))?;
    db.write(move |conn| {
        ProviderCustomer::find(conn, cmd.provider, cmd.customer_id).map_err(lookup)?;
        let (holder, days) = check(conn, cmd.provider, &cmd.form)?;
        let (_, request) = request_in(
            conn,
            NewGrant {
                provider_id: cmd.provider.get(),
                customer_id: cmd.customer_id,
                holder_id: holder,
                roles: cmd.form.roles,
                days,
                auto_extend: cmd.form.auto_extend,
                requested_by: Some(cmd.user_id),
                active: false,
                now: cmd.now,
            },
            &token,
        )?;
        Ok((request, token))
    })
    .await
}

/// Writes a pending grant and its approval link for `token`, with the activity entry.
fn request_in(
    conn: &mut DbConnection,
    new: NewGrant,
    token: &str,
) -> Result<(Grant, RelationshipRequest), DbError> {
    let grant = Grant::create(conn, &new)?;
    let user_id = new.requested_by.unwrap_or_default();
    #[expect(
        clippy::disallowed_methods,
        reason = "the provider of a grant its member just asked for"
    )]
    let provider = ProviderId::established(new.provider_id);
    let request = link_request::create_in(
        conn,
        &NewLink {
            kind: RequestKind::GrantRequest,
            provider,
            user_id,
            ttl: Duration::days(REQUEST_DAYS),
            reseller_id: (new.holder_id != new.provider_id).then_some(new.holder_id),
            include_delegated_admin: false,
            grant_id: Some(grant.id),
            draft: false,
        },
        token,
    )?;
    log(
        conn,
        &grant,
        "grant.requested",
        Some(user_id),
        Some(new.provider_id),
    )
    .change(None, Some(describe(&grant)))
    .record(conn)?;
    Ok((grant, request))
}

/// "subscription_admin, support; 90 days, auto-extend", for the activity log.
fn describe(grant: &Grant) -> String {
    format!(
        "{}; {} days{}",
        grant.roles().describe(),
        grant.days,
        if grant.auto_extend {
            ", auto-extend"
        } else {
            ""
        }
    )
}

fn log(
    _conn: &mut DbConnection,
    grant: &Grant,
    action: &'static str,
    user_id: Option<i64>,
    partner_id: Option<i64>,
) -> NewActivity {
    let entry = NewActivity::new(action, "grant", Some(grant.id))
        .provider(Some(grant.provider_id))
        .reseller((grant.holder_id != grant.provider_id).then_some(grant.holder_id))
        .customer(Some(grant.customer_id));
    match user_id {
        Some(u) => entry.by(u, partner_id),
        None => entry,
    }
}

/// What associating a reseller with a customer asks of the customer: the grant of today's delegated
/// rights (subscription administrator, license reader, support) for two years. `agreed`: the provider
/// states that the customer agreed, and the grant is active at once (logged as such); otherwise the
/// customer's contact gets an approval link by email.
pub struct ForReseller {
    pub provider: ProviderId,
    pub provider_name: String,
    pub user_id: i64,
    pub customer_id: i64,
    pub reseller_id: i64,
    pub agreed: bool,
    pub now: NaiveDateTime,
    pub base_url: String,
}

pub fn for_reseller_in(conn: &mut DbConnection, cmd: &ForReseller) -> Result<Grant, DbError> {
    let new = NewGrant {
        provider_id: cmd.provider.get(),
        customer_id: cmd.customer_id,
        holder_id: cmd.reseller_id,
        roles: Roles::DELEGATED,
        days: MAX_DAYS,
        auto_extend: false,
        requested_by: Some(cmd.user_id),
        active: cmd.agreed,
        now: cmd.now,
    };
    if cmd.agreed {
        let grant = Grant::create(conn, &new)?;
        log(
            conn,
            &grant,
            "grant.asserted",
            Some(cmd.user_id),
            Some(cmd.provider.get()),
        )
        .change(None, Some(describe(&grant)))
        .record(conn)?;
        return Ok(grant);
    }
    let token = new_token().map_err(|e| DbError::Failed(e.into()))?;
    let (grant, _) = request_in(conn, new, &token)?;
    let customer = Customer::find(conn, cmd.customer_id)?;
    let reseller = Partner::find(conn, cmd.reseller_id)?.name;
    let tr = Tr(customer.language);
    let link = format!(
        "{}{}{token}",
        cmd.base_url,
        link_request::accept_path(RequestKind::GrantRequest)
    );
    let message = AccountLink(AccountNotice {
        tr,
        name: format!(
            "{} {}",
            customer.contact_first_name, customer.contact_last_name
        ),
        subject: tr.t1(
            "email.grant_request.subject",
            "provider",
            &cmd.provider_name,
        ),
        paragraphs: vec![
            tr.t2(
                "email.grant_request.body",
                "provider",
                &cmd.provider_name,
                "holder",
                &reseller,
            ),
            roles_sentence(tr, &grant),
        ],
        link: Some(link),
    });
    email::queue(conn, &customer.contact_email, &message)?;
    Ok(grant)
}

/// "Roles: Subscription administrator, Support. For 730 days."
fn roles_sentence(tr: Tr, grant: &Grant) -> String {
    let roles: Vec<&str> = grant
        .roles()
        .list()
        .iter()
        .map(|r| tr.t(r.label_key()))
        .collect();
    tr.t2(
        "grants.roles_for_days",
        "roles",
        roles.join(", "),
        "days",
        grant.days.to_string(),
    )
}

/// What the approval page shows.
pub struct Asked {
    pub grant: Grant,
    pub provider_name: String,
    pub holder_name: String,
    pub customer_name: String,
}

/// The request behind a token, for the customer signed in (`None` when nobody is): its own only.
pub async fn asked(
    db: &Db,
    token: String,
    customer: Option<CustomerId>,
) -> Result<Asked, GrantError> {
    db.read(move |conn| {
        let (_, grant) = load(conn, &token, customer)?;
        Ok(Asked {
            provider_name: Partner::find(conn, grant.provider_id)?.name,
            holder_name: Partner::find(conn, grant.holder_id)?.name,
            customer_name: Customer::find(conn, grant.customer_id)?.company_name,
            grant,
        })
    })
    .await
}

fn load(
    conn: &mut DbConnection,
    token: &str,
    customer: Option<CustomerId>,
) -> Result<(RelationshipRequest, Grant), GrantError> {
    let request = by_token(conn, RequestKind::GrantRequest, token)??;
    let grant_id = request.grant_id.ok_or(GrantError::NotFound)?;
    let grant = Grant::find(conn, grant_id).map_err(lookup)?;
    if customer.is_some_and(|c| c.get() != grant.customer_id) {
        return Err(GrantError::WrongCustomer);
    }
    Ok((request, grant))
}

pub struct Answer {
    pub token: String,
    pub customer: CustomerId,
    pub user_id: i64,
    pub approve: bool,
    pub now: NaiveDateTime,
    pub base_url: String,
}

/// Approve or Decline; exactly one answer counts. The grant as it now stands.
pub async fn answer(db: &Db, cmd: Answer) -> Result<Grant, GrantError> {
    db.write(move |conn| {
        let (request, grant) = load(conn, &cmd.token, Some(cmd.customer))?;
        // A request past its 90 days lapses even before the job says so.
        if grant.state(cmd.now) != GrantState::PendingApproval {
            return Err(GrantError::Unusable(Unusable::Expired));
        }
        let status = if cmd.approve {
            RequestStatus::Accepted
        } else {
            RequestStatus::Declined
        };
        if !RelationshipRequest::respond(conn, request.id, status, Some(cmd.user_id), None)? {
            return Err(GrantError::Unusable(Unusable::Used));
        }
        let done = if cmd.approve {
            Grant::approve(conn, &grant, cmd.user_id, cmd.now)?
        } else {
            Grant::finish(
                conn,
                grant.id,
                &[GrantStatus::Pending],
                GrantStatus::Declined,
                Some(cmd.user_id),
                cmd.now,
            )?
        };
        if !done {
            return Err(GrantError::Unusable(Unusable::Used));
        }
        let grant = Grant::find(conn, grant.id)?;
        let action = if cmd.approve {
            "grant.approved"
        } else {
            "grant.declined"
        };
        log(conn, &grant, action, Some(cmd.user_id), None)
            .change(
                Some("pending".into()),
                Some(grant.status.as_str().to_owned()),
            )
            .record(conn)?;
        let key = if cmd.approve {
            "email.grant_approved.body"
        } else {
            "email.grant_declined.body"
        };
        notify(conn, &grant, key, &cmd.base_url)?;
        Ok(grant)
    })
    .await
}

/// Who ends a grant.
#[derive(Clone, Copy, Debug)]
pub enum Side {
    Customer(CustomerId),
    /// The provider (or the reseller holding it): its own partner id.
    Partner(i64),
}

pub struct EndGrant {
    pub grant_id: i64,
    pub side: Side,
    pub user_id: i64,
    pub now: NaiveDateTime,
    pub base_url: String,
}

/// End grant, at once; false when it was not pending or active any more. Someone with no side in it
/// finds nothing.
pub async fn end(db: &Db, cmd: EndGrant) -> Result<bool, GrantError> {
    db.write(move |conn| {
        let grant = Grant::find(conn, cmd.grant_id).map_err(lookup)?;
        let (concerned, partner) = match cmd.side {
            Side::Customer(c) => (c.get() == grant.customer_id, None),
            Side::Partner(p) => (p == grant.provider_id || p == grant.holder_id, Some(p)),
        };
        if !concerned {
            return Err(GrantError::NotFound);
        }
        if !end_in(conn, &grant, Some(cmd.user_id), partner, cmd.now)? {
            return Ok(false);
        }
        notify(conn, &grant, "email.grant_ended.body", &cmd.base_url)?;
        Ok(true)
    })
    .await
}

/// Ends a pending or active grant, logged; false when it was neither.
fn end_in(
    conn: &mut DbConnection,
    grant: &Grant,
    user_id: Option<i64>,
    partner: Option<i64>,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let from = grant.status;
    if !Grant::finish(
        conn,
        grant.id,
        &[GrantStatus::Pending, GrantStatus::Active],
        GrantStatus::Ended,
        user_id,
        now,
    )? {
        return Ok(false);
    }
    // A pending request's link stops working with it.
    RelationshipRequest::revoke_for_grant(conn, grant.id)?;
    log(conn, grant, "grant.ended", user_id, partner)
        .change(Some(from.as_str().to_owned()), Some("ended".into()))
        .record(conn)?;
    Ok(true)
}

/// Ends the open grants the provider gave `holder` (on one customer, or on all: the partnership ended,
/// or the reseller is no longer associated). Returns how many.
pub fn end_held_in(
    conn: &mut DbConnection,
    provider: ProviderId,
    holder: i64,
    customer: Option<i64>,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    let mut ended = 0;
    for grant in Grant::open_held(conn, provider.get(), holder, customer)? {
        if end_in(conn, &grant, Some(user_id), Some(provider.get()), now)? {
            ended += 1;
        }
    }
    Ok(ended)
}

/// Emails the people a grant concerns — the customer's contact, the provider's members and the
/// grantee's — each in their language: `body_key` takes the provider, the holder, the customer and the
/// expiry date.
fn notify(
    conn: &mut DbConnection,
    grant: &Grant,
    body_key: &'static str,
    base_url: &str,
) -> Result<(), DbError> {
    let provider = Partner::find(conn, grant.provider_id)?.name;
    let holder = Partner::find(conn, grant.holder_id)?.name;
    let customer = Customer::find(conn, grant.customer_id)?;
    let write = |tr: Tr, name: String, link: String| AccountNotice {
        tr,
        name,
        subject: tr.t1("email.grant.subject", "customer", &customer.company_name),
        paragraphs: vec![
            crate::i18n::t_args(
                tr.locale(),
                body_key,
                &[
                    ("provider", &provider),
                    ("holder", &holder),
                    ("customer", &customer.company_name),
                    ("expires", &tr.date(&grant.expires_at)),
                ],
            ),
            roles_sentence(tr, grant),
        ],
        link: Some(link),
    };
    let contact = write(
        Tr(customer.language),
        format!(
            "{} {}",
            customer.contact_first_name, customer.contact_last_name
        ),
        format!("{base_url}/my/subscriptions#grants"),
    );
    email::queue(conn, &customer.contact_email, &contact)?;
    let mut partners = vec![grant.provider_id];
    if grant.holder_id != grant.provider_id {
        partners.push(grant.holder_id);
    }
    for partner in partners {
        let link = if partner == grant.provider_id {
            format!("{base_url}/customers/{}#grants", grant.customer_id)
        } else {
            format!("{base_url}/reseller/grants")
        };
        // Those who manage customers (admins and sales agents).
        for to in User::of_partner_who_may(conn, partner, crate::domain::Need::Sell)? {
            let message = write(
                Tr(to.locale.unwrap_or_default()),
                to.display_name.clone(),
                link.clone(),
            );
            email::queue(conn, &to.email, &message)?;
        }
    }
    Ok(())
}

/// What the job did to grants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub lapsed: u64,
    pub extended: u64,
    pub expired: u64,
    pub reminders: u64,
}

/// The reminder stage a grant has reached at `now`: 1 within 30 days, 2 within 7, 3 at expiry.
fn stage(grant: &Grant, now: NaiveDateTime) -> i32 {
    if grant.expires_at <= now {
        3
    } else if grant.expires_at <= now + Duration::days(7) {
        2
    } else if grant.expires_at <= now + Duration::days(30) {
        1
    } else {
        0
    }
}

/// The job's part: lapse, extend, remind, expire — in batches, each step conditional on the row as
/// read, so that two instances running at once do each thing once.
pub async fn run_due(db: &Db, now: NaiveDateTime, base_url: &str) -> Result<Report, DbError> {
    let mut report = Report::default();
    loop {
        let base_url = base_url.to_owned();
        let (batch, done) = db
            .write(move |conn| {
                let due = Grant::due(conn, now, 200)?;
                let mut batch = Report::default();
                for grant in &due {
                    step(conn, grant, now, &base_url, &mut batch)?;
                }
                Ok::<_, DbError>((batch, due.len() < 200))
            })
            .await?;
        report.lapsed += batch.lapsed;
        report.extended += batch.extended;
        report.expired += batch.expired;
        report.reminders += batch.reminders;
        if done || batch == Report::default() {
            return Ok(report);
        }
    }
}

fn step(
    conn: &mut DbConnection,
    grant: &Grant,
    now: NaiveDateTime,
    base_url: &str,
    report: &mut Report,
) -> Result<(), DbError> {
    match grant.status {
        GrantStatus::Pending if grant.expires_at <= now => {
            let lapsed = Grant::finish(
                conn,
                grant.id,
                &[GrantStatus::Pending],
                GrantStatus::Lapsed,
                None,
                now,
            )?;
            if lapsed {
                log(conn, grant, "grant.lapsed", None, None)
                    .change(Some("pending".into()), Some("lapsed".into()))
                    .record(conn)?;
                report.lapsed += 1;
            }
        }
        GrantStatus::Active if grant.auto_extend => {
            if grant.expires_at > now {
                return Ok(());
            }
            let mut until = grant.expires_at;
            while until <= now {
                until += Duration::days(EXTEND_DAYS);
            }
            if Grant::extend(conn, grant.id, grant.expires_at, until)? {
                let extended = Grant {
                    expires_at: until,
                    ..grant.clone()
                };
                log(conn, grant, "grant.extended", None, None)
                    .change(
                        Some(grant.expires_at.date().to_string()),
                        Some(until.date().to_string()),
                    )
                    .record(conn)?;
                notify(conn, &extended, "email.grant_extended.body", base_url)?;
                report.extended += 1;
            }
        }
        GrantStatus::Active => {
            let reached = stage(grant, now);
            if reached <= grant.reminded {
                return Ok(());
            }
            if !Grant::mark_reminded(conn, grant.id, grant.reminded, reached)? {
                return Ok(());
            }
            if reached == 3 {
                if Grant::finish(
                    conn,
                    grant.id,
                    &[GrantStatus::Active],
                    GrantStatus::Expired,
                    None,
                    now,
                )? {
                    log(conn, grant, "grant.expired", None, None)
                        .change(Some("active".into()), Some("expired".into()))
                        .record(conn)?;
                    notify(conn, grant, "email.grant_expired.body", base_url)?;
                    report.expired += 1;
                }
            } else {
                notify(conn, grant, "email.grant_expiring.body", base_url)?;
                let mut partners = vec![grant.provider_id, grant.holder_id];
                partners.dedup();
                Delivery::enqueue(
                    conn,
                    &partners,
                    "grant.expiring",
                    &serde_json::json!({
                        "grant_id": grant.id.to_string(),
                        "customer_id": grant.customer_id.to_string(),
                        "provider_id": grant.provider_id.to_string(),
                        "holder_id": grant.holder_id.to_string(),
                        "expires_at": grant.expires_at.and_utc().to_rfc3339(),
                    }),
                )?;
                report.reminders += 1;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The grants on a customer of the provider, for its customer page.
pub fn of_customer(
    conn: &mut DbConnection,
    provider: ProviderId,
    customer_id: i64,
) -> Result<Vec<GrantRow>, DbError> {
    Ok(Grant::for_customer(
        conn,
        customer_id,
        Some(provider.get()),
    )?)
}
