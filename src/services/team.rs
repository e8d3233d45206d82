//! The Team page of a provider or reseller organisation (SPEC.md §2.12): invite a member by email (a
//! personal link, 7 days, single use, revocable; Resend makes a new one), change a member's role
//! (emailed to them), deactivate (their sessions and API tokens end at once) or reactivate. The organisation keeps at
//! least one active admin. Every change is in the activity log under the admin's name.

use crate::auth::password;
use crate::db::models::activity::NewActivity;
use crate::db::models::api_token::ApiToken;
use crate::db::models::partner::Partner;
use crate::db::models::session::SessionRow;
use crate::db::models::team::{Members, TeamInvitation};
use crate::db::models::user::{NewUser, User};
use crate::db::{Db, DbConnection, DbError};
use crate::domain::token::{hash_token, new_token};
use crate::domain::{Email, MemberRole, PartnerKind, Role};
use crate::email::{self, messages::AccountLink, messages::AccountNotice};
use crate::i18n::{Locale, Tr};
use crate::services::ChangeError;

/// The admin acting on their organisation's team.
#[derive(Clone, Debug)]
pub struct TeamAdmin {
    pub user_id: i64,
    pub partner_id: i64,
    pub name: String,
    pub locale: Option<Locale>,
}

/// What the Team page shows.
pub struct TeamView {
    pub members: Vec<User>,
    pub invitations: Vec<TeamInvitation>,
    /// Members must use multi-factor sign-in.
    pub require_mfa: bool,
    /// The support address and phone customers see.
    pub support_email: String,
    pub support_phone: String,
}

pub async fn view(db: &Db, partner_id: i64) -> Result<TeamView, DbError> {
    db.query(move |conn| {
        let partner = Partner::find(conn, partner_id)?;
        Ok(TeamView {
            members: Members::of(conn, partner_id)?,
            invitations: TeamInvitation::pending_of(conn, partner_id)?,
            require_mfa: partner.require_mfa,
            support_email: partner.support_email.unwrap_or_default(),
            support_phone: partner.support_phone.unwrap_or_default(),
        })
    })
    .await
}

