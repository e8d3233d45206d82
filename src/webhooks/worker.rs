//! The webhook worker: sends each due delivery once per attempt (claimed with a lease, so two
//! instances never send it at the same time), signed, to the address it checked; a 2xx answer is
//! delivered; anything else waits for the next retry, and when the retries are used up (about three
//! days) the delivery has failed, the endpoint is switched off and its organisation's admins are told.

use std::time::Duration;

use actix_web::cookie::Key;

use super::WebhookSettings;
use crate::db::models::user::User;
use crate::db::models::webhook::{Delivery, Endpoint};
use crate::db::{Db, DbError};
use crate::domain::Need;
use crate::email::{self, messages::AccountLink, messages::AccountNotice};
use crate::i18n::Tr;
use crate::shutdown::Stopping;

#[derive(Clone)]
pub struct WebhookWorker {
    db: Db,
    settings: WebhookSettings,
    key: Key,
    base_url: String,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// The name an endpoint's secret is sealed under.
pub fn secret_name(endpoint_id: i64) -> String {
    format!("webhook:{endpoint_id}")
}

/// What an attempt came to.
struct Outcome {
    delivered: bool,
    code: Option<i32>,
    error: Option<String>,
}

impl WebhookWorker {
    pub fn new(db: Db, settings: WebhookSettings, key: Key, base_url: String) -> Self {
        Self {
            db,
            settings,
            key,
            base_url,
        }
    }

    /// Runs until told to stop; the delivery in hand is sent and recorded first.
    pub async fn run(self, mut stop: Stopping) {
        while !stop.requested() {
            match self.deliver_due(&stop).await {
                Ok(pass) if pass != Pass::default() => tracing::debug!(?pass, "webhook pass"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = ?err, "webhook pass failed"),
            }
            stop.sleep(self.settings.poll_interval).await;
        }
    }

    /// Sends every delivery that is due now, stopping before the next once `stop` is requested.
    pub async fn deliver_due(&self, stop: &Stopping) -> Result<Pass, DbError> {
        let mut pass = Pass::default();
        loop {
            let due = self.db.query(|conn| Delivery::due(conn, 20)).await?;
            if due.is_empty() {
                return Ok(pass);
            }
            let mut progressed = false;
            for id in due {
                if stop.requested() {
                    return Ok(pass);
                }
                let lease_until = crate::db::now()
                    + chrono::Duration::from_std(self.settings.lease)
                        .unwrap_or(chrono::Duration::minutes(2));
                let claimed = self
                    .db
                    .execute(move |conn| Delivery::claim(conn, id, lease_until))
                    .await?;
                let Some((delivery, endpoint)) = claimed else {
                    continue;
                };
                progressed = true;
                let outcome = self.attempt(&delivery, &endpoint).await;
                let attempts = usize::try_from(delivery.attempts).unwrap_or(usize::MAX);
                let retry_at = (!outcome.delivered)
                    .then(|| self.settings.retry_delays.get(attempts))
                    .flatten()
                    .map(|wait| {
                        crate::db::now()
                            + chrono::Duration::from_std(*wait)
                                .unwrap_or(chrono::Duration::hours(1))
                    });
                let gave_up = !outcome.delivered && retry_at.is_none();
                let base_url = self.base_url.clone();
                let endpoint_id = endpoint.id;
                self.db
                    .write(move |conn| {
                        Delivery::record(
                            conn,
                            delivery.id,
                            outcome.delivered,
                            (outcome.code, outcome.error.as_deref()),
                            retry_at,
                        )?;
                        if gave_up
                            && Endpoint::set_disabled(
                                conn,
                                endpoint.id,
                                Some("repeated delivery failures"),
                            )?
                        {
                            tell_admins(conn, &endpoint, &base_url)?;
                        }
                        Ok::<_, DbError>(())
                    })
                    .await?;
                if outcome.delivered {
                    pass.delivered += 1;
                } else if gave_up {
                    tracing::warn!(
                        delivery = id,
                        endpoint = endpoint_id,
                        "webhook failed for good; endpoint switched off"
                    );
                    pass.failed += 1;
                } else {
                    pass.retrying += 1;
                }
            }
            if !progressed {
                return Ok(pass);
            }
        }
    }

    async fn attempt(&self, delivery: &Delivery, endpoint: &Endpoint) -> Outcome {
        let failed = |error: &str| Outcome {
            delivered: false,
            code: None,
            error: Some(error.to_owned()),
        };
        let Some(secret) = crate::auth::seal::open(
            &self.key,
            &secret_name(endpoint.id),
            &endpoint.secret_sealed,
        ) else {
            return failed("the endpoint's secret cannot be opened (was SESSION_KEY changed?)");
        };
        let url = match super::target::check_url(&endpoint.url, self.settings.allow_loopback) {
            Ok(url) => url,
            Err(_) => return failed("the endpoint's URL is not allowed"),
        };
        let addrs = match super::target::resolve(&url, self.settings.allow_loopback).await {
            Ok(addrs) => addrs,
            Err("webhooks.url_private") => {
                return failed("the endpoint resolves to a private address");
            }
            Err(_) => return failed("the endpoint's host does not resolve"),
        };
        let host = url.host_str().unwrap_or_default().to_owned();
        // To the address checked, not to whatever the name resolves to a moment later.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.settings.timeout)
            .connect_timeout(Duration::from_secs(5))
            .resolve(&host, addrs[0])
            .build();
        let client = match client {
            Ok(client) => client,
            Err(err) => return failed(&format!("no HTTP client: {err}")),
        };
        let timestamp = chrono::Utc::now().timestamp();
        let Some(signature) =
            super::sign::signature(&secret, &delivery.message_id, timestamp, &delivery.payload)
        else {
            return failed("the endpoint's secret is malformed");
        };
        let sent = client
            .post(url)
            .header("content-type", "application/json")
            .header("user-agent", "PartnerDashboard-Webhooks/1")
            .header("webhook-id", &delivery.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.payload.clone())
            .send()
            .await;
        match sent {
            Ok(res) => {
                let code = i32::from(res.status().as_u16());
                let delivered = res.status().is_success();
                Outcome {
                    delivered,
                    code: Some(code),
                    error: (!delivered).then(|| format!("HTTP {code}")),
                }
            }
            Err(err) => failed(&format!("no answer: {err}")),
        }
    }
}

/// Emails the organisation's admins that its endpoint was switched off.
fn tell_admins(
    conn: &mut crate::db::DbConnection,
    endpoint: &Endpoint,
    base_url: &str,
) -> Result<(), DbError> {
    for admin in User::of_partner_who_may(conn, endpoint.partner_id, Need::Admin)? {
        let tr = Tr(admin.locale.unwrap_or_default());
        let message = AccountLink(AccountNotice {
            tr,
            name: admin.display_name.clone(),
            subject: tr.t("email.webhook_disabled.subject").to_owned(),
            paragraphs: vec![tr.t1("email.webhook_disabled.body", "url", &endpoint.url)],
            link: Some(format!("{base_url}/webhooks/{}", endpoint.id)),
        });
        email::queue(conn, &admin.email, &message)?;
    }
    Ok(())
}
