//! [`LocalAuthenticator`]: the local user database's [`Authenticator`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use serde::{de::DeserializeOwned, Serialize};
use teleport_audit::event::{ConnectionMetadata, Status, UserLogin, UserMetadata};
use teleport_audit::sink::AuditSink;
use teleport_audit::{AuditEvent, EventPayload};
use teleport_backend::{Backend, BackendError, Item};
use teleport_core::config::SecondFactor;
use teleport_core::resource::{User, UserSpec};
use teleport_core::SharedClock;
use time::OffsetDateTime;

use super::error::AuthError;
use super::lockout::{self, FailedAttempts, MAX_LOGIN_ATTEMPTS};
use super::password::{hash_unchecked, verify_password, HashParams, Password};
use super::totp::{self, step_start, time_step};

/// How often a read-modify-write is retried when another writer got in first.
const CAS_RETRIES: usize = 32;

/// Turns credentials (password and second factor) into a user identity.
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// Checks `creds`, presented from `remote_addr` (`host:port`), and says who they
    /// belong to. Every attempt, successful or not, is written to the audit log.
    async fn authenticate(
        &self,
        creds: Credentials,
        remote_addr: &str,
    ) -> Result<AuthenticatedUser, AuthError>;
}

/// What a user presents to log in. `Debug` hides the password and the code.
#[derive(Clone)]
pub struct Credentials {
    /// The Teleport user name.
    pub username: String,
    /// The password.
    pub password: Password,
    /// The code from the authenticator app, when the user has one.
    pub otp: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password)
            .field("otp", &self.otp.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Who logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthenticatedUser {
    /// The user name.
    pub username: String,
    /// The user's roles.
    pub roles: Vec<String>,
    /// The user's traits (`logins` and others).
    pub traits: BTreeMap<String, Vec<String>>,
    /// Whether a second factor was checked.
    pub mfa_verified: bool,
}

/// The backend key of user `name`: `/web/users/<name>/params` (Teleport's key), holding
/// the `user` v2 resource as JSON, secrets included.
pub fn user_key(name: &str) -> Vec<u8> {
    format!("/web/users/{name}/params").into_bytes()
}

/// The backend key of user `name`'s [`FailedAttempts`]: `/web/users/<name>/attempts`.
pub fn attempts_key(name: &str) -> Vec<u8> {
    format!("/web/users/{name}/attempts").into_bytes()
}

/// Authenticates the users of the local user database (`tctl users add`), stored in the
/// backend as `user` resources at [`user_key`].
///
/// Passwords are argon2id hashes, the second factor is TOTP, 5 consecutive failures lock
/// a user for 20 minutes, and each attempt is a `user.login` audit event.
pub struct LocalAuthenticator {
    pub(super) backend: Arc<dyn Backend>,
    pub(super) clock: SharedClock,
    audit: Arc<dyn AuditSink>,
    pub(super) cluster_name: String,
    second_factor: SecondFactor,
    pub(super) hash_params: HashParams,
    dummy_hash: OnceLock<String>,
}

impl fmt::Debug for LocalAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalAuthenticator")
            .field("cluster_name", &self.cluster_name)
            .field("second_factor", &self.second_factor)
            .field("hash_params", &self.hash_params)
            .finish_non_exhaustive()
    }
}

impl LocalAuthenticator {
    /// A local authenticator for `cluster_name` (also the TOTP issuer).
    ///
    /// Refuses `second_factor: u2f` and `webauthn`, which are not implemented yet, with
    /// [`AuthError::SecondFactorNotSupported`].
    pub fn new(
        backend: Arc<dyn Backend>,
        clock: SharedClock,
        audit: Arc<dyn AuditSink>,
        cluster_name: impl Into<String>,
        second_factor: SecondFactor,
    ) -> Result<Self, AuthError> {
        let refused = match second_factor {
            SecondFactor::Off | SecondFactor::On | SecondFactor::Otp | SecondFactor::Optional => {
                None
            }
            SecondFactor::U2f => Some("u2f"),
            SecondFactor::Webauthn => Some("webauthn"),
        };
        if let Some(name) = refused {
            return Err(AuthError::SecondFactorNotSupported {
                second_factor: name.to_string(),
            });
        }
        Ok(LocalAuthenticator {
            backend,
            clock,
            audit,
            cluster_name: cluster_name.into(),
            second_factor,
            hash_params: HashParams::RECOMMENDED,
            dummy_hash: OnceLock::new(),
        })
    }

    /// Uses `params` for new password hashes (tests use cheap ones).
    pub fn with_hash_params(mut self, params: HashParams) -> Self {
        self.hash_params = params;
        self.dummy_hash = OnceLock::new();
        self
    }

    /// The configured second factor.
    pub fn second_factor(&self) -> SecondFactor {
        self.second_factor
    }

    /// Whether a login of a user with (or without) a TOTP device needs a code.
    fn otp_required(&self, has_device: bool) -> bool {
        match self.second_factor {
            SecondFactor::Off => false,
            SecondFactor::Optional => has_device,
            SecondFactor::On | SecondFactor::Otp | SecondFactor::U2f | SecondFactor::Webauthn => {
                true
            }
        }
    }

