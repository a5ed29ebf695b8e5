//! Completing a signup or reset: [`UserService::begin`] and [`UserService::complete`],
//! which the proxy's invite page calls.

use std::fmt;

use teleport_audit::event::{ConnectionMetadata, UserMetadata, UserPasswordChange};
use teleport_audit::EventPayload;
use teleport_backend::{BackendError, Item};
use teleport_core::resource::{LoginStatus, Secret, User};

use super::service::{encode, UserService};
use super::{token_key, StoredToken, TokenKind, UserError};
use crate::local::{attempts_key, Password, TotpRegistration};

/// The name of the TOTP device registered at signup or reset.
pub const SIGNUP_DEVICE_NAME: &str = "otp";

/// What the invite page shows: whose token it is and, when the cluster requires a
/// second factor, the new TOTP key to scan. `Debug` hides the key.
#[derive(Clone)]
#[non_exhaustive]
pub struct SignupInfo {
    /// The user signing up or resetting.
    pub user: String,
    /// Whether this is a signup or a reset.
    pub kind: TokenKind,
    /// Whether [`UserService::complete`] needs a TOTP code.
    pub needs_totp: bool,
    /// The new TOTP key and its `otpauth://` URI, when `needs_totp`.
    pub totp: Option<TotpRegistration>,
}

impl fmt::Debug for SignupInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignupInfo")
            .field("user", &self.user)
            .field("kind", &self.kind)
            .field("needs_totp", &self.needs_totp)
            .field("totp", &self.totp.as_ref().map(|_| "***"))
            .finish()
    }
}

impl UserService {
    /// Opens the invite page of `token`: checks that the token exists, is unexpired and
    /// unused, and, when `second_factor` requires a device at signup, starts a TOTP
    /// registration (a new key each call; the latest one counts). The token is not
    /// consumed.
    pub async fn begin(&self, token: &str) -> Result<SignupInfo, UserError> {
        let (stored, _) = self.load_token(token).await?;
        let needs_totp = self.authenticator.device_required_at_signup();
        let totp = if needs_totp {
            Some(
                self.authenticator
                    .register_totp_device(&stored.user, SIGNUP_DEVICE_NAME)
                    .await?,
            )
        } else {
            None
        };
        Ok(SignupInfo {
            user: stored.user,
            kind: stored.kind,
            needs_totp,
            totp,
        })
    }

    /// Completes the signup or reset of `token` with `password` and, when required,
    /// `otp_code` from the key [`begin`](Self::begin) returned.
    ///
    /// A token works once. A password outside 8..=128 characters, a missing code, a
    /// wrong code or a registration that was not started (or expired) are refused and
    /// leave the token usable; an unknown, expired or used token is refused with
    /// [`UserError::TokenNotFound`], and one being completed by a concurrent request
    /// with [`UserError::TokenInUse`]. A reset replaces the password and drops every
    /// other second-factor device and any lock. Emits `user.password_change`.
    pub async fn complete(
        &self,
        token: &str,
        password: Password,
        otp_code: Option<String>,
    ) -> Result<User, UserError> {
        let (stored, item) = self.load_token(token).await?;
        password.check_policy()?;
        let needs_totp = self.authenticator.device_required_at_signup();
        let code = match (needs_totp, otp_code) {
            (true, None) => return Err(UserError::OtpRequired),
            (true, Some(code)) => Some(code),
            (false, _) => None,
        };
        let claimed = self.claim(token, &stored, &item).await?;
        match self.apply(&stored, password, code.as_deref()).await {
            Ok(user) => {
                match self.backend.delete(&item.key).await {
                    Ok(()) | Err(BackendError::NotFound { .. }) => {}
                    Err(err) => return Err(err.into()),
                }
                let masked = crate::tokens::masked(token);
                tracing::info!(user = %stored.user, token = %masked, kind = ?stored.kind, "signup completed");
                let event = UserPasswordChange {
                    user: UserMetadata {
                        user: stored.user.clone(),
                        login: String::new(),
                    },
                    connection: ConnectionMetadata::default(),
                };
                self.emit(EventPayload::UserPasswordChange(event))
                    .await
                    .map_err(|source| UserError::Audit {
                        action: format!(
                            "user {:?} set a password with token {masked}",
                            stored.user
                        ),
                        source,
                    })?;
                Ok(user)
            }
            Err(err) => {
                // Hand the token back; if that fails it stays claimed until it expires.
                if let Err(restore) = self
                    .backend
                    .compare_and_swap(&claimed.value, item.clone())
                    .await
                {
                    tracing::warn!(user = %stored.user, error = %UserError::from(restore), "cannot release user token");
                }
                Err(err)
            }
        }
    }

    /// Marks the token claimed with compare-and-swap; returns the claimed item. Only
    /// one of concurrent claims succeeds.
    async fn claim(
        &self,
        token: &str,
        stored: &StoredToken,
        item: &Item,
    ) -> Result<Item, UserError> {
        let masked = crate::tokens::masked(token);
        let key = token_key(token);
        let mut claimed = stored.clone();
        claimed.claimed = true;
        let claimed = Item::new(key.clone(), encode(&claimed, &key)?).with_expiry(stored.expires);
        match self
            .backend
            .compare_and_swap(&item.value, claimed.clone())
            .await
        {
            Ok(_) => Ok(claimed),
            Err(BackendError::CompareFailed { .. }) => Err(UserError::TokenInUse { masked }),
            Err(BackendError::NotFound { .. }) => Err(UserError::TokenNotFound { masked }),
            Err(err) => Err(err.into()),
        }
    }

    /// Confirms the TOTP device (which checks the code first), sets the password and,
    /// for a reset, drops the other devices and any lock.
    async fn apply(
        &self,
        stored: &StoredToken,
        password: Password,
        code: Option<&str>,
    ) -> Result<User, UserError> {
        let name = stored.user.as_str();
        if let Some(code) = code {
            self.authenticator.confirm_totp_device(name, code).await?;
        }
        self.authenticator.set_password(name, password).await?;
        let keep_device = code.is_some();
        let mut user = if stored.kind == TokenKind::Reset {
            let user = self
                .modify_user(name, |user| {
                    user.spec.status = LoginStatus::default();
                    if let Some(local) = user.spec.local_auth.as_mut() {
                        local.totp_key = Secret::default();
                        local.mfa.retain(|device| {
                            keep_device && device.metadata.name() == SIGNUP_DEVICE_NAME
                        });
                    }
                    Ok(())
                })
                .await?;
            match self.backend.delete(&attempts_key(name)).await {
                Ok(()) | Err(BackendError::NotFound { .. }) => {}
                Err(err) => return Err(err.into()),
            }
            user
        } else {
            match self.load_user(name).await? {
                Some((user, _)) => user,
                None => {
                    return Err(UserError::NotFound {
                        user: name.to_string(),
                    })
                }
            }
        };
        user.strip_secrets();
        Ok(user)
    }
}
