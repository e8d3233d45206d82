//! Provider and reseller organisations.

use diesel::prelude::*;

use crate::db::schema::partners;
use crate::db::{DbConnection, new_id, now};
use crate::domain::{EnrollmentStatus, PartnerKind};
use crate::pagination::{Page, Seek};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = partners)]
pub struct Partner {
    pub id: i64,
    pub kind: PartnerKind,
    pub name: String,
    pub partner_number: Option<String>,
    pub country: String,
    pub contact_name: String,
    pub contact_email: String,
    pub enrollment_status: EnrollmentStatus,
    pub rejection_reason: Option<String>,
    pub reviewed_at: Option<chrono::NaiveDateTime>,
    pub reviewed_by: Option<i64>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    /// Members must use multi-factor sign-in (Team).
    pub require_mfa: bool,
    /// The address and phone customers see for support (Team); none: the contact email.
    pub support_email: Option<String>,
    pub support_phone: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = partners)]
struct NewPartnerRow<'a> {
    id: i64,
    kind: PartnerKind,
    name: &'a str,
    partner_number: Option<&'a str>,
    country: &'a str,
    contact_name: &'a str,
    contact_email: &'a str,
    enrollment_status: EnrollmentStatus,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

pub struct NewPartner<'a> {
    pub kind: PartnerKind,
    pub name: &'a str,
    pub partner_number: Option<&'a str>,
    pub country: &'a str,
    pub contact_name: &'a str,
    pub contact_email: &'a str,
    pub enrollment_status: EnrollmentStatus,
}

impl Partner {
    pub fn create(conn: &mut DbConnection, new: NewPartner<'_>) -> QueryResult<i64> {
        let id = new_id();
        let at = now();
        diesel::insert_into(partners::table)
            .values(NewPartnerRow {
                id,
                kind: new.kind,
                name: new.name,
                partner_number: new.partner_number,
                country: new.country,
                contact_name: new.contact_name,
                contact_email: new.contact_email,
                enrollment_status: new.enrollment_status,
                created_at: at,
                updated_at: at,
            })
            .execute(conn)?;
        Ok(id)
    }

    /// Every provider's id (the statement job visits each).
    pub fn provider_ids(conn: &mut DbConnection) -> QueryResult<Vec<i64>> {
        partners::table
            .filter(partners::kind.eq(PartnerKind::Provider))
            .order(partners::id.asc())
            .select(partners::id)
            .load(conn)
    }

    /// Days from a statement's issue to its due date (the provider's setting).
    pub fn statement_due_days(conn: &mut DbConnection, id: i64) -> QueryResult<i32> {
        partners::table
            .find(id)
            .select(partners::statement_due_days)
            .first(conn)
    }

    /// The support address and phone customers see (none: cleared).
    pub fn set_support(
        conn: &mut DbConnection,
        id: i64,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> QueryResult<()> {
        diesel::update(partners::table.find(id))
            .set((
                partners::support_email.eq(email),
                partners::support_phone.eq(phone),
            ))
            .execute(conn)
            .map(|_| ())
    }

    pub fn set_require_mfa(conn: &mut DbConnection, id: i64, required: bool) -> QueryResult<()> {
        diesel::update(partners::table.find(id))
            .set(partners::require_mfa.eq(required))
            .execute(conn)
            .map(|_| ())
    }

    pub fn set_statement_due_days(conn: &mut DbConnection, id: i64, days: i32) -> QueryResult<()> {
        diesel::update(partners::table.find(id))
            .set(partners::statement_due_days.eq(days))
            .execute(conn)
            .map(|_| ())
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Partner> {
        partners::table
            .find(id)
            .select(Partner::as_select())
            .first(conn)
    }

    pub fn count_by_kind(conn: &mut DbConnection, kind: PartnerKind) -> QueryResult<i64> {
        partners::table
            .filter(partners::kind.eq(kind))
            .count()
            .get_result(conn)
    }

    pub fn partner_number_taken(conn: &mut DbConnection, number: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            partners::table.filter(partners::partner_number.eq(number)),
        ))
        .get_result(conn)
    }

