//! Static assets, compiled into the binary so the embedded default is one file to copy. Nothing comes
//! from a CDN. Each response carries a strong ETag; browsers revalidate after an hour.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::AppError;

struct Asset {
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        path: "css/app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/css/app.css"),
    },
    Asset {
        path: "js/app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/js/app.js"),
    },
    Asset {
        path: "img/logo.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../static/img/logo.svg"),
    },
    Asset {
        path: "img/favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../static/img/favicon.svg"),
    },
];

fn etag(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    format!("\"{}\"", crate::domain::token::hex(&digest[..12]))
}

pub async fn serve(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.path == path.as_str())
        .ok_or(AppError::NotFound)?;
    let tag = etag(asset.bytes);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == tag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"));
    if fresh {
        return Ok(res.finish());
    }
    Ok(res.content_type(asset.content_type).body(asset.bytes))
}
