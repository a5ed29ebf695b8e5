//! [`UserError`]: why a `tctl users` command or a signup step failed.

use teleport_audit::sink::AuditError;
use teleport_backend::BackendError;

use crate::local::{AuthError, PasswordError, TotpError};

use super::USER_TOKENS_PREFIX;

/// Why managing a user or completing a signup failed. Messages never hold a whole
/// token or any password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UserError {
    /// The user name is not acceptable.
    #[error("invalid user name {name:?}: {reason}")]
    BadName {
        /// The name given (cut to its first 64 characters).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An allowed login is not acceptable.
    #[error("invalid login {login:?}: {reason}")]
    BadLogin {
        /// The login given (cut to its first 64 characters).
        login: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No role was given; a user needs at least one.
    #[error("a user needs at least one role: use --roles")]
    NoRoles,
    /// A role that does not exist was given.
    #[error("role {role:?} is not found")]
    UnknownRole {
        /// The role.
        role: String,
    },
    /// `tctl users add` named a user that exists.
    #[error("user {user:?} already exists")]
    AlreadyExists {
        /// The user.
        user: String,
    },
    /// The user does not exist.
    #[error("user {user:?} not found")]
    NotFound {
        /// The user.
        user: String,
    },
    /// `tctl users update` was given nothing to change.
    #[error("nothing to update: use --set-roles or --set-logins")]
    NothingToUpdate,
    /// The signup or reset token is unknown, expired or already used.
    #[error("token {masked} is not found, expired or already used")]
    TokenNotFound {
        /// The token, masked.
        masked: String,
    },
    /// Another completion of the same token is under way.
    #[error("token {masked} is being used by another request")]
    TokenInUse {
        /// The token, masked.
        masked: String,
    },
    /// The new password was refused by the password policy (8 to 128 characters).
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// `second_factor` requires a TOTP device and no code was given.
    #[error("a one-time code from the authenticator app is required")]
    OtpRequired,
    /// The one-time code was refused.
    #[error(transparent)]
    Otp(#[from] TotpError),
    /// A code was given but no TOTP registration is pending (it expired or `begin` was
    /// not called).
    #[error("no pending OTP device registration for user {user:?}: start the signup again")]
    NoPendingDevice {
        /// The user.
        user: String,
    },
    /// The local authenticator failed otherwise.
    #[error("local authentication: {0}")]
    Auth(AuthError),
    /// A stored record could not be read or written (secrets are never shown).
    #[error("stored record {key} is corrupt: {reason}")]
    Corrupt {
        /// The backend key, tokens masked.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// Concurrent writers kept changing the record; the change was given up.
    #[error("too many concurrent updates of {key}, try again")]
    Contended {
        /// The backend key.
        key: String,
    },
    /// The backend failed.
    #[error("backend: {message}")]
    Backend {
        /// The backend's message, tokens masked.
        message: String,
    },
    /// The change was made but its audit event could not be written.
    #[error("{action}, but the audit log refused the event: {source}")]
    Audit {
        /// What was done.
        action: String,
        /// The audit log's error.
        source: AuditError,
    },
}

impl From<BackendError> for UserError {
    fn from(err: BackendError) -> Self {
        UserError::Backend {
            message: mask_keys(&err.to_string()),
        }
    }
}

impl From<AuthError> for UserError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Password(err) => UserError::Password(err),
            AuthError::Totp(err) => UserError::Otp(err),
            AuthError::UserNotFound { user } => UserError::NotFound { user },
            AuthError::NoPendingDevice { user } => UserError::NoPendingDevice { user },
            AuthError::Backend(err) => err.into(),
            AuthError::Contended { key } => UserError::Contended { key },
            AuthError::Corrupt { key, reason } => UserError::Corrupt { key, reason },
            other => UserError::Auth(other),
        }
    }
}

/// Masks the token of every `/usertokens/<token>` key in `text`.
pub(crate) fn mask_keys(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(USER_TOKENS_PREFIX) {
        let (before, after) = rest.split_at(at + USER_TOKENS_PREFIX.len());
        out.push_str(before);
        let end = after.find(['"', ' ', '\'']).unwrap_or(after.len());
        out.push_str(&crate::tokens::masked(&after[..end]));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// `value` cut to 64 characters, for error messages.
pub(crate) fn shown(value: &str) -> String {
    value.chars().take(64).collect()
}
