//! Provider and reseller organisations.

use diesel::prelude::*;

use crate::db::schema::partners;
use crate::db::{DbConnection, new_id, now};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = partners)]
pub struct Partner {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub partner_number: Option<String>,
    pub country: String,
    pub contact_name: String,
    pub contact_email: String,
    pub enrollment_status: String,
    pub rejection_reason: Option<String>,
    pub reviewed_at: Option<chrono::NaiveDateTime>,
    pub reviewed_by: Option<i64>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartnerKind {
    Provider,
    Reseller,
}

impl PartnerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provider => "provider",
            Self::Reseller => "reseller",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrollmentStatus {
    Pending,
    Verified,
    Rejected,
}

impl EnrollmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Verified => "verified",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "verified" => Some(Self::Verified),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = partners)]
struct NewPartnerRow<'a> {
    id: i64,
    kind: &'a str,
    name: &'a str,
    partner_number: Option<&'a str>,
    country: &'a str,
    contact_name: &'a str,
    contact_email: &'a str,
    enrollment_status: &'a str,
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
                kind: new.kind.as_str(),
                name: new.name,
                partner_number: new.partner_number,
                country: new.country,
                contact_name: new.contact_name,
                contact_email: new.contact_email,
                enrollment_status: new.enrollment_status.as_str(),
                created_at: at,
                updated_at: at,
            })
            .execute(conn)?;
        Ok(id)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Partner> {
        partners::table
            .find(id)
            .select(Partner::as_select())
            .first(conn)
    }

    pub fn enrollment_status(&self) -> EnrollmentStatus {
        EnrollmentStatus::parse(&self.enrollment_status).unwrap_or(EnrollmentStatus::Pending)
    }

    pub fn count_by_kind(conn: &mut DbConnection, kind: PartnerKind) -> QueryResult<i64> {
        partners::table
            .filter(partners::kind.eq(kind.as_str()))
            .count()
            .get_result(conn)
    }
}
