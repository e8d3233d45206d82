//! Error pages in the user's language. Handlers return `AppError`; its response carries an `ErrorPage`
//! marker, and this middleware (inside the session middleware, so it knows the user and language) renders
//! the page for it. Empty 4xx/5xx responses from the framework itself (a wrong method, say) get a page too.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use futures_util::future::LocalBoxFuture;

use crate::error::{AppError, ErrorPage};
use crate::view::Ctx;

macro_rules! error_template {
    ($name:ident, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a> {
            ctx: &'a Ctx,
            message: &'a str,
        }
    };
}

error_template!(Page403, "errors/403.html");
error_template!(Page404, "errors/404.html");
error_template!(Page410, "errors/410.html");
error_template!(Page422, "errors/422.html");
error_template!(Page500, "errors/500.html");

/// The page for a status, with the message behind `message_key`.
async fn render(
    req: &HttpRequest,
    status: StatusCode,
    message_key: &str,
    wait: Option<std::time::Duration>,
) -> Result<String, AppError> {
    let ctx = Ctx::build(req).await?;
    let message = match wait {
        Some(wait) => ctx.t1(message_key, "wait", ctx.tr.wait(wait)),
        None => ctx.t(message_key).to_owned(),
    };
    let message = message.as_str();
    let html = match status.as_u16() {
        403 => Page403 { ctx: &ctx, message }.render()?,
        404 => Page404 { ctx: &ctx, message }.render()?,
        410 => Page410 { ctx: &ctx, message }.render()?,
        400..=499 => Page422 { ctx: &ctx, message }.render()?,
        _ => Page500 { ctx: &ctx, message }.render()?,
    };
    Ok(html)
}

fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        403 => "errors.forbidden.body",
        404 => "errors.not_found.body",
        405 => "errors.not_found.body",
        410 => "errors.gone.body",
        413 => "errors.unprocessable.too_large",
        429 => "errors.too_many.body",
        400..=499 => "errors.unprocessable.body",
        _ => "errors.internal.body",
    }
}

/// The route of last resort.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

pub struct ErrorPages;

impl<S, B> Transform<S, ServiceRequest> for ErrorPages
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = actix_web::Error;
    type Transform = ErrorPagesMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ErrorPagesMiddleware {
            service: Rc::new(service),
        }))
    }
}

pub struct ErrorPagesMiddleware<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for ErrorPagesMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        Box::pin(async move {
            let res = service.call(req).await?;
            let status = res.status();
            if status.as_u16() < 400 {
                return Ok(res.map_into_left_body());
            }
            let marker = res.response().extensions().get::<ErrorPage>().cloned();
            let empty = matches!(
                res.response().body().size(),
                actix_web::body::BodySize::Sized(0)
            );
            let (key, wait) = match marker {
                Some(page) => (page.message_key, page.wait),
                None if empty => (default_message(status), None),
                None => return Ok(res.map_into_left_body()),
            };
            let (req, old) = res.into_parts();
            let html = match render(&req, status, key, wait).await {
                Ok(html) => html,
                Err(err) => {
                    tracing::error!(error = ?err, "cannot render an error page");
                    format!(
                        "<!doctype html><meta charset=\"utf-8\"><title>{status}</title><h1>{status}</h1>"
                    )
                }
            };
            let mut new = HttpResponse::build(status);
            for (name, value) in old.headers() {
                if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                    new.append_header((name.clone(), value.clone()));
                }
            }
            let new = new.content_type("text/html; charset=utf-8").body(html);
            Ok(ServiceResponse::new(req, new).map_into_right_body())
        })
    }
}
