//! People who sign in: provider and reseller staff, customer admins, operators.

use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::{DbConnection, new_id, now};
use crate::domain::{Email, EnrollmentStatus, MemberRole, PartnerKind, Role};
use crate::i18n::Locale;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub partner_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub display_name: String,
    pub locale: Option<Locale>,
    pub must_change_password: bool,
    pub disabled: bool,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    pub last_sign_in_at: Option<chrono::NaiveDateTime>,
    /// An IANA zone name; none: the organisation's country's.
    pub time_zone: Option<String>,
    /// Their role in their organisation (a customer's users, and the first user of any organisation:
    /// admin).
    pub team_role: MemberRole,
    /// When an admin deactivated them (`disabled` is then set too).
    pub deactivated_at: Option<chrono::NaiveDateTime>,
    /// Their TOTP key, sealed under the server's key (none: no multi-factor sign-in).
    pub totp_secret: Option<String>,
    /// The last TOTP step accepted: a code is taken once.
    pub totp_last_step: Option<i64>,
    pub mfa_enabled_at: Option<chrono::NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUserRow<'a> {
    id: i64,
    email: &'a str,
    password_hash: &'a str,
    role: Role,
    partner_id: Option<i64>,
    customer_id: Option<i64>,
    display_name: &'a str,
    locale: Option<Locale>,
    must_change_password: bool,
    disabled: bool,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    team_role: MemberRole,
}

/// What it takes to create a user. The password arrives already hashed.
pub struct NewUser<'a> {
    pub email: &'a Email,
    pub password_hash: &'a str,
    pub role: Role,
    pub partner_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub display_name: &'a str,
    pub locale: Option<Locale>,
    pub must_change_password: bool,
}

/// The organisation a signed-in user belongs to, as the layout and the role checks need it.
/// The signed-in user, their organisation, (a customer admin's) customer's country, and (an
/// operator's) whether the platform requires multi-factor sign-in.
pub type SignedInRow = (User, Option<PartnerSummary>, Option<String>, Option<bool>);

/// The tables a signed-in user is loaded from (a session's, an API token's): the user with their
/// organisation, customer and, for an operator, the platform's settings.
#[macro_export]
macro_rules! signed_in_source {
    () => {
        $crate::db::schema::users::table
            .left_join($crate::db::schema::partners::table)
            .left_join($crate::db::schema::customers::table)
            .left_join(
                $crate::db::schema::platform_settings::table
                    .on($crate::db::schema::users::role.eq("operator")),
            )
    };
}

/// What is selected from `signed_in_source!()`: a `SignedInRow`.
#[macro_export]
macro_rules! signed_in_columns {
    () => {
        (
            $crate::db::models::user::User::as_select(),
            (
                $crate::db::schema::partners::id,
                $crate::db::schema::partners::kind,
                $crate::db::schema::partners::name,
                $crate::db::schema::partners::enrollment_status,
                $crate::db::schema::partners::country,
                $crate::db::schema::partners::require_mfa,
            )
                .nullable(),
            $crate::db::schema::customers::country.nullable(),
            $crate::db::schema::platform_settings::require_mfa.nullable(),
        )
    };
}

#[derive(Queryable, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PartnerSummary {
    pub id: i64,
    pub kind: PartnerKind,
    pub name: String,
    pub enrollment_status: EnrollmentStatus,
    pub country: String,
    pub require_mfa: bool,
}

impl User {
    /// Creates an organisation's admin (its first user, a customer's user, an operator).
    pub fn create(conn: &mut DbConnection, new: NewUser<'_>) -> QueryResult<i64> {
        Self::create_member(conn, new, MemberRole::Admin)
    }

