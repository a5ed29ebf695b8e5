//! Local users: argon2id passwords, TOTP second factors, lockout after failed logins,
//! and the [`Authenticator`] that turns credentials into a user identity.
//!
//! Storage (Teleport's keys, values are JSON):
//!
//! | key | holds |
//! |---|---|
//! | `/web/users/<name>/params` | the `user` v2 resource, `local_auth` secrets included |
//! | `/web/users/<name>/attempts` | consecutive failed logins ([`FailedAttempts`]) |
//! | `/web/users/<name>/pending_totp` | a TOTP key waiting for its first code (expires) |
//!
//! Every write is a compare-and-swap, so concurrent logins neither lose a failure nor
//! accept one code twice. Lock state lives in the user's `spec.status`; the last
//! accepted TOTP step of each device in its `last_used` (the start of that step), so
//! replay protection survives a restart.

mod authenticator;
mod error;
mod lockout;
mod password;
mod signup;
mod totp;

#[cfg(test)]
mod tests;

pub use authenticator::{
    attempts_key, user_key, AuthenticatedUser, Authenticator, Credentials, LocalAuthenticator,
};
pub use error::{AuthError, PasswordError, TotpError};
pub use lockout::{
    FailedAttempts, ACCOUNT_LOCK_INTERVAL, ATTEMPT_WINDOW, LOCKED_MESSAGE, MAX_LOGIN_ATTEMPTS,
};
pub use password::{
    hash_password, hash_password_with, verify_password, HashParams, Password, MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
};
pub use signup::{pending_device_key, PENDING_DEVICE_TTL};
pub use totp::{
    check_totp, otpauth_uri, totp_code, TotpRegistration, TOTP_DIGITS, TOTP_KEY_BYTES,
    TOTP_PERIOD_SECS, TOTP_SKEW_STEPS,
};
