//! Credential management that signup and `tctl users` call: setting a password and
//! registering a TOTP device (a new key, then one valid code to confirm it).

use serde::{Deserialize, Serialize};
use teleport_backend::{BackendError, Item};
use teleport_core::resource::{
    LocalAuthSecrets, Metadata, MfaDevice, Secret, TotpDevice as StoredTotpDevice,
};
use time::Duration;

use super::authenticator::{decode, encode, LocalAuthenticator};
use super::error::AuthError;
use super::password::{hash_password_with, Password};
use super::totp::{check_totp, step_start, TotpRegistration};

/// How long a started TOTP registration waits for its confirming code.
pub const PENDING_DEVICE_TTL: Duration = Duration::minutes(15);

/// The backend key of user `name`'s pending TOTP registration:
/// `/web/users/<name>/pending_totp`.
pub fn pending_device_key(name: &str) -> Vec<u8> {
    format!("/web/users/{name}/pending_totp").into_bytes()
}

/// A TOTP device waiting for its first code.
#[derive(Serialize, Deserialize)]
struct PendingDevice {
    name: String,
    key: String,
}

impl LocalAuthenticator {
    /// Sets user `username`'s password after checking the length policy (8 to 128
    /// characters); stores its argon2id hash.
    pub async fn set_password(&self, username: &str, password: Password) -> Result<(), AuthError> {
        let hash = hash_password_with(&password, &self.hash_params)?;
        self.update_user(username, |user| {
            let local = user
                .spec
                .local_auth
                .get_or_insert_with(LocalAuthSecrets::default);
            local.password_hash = Secret::new(hash.clone().into_bytes().into());
            Ok(())
        })
        .await
    }

    /// Starts registering TOTP device `device_name` for `username`: returns the new key
    /// and its `otpauth://` URI. The device is added by
    /// [`confirm_totp_device`](Self::confirm_totp_device) with a valid code within
    /// [`PENDING_DEVICE_TTL`]; a new call replaces the pending key.
    pub async fn register_totp_device(
        &self,
        username: &str,
        device_name: &str,
    ) -> Result<TotpRegistration, AuthError> {
        if self.load_user(username).await?.is_none() {
            return Err(AuthError::UserNotFound {
                user: username.to_string(),
            });
        }
        let registration = TotpRegistration::generate(username, &self.cluster_name);
        let key = pending_device_key(username);
        let pending = PendingDevice {
            name: device_name.to_string(),
            key: registration.secret().expose().clone(),
        };
        let item = Item::new(key.clone(), encode(&pending, &key)?)
            .with_expiry(self.clock.now() + PENDING_DEVICE_TTL);
        self.backend.put(item).await?;
        Ok(registration)
    }

    /// Finishes the pending registration of `username` with `code`, a valid code of the
    /// new key; the code's step counts as used.
    pub async fn confirm_totp_device(&self, username: &str, code: &str) -> Result<(), AuthError> {
        let key = pending_device_key(username);
        let item = match self.backend.get(&key).await {
            Ok(item) => item,
            Err(BackendError::NotFound { .. }) => {
                return Err(AuthError::NoPendingDevice {
                    user: username.to_string(),
                })
            }
            Err(err) => return Err(err.into()),
        };
        let pending: PendingDevice = decode(&item)?;
        let now = self.clock.now();
        let step = check_totp(&pending.name, &pending.key, code, now, None)?;
        let metadata = Metadata::new(pending.name.clone()).map_err(|err| AuthError::Corrupt {
            key: String::from_utf8_lossy(&key).into_owned(),
            reason: err.to_string(),
        })?;
        let device = MfaDevice {
            kind: "mfa_device".to_string(),
            version: "v1".to_string(),
            metadata,
            id: uuid::Uuid::new_v4().to_string(),
            added_at: Some(now),
            last_used: Some(step_start(step)),
            totp: Some(StoredTotpDevice {
                key: Secret::new(pending.key.clone()),
            }),
        };
        self.update_user(username, |user| {
            let local = user
                .spec
                .local_auth
                .get_or_insert_with(LocalAuthSecrets::default);
            local
                .mfa
                .retain(|existing| existing.metadata.name() != device.metadata.name());
            local.mfa.push(device.clone());
            Ok(())
        })
        .await?;
        match self.backend.delete(&key).await {
            Ok(()) | Err(BackendError::NotFound { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}
