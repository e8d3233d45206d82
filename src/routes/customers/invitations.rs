//! Request a reseller relationship with an existing customer: the invitations a provider sent (with
//! Resend and Revoke), and a new one — an optional indirect reseller to associate and whether delegated
//! administration is asked for — whose personal link is then sent like a partnership request's.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{AppSession, Permission, ProviderStaff, Signed, can};
use crate::db::models::partnership::Partnership;
use crate::db::models::relationship_request::{RelationshipRequest, SentRequest};
use crate::domain::RequestKind;
use crate::error::AppResult;
use crate::pagination::{Page, PageQuery};
use crate::routes::link_draft::{self, Flow, Invitation, Options};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "customers/invitations.html")]
pub struct InvitationsPage {
    pub ctx: Ctx,
    pub resellers: Vec<(i64, String)>,
    pub reseller: String,
    pub delegated: bool,
    pub errors: FormErrors,
    pub requests: Page<SentRequest>,
    /// Drafts not shared yet (within their day).
    pub drafts: Vec<SentRequest>,
    pub request_base: &'static str,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    user: &Signed<ProviderStaff, impl Permission>,
    seek: PageQuery,
    form: NewInvitation,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let seek = seek.seek::<i64>();
    let (resellers, requests, drafts) = state
        .db
        .query(move |conn| {
            Ok((
                Partnership::choices_for_provider(conn, provider, 200, None)?,
                RelationshipRequest::page_for_provider(
                    conn,
                    provider,
                    RequestKind::CustomerInvitation,
                    &seek,
                    20,
                )?,
                RelationshipRequest::drafts_for_provider(
                    conn,
                    provider,
                    RequestKind::CustomerInvitation,
                    20,
                )?,
            ))
        })
        .await?;
    let has_errors = !errors.is_empty();
    let page = InvitationsPage {
        ctx: Ctx::build(req).await?,
        resellers,
        reseller: form.reseller,
        delegated: form.delegated_admin.is_some(),
        errors,
        requests,
        drafts,
        request_base: Invitation::INFO.base,
    };
    Ok(crate::routes::form_page(req, page, has_errors))
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ProviderStaff, can::Sell>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let form = NewInvitation {
        reseller: String::new(),
        delegated_admin: Some("yes".into()),
    };
    render(
        &req,
        &state,
        &user,
        query.into_inner(),
        form,
        FormErrors::new(),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct NewInvitation {
    #[serde(default)]
    reseller: String,
    delegated_admin: Option<String>,
}

/// Makes the invitation and its link, and opens its draft.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ProviderStaff, can::Sell>,
    form: web::Form<NewInvitation>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let form = form.into_inner();
    // The reseller to associate, if any, must be one of the provider's partners.
    let reseller_id = match form.reseller.trim() {
        "" => Ok(None),
        raw => match raw.parse::<i64>() {
            Ok(id) => {
                let partnered = state
                    .db
                    .query(move |conn| Partnership::active(conn, provider.get(), id))
                    .await?
                    .is_some();
                if partnered { Ok(Some(id)) } else { Err(()) }
            }
            Err(_) => Err(()),
        },
    };
    let Ok(reseller_id) = reseller_id else {
        let mut errors = FormErrors::new();
        errors.add("reseller", "wizard.reseller_not_partnered");
        return render(&req, &state, &user, PageQuery::default(), form, errors).await;
    };
    let options = Options {
        reseller_id,
        include_delegated_admin: form.delegated_admin.is_some(),
    };
    link_draft::create::<Invitation>(&state, &session, &user, options).await
}
