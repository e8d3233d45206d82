//! API tokens (SPEC.md §2.14), made on Account by a member of a provider or reseller: named, expiring
//! within a year, read-only or read-write (never more than the member's role: the role is checked on
//! every call), shown once and kept only as their SHA-256, revocable; logged.

use crate::db::models::activity::NewActivity;
use crate::db::models::api_token::{Access, ApiToken, NewToken};
use crate::db::{Db, DbError};
use crate::domain::PartnerKind;
use crate::domain::form::FormErrors;
use crate::domain::token::{hash_token, new_token};

/// Every token starts so, which tells a secret scanner (and a person) what it is.
pub const TOKEN_PREFIX: &str = "pd_";
/// The longest a token may live.
pub const MAX_DAYS: i64 = 365;
/// The lifetimes Account offers.
pub const DAY_CHOICES: [i64; 4] = [30, 90, 180, 365];

/// The form as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub days: String,
    #[serde(default)]
    pub access: String,
}

/// The form, checked.
pub struct CheckedToken {
    pub name: String,
    pub days: i64,
    pub access: Access,
}

pub fn check(form: &TokenForm) -> Result<CheckedToken, FormErrors> {
    let mut errors = FormErrors::new();
    let name = errors.text("name", &form.name, 100);
    let days = errors.check(
        "days",
        form.days
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=MAX_DAYS).contains(d))
            .ok_or("api_tokens.days_invalid"),
    );
    let access = errors.check(
        "access",
        Access::parse(&form.access).ok_or("api_tokens.access_invalid"),
    );
    match (days, access) {
        (Some(days), Some(access)) if errors.is_empty() => Ok(CheckedToken { name, days, access }),
        _ => Err(errors),
    }
}

/// Who makes or revokes a token.
#[derive(Clone, Copy, Debug)]
pub struct Owner {
    pub user_id: i64,
    pub partner_id: i64,
    pub kind: PartnerKind,
}

impl Owner {
    fn log(self, action: &'static str, token_id: i64, name: String) -> NewActivity {
        let entry = NewActivity::new(action, "api_token", Some(token_id))
            .by(self.user_id, Some(self.partner_id))
            .change(None, Some(name));
        match self.kind {
            PartnerKind::Provider => entry.provider(Some(self.partner_id)),
            PartnerKind::Reseller => entry.reseller(Some(self.partner_id)),
        }
    }
}

/// Makes a token: its id and the secret, to be shown this once.
pub async fn create(
    db: &Db,
    owner: Owner,
    token: CheckedToken,
    now: chrono::NaiveDateTime,
) -> Result<(i64, String), DbError> {
    let secret = format!(
        "{TOKEN_PREFIX}{}",
        new_token().map_err(|e| DbError::Failed(e.into()))?
    );
    let hash = hash_token(&secret);
    let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let id = db
        .execute(move |conn| {
            let id = ApiToken::create(
                conn,
                &NewToken {
                    user_id: owner.user_id,
                    name: &token.name,
                    token_hash: &hash,
                    prefix: &prefix,
                    access: token.access,
                    now,
                    expires_at: now + chrono::Duration::days(token.days),
                },
            )?;
            owner
                .log("api_token.created", id, token.name.clone())
                .at(now)
                .record(conn)?;
            Ok(id)
        })
        .await?;
    Ok((id, secret))
}

/// The member's tokens, newest first.
pub async fn list(db: &Db, user_id: i64) -> Result<Vec<ApiToken>, DbError> {
    db.query(move |conn| ApiToken::of_user(conn, user_id)).await
}

/// What Revoke did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revoked {
    Revoked,
    /// Revoked before (a second click): nothing changed.
    Already,
    /// A colleague's token: only its owner revokes it (or deactivating them does); nothing changed.
    NotYours,
    /// No such token in the member's organisation.
    NotFound,
}

/// Revokes one of the member's own tokens.
pub async fn revoke(
    db: &Db,
    owner: Owner,
    id: i64,
    now: chrono::NaiveDateTime,
) -> Result<Revoked, DbError> {
    db.execute(move |conn| {
        let name = match ApiToken::owner(conn, id)? {
            Some((user, _, name)) if user == owner.user_id => name,
            Some((_, Some(partner), _)) if partner == owner.partner_id => {
                return Ok(Revoked::NotYours);
            }
            _ => return Ok(Revoked::NotFound),
        };
        if !ApiToken::revoke(conn, owner.user_id, id, now)? {
            return Ok(Revoked::Already);
        }
        owner
            .log("api_token.revoked", id, name)
            .at(now)
            .record(conn)?;
        Ok(Revoked::Revoked)
    })
    .await
}

/// What a bearer token vouches for at `now`: the token and its user (active), or none.
pub async fn authenticate(
    db: &Db,
    secret: &str,
    now: chrono::NaiveDateTime,
) -> Result<Option<(ApiToken, crate::db::models::user::SignedInRow)>, DbError> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let hash = hash_token(secret);
    let found = db
        .query(move |conn| ApiToken::find_live(conn, &hash, now))
        .await?;
    // Its last use, at most once a minute (a busy client must not queue a write per request).
    if let Some((token, _)) = &found
        && token
            .last_used_at
            .is_none_or(|at| now - at >= chrono::Duration::minutes(1))
    {
        let id = token.id;
        db.execute(move |conn| ApiToken::touch(conn, id, now))
            .await?;
    }
    Ok(found)
}
