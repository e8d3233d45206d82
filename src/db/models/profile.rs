//! A provider's listing on the public official indirect providers list (company name, logo, a target URL
//! per location), the support requests that change it, and the uploaded logos.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::schema::{
    logos, partners, profile_change_requests, provider_profile_locations, provider_profiles,
};
use crate::db::{DbConnection, new_id, now};
use crate::domain::token::hex;
use crate::domain::{ProfileRequestStatus, ProviderId};
use crate::pagination::{Page, Seek};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = provider_profiles)]
pub struct ProviderProfile {
    pub provider_id: i64,
    pub company_name: String,
    pub logo_id: Option<i64>,
    pub published: bool,
    pub updated_at: chrono::NaiveDateTime,
}

/// A target URL for a location (country).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Queryable)]
pub struct Location {
    pub country: String,
    pub url: String,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = profile_change_requests)]
pub struct ProfileChangeRequest {
    pub id: i64,
    pub provider_id: i64,
    pub status: ProfileRequestStatus,
    pub company_name: String,
    pub logo_id: Option<i64>,
    pub locations: String,
    pub submitted_by: i64,
    pub submitted_at: chrono::NaiveDateTime,
    pub expected_by: chrono::NaiveDateTime,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<chrono::NaiveDateTime>,
    pub rejection_reason: Option<String>,
}

/// A request with its provider's name, as the console's queue lists it.
#[derive(Clone, Debug)]
pub struct QueuedRequest {
    pub request: ProfileChangeRequest,
    pub provider_name: String,
}

/// A listing on the public list.
#[derive(Clone, Debug)]
pub struct PublicListing {
    pub profile: ProviderProfile,
    pub locations: Vec<Location>,
}

use ProfileRequestStatus::{Completed, InReview, Rejected, Submitted};

impl ProfileChangeRequest {
    pub fn locations(&self) -> Vec<Location> {
        serde_json::from_str(&self.locations).unwrap_or_default()
    }

