//! The errors of local authentication and local credential management.

use teleport_audit::sink::AuditError;
use teleport_backend::BackendError;
use time::OffsetDateTime;

/// Why a password was refused by the password policy or could not be hashed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordError {
    /// The password has fewer than [`MIN_PASSWORD_CHARS`](super::MIN_PASSWORD_CHARS)
    /// characters.
    #[error("password is too short: {chars} characters, at least {min} are required")]
    TooShort {
        /// How many characters the password has.
        chars: usize,
        /// The minimum.
        min: usize,
    },
    /// The password has more than [`MAX_PASSWORD_CHARS`](super::MAX_PASSWORD_CHARS)
    /// characters.
    #[error("password is too long: {chars} characters, at most {max} are allowed")]
    TooLong {
        /// How many characters the password has.
        chars: usize,
        /// The maximum.
        max: usize,
    },
    /// The argon2 parameters are invalid or hashing failed (never includes the password).
    #[error("cannot hash password: {reason}")]
    Hash {
        /// What argon2 reported.
        reason: String,
    },
}

/// Why a TOTP code or device was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TotpError {
    /// The code is not the device's code for the previous, current or next 30 s step.
    #[error("invalid one-time code")]
    InvalidCode,
    /// The code is valid but its time step was already used to log in.
    #[error("code already used: wait for the next code")]
    AlreadyUsed,
    /// The stored TOTP key is not valid base32 or is too short (the key is not shown).
    #[error("TOTP key of device {device:?} is unusable: {reason}")]
    BadKey {
        /// The device's name.
        device: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Why local authentication, or a change to a local user's credentials, failed.
///
/// Wrong user names and wrong passwords both give [`AuthError::InvalidCredentials`], so
/// that the message does not tell which user names exist.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The user does not exist, is not a local user, or the password is wrong.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// The cluster (or, with `second_factor: optional`, the user) requires a one-time
    /// code and none was given.
    #[error("a one-time code from the authenticator app is required")]
    OtpRequired,
    /// `second_factor` requires a device, but the user has not registered one.
    #[error("user {user:?} has no OTP device registered, and second_factor requires one")]
    NoOtpDevice {
        /// The user.
        user: String,
    },
    /// The one-time code was refused.
    #[error(transparent)]
    Totp(#[from] TotpError),
    /// The user failed to log in [`MAX_LOGIN_ATTEMPTS`](super::MAX_LOGIN_ATTEMPTS) times
    /// in a row and is locked until `until`.
    #[error("{user} exceeds {attempts} failed login attempts, locked until {until}")]
    Locked {
        /// The user.
        user: String,
        /// The limit of consecutive failures.
        attempts: u32,
        /// When the lock ends.
        until: OffsetDateTime,
    },
    /// The configured `second_factor` is not implemented yet.
    #[error("second_factor {second_factor} is not supported yet: use otp")]
    SecondFactorNotSupported {
        /// The value from the configuration, such as `u2f`.
        second_factor: String,
    },
    /// A new password was refused by the policy.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// An account-management call named a user that does not exist.
    #[error("user {user:?} not found")]
    UserNotFound {
        /// The user.
        user: String,
    },
    /// `confirm_totp_device` was called without a pending registration (or it expired).
    #[error("user {user:?} has no pending OTP device registration: start it again")]
    NoPendingDevice {
        /// The user.
        user: String,
    },
    /// A stored record could not be read or written (its secrets are never shown).
    #[error("stored record {key} is corrupt: {reason}")]
    Corrupt {
        /// The backend key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// Concurrent writers kept changing the record; the update was given up.
    #[error("too many concurrent updates of {key}, try again")]
    Contended {
        /// The backend key.
        key: String,
    },
    /// The backend failed.
    #[error("backend: {0}")]
    Backend(#[from] BackendError),
    /// The audit log refused the `user.login` event of a successful login, so the login
    /// is refused too.
    #[error("audit log: {0}")]
    Audit(#[from] AuditError),
}
