//! A partner organisation's team: its members (users of the organisation, each with a role) and the
//! invitations to join it (a personal link, kept as its SHA-256, 7 days, single use, revocable).

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::new_id;
use crate::db::schema::{team_invitations, users};
use crate::domain::MemberRole;

use super::user::User;

/// An invitation neither accepted nor revoked, by id: what Resend, Revoke and accepting change.
type Unanswered = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<team_invitations::table, diesel::dsl::Eq<team_invitations::id, i64>>,
        diesel::dsl::IsNull<team_invitations::accepted_at>,
    >,
    diesel::dsl::IsNull<team_invitations::revoked_at>,
>;

fn unanswered(id: i64) -> Unanswered {
    team_invitations::table
        .filter(team_invitations::id.eq(id))
        .filter(team_invitations::accepted_at.is_null())
        .filter(team_invitations::revoked_at.is_null())
}

/// How long an invitation's link works.
pub const INVITATION_DAYS: i64 = 7;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = team_invitations)]
pub struct TeamInvitation {
    pub id: i64,
    pub partner_id: i64,
    pub email: String,
    pub team_role: MemberRole,
    pub token_hash: String,
    pub invited_by: i64,
    pub created_at: chrono::NaiveDateTime,
    pub expires_at: chrono::NaiveDateTime,
    pub accepted_at: Option<chrono::NaiveDateTime>,
    pub revoked_at: Option<chrono::NaiveDateTime>,
}

impl TeamInvitation {
    /// Neither accepted nor revoked, and not expired at `at`.
    pub fn is_open(&self, at: chrono::NaiveDateTime) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none() && self.expires_at > at
    }

    pub fn create(
        conn: &mut DbConnection,
        partner_id: i64,
        email: &str,
        role: MemberRole,
        token_hash: &str,
        invited_by: i64,
        at: chrono::NaiveDateTime,
    ) -> QueryResult<i64> {
        let id = new_id();
        diesel::insert_into(team_invitations::table)
            .values((
                team_invitations::id.eq(id),
                team_invitations::partner_id.eq(partner_id),
                team_invitations::email.eq(email),
                team_invitations::team_role.eq(role),
                team_invitations::token_hash.eq(token_hash),
                team_invitations::invited_by.eq(invited_by),
                team_invitations::created_at.eq(at),
                team_invitations::expires_at.eq(at + chrono::Duration::days(INVITATION_DAYS)),
            ))
            .execute(conn)?;
        Ok(id)
    }

    /// One of this organisation's invitations (another's: not found).
    pub fn find_in(conn: &mut DbConnection, partner_id: i64, id: i64) -> QueryResult<Self> {
        team_invitations::table
            .filter(team_invitations::id.eq(id))
            .filter(team_invitations::partner_id.eq(partner_id))
            .select(Self::as_select())
            .first(conn)
    }

    pub fn find_by_token_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<Self>> {
        team_invitations::table
            .filter(team_invitations::token_hash.eq(hash))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// The organisation's invitations neither accepted nor revoked (expired ones too, so they can be
    /// sent again), newest first.
    pub fn pending_of(conn: &mut DbConnection, partner_id: i64) -> QueryResult<Vec<Self>> {
        team_invitations::table
            .filter(team_invitations::partner_id.eq(partner_id))
            .filter(team_invitations::accepted_at.is_null())
            .filter(team_invitations::revoked_at.is_null())
            .order(team_invitations::id.desc())
            .limit(200)
            .select(Self::as_select())
            .load(conn)
    }

    /// An open invitation of this organisation to this address, if any.
    pub fn open_for(
        conn: &mut DbConnection,
        partner_id: i64,
        email: &str,
        at: chrono::NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            team_invitations::table
                .filter(team_invitations::partner_id.eq(partner_id))
                .filter(team_invitations::email.eq(email))
                .filter(team_invitations::accepted_at.is_null())
                .filter(team_invitations::revoked_at.is_null())
                .filter(team_invitations::expires_at.gt(at)),
        ))
        .get_result(conn)
    }

    /// A new link and 7 more days (Resend): the old link stops working.
    pub fn renew(
        conn: &mut DbConnection,
        id: i64,
        token_hash: &str,
        at: chrono::NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(unanswered(id))
            .set((
                team_invitations::token_hash.eq(token_hash),
                team_invitations::expires_at.eq(at + chrono::Duration::days(INVITATION_DAYS)),
            ))
            .execute(conn)
            .map(|n| n == 1)
    }

    pub fn revoke(
        conn: &mut DbConnection,
        id: i64,
        at: chrono::NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(unanswered(id))
            .set(team_invitations::revoked_at.eq(Some(at)))
            .execute(conn)
            .map(|n| n == 1)
    }

    /// Marks it accepted, once: false when someone else was first (or it was revoked meanwhile).
    pub fn accept(
        conn: &mut DbConnection,
        id: i64,
        at: chrono::NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(unanswered(id).filter(team_invitations::expires_at.gt(at)))
            .set(team_invitations::accepted_at.eq(Some(at)))
            .execute(conn)
            .map(|n| n == 1)
    }
}

/// The members of an organisation, active and deactivated.
pub struct Members;

impl Members {
    /// Everyone of the organisation, admins first, then by name.
    pub fn of(conn: &mut DbConnection, partner_id: i64) -> QueryResult<Vec<User>> {
        let mut members: Vec<User> = users::table
            .filter(users::partner_id.eq(partner_id))
            .order(users::id.asc())
            .limit(500)
            .select(User::as_select())
            .load(conn)?;
        members.sort_by(|a, b| {
            (
                a.disabled,
                a.team_role != MemberRole::Admin,
                a.display_name.to_lowercase(),
            )
                .cmp(&(
                    b.disabled,
                    b.team_role != MemberRole::Admin,
                    b.display_name.to_lowercase(),
                ))
        });
        Ok(members)
    }

    /// One member of this organisation (another's: not found).
    pub fn find_in(conn: &mut DbConnection, partner_id: i64, user_id: i64) -> QueryResult<User> {
        users::table
            .filter(users::id.eq(user_id))
            .filter(users::partner_id.eq(partner_id))
            .select(User::as_select())
            .first(conn)
    }

    /// Active admins of the organisation other than this user.
    pub fn other_admins(
        conn: &mut DbConnection,
        partner_id: i64,
        user_id: i64,
    ) -> QueryResult<i64> {
        users::table
            .filter(users::partner_id.eq(partner_id))
            .filter(users::id.ne(user_id))
            .filter(users::team_role.eq(MemberRole::Admin))
            .filter(users::disabled.eq(false))
            .count()
            .get_result(conn)
    }

    pub fn set_role(conn: &mut DbConnection, user_id: i64, role: MemberRole) -> QueryResult<()> {
        diesel::update(users::table.find(user_id))
            .set((
                users::team_role.eq(role),
                users::updated_at.eq(crate::db::now()),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Deactivates (or reactivates) a member: a deactivated one cannot sign in; their history keeps
    /// their name.
    pub fn set_active(
        conn: &mut DbConnection,
        user_id: i64,
        active: bool,
        at: chrono::NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(users::table.find(user_id))
            .set((
                users::disabled.eq(!active),
                users::deactivated_at.eq((!active).then_some(at)),
                users::updated_at.eq(crate::db::now()),
            ))
            .execute(conn)
            .map(|_| ())
    }
}
