//! [`UserService`]: `tctl users add`, `ls`, `rm`, `update` and `reset`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use teleport_audit::event::{ResourceChange, ResourceMetadata, UserChange, UserMetadata};
use teleport_audit::sink::{AuditError, AuditSink};
use teleport_audit::{AuditEvent, EventPayload};
use teleport_backend::{Backend, BackendError, Item, KeyRange, NO_LIMIT};
use teleport_core::resource::{CreatedBy, Metadata, User, UserRef, UserSpec, LOGINS_TRAIT};
use teleport_core::SharedClock;

use super::error::{mask_keys, shown};
use super::{
    is_token_shaped, token_key, SignupToken, StoredToken, TokenKind, UserError, MAX_USER_NAME_LEN,
    SIGNUP_TOKEN_TTL, USER_TOKENS_PREFIX,
};
use crate::local::{user_key, LocalAuthenticator};

/// How often a read-modify-write is retried when another writer got in first.
const CAS_RETRIES: usize = 32;

/// Where users live: `/web/users/<name>/...`.
const USERS_PREFIX: &str = "/web/users/";

/// The local users of one cluster and their signup and reset tokens.
///
/// Cheap to share behind an `Arc`; every method takes `&self`.
pub struct UserService {
    pub(super) backend: Arc<dyn Backend>,
    pub(super) clock: SharedClock,
    audit: Arc<dyn AuditSink>,
    cluster_name: String,
    pub(super) authenticator: Arc<LocalAuthenticator>,
}

impl fmt::Debug for UserService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserService")
            .field("cluster_name", &self.cluster_name)
            .finish_non_exhaustive()
    }
}

impl UserService {
    /// A user service over `backend`, auditing to `audit`; `authenticator` sets
    /// passwords and TOTP devices and knows the cluster's `second_factor`.
    pub fn new(
        backend: Arc<dyn Backend>,
        clock: SharedClock,
        audit: Arc<dyn AuditSink>,
        cluster_name: impl Into<String>,
        authenticator: Arc<LocalAuthenticator>,
    ) -> Self {
        UserService {
            backend,
            clock,
            audit,
            cluster_name: cluster_name.into(),
            authenticator,
        }
    }

    /// `tctl users add <name> --logins=... --roles=...`: creates user `name` without a
    /// password and a signup token valid for [`SIGNUP_TOKEN_TTL`]; `by` is who asks.
    /// Without `logins` the only login is the user name.
    ///
    /// Refuses a bad name or login, no roles, an unknown role and an existing user.
    /// Emits `user.create` and `reset_password_token.create`.
    pub async fn add(
        &self,
        by: &str,
        name: &str,
        logins: Option<Vec<String>>,
        roles: Vec<String>,
    ) -> Result<(User, SignupToken), UserError> {
        check_name(name)?;
        let roles = self.check_roles(roles).await?;
        let logins = check_logins(logins.unwrap_or_else(|| vec![name.to_string()]))?;
        let now = self.clock.now();
        let metadata = Metadata::new(name).map_err(|_| UserError::BadName {
            name: shown(name),
            reason: "it is empty",
        })?;
        let spec = UserSpec {
            roles,
            traits: BTreeMap::from([(LOGINS_TRAIT.to_string(), logins)]),
            created_by: Some(CreatedBy {
                connector: None,
                time: Some(now),
                user: UserRef {
                    name: by.to_string(),
                },
            }),
            ..UserSpec::default()
        };
        let user = User::new(metadata, spec);
        let key = user_key(name);
        match self
            .backend
            .create(Item::new(key.clone(), encode(&user, &key)?))
            .await
        {
            Ok(_) => {}
            Err(BackendError::AlreadyExists { .. }) => {
                return Err(UserError::AlreadyExists {
                    user: name.to_string(),
                })
            }
            Err(err) => return Err(err.into()),
        }
        tracing::info!(user = name, roles = ?user.spec.roles, "user created");
        self.emit(EventPayload::UserCreate(user_change(by, &user)))
            .await
            .map_err(|source| UserError::Audit {
                action: format!("user {name:?} was created"),
                source,
            })?;
        let token = self.create_token(by, name, TokenKind::Signup).await?;
        Ok((user, token))
    }