    /// A reseller organisation by id.
    pub fn find_reseller(conn: &mut DbConnection, id: i64) -> QueryResult<Partner> {
        partners::table
            .filter(partners::id.eq(id))
            .filter(partners::kind.eq(PartnerKind::Reseller))
            .select(Partner::as_select())
            .first(conn)
    }

    /// Records an operator's decision on a pending enrollment; false when it was not pending.
    pub fn review_enrollment(
        conn: &mut DbConnection,
        id: i64,
        decision: EnrollmentStatus,
        reason: Option<&str>,
        reviewer: i64,
    ) -> QueryResult<bool> {
        let at = now();
        diesel::update(
            partners::table
                .filter(partners::id.eq(id))
                .filter(partners::kind.eq(PartnerKind::Reseller))
                .filter(partners::enrollment_status.eq(EnrollmentStatus::Pending)),
        )
        .set((
            partners::enrollment_status.eq(decision),
            partners::rejection_reason.eq(reason),
            partners::reviewed_at.eq(Some(at)),
            partners::reviewed_by.eq(Some(reviewer)),
            partners::updated_at.eq(at),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Resellers in an enrollment state, oldest first (the review queue).
    pub fn enrollments_page(
        conn: &mut DbConnection,
        status: EnrollmentStatus,
        seek: &Seek<i64>,
        per_page: usize,
    ) -> QueryResult<Page<Partner>> {
        let mut query = partners::table
            .filter(partners::kind.eq(PartnerKind::Reseller))
            .filter(partners::enrollment_status.eq(status))
            .select(Partner::as_select())
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        query = crate::oldest_first!(query, partners::id, seek);
        let rows = query.load(conn)?;
        Ok(Page::from_rows(rows, seek, per_page, |p: &Partner| p.id))
    }

    /// How many enrollments wait for review (a small number: the review queue).
    pub fn count_pending_enrollments(conn: &mut DbConnection) -> QueryResult<i64> {
        partners::table
            .filter(partners::kind.eq(PartnerKind::Reseller))
            .filter(partners::enrollment_status.eq(EnrollmentStatus::Pending))
            .count()
            .get_result(conn)
    }

    /// Organisations of a kind by name, a page at a time (the console's providers).
    pub fn page_by_name(
        conn: &mut DbConnection,
        kind: PartnerKind,
        seek: &Seek<(String, i64)>,
        per_page: usize,
    ) -> QueryResult<Page<Partner>> {
        let mut query = partners::table
            .filter(partners::kind.eq(kind))
            .select(Partner::as_select())
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        query = crate::by_name!(query, partners::name, partners::id, seek);
        let rows = query.load(conn)?;
        Ok(Page::from_rows(rows, seek, per_page, |p: &Partner| {
            (p.name.clone(), p.id)
        }))
    }

    /// Organisations of a kind for a filter's choices, by name: the first `limit`, and `selected` even
    /// when it is not among them.
    pub fn choices(
        conn: &mut DbConnection,
        kind: PartnerKind,
        limit: i64,
        selected: Option<i64>,
    ) -> QueryResult<Vec<(i64, String)>> {
        let mut rows: Vec<(i64, String)> = partners::table
            .filter(partners::kind.eq(kind))
            .order((partners::name.asc(), partners::id.asc()))
            .limit(limit)
            .select((partners::id, partners::name))
            .load(conn)?;
        if let Some(id) = selected.filter(|id| !rows.iter().any(|(r, _)| r == id)) {
            let extra: Option<(i64, String)> = partners::table
                .filter(partners::id.eq(id))
                .filter(partners::kind.eq(kind))
                .select((partners::id, partners::name))
                .first(conn)
                .optional()?;
            rows.extend(extra);
        }
        Ok(rows)
    }
}
