//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default: info); `LOG_FORMAT=json` writes one
//! JSON object per line. Each request is logged once (`access_log`) with its request id (also sent as
//! `x-request-id`), route pattern — never the path itself, which may hold a personal link's token —
//! status, latency and the signed-in user's id.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// The signed-in user (session or API token) of a request, for its log line.
#[derive(Clone, Copy, Debug)]
pub struct LoggedUser(pub i64);

/// This request's id (`x-request-id`).
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub const REQUEST_ID: &str = "x-request-id";

/// Logs each request once it is answered (health checks excepted).
pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let started = Instant::now();
    let id = crate::domain::token::new_token()
        .map(|t| t[..16].to_owned())
        .unwrap_or_default();
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().as_str().to_owned();
    let mut res = next.call(req).await?;
    let status = res.status().as_u16();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(no route)".to_owned());
    let user = res.request().extensions().get::<LoggedUser>().map(|u| u.0);
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), value);
    }
    crate::metrics::request(&route, status, started.elapsed().as_secs_f64());
    if route != "/healthz" && route != "/readyz" {
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(
            request_id = %id,
            method = %method,
            route = %route,
            status,
            latency_ms = (latency_ms * 100.0).round() / 100.0,
            user_id = user,
            "request"
        );
    }
    Ok(res)
}