    /// Creates a member with a role (one who accepted a Team invitation).
    pub fn create_member(
        conn: &mut DbConnection,
        new: NewUser<'_>,
        team_role: MemberRole,
    ) -> QueryResult<i64> {
        let id = new_id();
        let at = now();
        diesel::insert_into(users::table)
            .values(NewUserRow {
                id,
                email: new.email.as_str(),
                password_hash: new.password_hash,
                role: new.role,
                partner_id: new.partner_id,
                customer_id: new.customer_id,
                display_name: new.display_name,
                locale: new.locale,
                must_change_password: new.must_change_password,
                disabled: false,
                created_at: at,
                updated_at: at,
                team_role,
            })
            .execute(conn)?;
        Ok(id)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<User> {
        users::table.find(id).select(User::as_select()).first(conn)
    }

    pub fn find_by_email(conn: &mut DbConnection, email: &Email) -> QueryResult<Option<User>> {
        users::table
            .filter(users::email.eq(email.as_str()))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn email_taken(conn: &mut DbConnection, email: &Email) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            users::table.filter(users::email.eq(email.as_str())),
        ))
        .get_result(conn)
    }

    /// The user and their organisation (a customer admin's: its country), for the request's
    /// signed-in identity. Disabled users are absent.
    pub fn load_signed_in(conn: &mut DbConnection, id: i64) -> QueryResult<Option<SignedInRow>> {
        crate::signed_in_source!()
            .filter(users::id.eq(id))
            .filter(users::disabled.eq(false))
            .select(crate::signed_in_columns!())
            .first(conn)
            .optional()
    }

    /// Sets the user's time zone (none: the organisation's country's).
    pub fn set_time_zone(conn: &mut DbConnection, id: i64, zone: Option<&str>) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set((users::time_zone.eq(zone), users::updated_at.eq(now())))
            .execute(conn)
            .map(|_| ())
    }

    pub fn set_password(
        conn: &mut DbConnection,
        id: i64,
        password_hash: &str,
        must_change: bool,
    ) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(password_hash),
                users::must_change_password.eq(must_change),
                users::updated_at.eq(now()),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Turns multi-factor sign-in on with this sealed key, the step of the code that confirmed it
    /// taken; or off (`None`).
    pub fn set_totp(
        conn: &mut DbConnection,
        id: i64,
        sealed: Option<(&str, i64)>,
        at: chrono::NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set((
                users::totp_secret.eq(sealed.map(|s| s.0)),
                users::totp_last_step.eq(sealed.map(|s| s.1)),
                users::mfa_enabled_at.eq(sealed.map(|_| at)),
                users::updated_at.eq(now()),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Takes a TOTP step: false when it (or a later one) was taken already.
    pub fn take_totp_step(conn: &mut DbConnection, id: i64, step: i64) -> QueryResult<bool> {
        diesel::update(
            users::table.filter(users::id.eq(id)).filter(
                users::totp_last_step
                    .is_null()
                    .or(users::totp_last_step.lt(step)),
            ),
        )
        .set(users::totp_last_step.eq(Some(step)))
        .execute(conn)
        .map(|n| n == 1)
    }

    pub fn record_sign_in(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set(users::last_sign_in_at.eq(Some(now())))
            .execute(conn)
            .map(|_| ())
    }

    pub fn set_locale(conn: &mut DbConnection, id: i64, locale: Locale) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set(users::locale.eq(Some(locale)))
            .execute(conn)
            .map(|_| ())
    }

    /// A customer's admin users (a customer has a handful), oldest first.
    pub fn of_customer(conn: &mut DbConnection, customer_id: i64) -> QueryResult<Vec<User>> {
        users::table
            .filter(users::customer_id.eq(customer_id))
            .order(users::id.asc())
            .limit(50)
            .select(User::as_select())
            .load(conn)
    }

    /// The admin users of these customers (a batch of a statement run), oldest first.
    pub fn of_customers(conn: &mut DbConnection, customers: &[i64]) -> QueryResult<Vec<User>> {
        users::table
            .filter(users::customer_id.eq_any(customers))
            .order(users::id.asc())
            .select(User::as_select())
            .load(conn)
    }

    /// The users of an organisation, for notifications to it (in each one's language).
    pub fn of_partner(conn: &mut DbConnection, partner_id: i64) -> QueryResult<Vec<User>> {
        users::table
            .filter(users::partner_id.eq(partner_id))
            .filter(users::disabled.eq(false))
            .order(users::id.asc())
            .limit(50)
            .select(User::as_select())
            .load(conn)
    }

    /// The users of an organisation whose role may do what a notice is about (`need`): a statement
    /// goes to those who see money, a renewal to those who see orders.
    pub fn of_partner_who_may(
        conn: &mut DbConnection,
        partner_id: i64,
        need: crate::domain::Need,
    ) -> QueryResult<Vec<User>> {
        Ok(Self::of_partner(conn, partner_id)?
            .into_iter()
            .filter(|u| u.team_role.may(need))
            .collect())
    }
}
