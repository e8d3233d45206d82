//! The provider's Indirect resellers page: partnered resellers (searchable, a page at a time) with their
//! row actions, and below them the partnership requests sent, with Resend and Revoke.

pub mod remove;
pub mod requests;
pub mod show;

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{ProviderStaff, Signed};
use crate::db::models::partnership::{PartneredReseller, Partnership};
use crate::db::models::relationship_request::{RelationshipRequest, SentRequest};
use crate::domain::RequestKind;
use crate::error::AppResult;
use crate::pagination::{PER_PAGE, Page, PageQuery};
use crate::state::AppState;
use crate::view::Ctx;

const REQUESTS_PER_PAGE: usize = 20;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    after: Option<String>,
    before: Option<String>,
    /// Cursors of the requests list.
    rafter: Option<String>,
    rbefore: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "indirect_resellers/list.html")]
pub struct ListPage {
    pub ctx: Ctx,
    pub q: String,
    pub resellers: Page<PartneredReseller>,
    pub requests: Page<SentRequest>,
    /// Drafts not shared yet (within their day).
    pub drafts: Vec<SentRequest>,
    /// Where the requests' actions live.
    pub request_base: &'static str,
}

impl ListPage {
    pub fn q_query(&self) -> String {
        serde_urlencoded::to_string([("q", self.q.as_str())]).unwrap_or_default()
    }
}

/// A search term worth searching for: trimmed, at most 100 characters, or none.
pub fn search_term(raw: &str) -> Option<String> {
    let term: String = raw.trim().chars().take(100).collect();
    (!term.is_empty()).then_some(term)
}

pub async fn list(
    ctx: Ctx,
    user: Signed<ProviderStaff>,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> AppResult<ListPage> {
    let query = query.into_inner();
    let provider = user.provider_id();
    let search = search_term(&query.q);
    let seek = PageQuery {
        after: query.after,
        before: query.before,
    }
    .seek::<(String, i64)>();
    let request_seek = PageQuery {
        after: query.rafter,
        before: query.rbefore,
    }
    .seek::<i64>();
    let term = search.clone();
    let (resellers, requests, drafts) = state
        .db
        .query(move |conn| {
            let resellers =
                Partnership::page_for_provider(conn, provider, term.as_deref(), &seek, PER_PAGE)?;
            let requests = RelationshipRequest::page_for_provider(
                conn,
                provider,
                RequestKind::Partnership,
                &request_seek,
                REQUESTS_PER_PAGE,
            )?;
            let drafts = RelationshipRequest::drafts_for_provider(
                conn,
                provider,
                RequestKind::Partnership,
                20,
            )?;
            Ok((resellers, requests, drafts))
        })
        .await?;
    Ok(ListPage {
        ctx,
        q: search.unwrap_or_default(),
        resellers,
        requests,
        drafts,
        request_base:
            <crate::routes::link_draft::Partnership as crate::routes::link_draft::Flow>::INFO.base,
    })
}