    /// `tctl users ls`: every user, sorted by name, without their secrets.
    pub async fn list(&self) -> Result<Vec<User>, UserError> {
        let items = self
            .backend
            .get_range(KeyRange::prefix(USERS_PREFIX), NO_LIMIT)
            .await?;
        let mut users = Vec::new();
        for item in items.iter().filter(|item| item.key.ends_with(b"/params")) {
            let mut user: User = decode(item)?;
            user.strip_secrets();
            users.push(user);
        }
        users.sort_by(|a, b| a.name().cmp(b.name()));
        Ok(users)
    }

    /// `tctl users rm <name>`: deletes the user with everything under
    /// `/web/users/<name>/` (password, devices, login attempts) and its signup and
    /// reset tokens. Emits `user.delete`; [`UserError::NotFound`] for an unknown user.
    pub async fn delete(&self, by: &str, name: &str) -> Result<(), UserError> {
        check_name(name).map_err(|_| not_found(name))?;
        match self.backend.delete(&user_key(name)).await {
            Ok(()) => {}
            Err(BackendError::NotFound { .. }) => return Err(not_found(name)),
            Err(err) => return Err(err.into()),
        }
        self.backend
            .delete_range(KeyRange::prefix(format!("{USERS_PREFIX}{name}/")))
            .await?;
        self.delete_tokens_of(name).await?;
        tracing::info!(user = name, "user deleted");
        let event = ResourceChange {
            user: actor(by),
            resource: ResourceMetadata {
                name: name.to_string(),
                ..ResourceMetadata::default()
            },
        };
        self.emit(EventPayload::UserDelete(event))
            .await
            .map_err(|source| UserError::Audit {
                action: format!("user {name:?} was deleted"),
                source,
            })
    }

    /// `tctl users update <name> --set-roles=... --set-logins=...`: replaces the roles
    /// and/or the logins (an empty login list removes every login), with
    /// compare-and-swap. Emits `user.update`.
    pub async fn update(
        &self,
        by: &str,
        name: &str,
        set_roles: Option<Vec<String>>,
        set_logins: Option<Vec<String>>,
    ) -> Result<User, UserError> {
        if set_roles.is_none() && set_logins.is_none() {
            return Err(UserError::NothingToUpdate);
        }
        check_name(name).map_err(|_| not_found(name))?;
        let roles = match set_roles {
            Some(roles) => Some(self.check_roles(roles).await?),
            None => None,
        };
        let logins = set_logins.map(check_logins).transpose()?;
        let mut user = self
            .modify_user(name, |user| {
                if let Some(roles) = &roles {
                    user.spec.roles.clone_from(roles);
                }
                if let Some(logins) = &logins {
                    user.spec
                        .traits
                        .insert(LOGINS_TRAIT.to_string(), logins.clone());
                }
                Ok(())
            })
            .await?;
        user.strip_secrets();
        tracing::info!(user = name, roles = ?user.spec.roles, logins = ?user.spec.logins(), "user updated");
        self.emit(EventPayload::UserUpdate(user_change(by, &user)))
            .await
            .map_err(|source| UserError::Audit {
                action: format!("user {name:?} was updated"),
                source,
            })?;
        Ok(user)
    }

    /// `tctl users reset <name>`: a reset token valid for [`SIGNUP_TOKEN_TTL`], which
    /// replaces the user's earlier signup and reset tokens. The password and second
    /// factors are cleared only when the reset is completed. Emits
    /// `reset_password_token.create`.
    pub async fn reset(&self, by: &str, name: &str) -> Result<SignupToken, UserError> {
        check_name(name).map_err(|_| not_found(name))?;
        if self.load_user(name).await?.is_none() {
            return Err(not_found(name));
        }
        self.delete_tokens_of(name).await?;
        self.create_token(by, name, TokenKind::Reset).await
    }

