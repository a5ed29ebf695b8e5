//! Password policy and argon2id hashing.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so that a
//! hash made with older parameters still verifies after [`HashParams`] change.

use std::fmt;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use super::error::PasswordError;

/// The fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The most characters a password may have.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A password: its `Debug` prints `***` and it is never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps `password`.
    pub fn new(password: impl Into<String>) -> Self {
        Password(password.into())
    }

    /// The password itself: only for hashing and verifying.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Checks the length policy: [`MIN_PASSWORD_CHARS`]..=[`MAX_PASSWORD_CHARS`]
    /// characters (Unicode scalar values, not bytes).
    pub fn check_policy(&self) -> Result<(), PasswordError> {
        let chars = self.0.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(PasswordError::TooShort {
                chars,
                min: MIN_PASSWORD_CHARS,
            });
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong {
                chars,
                max: MAX_PASSWORD_CHARS,
            });
        }
        Ok(())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Password {
    fn from(password: &str) -> Self {
        Password::new(password)
    }
}

impl From<String> for Password {
    fn from(password: String) -> Self {
        Password::new(password)
    }
}

/// The argon2id cost parameters of new hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl HashParams {
    /// OWASP's recommendation for argon2id: 19 MiB, 2 passes, 1 lane.
    pub const RECOMMENDED: HashParams = HashParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Cheap parameters for tests only: never use them for real passwords.
    pub const INSECURE_FOR_TESTS: HashParams = HashParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    fn argon2(&self) -> Result<Argon2<'static>, PasswordError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|err| PasswordError::Hash {
                reason: err.to_string(),
            })?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

impl Default for HashParams {
    /// [`HashParams::RECOMMENDED`].
    fn default() -> Self {
        HashParams::RECOMMENDED
    }
}

/// Hashes `password` with argon2id and the [recommended](HashParams::RECOMMENDED)
/// parameters, after checking the length policy; returns the PHC string.
pub fn hash_password(password: &Password) -> Result<String, PasswordError> {
    hash_password_with(password, &HashParams::RECOMMENDED)
}

/// Like [`hash_password`], with explicit parameters.
pub fn hash_password_with(
    password: &Password,
    params: &HashParams,
) -> Result<String, PasswordError> {
    password.check_policy()?;
    hash_unchecked(password.expose().as_bytes(), params)
}

/// Hashes without the policy check (for the dummy hash that equalises timing).
pub(crate) fn hash_unchecked(
    password: &[u8],
    params: &HashParams,
) -> Result<String, PasswordError> {
    let salt: [u8; 16] = rand::random();
    let hash = params
        .argon2()?
        .hash_password_with_salt(password, &salt)
        .map_err(|err| PasswordError::Hash {
            reason: err.to_string(),
        })?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash` (compared in constant time by
/// argon2). A hash that is not an argon2 PHC string (such as a bcrypt hash imported from
/// Teleport) never matches.
pub fn verify_password(hash: &[u8], password: &Password) -> bool {
    let Ok(hash) = std::str::from_utf8(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.expose().as_bytes(), hash)
        .is_ok()
}
