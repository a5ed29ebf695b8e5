//! Time-based one-time passwords (RFC 6238): HMAC-SHA-1, 30 s steps, 6 digits, the
//! previous, current and next step accepted, each step accepted once per device.

use std::fmt;

use teleport_core::resource::Secret;
use time::OffsetDateTime;

use super::error::TotpError;

/// Seconds per TOTP time step.
pub const TOTP_PERIOD_SECS: u64 = 30;

/// Digits of a TOTP code.
pub const TOTP_DIGITS: u8 = 6;

/// Steps accepted on either side of the current one (clock skew).
pub const TOTP_SKEW_STEPS: u16 = 1;

/// Bytes of a new TOTP key (160 bits, as RFC 4226 recommends).
pub const TOTP_KEY_BYTES: usize = 20;

/// A new TOTP key and the `otpauth://` URI that authenticator apps scan.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpRegistration {
    secret: Secret<String>,
    uri: Secret<String>,
}

impl TotpRegistration {
    /// A fresh random 160-bit key for `account` at `issuer` (usually the cluster name).
    pub fn generate(account: &str, issuer: &str) -> Self {
        let key: [u8; TOTP_KEY_BYTES] = rand::random();
        let secret = totp_rs::Secret::from(key).to_base32();
        let uri = otpauth_uri(issuer, account, &secret);
        TotpRegistration {
            secret: Secret::new(secret),
            uri: Secret::new(uri),
        }
    }

    /// The key, base32 without padding, for typing into an app.
    pub fn secret(&self) -> &Secret<String> {
        &self.secret
    }

    /// `otpauth://totp/<issuer>:<account>?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30`.
    pub fn uri(&self) -> &Secret<String> {
        &self.uri
    }
}

impl fmt::Debug for TotpRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpRegistration")
            .field("secret", &self.secret)
            .field("uri", &self.uri)
            .finish()
    }
}

/// The `otpauth://` URI of key `secret` (base32) for `account` at `issuer`.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_PERIOD_SECS}",
        account = percent_encode(account),
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The time step that `at` falls in.
pub fn time_step(at: OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp()).unwrap_or(0) / TOTP_PERIOD_SECS
}

/// The start of time step `step` (what a device's `last_used` records).
pub fn step_start(step: u64) -> OffsetDateTime {
    let secs = i64::try_from(step.saturating_mul(TOTP_PERIOD_SECS)).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn totp(key: &[u8], digits: u8, device: &str) -> Result<totp_rs::Totp, TotpError> {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(digits)
        .with_skew(TOTP_SKEW_STEPS)
        .with_step_duration(TOTP_PERIOD_SECS)
        .with_secret(key.to_vec())
        .build()
        .map_err(|err| TotpError::BadKey {
            device: device.to_string(),
            reason: err.to_string(),
        })
}

fn decode_key(secret: &str, device: &str) -> Result<Vec<u8>, TotpError> {
    let cleaned: String = secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    totp_rs::Secret::try_from_base32(cleaned)
        .map(|key| key.as_bytes().to_vec())
        .map_err(|_| TotpError::BadKey {
            device: device.to_string(),
            reason: "not base32".to_string(),
        })
}

/// The code of raw key `key` with `digits` digits at Unix time `unix_secs`.
pub(crate) fn code_for_key(key: &[u8], digits: u8, unix_secs: u64) -> Result<String, TotpError> {
    Ok(totp(key, digits, "")?.generate(unix_secs).to_string())
}

/// The 6-digit code of base32 key `secret` at `at` (for tests and tools).
pub fn totp_code(secret: &str, at: OffsetDateTime) -> Result<String, TotpError> {
    let key = decode_key(secret, "")?;
    let unix = u64::try_from(at.unix_timestamp()).unwrap_or(0);
    code_for_key(&key, TOTP_DIGITS, unix)
}

/// Checks `code` against base32 key `secret` at `now`, allowing one step of skew either
/// way, and refuses a code whose step is at or before `last_used_step`. Returns the step
/// the code belongs to, which the caller must store as the new last used step.
pub fn check_totp(
    device: &str,
    secret: &str,
    code: &str,
    now: OffsetDateTime,
    last_used_step: Option<u64>,
) -> Result<u64, TotpError> {
    let code = code.trim();
    if code.len() != usize::from(TOTP_DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpError::InvalidCode);
    }
    let key = decode_key(secret, device)?;
    let unix = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    let step = totp(&key, TOTP_DIGITS, device)?
        .check(code, unix)
        .ok_or(TotpError::InvalidCode)?;
    if last_used_step.is_some_and(|last| step <= last) {
        return Err(TotpError::AlreadyUsed);
    }
    Ok(step)
}