    /// Makes and stores a token for `name` and audits it.
    async fn create_token(
        &self,
        by: &str,
        name: &str,
        kind: TokenKind,
    ) -> Result<SignupToken, UserError> {
        let now = self.clock.now();
        let ttl = time::Duration::try_from(SIGNUP_TOKEN_TTL).unwrap_or(time::Duration::HOUR);
        let expires = now + ttl;
        let stored = StoredToken {
            user: name.to_string(),
            kind,
            expires,
            claimed: false,
        };
        let mut token = hex::encode(rand::random::<[u8; 16]>());
        let mut created = false;
        for _ in 0..CAS_RETRIES {
            let key = token_key(&token);
            let item = Item::new(key.clone(), encode(&stored, &key)?).with_expiry(expires);
            match self.backend.create(item).await {
                Ok(_) => {
                    created = true;
                    break;
                }
                // 128 random bits never collide; try another all the same.
                Err(BackendError::AlreadyExists { .. }) => {
                    token = hex::encode(rand::random::<[u8; 16]>());
                }
                Err(err) => return Err(err.into()),
            }
        }
        if !created {
            return Err(UserError::Contended {
                key: mask_keys(&String::from_utf8_lossy(&token_key(&token))),
            });
        }
        let token = SignupToken {
            token,
            user: name.to_string(),
            kind,
            expires,
        };
        tracing::info!(user = name, token = %token.masked(), ?kind, %expires, "user token created");
        let event = ResourceChange {
            user: actor(by),
            resource: ResourceMetadata {
                name: name.to_string(),
                expires: Some(expires),
                ttl: teleport_core::Duration::from(SIGNUP_TOKEN_TTL).to_string(),
                ..ResourceMetadata::default()
            },
        };
        self.emit(EventPayload::ResetPasswordTokenCreate(event))
            .await
            .map_err(|source| UserError::Audit {
                action: format!("token {} for user {name:?} was created", token.masked()),
                source,
            })?;
        Ok(token)
    }

