//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, HMAC-SHA-1, 6 digits, 30-second
//! steps), as authenticator apps make them: the key, its base32 text and `otpauth://` URI, and the
//! check that accepts a code of the step before, now or after — each step once.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP: i64 = 30;
const DIGITS: u32 = 6;

/// A new random key (160 bits, as RFC 4226 recommends).
pub fn new_key() -> Result<Vec<u8>, super::token::NoRandomness> {
    let mut key = vec![0u8; 20];
    getrandom::fill(&mut key).map_err(|e| super::token::NoRandomness(e.to_string()))?;
    Ok(key)
}

/// RFC 4648 base32 without padding, upper case: how apps take a key typed in.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(
                ALPHABET[usize::try_from((buffer >> bits) & 31).unwrap_or(0)],
            ));
        }
    }
    if bits > 0 {
        out.push(char::from(
            ALPHABET[usize::try_from((buffer << (5 - bits)) & 31).unwrap_or(0)],
        ));
    }
    out
}

/// The key as the setup page shows it, in groups of four.
pub fn grouped(key_text: &str) -> String {
    key_text
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `otpauth://` URI an authenticator app reads from the QR code.
pub fn uri(key: &[u8], issuer: &str, account: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        base32(key),
        enc(issuer)
    )
}

/// The step a Unix time falls in.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP)
}

/// HOTP (RFC 4226) of a counter, `digits` long.
fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else {
        return u32::MAX;
    };
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = (u32::from(hash[offset]) & 0x7f) << 24
        | u32::from(hash[offset + 1]) << 16
        | u32::from(hash[offset + 2]) << 8
        | u32::from(hash[offset + 3]);
    binary % 10u32.pow(digits)
}

/// The 6-digit code of a step.
pub fn code(key: &[u8], step: i64) -> String {
    format!("{:06}", hotp(key, u64::try_from(step).unwrap_or(0), DIGITS))
}

/// The step whose code this is — the one before, now or the one after — if it is later than the
/// last step accepted (a code is taken once). Spaces in what was typed are ignored.
pub fn verify(key: &[u8], typed: &str, unix_seconds: i64, last_step: Option<i64>) -> Option<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_seconds);
    (now - 1..=now + 1)
        .filter(|step| last_step.is_none_or(|last| *step > last))
        .find(|step| constant_time_eq(code(key, *step).as_bytes(), typed.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_KEY: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_rfc_6238s_sha1_vectors() {
        // RFC 6238 Appendix B, 8 digits; the last 6 of each are what 6-digit apps show.
        for (time, eight) in [
            (59, 94_287_082u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
        ] {
            assert_eq!(
                hotp(RFC_KEY, u64::try_from(step_at(time)).unwrap(), 8),
                eight,
                "t={time}"
            );
            assert_eq!(
                code(RFC_KEY, step_at(time)),
                format!("{:06}", eight % 1_000_000)
            );
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_once() {
        let now = 1_111_111_111; // step 37037037, 21 s into it
        let step = step_at(now);
        let current = code(RFC_KEY, step);
        assert_eq!(verify(RFC_KEY, &current, now, None), Some(step));
        // A replay of the step accepted is refused; the next step's code is still good.
        assert_eq!(verify(RFC_KEY, &current, now, Some(step)), None);
        assert_eq!(
            verify(RFC_KEY, &code(RFC_KEY, step + 1), now, Some(step)),
            Some(step + 1)
        );
        // At the boundaries: the previous step's code 30 s later, not 60 s later.
        let previous = code(RFC_KEY, step - 1);
        assert_eq!(verify(RFC_KEY, &previous, now, None), Some(step - 1));
        let start_of_next_next = (step + 2) * STEP;
        assert_eq!(verify(RFC_KEY, &previous, start_of_next_next, None), None);
        assert_eq!(
            verify(RFC_KEY, &current, start_of_next_next - 1, None),
            Some(step)
        );
        assert_eq!(verify(RFC_KEY, &current, start_of_next_next, None), None);
        assert_eq!(verify(RFC_KEY, "12345", now, None), None);
        assert_eq!(verify(RFC_KEY, "abcdef", now, None), None);
        let spaced = format!("{} {}", &current[..3], &current[3..]);
        assert_eq!(verify(RFC_KEY, &spaced, now, None), Some(step));
    }

    #[test]
    fn keys_are_written_in_base32_for_apps() {
        assert_eq!(
            base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(grouped("GEZDGNBV"), "GEZD GNBV");
        let uri = uri(
            b"12345678901234567890",
            "Partner Dashboard",
            "alice@contoso.example",
        );
        assert_eq!(
            uri,
            "otpauth://totp/Partner%20Dashboard:alice@contoso.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Partner%20Dashboard&algorithm=SHA1&digits=6&period=30"
        );
    }
}
