//! Multi-factor sign-in (SPEC.md §2.12): set up on Account with a QR code and the key as text,
//! confirmed by a first code; ten single-use recovery codes shown once; after the password, sign-in
//! asks for a code (or a recovery code), each TOTP step taken once. An admin may reset a member's.

use actix_web::cookie::Key;

use crate::auth::seal;
use crate::db::models::mfa::RecoveryCodes;
use crate::db::models::user::User;
use crate::db::{Db, DbError};
use crate::domain::token::{hash_token, hex};
use crate::domain::totp;

/// The issuer apps show next to the account.
pub const ISSUER: &str = "Partner Dashboard";
const SEAL_NAME: &str = "totp";

/// What the set-up page shows for a new key.
pub struct SetupView {
    /// The key in base32, in groups of four ("Can't scan? Enter this key").
    pub key_text: String,
    /// The QR code of the `otpauth://` URI, as an SVG element.
    pub qr_svg: String,
}

pub fn setup_view(key: &[u8], account: &str) -> SetupView {
    let uri = totp::uri(key, ISSUER, account);
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default();
    // The renderer writes an XML declaration first; inline in HTML only the <svg> element belongs.
    let qr_svg = qr_svg
        .find("<svg")
        .map_or(String::new(), |i| qr_svg[i..].to_owned());
    SetupView {
        key_text: totp::grouped(&totp::base32(key)),
        qr_svg,
    }
}

/// The key back from its hex form (the session keeps it, sealed, while the page waits for a code).
pub fn key_from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

pub fn key_to_hex(key: &[u8]) -> String {
    hex(key)
}

fn unix(at: chrono::NaiveDateTime) -> i64 {
    at.and_utc().timestamp()
}

/// Ten recovery codes, `xxxxx-xxxxx`, and their hashes.
fn recovery_codes() -> Result<(Vec<String>, Vec<String>), DbError> {
    let mut codes = Vec::with_capacity(10);
    for _ in 0..10 {
        let bytes = totp::new_key().map_err(|e| DbError::Failed(e.into()))?;
        let text = totp::base32(&bytes[..7]).to_lowercase();
        codes.push(format!("{}-{}", &text[..5], &text[5..10]));
    }
    let hashes = codes.iter().map(|c| hash_recovery(c)).collect();
    Ok((codes, hashes))
}

fn hash_recovery(typed: &str) -> String {
    let normal: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hash_token(&normal)
}

/// Turns multi-factor sign-in on when `typed` is the key's code now: the recovery codes, shown once;
/// none when the code is wrong (nothing written).
pub async fn enable(
    db: &Db,
    seal_key: &Key,
    user_id: i64,
    key: Vec<u8>,
    typed: String,
    at: chrono::NaiveDateTime,
) -> Result<Option<Vec<String>>, DbError> {
    let Some(step) = totp::verify(&key, &typed, unix(at), None) else {
        return Ok(None);
    };
    let sealed = seal::seal(seal_key, SEAL_NAME, &hex(&key)).map_err(DbError::Failed)?;
    let (codes, hashes) = recovery_codes()?;
    db.execute(move |conn| {
        User::set_totp(conn, user_id, Some((&sealed, step)), at)?;
        RecoveryCodes::replace(conn, user_id, &hashes)?;
        crate::db::models::activity::NewActivity::new("user.mfa_enabled", "user", Some(user_id))
            .by(user_id, None)
            .record(conn)?;
        Ok(())
    })
    .await?;
    Ok(Some(codes))
}

/// How a second factor was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Code,
    RecoveryCode,
}

/// Checks the second factor of a sign-in: a code of the user's key not taken before, or an unused
/// recovery code (used up now).
pub async fn check(
    db: &Db,
    seal_key: &Key,
    user_id: i64,
    typed: String,
    at: chrono::NaiveDateTime,
) -> Result<Option<Factor>, DbError> {
    let user = db.query(move |conn| User::find(conn, user_id)).await?;
    let Some(key) = user
        .totp_secret
        .as_deref()
        .and_then(|sealed| seal::open(seal_key, SEAL_NAME, sealed))
        .and_then(|text| key_from_hex(&text))
    else {
        return Ok(None);
    };
    let factor = if let Some(step) = totp::verify(&key, &typed, unix(at), user.totp_last_step) {
        let taken = db
            .execute(move |conn| User::take_totp_step(conn, user_id, step))
            .await?;
        taken.then_some(Factor::Code)
    } else {
        let hash = hash_recovery(&typed);
        let used = db
            .execute(move |conn| RecoveryCodes::use_code(conn, user_id, &hash, at))
            .await?;
        used.then_some(Factor::RecoveryCode)
    };
    // The sign-in is complete only now: its time is what Team shows as the last sign-in.
    if factor.is_some() {
        db.execute(move |conn| User::record_sign_in(conn, user_id))
            .await?;
    }
    Ok(factor)
}

/// Unused recovery codes left.
pub async fn recovery_codes_left(db: &Db, user_id: i64) -> Result<i64, DbError> {
    db.query(move |conn| RecoveryCodes::unused(conn, user_id))
        .await
}
