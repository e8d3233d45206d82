//! Settings → Webhooks (SPEC.md §2.14), for an organisation's admins: endpoints with the event types
//! they want and a secret shown once; a delivery log with Resend; Send test event; switching an
//! endpoint off and on; deleting it. Each change is logged.

use actix_web::cookie::Key;

use crate::auth::seal::seal;
use crate::db::models::activity::NewActivity;
use crate::db::models::webhook::{Delivery, EVENTS, Endpoint, NewEndpoint, message_id};
use crate::db::{Db, DbError};
use crate::domain::PartnerKind;
use crate::domain::form::FormErrors;
use crate::pagination::{Page, Seek};
use crate::services::ChangeError;
use crate::webhooks::{sign, target, worker::secret_name};

/// An admin of an organisation, acting on its webhooks.
#[derive(Clone, Copy, Debug)]
pub struct Admin {
    pub user_id: i64,
    pub partner_id: i64,
    pub kind: PartnerKind,
}

impl Admin {
    fn log(self, action: &'static str, endpoint: i64, url: String) -> NewActivity {
        let entry = NewActivity::new(action, "webhook", Some(endpoint))
            .by(self.user_id, Some(self.partner_id))
            .change(None, Some(url));
        match self.kind {
            PartnerKind::Provider => entry.provider(Some(self.partner_id)),
            PartnerKind::Reseller => entry.reseller(Some(self.partner_id)),
        }
    }
}

/// The form as typed.
#[derive(Clone, Debug, Default)]
pub struct EndpointForm {
    pub url: String,
    pub events: Vec<String>,
}

/// Checks the form and the address the URL resolves to.
pub async fn check(
    form: &EndpointForm,
    allow_loopback: bool,
) -> Result<(url::Url, Vec<&'static str>), FormErrors> {
    let mut errors = FormErrors::new();
    let url = match target::check_url(&form.url, allow_loopback) {
        Ok(url) => match target::resolve(&url, allow_loopback).await {
            Ok(_) => Some(url),
            Err(key) => {
                errors.add("url", key);
                None
            }
        },
        Err(key) => {
            errors.add("url", key);
            None
        }
    };
    let events: Vec<&'static str> = EVENTS
        .iter()
        .copied()
        .filter(|e| form.events.iter().any(|chosen| chosen == e))
        .collect();
    if events.is_empty() || form.events.iter().any(|e| !EVENTS.contains(&e.as_str())) {
        errors.add("events", "webhooks.events_required");
    }
    match url {
        Some(url) if errors.is_empty() => Ok((url, events)),
        _ => Err(errors),
    }
}

/// Adds an endpoint: its id and its secret (shown this once; kept sealed with the server's key).
pub async fn create(
    db: &Db,
    key: &Key,
    admin: Admin,
    (url, events): (url::Url, Vec<&'static str>),
) -> Result<(i64, String), DbError> {
    let secret = sign::new_secret().map_err(DbError::Failed)?;
    let id = crate::db::new_id();
    let sealed = seal(key, &secret_name(id), &secret).map_err(DbError::Failed)?;
    let url = url.to_string();
    let endpoint = db
        .execute(move |conn| {
            Endpoint::create(
                conn,
                &NewEndpoint {
                    id,
                    partner_id: admin.partner_id,
                    url: &url,
                    events: &events,
                    secret_sealed: &sealed,
                    created_by: admin.user_id,
                },
            )?;
            admin.log("webhook.created", id, url).record(conn)?;
            Ok(id)
        })
        .await?;
    Ok((endpoint, secret))
}

/// The organisation's endpoints, each with its pending deliveries.
pub async fn list(db: &Db, partner_id: i64) -> Result<Vec<(Endpoint, i64)>, DbError> {
    db.query(move |conn| {
        Endpoint::of_partner(conn, partner_id)?
            .into_iter()
            .map(|e| {
                let pending = Delivery::pending_count(conn, e.id)?;
                Ok((e, pending))
            })
            .collect()
    })
    .await
}

/// One endpoint with a page of its delivery log.
pub async fn show(
    db: &Db,
    partner_id: i64,
    id: i64,
    seek: Seek<i64>,
) -> Result<(Endpoint, Page<Delivery>), ChangeError> {
    db.read(move |conn| {
        let endpoint = Endpoint::find_in(conn, partner_id, id).map_err(ChangeError::lookup)?;
        let page = Delivery::page_of(conn, id, &seek, crate::pagination::PER_PAGE)?;
        Ok((endpoint, page))
    })
    .await
}

/// What an admin does to an endpoint.
#[derive(Clone, Copy, Debug)]
pub enum Action {
    SendTest,
    Resend(i64),
    Disable,
    Enable,
    Delete,
}

/// Does it; the flash message to show.
pub async fn act(
    db: &Db,
    admin: Admin,
    id: i64,
    action: Action,
) -> Result<&'static str, ChangeError> {
    db.write(move |conn| {
        let endpoint =
            Endpoint::find_in(conn, admin.partner_id, id).map_err(ChangeError::lookup)?;
        let url = endpoint.url.clone();
        Ok(match action {
            Action::SendTest => {
                Delivery::queue(
                    conn,
                    id,
                    &message_id(),
                    "webhook.test",
                    &serde_json::json!({"endpoint_id": id.to_string(), "test": true}),
                )?;
                "webhooks.test_queued"
            }
            Action::Resend(delivery) => {
                if !Delivery::resend(conn, id, delivery)? {
                    return Err(ChangeError::NotFound);
                }
                "webhooks.resent"
            }
            Action::Disable => {
                if Endpoint::set_disabled(conn, id, Some("switched off by an admin"))? {
                    admin.log("webhook.disabled", id, url).record(conn)?;
                }
                "webhooks.disabled"
            }
            Action::Enable => {
                if Endpoint::set_disabled(conn, id, None)? {
                    admin.log("webhook.enabled", id, url).record(conn)?;
                }
                "webhooks.enabled"
            }
            Action::Delete => {
                Endpoint::delete(conn, id)?;
                admin.log("webhook.deleted", id, url).record(conn)?;
                "webhooks.deleted"
            }
        })
    })
    .await
}