    pub fn status_key(&self) -> &'static str {
        self.status.label_key()
    }

    pub fn badge(&self) -> &'static str {
        match self.status {
            Completed => "badge-ok",
            Rejected => "badge-bad",
            Submitted | InReview => "badge-warn",
        }
    }

    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }

    /// Files a request (status Submitted, expected within 21 days). The one-open-request-per-provider
    /// unique index refuses a second while one is open.
    pub fn create(
        conn: &mut DbConnection,
        provider: ProviderId,
        submitted_by: i64,
        company_name: &str,
        logo_id: Option<i64>,
        locations: &[Location],
    ) -> QueryResult<i64> {
        let id = new_id();
        let at = now();
        diesel::insert_into(profile_change_requests::table)
            .values((
                profile_change_requests::id.eq(id),
                profile_change_requests::provider_id.eq(provider.get()),
                profile_change_requests::status.eq(Submitted),
                profile_change_requests::company_name.eq(company_name),
                profile_change_requests::logo_id.eq(logo_id),
                profile_change_requests::locations
                    .eq(serde_json::to_string(locations).unwrap_or_default()),
                profile_change_requests::submitted_by.eq(submitted_by),
                profile_change_requests::submitted_at.eq(at),
                profile_change_requests::expected_by.eq(at + chrono::Duration::days(21)),
            ))
            .execute(conn)?;
        Ok(id)
    }

    /// The provider's latest request, open or decided.
    pub fn latest(
        conn: &mut DbConnection,
        provider: ProviderId,
    ) -> QueryResult<Option<ProfileChangeRequest>> {
        profile_change_requests::table
            .filter(profile_change_requests::provider_id.eq(provider.get()))
            .order(profile_change_requests::id.desc())
            .select(ProfileChangeRequest::as_select())
            .first(conn)
            .optional()
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<ProfileChangeRequest> {
        profile_change_requests::table
            .find(id)
            .select(ProfileChangeRequest::as_select())
            .first(conn)
    }

    /// Requests in a state with their provider's name: open ones oldest first (the review queue),
    /// decided ones newest first.
    pub fn page_by_status(
        conn: &mut DbConnection,
        status: ProfileRequestStatus,
        seek: &Seek<i64>,
        per_page: usize,
    ) -> QueryResult<Page<QueuedRequest>> {
        let mut query = profile_change_requests::table
            .inner_join(partners::table.on(partners::id.eq(profile_change_requests::provider_id)))
            .filter(profile_change_requests::status.eq(status))
            .select((ProfileChangeRequest::as_select(), partners::name))
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        query = if status.is_open() {
            crate::oldest_first!(query, profile_change_requests::id, seek)
        } else {
            crate::newest_first!(query, profile_change_requests::id, seek)
        };
        let rows: Vec<(ProfileChangeRequest, String)> = query.load(conn)?;
        let rows = rows
            .into_iter()
            .map(|(request, provider_name)| QueuedRequest {
                request,
                provider_name,
            })
            .collect();
        Ok(Page::from_rows(
            rows,
            seek,
            per_page,
            |r: &QueuedRequest| r.request.id,
        ))
    }

    pub fn count_open(conn: &mut DbConnection) -> QueryResult<i64> {
        profile_change_requests::table
            .filter(profile_change_requests::status.eq_any([Submitted, InReview]))
            .count()
            .get_result(conn)
    }

    /// Moves a request from one of `from` to `to`; false when it was not in one of those states.
    pub fn decide(
        conn: &mut DbConnection,
        id: i64,
        from: &[ProfileRequestStatus],
        to: ProfileRequestStatus,
        reviewer: i64,
        reason: Option<&str>,
    ) -> QueryResult<bool> {
        diesel::update(
            profile_change_requests::table
                .filter(profile_change_requests::id.eq(id))
                .filter(profile_change_requests::status.eq_any(from)),
        )
        .set((
            profile_change_requests::status.eq(to),
            profile_change_requests::reviewed_by.eq(Some(reviewer)),
            profile_change_requests::reviewed_at.eq(Some(now())),
            profile_change_requests::rejection_reason.eq(reason),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }
}

impl ProviderProfile {
    pub fn of(conn: &mut DbConnection, provider_id: i64) -> QueryResult<Option<ProviderProfile>> {
        provider_profiles::table
            .find(provider_id)
            .select(ProviderProfile::as_select())
            .first(conn)
            .optional()
    }

    pub fn locations_of(conn: &mut DbConnection, provider_id: i64) -> QueryResult<Vec<Location>> {
        provider_profile_locations::table
            .filter(provider_profile_locations::provider_id.eq(provider_id))
            .order(provider_profile_locations::country.asc())
            .select((
                provider_profile_locations::country,
                provider_profile_locations::url,
            ))
            .load(conn)
    }

    /// Makes the listing what an approved request says, all at once: name, logo (kept when the request
    /// has none), locations; and publishes it.
    pub fn apply(conn: &mut DbConnection, request: &ProfileChangeRequest) -> QueryResult<()> {
        let at = now();
        let existing = Self::of(conn, request.provider_id)?;
        let logo_id = request
            .logo_id
            .or(existing.as_ref().and_then(|p| p.logo_id));
        if existing.is_some() {
            diesel::update(provider_profiles::table.find(request.provider_id))
                .set((
                    provider_profiles::company_name.eq(&request.company_name),
                    provider_profiles::logo_id.eq(logo_id),
                    provider_profiles::published.eq(true),
                    provider_profiles::updated_at.eq(at),
                ))
                .execute(conn)?;
        } else {
            diesel::insert_into(provider_profiles::table)
                .values((
                    provider_profiles::provider_id.eq(request.provider_id),
                    provider_profiles::company_name.eq(&request.company_name),
                    provider_profiles::logo_id.eq(logo_id),
                    provider_profiles::published.eq(true),
                    provider_profiles::updated_at.eq(at),
                ))
                .execute(conn)?;
        }
        diesel::delete(
            provider_profile_locations::table
                .filter(provider_profile_locations::provider_id.eq(request.provider_id)),
        )
        .execute(conn)?;
        for location in request.locations() {
            diesel::insert_into(provider_profile_locations::table)
                .values((
                    provider_profile_locations::provider_id.eq(request.provider_id),
                    provider_profile_locations::country.eq(&location.country),
                    provider_profile_locations::url.eq(&location.url),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// The public list: published listings by name, a page at a time; with `country`, only providers
    /// with a location there, showing that location's URL.
    pub fn public_page(
        conn: &mut DbConnection,
        country: Option<&str>,
        seek: &Seek<(String, i64)>,
        per_page: usize,
    ) -> QueryResult<Page<PublicListing>> {
        let mut query = provider_profiles::table
            .filter(provider_profiles::published.eq(true))
            .select(ProviderProfile::as_select())
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        if let Some(country) = country {
            query = query.filter(
                provider_profiles::provider_id.eq_any(
                    provider_profile_locations::table
                        .filter(provider_profile_locations::country.eq(country.to_owned()))
                        .select(provider_profile_locations::provider_id),
                ),
            );
        }
        query = crate::by_name!(
            query,
            provider_profiles::company_name,
            provider_profiles::provider_id,
            seek
        );
        let profiles: Vec<ProviderProfile> = query.load(conn)?;
        let ids: Vec<i64> = profiles.iter().map(|p| p.provider_id).collect();
        let mut locations_query = provider_profile_locations::table
            .filter(provider_profile_locations::provider_id.eq_any(&ids))
            .select((
                provider_profile_locations::provider_id,
                (
                    provider_profile_locations::country,
                    provider_profile_locations::url,
                ),
            ))
            .into_boxed();
        if let Some(country) = country {
            locations_query =
                locations_query.filter(provider_profile_locations::country.eq(country.to_owned()));
        }
        let all: Vec<(i64, Location)> = locations_query.load(conn)?;
        let rows = profiles
            .into_iter()
            .map(|profile| PublicListing {
                locations: all
                    .iter()
                    .filter(|(id, _)| *id == profile.provider_id)
                    .map(|(_, l)| l.clone())
                    .collect(),
                profile,
            })
            .collect();
        Ok(Page::from_rows(
            rows,
            seek,
            per_page,
            |r: &PublicListing| (r.profile.company_name.clone(), r.profile.provider_id),
        ))
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = logos)]
pub struct Logo {
    pub id: i64,
    pub owner_partner_id: i64,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub created_at: chrono::NaiveDateTime,
}

impl Logo {
    pub fn create(
        conn: &mut DbConnection,
        owner: i64,
        content_type: &str,
        bytes: &[u8],
    ) -> QueryResult<i64> {
        let id = new_id();
        diesel::insert_into(logos::table)
            .values((
                logos::id.eq(id),
                logos::owner_partner_id.eq(owner),
                logos::content_type.eq(content_type),
                logos::bytes.eq(bytes),
                logos::sha256.eq(hex(&Sha256::digest(bytes))),
                logos::created_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(id)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Logo> {
        logos::table.find(id).select(Logo::as_select()).first(conn)
    }

    /// Whether a published listing shows this logo (then anyone may see it).
    pub fn is_public(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            provider_profiles::table
                .filter(provider_profiles::logo_id.eq(id))
                .filter(provider_profiles::published.eq(true)),
        ))
        .get_result(conn)
    }
}

/// The image type of uploaded bytes, judged by their content (never by a file name): PNG or JPEG only.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::image_type;

    #[test]
    fn image_type_comes_from_the_bytes() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(
            image_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Some("image/jpeg")
        );
        assert_eq!(
            image_type(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            None
        );
        assert_eq!(image_type(b"<html><script>alert(1)</script>"), None);
        assert_eq!(image_type(b""), None);
    }
}