    /// Whether users must register a TOTP device when they sign up.
    pub fn device_required_at_signup(&self) -> bool {
        matches!(self.second_factor, SecondFactor::On | SecondFactor::Otp)
    }

    /// The user `name`, if it exists, with the backend item it was read from.
    pub(super) async fn load_user(&self, name: &str) -> Result<Option<(User, Item)>, AuthError> {
        match self.backend.get(&user_key(name)).await {
            Ok(item) => Ok(Some((decode(&item)?, item))),
            Err(BackendError::NotFound { .. }) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// Reads user `name`, applies `change` and writes it back with compare-and-swap,
    /// retrying when another writer got in first. Returns what `change` returned.
    pub(super) async fn update_user<T>(
        &self,
        name: &str,
        mut change: impl FnMut(&mut User) -> Result<T, AuthError> + Send,
    ) -> Result<T, AuthError> {
        let key = user_key(name);
        for _ in 0..CAS_RETRIES {
            let Some((mut user, item)) = self.load_user(name).await? else {
                return Err(AuthError::UserNotFound {
                    user: name.to_string(),
                });
            };
            let result = change(&mut user)?;
            let value = encode(&user, &key)?;
            match self
                .backend
                .compare_and_swap(&item.value, Item::new(key.clone(), value))
                .await
            {
                Ok(_) => return Ok(result),
                Err(BackendError::CompareFailed { .. }) => continue,
                Err(BackendError::NotFound { .. }) => {
                    return Err(AuthError::UserNotFound {
                        user: name.to_string(),
                    })
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(AuthError::Contended {
            key: String::from_utf8_lossy(&key).into_owned(),
        })
    }

    /// Counts a failed login of existing user `name`; locks the user at the
    /// [`MAX_LOGIN_ATTEMPTS`]th. Returns when the new lock ends, if one was set.
    async fn record_failure(&self, name: &str) -> Result<Option<OffsetDateTime>, AuthError> {
        let key = attempts_key(name);
        let now = self.clock.now();
        for _ in 0..CAS_RETRIES {
            let current = match self.backend.get(&key).await {
                Ok(item) => Some(item),
                Err(BackendError::NotFound { .. }) => None,
                Err(err) => return Err(err.into()),
            };
            let mut attempts: FailedAttempts = match &current {
                Some(item) => decode(item)?,
                None => FailedAttempts::default(),
            };
            let lock_now = attempts.record(now);
            let item = Item::new(key.clone(), encode(&attempts, &key)?);
            let written = match &current {
                Some(old) => self.backend.compare_and_swap(&old.value, item).await,
                None => self.backend.create(item).await,
            };
            match written {
                Ok(_) => {}
                Err(
                    BackendError::CompareFailed { .. }
                    | BackendError::NotFound { .. }
                    | BackendError::AlreadyExists { .. },
                ) => continue,
                Err(err) => return Err(err.into()),
            }
            if !lock_now {
                return Ok(None);
            }
            let until = self
                .update_user(name, |user| Ok(lockout::lock(&mut user.spec.status, now)))
                .await?;
            self.reset_failures(name).await?;
            tracing::warn!(user = name, %until, "user locked after failed logins");
            return Ok(Some(until));
        }
        Err(AuthError::Contended {
            key: String::from_utf8_lossy(&key).into_owned(),
        })
    }

    async fn reset_failures(&self, name: &str) -> Result<(), AuthError> {
        match self.backend.delete(&attempts_key(name)).await {
            Ok(()) | Err(BackendError::NotFound { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Spends about as long as a password check, for users that do not exist.
    fn dummy_verify(&self, password: &Password) {
        let hash = self.dummy_hash.get_or_init(|| {
            hash_unchecked(b"teleport-rs dummy password", &self.hash_params).unwrap_or_default()
        });
        let _ = verify_password(hash.as_bytes(), password);
    }

    /// The checks of one login, without the audit event.
    async fn check(&self, creds: &Credentials) -> Result<AuthenticatedUser, AuthError> {
        let name = creds.username.as_str();
        let Some((user, _)) = self.load_user(name).await? else {
            self.dummy_verify(&creds.password);
            return Err(AuthError::InvalidCredentials);
        };
        let now = self.clock.now();
        if let Some(until) = lockout::locked_until(&user.spec.status, now) {
            return Err(AuthError::Locked {
                user: name.to_string(),
                attempts: MAX_LOGIN_ATTEMPTS,
                until,
            });
        }
        let outcome = self.check_secrets(&user, creds, now).await;
        match outcome {
            Ok(mfa_verified) => {
                self.reset_failures(name).await?;
                if user.spec.status.is_locked {
                    self.update_user(name, |user| {
                        lockout::clear_expired(&mut user.spec.status, now);
                        Ok(())
                    })
                    .await?;
                }
                Ok(AuthenticatedUser {
                    username: name.to_string(),
                    roles: user.spec.roles.clone(),
                    traits: user.spec.traits.clone(),
                    mfa_verified,
                })
            }
            Err(
                err @ (AuthError::Backend(_)
                | AuthError::Contended { .. }
                | AuthError::Corrupt { .. }),
            ) => Err(err),
            Err(err) => match self.record_failure(name).await? {
                Some(until) => Err(AuthError::Locked {
                    user: name.to_string(),
                    attempts: MAX_LOGIN_ATTEMPTS,
                    until,
                }),
                None => Err(err),
            },
        }
    }

    /// Checks the password and, when required, the code; returns whether a code was
    /// checked. A code's step is recorded (compare-and-swap) before it is accepted.
    async fn check_secrets(
        &self,
        user: &User,
        creds: &Credentials,
        now: OffsetDateTime,
    ) -> Result<bool, AuthError> {
        let hash = user
            .spec
            .local_auth
            .as_ref()
            .map(|local| local.password_hash.expose().as_slice())
            .unwrap_or_default();
        if hash.is_empty() {
            self.dummy_verify(&creds.password);
            return Err(AuthError::InvalidCredentials);
        }
        if !verify_password(hash, &creds.password) {
            return Err(AuthError::InvalidCredentials);
        }
        let has_device = totp_devices(&user.spec).next().is_some();
        if !self.otp_required(has_device) {
            return Ok(false);
        }
        if !has_device {
            return Err(AuthError::NoOtpDevice {
                user: user.name().to_string(),
            });
        }
        let Some(code) = creds.otp.as_deref() else {
            return Err(AuthError::OtpRequired);
        };
        self.update_user(user.name(), |user| use_code(&mut user.spec, code, now))
            .await?;
        Ok(true)
    }

    async fn emit_login(
        &self,
        username: &str,
        remote_addr: &str,
        status: Status,
    ) -> Result<(), teleport_audit::sink::AuditError> {
        let payload = EventPayload::UserLogin(UserLogin {
            user: UserMetadata {
                user: username.to_string(),
                login: String::new(),
            },
            connection: ConnectionMetadata {
                local_addr: String::new(),
                remote_addr: remote_addr.to_string(),
            },
            status,
            method: UserLogin::METHOD_LOCAL.to_string(),
            attributes: serde_json::Map::new(),
        });
        let event = AuditEvent::new(payload, &self.cluster_name, &*self.clock);
        self.audit.emit(event).await
    }
}

/// Finds the device whose code `code` is at `now`, refuses a replay, and records the
/// code's step in the device's `last_used` (the start of the step).
fn use_code(spec: &mut UserSpec, code: &str, now: OffsetDateTime) -> Result<(), AuthError> {
    let Some(local) = spec.local_auth.as_mut() else {
        return Err(AuthError::InvalidCredentials);
    };
    let mut refusal = super::error::TotpError::InvalidCode;
    for device in local.mfa.iter_mut() {
        let Some(key) = device.totp.as_ref().map(|t| t.key.expose().clone()) else {
            continue;
        };
        let last = device.last_used.map(time_step);
        match totp::check_totp(device.metadata.name(), &key, code, now, last) {
            Ok(step) => {
                device.last_used = Some(step_start(step));
                return Ok(());
            }
            Err(super::error::TotpError::InvalidCode) => {}
            Err(err) => refusal = err,
        }
    }
    Err(refusal.into())
}

fn totp_devices(spec: &UserSpec) -> impl Iterator<Item = &teleport_core::resource::MfaDevice> {
    spec.local_auth
        .iter()
        .flat_map(|local| local.mfa.iter())
        .filter(|device| device.totp.is_some())
}

pub(super) fn decode<T: DeserializeOwned>(item: &Item) -> Result<T, AuthError> {
    serde_json::from_slice(&item.value).map_err(|err| AuthError::Corrupt {
        key: String::from_utf8_lossy(&item.key).into_owned(),
        // serde_json's messages name positions and types, not values.
        reason: format!(
            "{} at line {} column {}",
            err.classify_name(),
            err.line(),
            err.column()
        ),
    })
}

pub(super) fn encode<T: Serialize>(value: &T, key: &[u8]) -> Result<Vec<u8>, AuthError> {
    serde_json::to_vec(value).map_err(|err| AuthError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: err.to_string(),
    })
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

#[async_trait]
impl Authenticator for LocalAuthenticator {
    async fn authenticate(
        &self,
        creds: Credentials,
        remote_addr: &str,
    ) -> Result<AuthenticatedUser, AuthError> {
        let result = self.check(&creds).await;
        match &result {
            Ok(_) => {
                // No audit record, no login.
                self.emit_login(&creds.username, remote_addr, Status::succeeded())
                    .await?;
                tracing::info!(user = %creds.username, remote_addr, "local login");
            }
            Err(err) => {
                let status = Status::failed(err.to_string());
                if let Err(audit) = self.emit_login(&creds.username, remote_addr, status).await {
                    tracing::error!(user = %creds.username, error = %audit, "cannot write user.login event");
                }
                tracing::info!(user = %creds.username, remote_addr, error = %err, "local login refused");
            }
        }
        result
    }
}
