//! Passwords: argon2id hashes (PHC strings), the length rule, and temporary passwords from the OS CSPRNG.

use anyhow::Context;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 256;
pub const TEMPORARY_LENGTH: usize = 20;

fn hasher() -> Argon2<'static> {
    // OWASP's recommended argon2id settings: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The settings for a temporary password. Argon2's cost exists to slow down guessing a password a person
/// chose; a temporary password is ~116 random bits from the OS CSPRNG, which no amount of guessing reaches,
/// so the memory-hard cost buys nothing there. The minimum settings keep the hash argon2id (one verifier,
/// one format; the parameters travel in the PHC string) while making a customer's creation cost well
/// under a millisecond instead of 19 MiB and ~30 ms per order. A person's own password, set at the forced
/// change that follows, gets the full settings.
fn temporary_hasher() -> Argon2<'static> {
    let params = Params::new(Params::MIN_M_COST.max(64), 1, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A new temporary password and its hash.
pub fn temporary_with_hash() -> anyhow::Result<(String, String)> {
    let temporary = temporary()?;
    let hash = hash_with(&temporary_hasher(), &temporary)?;
    Ok((temporary, hash))
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    hash_with(&hasher(), password)
}

fn hash_with(hasher: &Argon2<'_>, password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = hasher
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("cannot hash a password")?;
    Ok(hash.to_string())
}

/// Checks a password against its stored hash, with the parameters the hash was made with.
pub fn verify(stored_hash: &str, password: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// `verify`, always at the cost of a full check: a temporary password's light hash (see
/// `temporary_hasher`) answers in microseconds, which would tell a fresh customer admin apart from a
/// real account or an unknown one, so such a check is topped up with a dummy one.
pub fn verify_at_full_cost(stored_hash: &str, password: &str) -> bool {
    let ok = verify(stored_hash, password);
    if !is_full_cost(stored_hash) {
        verify_dummy(password);
    }
    ok
}

/// Whether a stored hash was made with at least the settings of `hasher`.
fn is_full_cost(stored_hash: &str) -> bool {
    let full = hasher();
    let full = full.params();
    match PasswordHash::new(stored_hash).and_then(|h| Params::try_from(&h)) {
        Ok(params) => params.m_cost() >= full.m_cost() && params.t_cost() >= full.t_cost(),
        Err(_) => false,
    }
}

/// Spends the same time as a real check, so a sign-in for an unknown account is not told apart by timing.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("dummy password for timing").unwrap_or_default());
    let _ = verify(stored, password);
}

/// The rule for a password a person chooses: the message key when it is not acceptable.
pub fn check_new(password: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars == 0 {
        Err("validation.required")
    } else if chars < MIN_LENGTH {
        Err("validation.password_too_short")
    } else if chars > MAX_LENGTH {
        Err("validation.password_too_long")
    } else {
        Ok(())
    }
}

/// A temporary password: 20 characters from a 56-letter alphabet without look-alikes (~116 bits).
pub fn temporary() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    let mut out = String::with_capacity(TEMPORARY_LENGTH);
    while out.len() < TEMPORARY_LENGTH {
        let mut buf = [0u8; 32];
        getrandom::fill(&mut buf)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("no random source")?;
        for b in buf {
            // Rejection sampling keeps every letter equally likely.
            let limit = 256 - (256 % ALPHABET.len());
            if usize::from(b) < limit && out.len() < TEMPORARY_LENGTH {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_right_password() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(&h, "correct horse battery"));
        assert!(!verify(&h, "wrong horse battery"));
        assert!(!verify("not a hash", "anything"));
    }

    #[test]
    fn new_passwords_need_twelve_characters() {
        assert_eq!(check_new(""), Err("validation.required"));
        assert_eq!(check_new("short"), Err("validation.password_too_short"));
        assert_eq!(check_new("twelve chars"), Ok(()));
        // Characters, not bytes: twelve Chinese characters are enough.
        assert_eq!(check_new("一二三四五六七八九十百千"), Ok(()));
    }

    #[test]
    fn temporary_passwords_are_long_and_different() {
        let a = temporary().unwrap();
        let b = temporary().unwrap();
        assert_eq!(a.chars().count(), TEMPORARY_LENGTH);
        assert_ne!(a, b);
        assert!(check_new(&a).is_ok());
    }

    #[test]
    fn temporary_hashes_are_light_argon2id_and_verify_beside_full_ones() {
        let (temporary, light) = temporary_with_hash().unwrap();
        assert!(light.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{light}");
        assert!(verify(&light, &temporary));
        assert!(!verify(&light, "not the temporary password"));
        let full = hash("a password a person chose").unwrap();
        assert!(
            full.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{full}"
        );
        assert!(verify(&full, "a password a person chose"));
        assert!(is_full_cost(&full));
        assert!(!is_full_cost(&light));
        assert!(verify_at_full_cost(&light, &temporary));
        assert!(!verify_at_full_cost(&light, "wrong"));
    }
}
