//! The provider's Profile: its listing as the public sees it on the official indirect providers list,
//! and Request a profile change (company name, logo, a target URL per location) — a support request an
//! operator approves (the listing changes) or rejects with a reason. One open request at a time.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use futures_util::StreamExt;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, ProviderStaff, Signed, can};
use crate::db::models::partner::Partner;
use crate::db::models::profile::{Location, ProfileChangeRequest, ProviderProfile, image_type};
use crate::domain::Country;
use crate::domain::ProviderId;
use crate::error::{AppError, AppResult};
use crate::routes::see_other;
use crate::services::profile_change::{self, ChangeRequest, NewLogo};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

pub const MAX_LOGO_BYTES: usize = 256 * 1024;
/// The most a change request's body may carry: the largest logo refused with a clear message.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// How many location rows the form offers (blank ones are ignored).
pub const LOCATION_ROWS: usize = 6;

#[derive(Template, WebTemplate)]
#[template(path = "profile/show.html")]
pub struct ProfilePage {
    pub ctx: Ctx,
    pub provider_name: String,
    pub profile: Option<ProviderProfile>,
    pub locations: Vec<Location>,
    pub latest: Option<ProfileChangeRequest>,
}

impl ProfilePage {
    pub fn has_open_request(&self) -> bool {
        self.latest
            .as_ref()
            .is_some_and(ProfileChangeRequest::is_open)
    }
}

pub async fn show(
    ctx: Ctx,
    user: Signed<ProviderStaff>,
    state: web::Data<AppState>,
) -> AppResult<ProfilePage> {
    let provider = user.provider_id();
    let (provider_name, profile, locations, latest) = load(&state, provider).await?;
    Ok(ProfilePage {
        ctx,
        provider_name,
        profile,
        locations,
        latest,
    })
}

/// The provider's name, its listing (if any) with its locations, and its latest request.
type Loaded = (
    String,
    Option<ProviderProfile>,
    Vec<Location>,
    Option<ProfileChangeRequest>,
);

async fn load(state: &AppState, provider: ProviderId) -> AppResult<Loaded> {
    state
        .db
        .query(move |conn| {
            Ok((
                Partner::find(conn, provider.get())?.name,
                ProviderProfile::of(conn, provider.get())?,
                ProviderProfile::locations_of(conn, provider.get())?,
                ProfileChangeRequest::latest(conn, provider)?,
            ))
        })
        .await
        .map_err(AppError::from)
}

/// The change request form as typed.
#[derive(Default, Clone)]
pub struct ChangeForm {
    pub company_name: String,
    pub locations: Vec<(String, String)>,
    pub logo: Option<(Vec<u8>, bool)>,
}

impl ChangeForm {
    fn row(&self, i: usize) -> (&str, &str) {
        self.locations
            .get(i)
            .map_or(("", ""), |(c, u)| (c.as_str(), u.as_str()))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "profile/change_request.html")]
pub struct ChangePage {
    pub ctx: Ctx,
    pub form: ChangeForm,
    pub errors: FormErrors,
    pub open: Option<ProfileChangeRequest>,
}

impl ChangePage {
    pub fn rows(&self) -> Vec<usize> {
        (0..LOCATION_ROWS).collect()
    }

    pub fn country_at(&self, i: &usize) -> String {
        self.form.row(*i).0.to_owned()
    }

    pub fn url_at(&self, i: &usize) -> String {
        self.form.row(*i).1.to_owned()
    }

    pub fn url_field(&self, i: &usize) -> String {
        format!("url_{i}")
    }

    pub fn country_field(&self, i: &usize) -> String {
        format!("country_{i}")
    }
}

async fn render_change(
    req: &HttpRequest,
    state: &AppState,
    provider: ProviderId,
    form: Option<ChangeForm>,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let (name, profile, locations, latest) = load(state, provider).await?;
    let form = form.unwrap_or_else(|| ChangeForm {
        company_name: profile.map_or(name, |p| p.company_name),
        locations: locations.into_iter().map(|l| (l.country, l.url)).collect(),
        logo: None,
    });
    let has_errors = !errors.is_empty();
    let page = ChangePage {
        ctx: Ctx::build(req).await?,
        form,
        errors,
        open: latest.filter(ProfileChangeRequest::is_open),
    };
    Ok(if has_errors {
        crate::routes::form_page(req, page, true)
    } else {
        page.respond_to(req).map_into_boxed_body()
    })
}

pub async fn change_form(
    req: HttpRequest,
    user: Signed<ProviderStaff, can::Admin>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    render_change(&req, &state, user.provider_id(), None, FormErrors::new()).await
}