/// Records a team action in the organisation's activity log.
fn log(
    conn: &mut DbConnection,
    partner: &Partner,
    by: &TeamAdmin,
    action: &'static str,
    entity: (&'static str, i64),
    change: (Option<String>, Option<String>),
) -> Result<(), DbError> {
    let mut entry = NewActivity::new(action, entity.0, Some(entity.1))
        .by(by.user_id, Some(partner.id))
        .change(change.0, change.1);
    entry = match partner.kind {
        PartnerKind::Provider => entry.provider(Some(partner.id)),
        PartnerKind::Reseller => entry.reseller(Some(partner.id)),
    };
    entry.record(conn)?;
    Ok(())
}

/// Emails a member about their account, in their language: a subject, one paragraph, the sign-in link.
fn tell(
    conn: &mut DbConnection,
    member: &User,
    subject_key: &str,
    sign_in_url: String,
    body: impl FnOnce(Tr) -> String,
) -> Result<(), DbError> {
    let tr = Tr(member.locale.unwrap_or_default());
    let notice = AccountNotice {
        tr,
        name: member.display_name.clone(),
        subject: tr.t(subject_key).to_owned(),
        paragraphs: vec![body(tr)],
        link: Some(sign_in_url),
    };
    email::queue(conn, &member.email, &notice)?;
    Ok(())
}

fn invitation_email(
    tr: Tr,
    email: &str,
    partner: &Partner,
    by: &TeamAdmin,
    role: MemberRole,
    link: String,
) -> AccountLink {
    AccountLink(AccountNotice {
        tr,
        name: email.to_owned(),
        subject: tr.t1(
            "email.team_invitation.subject",
            "organisation",
            &partner.name,
        ),
        paragraphs: vec![
            tr.t3(
                "email.team_invitation.body",
                "name",
                &by.name,
                "organisation",
                &partner.name,
                "role",
                tr.t(role.label_key()),
            ),
            tr.t("email.team_invitation.expires").to_owned(),
        ],
        link: Some(link),
    })
}

/// Invite member: a personal link emailed to the address. Refused (nothing written) when the address
/// already has an account, or an open invitation of this organisation.
pub async fn invite(
    db: &Db,
    at: chrono::NaiveDateTime,
    by: TeamAdmin,
    email: Email,
    role: MemberRole,
    base_url: String,
) -> Result<(), ChangeError> {
    if !MemberRole::PARTNER.contains(&role) {
        return Err(ChangeError::refused("role", "team.role_invalid"));
    }
    let token = new_token().map_err(|e| DbError::Failed(e.into()))?;
    db.write(move |conn| {
        let partner = Partner::find(conn, by.partner_id)?;
        if User::email_taken(conn, &email)? {
            return Err(ChangeError::refused("email", "team.email_taken"));
        }
        if TeamInvitation::open_for(conn, partner.id, email.as_str(), at)? {
            return Err(ChangeError::refused("email", "team.already_invited"));
        }
        let id = TeamInvitation::create(
            conn,
            partner.id,
            email.as_str(),
            role,
            &hash_token(&token),
            by.user_id,
            at,
        )?;
        log(
            conn,
            &partner,
            &by,
            "team.invited",
            ("team_invitation", id),
            (None, Some(format!("{} ({})", email.as_str(), role))),
        )?;
        let tr = Tr(by.locale.unwrap_or_default());
        let link = format!("{base_url}/team/join/{token}");
        let message = invitation_email(tr, email.as_str(), &partner, &by, role, link);
        email::queue(conn, email.as_str(), &message)?;
        Ok(())
    })
    .await
}

/// Resend: a new link and 7 more days, emailed again; the old link stops working.
pub async fn resend(
    db: &Db,
    at: chrono::NaiveDateTime,
    by: TeamAdmin,
    id: i64,
    base_url: String,
) -> Result<String, ChangeError> {
    let token = new_token().map_err(|e| DbError::Failed(e.into()))?;
    db.write(move |conn| {
        let invitation =
            TeamInvitation::find_in(conn, by.partner_id, id).map_err(ChangeError::lookup)?;
        if !TeamInvitation::renew(conn, id, &hash_token(&token), at)? {
            return Err(ChangeError::NotFound);
        }
        let partner = Partner::find(conn, by.partner_id)?;
        log(
            conn,
            &partner,
            &by,
            "team.invitation_resent",
            ("team_invitation", id),
            (None, Some(invitation.email.clone())),
        )?;
        let tr = Tr(by.locale.unwrap_or_default());
        let link = format!("{base_url}/team/join/{token}");
        let message = invitation_email(
            tr,
            &invitation.email,
            &partner,
            &by,
            invitation.team_role,
            link,
        );
        email::queue(conn, &invitation.email, &message)?;
        Ok(invitation.email)
    })
    .await
}

/// Revoke: the link stops working.
pub async fn revoke(
    db: &Db,
    at: chrono::NaiveDateTime,
    by: TeamAdmin,
    id: i64,
) -> Result<String, ChangeError> {
    db.write(move |conn| {
        let invitation =
            TeamInvitation::find_in(conn, by.partner_id, id).map_err(ChangeError::lookup)?;
        if !TeamInvitation::revoke(conn, id, at)? {
            return Err(ChangeError::NotFound);
        }
        let partner = Partner::find(conn, by.partner_id)?;
        log(
            conn,
            &partner,
            &by,
            "team.invitation_revoked",
            ("team_invitation", id),
            (Some(invitation.email.clone()), None),
        )?;
        Ok(invitation.email)
    })
    .await
}

/// Whether taking `member` out of the admins (demoting or deactivating) leaves none.
fn is_last_admin(conn: &mut DbConnection, partner_id: i64, member: &User) -> Result<bool, DbError> {
    Ok(member.team_role == MemberRole::Admin
        && !member.disabled
        && Members::other_admins(conn, partner_id, member.id)? == 0)
}

/// Change role; the member is told by email. The last admin cannot be demoted; a role that is not
/// one of a partner member's is refused.
pub async fn change_role(
    db: &Db,
    by: TeamAdmin,
    member_id: i64,
    role: Option<MemberRole>,
    sign_in_url: String,
) -> Result<User, ChangeError> {
    db.write(move |conn| {
        let member =
            Members::find_in(conn, by.partner_id, member_id).map_err(ChangeError::lookup)?;
        let Some(role) = role.filter(|r| MemberRole::PARTNER.contains(r)) else {
            return Err(ChangeError::refused("role", "team.role_invalid"));
        };
        if member.team_role == role {
            return Ok(member);
        }
        if role != MemberRole::Admin && is_last_admin(conn, by.partner_id, &member)? {
            return Err(ChangeError::refused("role", "team.last_admin"));
        }
        Members::set_role(conn, member.id, role)?;
        let partner = Partner::find(conn, by.partner_id)?;
        log(
            conn,
            &partner,
            &by,
            "team.role_changed",
            ("user", member.id),
            (Some(member.team_role.to_string()), Some(role.to_string())),
        )?;
        tell(
            conn,
            &member,
            "email.role_changed.subject",
            sign_in_url,
            |tr| {
                tr.t3(
                    "email.role_changed.body",
                    "name",
                    &by.name,
                    "organisation",
                    &partner.name,
                    "role",
                    tr.t(role.label_key()),
                )
            },
        )?;
        Ok(User {
            team_role: role,
            ..member
        })
    })
    .await
}

/// Deactivate (every session of the member ends at once) or reactivate. The last admin cannot be
/// deactivated.
pub async fn set_active(
    db: &Db,
    at: chrono::NaiveDateTime,
    by: TeamAdmin,
    member_id: i64,
    active: bool,
) -> Result<User, ChangeError> {
    db.write(move |conn| {
        let member =
            Members::find_in(conn, by.partner_id, member_id).map_err(ChangeError::lookup)?;
        if member.disabled != active {
            return Ok(member);
        }
        if !active && is_last_admin(conn, by.partner_id, &member)? {
            return Err(ChangeError::refused("member", "team.last_admin"));
        }
        Members::set_active(conn, member.id, active, at)?;
        if !active {
            SessionRow::delete_for_user(conn, member.id, None)?;
            // Their API tokens end too, for good: reactivating does not bring them back.
            ApiToken::revoke_all(conn, member.id, at)?;
        }
        let partner = Partner::find(conn, by.partner_id)?;
        let action = if active {
            "team.reactivated"
        } else {
            "team.deactivated"
        };
        log(
            conn,
            &partner,
            &by,
            action,
            ("user", member.id),
            (None, Some(member.email.clone())),
        )?;
        Ok(User {
            disabled: !active,
            ..member
        })
    })
    .await
}

/// Reset MFA: the member's key and recovery codes are gone (they set it up again at their next
/// sign-in when the organisation requires it), logged, and the member is told by email.
pub async fn reset_mfa(
    db: &Db,
    at: chrono::NaiveDateTime,
    by: TeamAdmin,
    member_id: i64,
    sign_in_url: String,
) -> Result<User, ChangeError> {
    db.write(move |conn| {
        let member =
            Members::find_in(conn, by.partner_id, member_id).map_err(ChangeError::lookup)?;
        if member.totp_secret.is_none() {
            return Ok(member);
        }
        User::set_totp(conn, member.id, None, at)?;
        crate::db::models::mfa::RecoveryCodes::delete_all(conn, member.id)?;
        let partner = Partner::find(conn, by.partner_id)?;
        log(
            conn,
            &partner,
            &by,
            "team.mfa_reset",
            ("user", member.id),
            (None, Some(member.email.clone())),
        )?;
        tell(
            conn,
            &member,
            "email.mfa_reset.subject",
            sign_in_url,
            |tr| {
                tr.t2(
                    "email.mfa_reset.body",
                    "name",
                    &by.name,
                    "when",
                    tr.datetime(&at),
                )
            },
        )?;
        Ok(User {
            totp_secret: None,
            ..member
        })
    })
    .await
}

/// Require multi-factor authentication of every member (at their next sign-in), or not.
pub async fn set_require_mfa(db: &Db, by: TeamAdmin, required: bool) -> Result<(), ChangeError> {
    db.write(move |conn| {
        let partner = Partner::find(conn, by.partner_id)?;
        if partner.require_mfa == required {
            return Ok(());
        }
        Partner::set_require_mfa(conn, partner.id, required)?;
        log(
            conn,
            &partner,
            &by,
            "team.mfa_required_changed",
            ("partner", partner.id),
            (
                Some(partner.require_mfa.to_string()),
                Some(required.to_string()),
            ),
        )?;
        Ok(())
    })
    .await
}

/// The support address and phone customers see, as typed (empty: none).
pub struct SupportContact {
    pub email: String,
    pub phone: String,
}

/// Sets the organisation's support address and phone (logged, old → new); each field's message when
/// refused, nothing written.
pub async fn set_support_contact(
    db: &Db,
    by: TeamAdmin,
    typed: SupportContact,
) -> Result<(), ChangeError> {
    let email = match typed.email.trim() {
        "" => None,
        raw => Some(
            crate::domain::Email::parse(raw)
                .map_err(|key| ChangeError::refused("support_email", key))?
                .into_inner(),
        ),
    };
    crate::domain::check_phone(&typed.phone)
        .map_err(|key| ChangeError::refused("support_phone", key))?;
    let phone = Some(typed.phone.trim().to_owned()).filter(|p| !p.is_empty());
    db.write(move |conn| {
        let partner = Partner::find(conn, by.partner_id)?;
        let shown = |e: &Option<String>, p: &Option<String>| {
            format!(
                "{} {}",
                e.as_deref().unwrap_or("—"),
                p.as_deref().unwrap_or("—")
            )
        };
        if partner.support_email == email && partner.support_phone == phone {
            return Ok(());
        }
        Partner::set_support(conn, partner.id, email.as_deref(), phone.as_deref())?;
        log(
            conn,
            &partner,
            &by,
            "team.support_contact_changed",
            ("partner", partner.id),
            (
                Some(shown(&partner.support_email, &partner.support_phone)),
                Some(shown(&email, &phone)),
            ),
        )?;
        Ok(())
    })
    .await
}

/// What the invitation page shows.
pub struct Joining {
    pub email: String,
    pub role: MemberRole,
    pub organisation: String,
}

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// Unknown, used, revoked or expired: the same answer for each.
    #[error("the invitation is no longer valid")]
    Gone,
    /// The address has an account already (it signed up meanwhile).
    #[error("the address has an account")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(JoinError);

fn open_invitation(
    conn: &mut DbConnection,
    token: &str,
    at: chrono::NaiveDateTime,
) -> Result<(TeamInvitation, Partner), JoinError> {
    let invitation = TeamInvitation::find_by_token_hash(conn, &hash_token(token))?
        .filter(|i| i.is_open(at))
        .ok_or(JoinError::Gone)?;
    let partner = Partner::find(conn, invitation.partner_id)?;
    Ok((invitation, partner))
}

/// The invitation behind a link, if it still works.
pub async fn joining(
    db: &Db,
    at: chrono::NaiveDateTime,
    token: String,
) -> Result<Joining, JoinError> {
    db.read(move |conn| {
        let (invitation, partner) = open_invitation(conn, &token, at)?;
        Ok(Joining {
            email: invitation.email,
            role: invitation.team_role,
            organisation: partner.name,
        })
    })
    .await
}

/// Accepts an invitation: the member's account, with the role invited, and the link used up. The
/// password is already checked against the rule for new passwords.
pub async fn join(
    db: &Db,
    at: chrono::NaiveDateTime,
    token: String,
    display_name: String,
    new_password: String,
    locale: Option<Locale>,
) -> Result<User, JoinError> {
    let hash = tokio::task::spawn_blocking(move || password::hash(&new_password))
        .await
        .map_err(|e| DbError::Failed(anyhow::anyhow!("password hashing was cancelled: {e}")))?
        .map_err(DbError::Failed)?;
    db.write(move |conn| {
        let (invitation, partner) = open_invitation(conn, &token, at)?;
        let email = Email::parse(&invitation.email).map_err(|_| JoinError::Gone)?;
        if User::email_taken(conn, &email)? {
            return Err(JoinError::EmailTaken);
        }
        if !TeamInvitation::accept(conn, invitation.id, at)? {
            return Err(JoinError::Gone);
        }
        let role = match partner.kind {
            PartnerKind::Provider => Role::Provider,
            PartnerKind::Reseller => Role::Reseller,
        };
        let id = User::create_member(
            conn,
            NewUser {
                email: &email,
                password_hash: &hash,
                role,
                partner_id: Some(partner.id),
                customer_id: None,
                display_name: &display_name,
                locale,
                must_change_password: false,
            },
            invitation.team_role,
        )?;
        let joined = TeamAdmin {
            user_id: id,
            partner_id: partner.id,
            name: display_name.clone(),
            locale,
        };
        log(
            conn,
            &partner,
            &joined,
            "team.joined",
            ("user", id),
            (
                None,
                Some(format!("{} ({})", email.as_str(), invitation.team_role)),
            ),
        )?;
        Ok(User::find(conn, id)?)
    })
    .await
}
