//! Step 3, Review, then Submit or Cancel, and step 4, Confirmation. Submit writes everything in one
//! transaction, once: customer, relationship, admin user with a temporary password (hashed), order and
//! lines, subscriptions, counters, activity log, outbox. The temporary password is sealed on the draft
//! until Confirmation shows it once; after that it exists nowhere.

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{
    AccountForm, CheckedAccount, Line, NewCustomerOrder, WizardData, check_account, check_lines,
    closed_destination, load, step_path, write_new_customer,
};
use crate::auth::seal::{open, seal};
use crate::auth::session::FlashKind;
use crate::auth::{AppSession, ProviderId, ProviderStaff, Signed, password};
use crate::db::DbConnection;
use crate::db::models::customer::Customer;
use crate::db::models::draft::{self, Draft};
use crate::db::models::offer::Offer;
use crate::error::{AppError, AppResult};
use crate::routes::enroll::is_unique_violation;
use crate::routes::see_other;
use crate::startup::AppState;
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "customers/wizard/review.html")]
pub struct ReviewPage {
    pub ctx: Ctx,
    pub draft_id: i64,
    pub account: AccountForm,
    pub reseller_name: Option<String>,
    pub domain: String,
    pub admin_user: String,
    pub lines: Vec<Line>,
    pub total_minor: i64,
    pub currency: String,
    /// A problem found on the way (the reseller is no longer a partner, the domain was taken...).
    pub problem: Option<&'static str>,
}

impl ReviewPage {
    pub fn step(&self) -> u8 {
        3
    }
}

/// Everything the review shows, checked again against the database now.
struct Checked {
    account: CheckedAccount,
    lines: Vec<Line>,
}

/// Re-checks the whole draft; the first problem found is returned as a message key.
fn check_draft(
    conn: &mut DbConnection,
    provider: ProviderId,
    data: &WizardData,
) -> Result<Result<Checked, &'static str>, AppError> {
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
    let (errors, lines) = check_lines(&offers, &data.quantities);
    if !errors.is_empty() {
        return Ok(Err("wizard.problem.lines"));
    }
    Ok(Ok(Checked { account, lines }))
}

async fn render_review(
    req: &HttpRequest,
    state: &AppState,
    provider: ProviderId,
    draft_id: i64,
    data: WizardData,
    problem: Option<&'static str>,
) -> AppResult<HttpResponse> {
    let for_check = data.clone();
    let checked = state
        .db
        .read(move |conn| check_draft(conn, provider, &for_check))
        .await?;
    let suffix = &state.config.tenant_domain_suffix;
    let domain_prefix = data.account.domain_prefix.trim().to_ascii_lowercase();
    let (reseller_name, lines, problem) = match checked {
        Ok(c) => (c.account.reseller.map(|(_, n)| n), c.lines, problem),
        Err(key) => (None, Vec::new(), problem.or(Some(key))),
    };
    let total_minor = lines.iter().map(Line::total_minor).sum();
    let currency = lines
        .first()
        .map_or_else(|| "USD".to_owned(), |l| l.offer.currency.clone());
    let page = ReviewPage {
        ctx: Ctx::build(req).await?,
        draft_id,
        domain: format!("{domain_prefix}.{suffix}"),
        admin_user: format!("admin@{domain_prefix}.{suffix}"),
        account: data.account,
        reseller_name,
        lines,
        total_minor,
        currency,
        problem,
    };
    let has_errors = page.problem.is_some();
    Ok(crate::routes::form_page(req, page, has_errors))
}

pub async fn review(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (draft, data) = load(&state, user.id, path.into_inner()).await?;
    if let Some(to) = closed_destination(&draft) {
        return Ok(see_other(&to));
    }
    if !data.account_done {
        return Ok(see_other(&step_path(draft.id, "")));
    }
    if !data.lines_done {
        return Ok(see_other(&step_path(draft.id, "subscriptions")));
    }
    render_review(&req, &state, user.provider_id(), draft.id, data, None).await
}

fn secret_name(draft_id: i64) -> String {
    format!("temp_password:{draft_id}")
}