    /// Deletes every signup and reset token of user `name`. Unreadable records are
    /// left alone (they expire) and logged, masked.
    async fn delete_tokens_of(&self, name: &str) -> Result<(), UserError> {
        let items = self
            .backend
            .get_range(KeyRange::prefix(USER_TOKENS_PREFIX), NO_LIMIT)
            .await?;
        for item in items {
            match serde_json::from_slice::<StoredToken>(&item.value) {
                Ok(stored) if stored.user == name => {}
                Ok(_) => continue,
                Err(_) => {
                    let key = mask_keys(&String::from_utf8_lossy(&item.key));
                    tracing::warn!(%key, "unreadable user token record skipped");
                    continue;
                }
            }
            match self.backend.delete(&item.key).await {
                Ok(()) | Err(BackendError::NotFound { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(())
    }

    /// The user `name` with the item it was read from, if it exists.
    pub(super) async fn load_user(&self, name: &str) -> Result<Option<(User, Item)>, UserError> {
        match self.backend.get(&user_key(name)).await {
            Ok(item) => Ok(Some((decode(&item)?, item))),
            Err(BackendError::NotFound { .. }) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// Reads user `name`, applies `change` and writes it back with compare-and-swap,
    /// retrying when another writer got in first; returns the user as written.
    pub(super) async fn modify_user(
        &self,
        name: &str,
        mut change: impl FnMut(&mut User) -> Result<(), UserError> + Send,
    ) -> Result<User, UserError> {
        let key = user_key(name);
        for _ in 0..CAS_RETRIES {
            let Some((mut user, item)) = self.load_user(name).await? else {
                return Err(not_found(name));
            };
            change(&mut user)?;
            let value = encode(&user, &key)?;
            match self
                .backend
                .compare_and_swap(&item.value, Item::new(key.clone(), value))
                .await
            {
                Ok(_) => return Ok(user),
                Err(BackendError::CompareFailed { .. }) => continue,
                Err(BackendError::NotFound { .. }) => return Err(not_found(name)),
                Err(err) => return Err(err.into()),
            }
        }
        Err(UserError::Contended {
            key: String::from_utf8_lossy(&key).into_owned(),
        })
    }

    /// Reads and checks the token `token`: it must exist, be unexpired and unclaimed.
    pub(super) async fn load_token(&self, token: &str) -> Result<(StoredToken, Item), UserError> {
        let masked = crate::tokens::masked(token);
        if !is_token_shaped(token) {
            return Err(UserError::TokenNotFound { masked });
        }
        let item = match self.backend.get(&token_key(token)).await {
            Ok(item) => item,
            Err(BackendError::NotFound { .. }) => return Err(UserError::TokenNotFound { masked }),
            Err(err) => return Err(err.into()),
        };
        let stored: StoredToken = decode(&item)?;
        if stored.expires <= self.clock.now() {
            return Err(UserError::TokenNotFound { masked });
        }
        if stored.claimed {
            return Err(UserError::TokenInUse { masked });
        }
        Ok((stored, item))
    }

    pub(super) async fn emit(&self, payload: EventPayload) -> Result<(), AuditError> {
        let event = AuditEvent::new(payload, &self.cluster_name, &*self.clock);
        self.audit.emit(event).await
    }

    /// The roles deduplicated in their order; each must exist in the backend.
    async fn check_roles(&self, roles: Vec<String>) -> Result<Vec<String>, UserError> {
        let mut out: Vec<String> = Vec::with_capacity(roles.len());
        for role in roles {
            let role = role.trim().to_string();
            if role.is_empty() || out.contains(&role) {
                continue;
            }
            let exists = crate::resources::role_exists(self.backend.as_ref(), &role)
                .await
                .map_err(|err| match err {
                    crate::resources::ResourceError::Backend(err) => UserError::from(err),
                    other => UserError::Corrupt {
                        key: String::from_utf8_lossy(&crate::resources::store::role_key(&role))
                            .into_owned(),
                        reason: other.to_string(),
                    },
                })?;
            if !exists {
                return Err(UserError::UnknownRole { role: shown(&role) });
            }
            out.push(role);
        }
        if out.is_empty() {
            return Err(UserError::NoRoles);
        }
        Ok(out)
    }
}

fn not_found(name: &str) -> UserError {
    UserError::NotFound { user: shown(name) }
}

fn actor(by: &str) -> UserMetadata {
    UserMetadata {
        user: by.to_string(),
        login: String::new(),
    }
}

fn user_change(by: &str, user: &User) -> UserChange {
    UserChange {
        user: actor(by),
        resource: ResourceMetadata {
            name: user.name().to_string(),
            expires: user.spec.expires,
            ..ResourceMetadata::default()
        },
        roles: user.spec.roles.clone(),
        connector: String::new(),
    }
}

/// Checks a user name the way Teleport does: not empty, at most
/// [`MAX_USER_NAME_LEN`] bytes, no `/`, whitespace or control characters, not `.`/`..`.
pub(crate) fn check_name(name: &str) -> Result<(), UserError> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > MAX_USER_NAME_LEN {
        "it is longer than 255 bytes"
    } else if name.contains('/') {
        "it holds '/'"
    } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "it holds whitespace or control characters"
    } else if name == "." || name == ".." {
        "it is a path component"
    } else {
        return Ok(());
    };
    Err(UserError::BadName {
        name: shown(name),
        reason,
    })
}

/// The logins trimmed and deduplicated in their order; none may be empty after
/// trimming or hold whitespace, control characters or `,`.
fn check_logins(logins: Vec<String>) -> Result<Vec<String>, UserError> {
    let mut out: Vec<String> = Vec::with_capacity(logins.len());
    for login in logins {
        let login = login.trim();
        let reason = if login.is_empty() {
            "it is empty"
        } else if login.chars().any(|c| c.is_whitespace() || c.is_control()) {
            "it holds whitespace or control characters"
        } else if login.contains(',') {
            "it holds ','"
        } else if login.len() > MAX_USER_NAME_LEN {
            "it is longer than 255 bytes"
        } else {
            if !out.iter().any(|l| l == login) {
                out.push(login.to_string());
            }
            continue;
        };
        return Err(UserError::BadLogin {
            login: shown(login),
            reason,
        });
    }
    Ok(out)
}

pub(super) fn decode<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T, UserError> {
    serde_json::from_slice(&item.value).map_err(|err| UserError::Corrupt {
        key: mask_keys(&String::from_utf8_lossy(&item.key)),
        // Positions and categories only: the value may hold secrets.
        reason: format!(
            "invalid JSON at line {} column {}",
            err.line(),
            err.column()
        ),
    })
}

pub(super) fn encode<T: serde::Serialize>(value: &T, key: &[u8]) -> Result<Vec<u8>, UserError> {
    serde_json::to_vec(value).map_err(|err| UserError::Corrupt {
        key: mask_keys(&String::from_utf8_lossy(key)),
        reason: err.to_string(),
    })
}
