//! `/providers`: the public official indirect providers list — approved listings only, by name, with the
//! target URL for the chosen country. No sign-in. Also serves the uploaded logos (`/logos/{id}`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use diesel::OptionalExtension;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::profile::{Logo, ProviderProfile, PublicListing};
use crate::domain::Country;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::pagination::{PER_PAGE, Page, PageQuery};
use crate::state::AppState;
use crate::view::Ctx;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    country: String,
    after: Option<String>,
    before: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "providers/list.html")]
pub struct PublicListPage {
    pub ctx: Ctx,
    pub country: Option<&'static str>,
    pub listings: Page<PublicListing>,
}

impl PublicListPage {
    pub fn filter_query(&self) -> String {
        self.country
            .map_or_else(String::new, |c| format!("country={c}"))
    }

    pub fn is_chosen(&self, code: &&str) -> bool {
        self.country == Some(*code)
    }
}

pub async fn list(
    ctx: Ctx,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> AppResult<PublicListPage> {
    let query = query.into_inner();
    let country = Country::parse(&query.country).ok().map(Country::code);
    let seek = PageQuery {
        after: query.after,
        before: query.before,
    }
    .seek::<(String, i64)>();
    let listings = state
        .db
        .query(move |conn| ProviderProfile::public_page(conn, country, &seek, PER_PAGE))
        .await?;
    Ok(PublicListPage {
        ctx,
        country,
        listings,
    })
}

/// A logo, with the type its bytes were found to be and `nosniff`, so it is only ever an image. A logo on
/// a published listing is public; one still under review is shown only to its provider and operators.
pub async fn logo(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let viewer = CurrentUser::load(&req)
        .await?
        .map(|u| (u.role, u.partner_id()));
    let logo = state
        .db
        .query(move |conn| {
            let logo = Logo::find(conn, id).optional()?;
            let visible = match (&logo, viewer) {
                (None, _) => false,
                (Some(_), Some((Role::Operator, _))) => true,
                (Some(l), Some((_, Some(partner)))) if l.owner_partner_id == partner => true,
                (Some(_), _) => Logo::is_public(conn, id)?,
            };
            Ok(logo.filter(|_| visible))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, logo.content_type.as_str()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_DISPOSITION, "inline"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .body(logo.bytes))
}
