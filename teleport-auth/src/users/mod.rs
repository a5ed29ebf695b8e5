//! Local users, as `tctl users add|ls|rm|update|reset` manage them (the manual's
//! "Adding and deleting users"), and the signup flow the proxy's invite page drives.
//!
//! - [`UserService::add`] creates a user without a password and a signup token valid
//!   for [`SIGNUP_TOKEN_TTL`] (1 hour); [`signup_url`] and [`format_signup_message`]
//!   print what `tctl users add` prints.
//! - [`UserService::reset`] makes a reset token for a user who forgot their password;
//!   the old password and second factors keep working until the reset is completed.
//! - [`UserService::begin`] and [`UserService::complete`] finish a signup or reset:
//!   a password (8 to 128 characters) and, when `second_factor` requires it, a TOTP
//!   device confirmed by one valid code.
//!
//! Storage (values are JSON):
//!
//! | key | holds |
//! |---|---|
//! | `/web/users/<name>/params` | the `user` v2 resource ([`crate::local::user_key`]) |
//! | `/usertokens/<token>` | a signup or reset token: user, kind, expiry (expires in the backend too) |
//!
//! A token works once. Completion first *claims* the token with a compare-and-swap
//! (so of two concurrent completions only one goes on), then applies the password and
//! device; the token is deleted on success. A short password or a missing code is
//! refused before the claim, and a wrong code hands the claim back, so in those cases
//! the token stays usable until it expires. If the process dies while a token is
//! claimed, that token stays unusable until it expires: make a new one with `reset`.
//!
//! Tokens are secrets: `Debug`, errors, logs and audit events never hold one whole
//! (the `reset_password_token.create` event names the user, as Teleport's does).

mod error;
mod format;
mod service;
mod signup;

#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use error::UserError;
pub use format::{format_reset_message, format_signup_message, format_users_table, signup_url};
pub(crate) use service::check_name;
pub use service::UserService;
pub use signup::{SignupInfo, SIGNUP_DEVICE_NAME};

/// How long a signup or reset token works: 1 hour, as the manual says.
pub const SIGNUP_TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// The longest user name accepted, in bytes.
pub const MAX_USER_NAME_LEN: usize = 255;

/// Where signup and reset tokens live in the backend: `/usertokens/<token>`.
pub(crate) const USER_TOKENS_PREFIX: &str = "/usertokens/";

/// The length of a signup token: 32 hex digits (128 random bits).
pub(crate) const TOKEN_HEX_LEN: usize = 32;

/// What a user token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenKind {
    /// A new user's invitation (`tctl users add`): sets the first password.
    Signup,
    /// A forgotten password (`tctl users reset`): replaces the password and second
    /// factors once completed.
    Reset,
}

/// A signup or reset token just made. Its `Debug` form masks the token.
#[derive(Clone, PartialEq, Eq)]
pub struct SignupToken {
    token: String,
    user: String,
    kind: TokenKind,
    expires: OffsetDateTime,
}

impl SignupToken {
    /// The token itself: a secret, for the invite URL only.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The user it signs up or resets.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Whether it is a signup or a reset token.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// When it stops working.
    pub fn expires(&self) -> OffsetDateTime {
        self.expires
    }

    /// The token masked, fit for logs.
    pub fn masked(&self) -> String {
        crate::tokens::masked(&self.token)
    }
}

impl fmt::Debug for SignupToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignupToken")
            .field("token", &self.masked())
            .field("user", &self.user)
            .field("kind", &self.kind)
            .field("expires", &self.expires)
            .finish()
    }
}

/// A token as stored at `/usertokens/<token>` (the token is the key, not the value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredToken {
    pub(crate) user: String,
    pub(crate) kind: TokenKind,
    #[serde(with = "time::serde::timestamp")]
    pub(crate) expires: OffsetDateTime,
    /// Set while a completion is being applied.
    #[serde(default)]
    pub(crate) claimed: bool,
}

/// The backend key of `token`.
pub(crate) fn token_key(token: &str) -> Vec<u8> {
    format!("{USER_TOKENS_PREFIX}{token}").into_bytes()
}

/// Whether `token` has the shape of a token this module makes (32 lowercase hex digits).
pub(crate) fn is_token_shaped(token: &str) -> bool {
    token.len() == TOKEN_HEX_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