/// Reads the multipart form: text fields (short), and the logo up to one byte past the limit (so a
/// larger file is known to be too large without reading it all).
async fn read_form(mut payload: Multipart) -> Result<ChangeForm, AppError> {
    let bad = |_| AppError::Unprocessable("errors.unprocessable.body");
    let mut form = ChangeForm {
        locations: vec![(String::new(), String::new()); LOCATION_ROWS],
        ..ChangeForm::default()
    };
    // A form is a few fields and one logo; a body far beyond that is not a form this page made.
    let (mut fields, mut total) = (0usize, 0usize);
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(bad)?;
        fields += 1;
        if fields > 4 * LOCATION_ROWS {
            return Err(AppError::Unprocessable("errors.unprocessable.body"));
        }
        let name = field.name().unwrap_or("").to_owned();
        let limit = if name == "logo" {
            MAX_LOGO_BYTES + 1
        } else {
            4096
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(bad)?;
            total += chunk.len();
            if total > MAX_BODY_BYTES {
                return Err(AppError::Unprocessable("errors.unprocessable.body"));
            }
            let room = limit.saturating_sub(bytes.len());
            bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        let text = || String::from_utf8_lossy(&bytes).trim().to_owned();
        if name == "logo" {
            if !bytes.is_empty() {
                let too_big = bytes.len() > MAX_LOGO_BYTES;
                form.logo = Some((bytes, too_big));
            }
        } else if name == "company_name" {
            form.company_name = text();
        } else if let Some((i, is_url)) = location_field(&name)
            && let Some(row) = form.locations.get_mut(i)
        {
            if is_url {
                row.1 = text();
            } else {
                row.0 = text();
            }
        }
    }
    Ok(form)
}

/// `country_3` → (3, false), `url_3` → (3, true).
fn location_field(name: &str) -> Option<(usize, bool)> {
    let (index, is_url) = match name.strip_prefix("url_") {
        Some(i) => (i, true),
        None => (name.strip_prefix("country_")?, false),
    };
    Some((index.parse().ok()?, is_url))
}

/// A location's target URL: https only, with a host.
pub fn check_url(raw: &str) -> Result<String, &'static str> {
    if raw.is_empty() {
        return Err("validation.required");
    }
    match url::Url::parse(raw) {
        Ok(u) if u.scheme() == "https" && u.host().is_some() && raw.len() <= 500 => {
            Ok(u.to_string())
        }
        _ => Err("validation.url"),
    }
}

pub async fn submit_change(
    req: HttpRequest,
    user: Signed<ProviderStaff, can::Admin>,
    state: web::Data<AppState>,
    session: AppSession,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let form = read_form(payload).await?;
    let mut errors = FormErrors::new();
    errors.text("company_name", &form.company_name, 200);
    let logo = match &form.logo {
        None => None,
        Some((_, true)) => {
            errors.add("logo", "profile.logo_too_large");
            None
        }
        Some((bytes, false)) => match image_type(bytes) {
            Some(content_type) => Some((content_type, bytes.clone())),
            None => {
                errors.add("logo", "profile.logo_type");
                None
            }
        },
    };
    let mut locations = Vec::new();
    for (i, (country, url)) in form.locations.iter().enumerate() {
        if country.is_empty() && url.is_empty() {
            continue;
        }
        let country = errors.check_named(&format!("country_{i}"), Country::parse(country));
        let url = errors.check_named(&format!("url_{i}"), check_url(url));
        if let (Some(country), Some(url)) = (country, url) {
            if locations
                .iter()
                .any(|l: &Location| l.country == country.code())
            {
                errors.add_named(&format!("country_{i}"), "profile.duplicate_country");
            } else {
                locations.push(Location {
                    country: country.code().to_owned(),
                    url,
                });
            }
        }
    }
    if locations.is_empty()
        && !errors
            .fields()
            .any(|f| f.starts_with("country_") || f.starts_with("url_"))
    {
        errors.add("locations", "profile.no_locations");
    }
    if !errors.is_empty() {
        return render_change(&req, &state, provider, Some(form), errors).await;
    }
    let request = ChangeRequest {
        provider,
        user_id: user.id,
        company_name: form.company_name.clone(),
        logo: logo.map(|(content_type, bytes)| NewLogo {
            content_type,
            bytes,
        }),
        locations,
    };
    profile_change::request(&state.db, request).await?;
    session.flash(FlashKind::Success, "profile.requested")?;
    Ok(see_other("/profile"))
}
