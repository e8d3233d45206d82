//! Load-balancer probes: `/healthz` says the process answers; `/readyz` says it can reach its database.

use actix_web::{HttpResponse, web};
use diesel::RunQueryDsl;

use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let ready = state
        .db
        .query(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await;
    match ready {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ready"),
        Err(err) => {
            tracing::warn!(error = ?err, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body("database unavailable")
        }
    }
}

/// `/metrics` (Prometheus text), for a scraper holding `METRICS_TOKEN`; without the setting it does
/// not exist.
pub async fn metrics(req: actix_web::HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    use subtle::ConstantTimeEq;
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return HttpResponse::NotFound().finish();
    };
    let given = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        return HttpResponse::Unauthorized()
            .insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"))
            .content_type("text/plain; charset=utf-8")
            .body("a METRICS_TOKEN bearer token is needed");
    }
    exposition(&state).await
}

/// `/metrics` on `METRICS_BIND`, a listener of its own: no token (only the scraper reaches the port).
pub async fn metrics_on_own_port(state: web::Data<AppState>) -> HttpResponse {
    exposition(&state).await
}

async fn exposition(state: &AppState) -> HttpResponse {
    let now = crate::db::now();
    let queues = state
        .db
        .query(move |conn| {
            Ok((
                crate::db::models::outbox::OutboxEmail::queue(conn)?,
                crate::db::models::webhook::Delivery::queue_depth(conn)?,
            ))
        })
        .await;
    let ((emails, oldest_email), (hooks, oldest_hook)) = match queues {
        Ok(q) => q,
        Err(err) => {
            tracing::warn!(error = ?err, "metrics: the queues cannot be read");
            return HttpResponse::ServiceUnavailable().finish();
        }
    };
    let age =
        |at: Option<chrono::NaiveDateTime>| at.map_or(0, |at| (now - at).num_seconds().max(0));
    let gauges = crate::metrics::Gauges {
        pools: state.db.pool_states(),
        writer: state.db.writer_stats(),
        queues: emails
            .into_iter()
            .map(|(s, n)| ("email", s, n))
            .chain(hooks.into_iter().map(|(s, n)| ("webhook", s, n)))
            .collect(),
        oldest_pending_seconds: vec![("email", age(oldest_email)), ("webhook", age(oldest_hook))],
    };
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::metrics::render(&gauges))
}