enum Submitted {
    Done,
    /// The draft was submitted before (double click, reload, another tab).
    Already,
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let (draft, data) = load(&state, user.id, path.into_inner()).await?;
    if let Some(to) = closed_destination(&draft) {
        return Ok(see_other(&to));
    }
    // The password is made and hashed (light settings: see `password::temporary_hasher`) before the
    // transaction, so the write lock is not held for it.
    let (temporary, hash) = password::temporary_with_hash()?;
    let sealed = seal(
        &state.config.session_key,
        &secret_name(draft.id),
        &temporary,
    )?;
    drop(temporary);

    let draft_id = draft.id;
    let user_id = user.id;
    let provider_name = user.partner_name().unwrap_or_default().to_owned();
    let suffix = state.config.tenant_domain_suffix.clone();
    let for_write = data.clone();
    let outcome = state
        .db
        .write(move |conn| {
            if !Draft::mark_submitted(conn, draft_id)? {
                return Ok(Submitted::Already);
            }
            let checked = match check_draft(conn, provider, &for_write)? {
                Ok(checked) => checked,
                // Rolls back, so the draft stays open.
                Err(key) => return Err(AppError::Conflict(key)),
            };
            write_new_customer(
                conn,
                &NewCustomerOrder {
                    provider,
                    placed_by: user_id,
                    provider_name: &provider_name,
                    suffix: &suffix,
                    form: &for_write.account,
                    account: &checked.account,
                    lines: &checked.lines,
                    admin_hash: &hash,
                    draft: Some((draft_id, &sealed)),
                },
            )?;
            Ok(Submitted::Done)
        })
        .await;
    match outcome {
        Ok(Submitted::Done) => {
            state.wake_outbox();
            Ok(see_other(&step_path(draft_id, "confirmation")))
        }
        Ok(Submitted::Already) => Ok(see_other(&step_path(draft_id, "confirmation"))),
        Err(AppError::Conflict(key)) => {
            render_review(&req, &state, provider, draft_id, data, Some(key)).await
        }
        // The domain was taken between the check and the insert.
        Err(AppError::Unexpected(err)) if is_unique_violation(&err) => {
            render_review(
                &req,
                &state,
                provider,
                draft_id,
                data,
                Some("wizard.problem.domain"),
            )
            .await
        }
        Err(err) => Err(err),
    }
}

/// Cancel: the whole draft is dropped, nothing is written, and the wizard starts over.
pub async fn cancel(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (draft, data) = load(&state, user.id, path.into_inner()).await?;
    if let Some(to) = closed_destination(&draft) {
        return Ok(see_other(&to));
    }
    let id = draft.id;
    state
        .db
        .write(move |conn| Ok(Draft::cancel(conn, id)?))
        .await?;
    session.flash(FlashKind::Info, "wizard.cancelled")?;
    let reseller = data.account.reseller.trim().to_owned();
    Ok(see_other(&if reseller.is_empty() {
        "/customers/new".to_owned()
    } else {
        format!("/customers/new?reseller={reseller}")
    }))
}

#[derive(Template, WebTemplate)]
#[template(path = "customers/wizard/confirmation.html")]
pub struct ConfirmationPage {
    pub ctx: Ctx,
    pub customer: Customer,
    pub admin_user: String,
    /// The temporary password, on the first showing only.
    pub password: Option<String>,
}

impl ConfirmationPage {
    pub fn step(&self) -> u8 {
        4
    }
}

pub async fn confirmation(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (draft, _) = load(&state, user.id, path.into_inner()).await?;
    if draft.status != draft::SUBMITTED {
        return Ok(see_other(&step_path(draft.id, "review")));
    }
    let id = draft.id;
    let customer_id = draft.result_id.ok_or(AppError::NotFound)?;
    let (sealed, customer) = state
        .db
        .write(move |conn| {
            Ok((
                Draft::take_secret(conn, id)?,
                Customer::find(conn, customer_id)?,
            ))
        })
        .await?;
    let password = sealed.and_then(|s| open(&state.config.session_key, &secret_name(id), &s));
    let page = ConfirmationPage {
        ctx: Ctx::build(&req).await?,
        admin_user: format!(
            "admin@{}.{}",
            customer.domain_prefix, state.config.tenant_domain_suffix
        ),
        customer,
        password,
    };
    Ok(page.respond_to(&req).map_into_boxed_body())
}
