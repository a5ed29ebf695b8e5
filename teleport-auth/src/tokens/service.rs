//! [`TokenService`]: creating, listing, revoking and checking join tokens.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use teleport_audit::event::{
    ConnectionMetadata, InstanceJoin, JoinTokenCreate, ResourceChange, ResourceMetadata, Status,
    UserMetadata,
};
use teleport_audit::sink::AuditSink;
use teleport_audit::{AuditEvent, EventPayload};
use teleport_backend::{Backend, BackendError, Item, KeyRange, NO_LIMIT};
use teleport_core::config::StaticToken;
use teleport_core::resource::{Metadata, ProvisionToken, ProvisionTokenSpec, SystemRole};
use teleport_core::SharedClock;
use time::OffsetDateTime;

use super::error::mask_token_keys;
use super::statics::{match_static, StaticEntry};
use super::{
    masked, JoinAttempt, TokenError, TokenInfo, ValidatedToken, EXPIRED_TOKEN_GRACE, JOIN_ROLES,
    MAX_TOKEN_LEN, TOKENS_PREFIX,
};

/// The longest TTL a dynamic token may have: about 100 years.
const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// The join method this release knows.
const JOIN_METHOD: &str = "token";

/// Join tokens of one cluster: the static ones from the configuration and the dynamic
/// ones in the backend.
///
/// Cheap to share behind an `Arc`; every method takes `&self`.
pub struct TokenService {
    backend: Arc<dyn Backend>,
    clock: SharedClock,
    audit: Arc<dyn AuditSink>,
    cluster_name: String,
    statics: Vec<StaticEntry>,
}

impl fmt::Debug for TokenService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenService")
            .field("cluster_name", &self.cluster_name)
            .field("static_tokens", &self.statics.len())
            .finish_non_exhaustive()
    }
}

impl TokenService {
    /// A token service over `backend`, auditing to `audit`, with the static tokens of
    /// `auth_service.tokens`. Tokens kept in files are read now, trimmed.
    ///
    /// Fails with [`TokenError::TokenFile`] when a token file cannot be read and
    /// [`TokenError::EmptyTokenFile`] when one is empty.
    pub fn new(
        backend: Arc<dyn Backend>,
        clock: SharedClock,
        audit: Arc<dyn AuditSink>,
        cluster_name: impl Into<String>,
        static_tokens: &[StaticToken],
    ) -> Result<Self, TokenError> {
        let statics = static_tokens
            .iter()
            .map(StaticEntry::load)
            .collect::<Result<_, _>>()?;
        Ok(TokenService {
            backend,
            clock,
            audit,
            cluster_name: cluster_name.into(),
            statics,
        })
    }

    /// Creates a dynamic token letting hosts join as `roles` for `ttl`, as
    /// `tctl tokens add` and `tctl nodes add` do; `by` is the user asking, for the audit
    /// log. Without `token` a random one is made: 32 hex digits (128 bits).
    ///
    /// Refuses roles outside [`JOIN_ROLES`], an empty role list, a zero TTL, a token
    /// value that is empty, longer than [`MAX_TOKEN_LEN`] or holds whitespace, control
    /// characters or `/`, and a value that a static or live dynamic token already has.
    /// Emits `join_token.create`.
    pub async fn add(
        &self,
        by: &str,
        roles: Vec<SystemRole>,
        ttl: Duration,
        token: Option<String>,
    ) -> Result<ProvisionToken, TokenError> {
        let roles = check_roles(roles)?;
        let now = self.clock.now();
        let expires = expiry(now, ttl)?;
        let token = match token {
            Some(token) => {
                check_token_value(&token)?;
                token
            }
            None => hex::encode(rand::random::<[u8; 16]>()),
        };
        let masked = masked(&token);
        if !match_static(&self.statics, &token).is_empty() {
            return Err(TokenError::AlreadyExists { masked });
        }
        let mut metadata = Metadata::new(token.clone()).map_err(|_| TokenError::BadToken {
            reason: "it is empty",
        })?;
        metadata.expires = Some(expires);
        let resource = ProvisionToken::new(metadata, ProvisionTokenSpec { roles });
        let value = serde_json::to_vec(&resource).map_err(|err| TokenError::Corrupt {
            masked: masked.clone(),
            reason: err.to_string().replace(&token, &masked),
        })?;
        let item = Item::new(key(&token), value).with_expiry(expires + EXPIRED_TOKEN_GRACE);
        self.create_item(item, &token).await?;
        tracing::info!(token = %masked, roles = ?resource.spec.roles, %expires, "join token created");

        let event = JoinTokenCreate {
            user: user(by),
            resource: ResourceMetadata {
                name: masked.clone(),
                expires: Some(expires),
                ttl: teleport_core::Duration::from(ttl).to_string(),
                ..ResourceMetadata::default()
            },
            roles: resource
                .spec
                .roles
                .iter()
                .map(|role| role.to_string())
                .collect(),
            join_method: JOIN_METHOD.to_string(),
        };
        self.emit(EventPayload::JoinTokenCreate(event))
            .await
            .map_err(|source| TokenError::Audit {
                action: format!("join token {masked} was created"),
                source,
            })?;
        Ok(resource)
    }

    /// Stores a new token's item: creates it, or replaces the record of an expired token
    /// of the same value that is still kept for [`EXPIRED_TOKEN_GRACE`].
    async fn create_item(&self, item: Item, token: &str) -> Result<(), TokenError> {
        let exists = || TokenError::AlreadyExists {
            masked: masked(token),
        };
        match self.backend.create(item.clone()).await {
            Ok(_) => return Ok(()),
            Err(BackendError::AlreadyExists { .. }) => {}
            Err(err) => return Err(err.into()),
        }
        let old = match self.backend.get(&item.key).await {
            Ok(old) => old,
            // The old record's grace ran out in between: the key is free.
            Err(BackendError::NotFound { .. }) => {
                return match self.backend.create(item).await {
                    Ok(_) => Ok(()),
                    Err(BackendError::AlreadyExists { .. }) => Err(exists()),
                    Err(err) => Err(err.into()),
                };
            }
            Err(err) => return Err(err.into()),
        };
        let old_token = decode(&old, token)?;
        if !is_expired(&old_token, self.clock.now()) {
            return Err(exists());
        }
        match self.backend.compare_and_swap(&old.value, item).await {
            Ok(_) => Ok(()),
            Err(BackendError::CompareFailed { .. } | BackendError::NotFound { .. }) => {
                Err(exists())
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Every usable token, as `tctl tokens ls` shows them: the static ones first, in the
    /// configuration's order, then the live dynamic ones, soonest to expire first.
    /// Expired tokens are never listed.
    pub async fn list(&self) -> Result<Vec<TokenInfo>, TokenError> {
        let mut out: Vec<TokenInfo> = self
            .statics
            .iter()
            .map(|entry| TokenInfo {
                token: entry.token.clone(),
                roles: entry.roles.clone(),
                expires: None,
                is_static: true,
            })
            .collect();
        let now = self.clock.now();
        let items = self
            .backend
            .get_range(KeyRange::prefix(TOKENS_PREFIX), NO_LIMIT)
            .await?;
        let mut dynamic = Vec::with_capacity(items.len());
        for item in &items {
            let name = String::from_utf8_lossy(&item.key[TOKENS_PREFIX.len()..]).into_owned();
            let token = decode(item, &name)?;
            if is_expired(&token, now) {
                continue;
            }
            dynamic.push(TokenInfo {
                token: token.name().to_string(),
                roles: token.spec.roles.clone(),
                expires: token.metadata.expires,
                is_static: false,
            });
        }
        dynamic.sort_by(|a, b| {
            (a.expires.is_none(), a.expires, &a.token).cmp(&(
                b.expires.is_none(),
                b.expires,
                &b.token,
            ))
        });
        out.extend(dynamic);
        Ok(out)
    }

    /// Revokes a dynamic token, as `tctl tokens rm` does; `by` is the user asking.
    /// Emits `join_token.delete`.
    ///
    /// Fails with [`TokenError::StaticToken`] for a static token (it lives in the
    /// configuration file), [`TokenError::Expired`] for one whose TTL ran out (its record
    /// is removed all the same) and [`TokenError::NotFound`] for an unknown one.
    pub async fn delete(&self, by: &str, token: &str) -> Result<(), TokenError> {
        let masked = masked(token);
        if !match_static(&self.statics, token).is_empty() {
            return Err(TokenError::StaticToken { masked });
        }
        if check_token_value(token).is_err() {
            return Err(TokenError::NotFound { masked });
        }
        let key = key(token);
        let item = match self.backend.get(&key).await {
            Ok(item) => item,
            Err(BackendError::NotFound { .. }) => return Err(TokenError::NotFound { masked }),
            Err(err) => return Err(err.into()),
        };
        let stored = decode(&item, token)?;
        match self.backend.delete(&key).await {
            Ok(()) | Err(BackendError::NotFound { .. }) => {}
            Err(err) => return Err(err.into()),
        }
        if is_expired(&stored, self.clock.now()) {
            return Err(TokenError::Expired {
                masked,
                at: stored
                    .metadata
                    .expires
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            });
        }
        tracing::info!(token = %masked, "join token deleted");
        let event = ResourceChange {
            user: user(by),
            resource: ResourceMetadata {
                name: masked.clone(),
                ..ResourceMetadata::default()
            },
        };
        self.emit(EventPayload::JoinTokenDelete(event))
            .await
            .map_err(|source| TokenError::Audit {
                action: format!("join token {masked} was deleted"),
                source,
            })
    }

    /// Checks a token a host presents to join as `attempt.role`. A token works any
    /// number of times until it expires.
    ///
    /// Static tokens are compared in constant time. Refuses unknown tokens
    /// ([`TokenError::NotFound`]), expired ones ([`TokenError::Expired`]) and tokens
    /// that do not allow the role ([`TokenError::WrongRole`]).
    ///
    /// Every attempt is audited as `instance.join` (TJ002I accepted, TJ002E refused)
    /// before this returns. An accepted join whose event cannot be written is refused
    /// with [`TokenError::Audit`]; a refused one keeps its reason, and the audit failure
    /// is logged.
    pub async fn validate(
        &self,
        token: &str,
        attempt: &JoinAttempt,
    ) -> Result<ValidatedToken, TokenError> {
        let outcome = self.check(token, attempt.role).await;
        let masked = masked(token);
        let status = match &outcome {
            Ok(_) => Status::succeeded(),
            Err(err) => Status::failed(err.to_string()),
        };
        let event = InstanceJoin {
            status,
            connection: ConnectionMetadata {
                local_addr: String::new(),
                remote_addr: attempt.remote_addr.clone(),
            },
            host_id: attempt.host_id.clone(),
            node_name: attempt.node_name.clone(),
            role: attempt.role.to_string(),
            method: JOIN_METHOD.to_string(),
            token_name: masked.clone(),
        };
        let emitted = self.emit(EventPayload::InstanceJoin(event)).await;
        match (outcome, emitted) {
            (Ok(validated), Ok(())) => {
                tracing::info!(token = %masked, role = %attempt.role, remote = %attempt.remote_addr, "join accepted");
                Ok(validated)
            }
            (Ok(_), Err(source)) => Err(TokenError::Audit {
                action: format!(
                    "the join as {} with token {masked} was refused",
                    attempt.role
                ),
                source,
            }),
            (Err(err), emitted) => {
                tracing::warn!(remote = %attempt.remote_addr, "join refused: {err}");
                if let Err(audit) = emitted {
                    tracing::error!("the refused join could not be audited: {audit}");
                }
                Err(err)
            }
        }
    }

    /// The decision of [`TokenService::validate`], without the audit.
    async fn check(&self, token: &str, role: SystemRole) -> Result<ValidatedToken, TokenError> {
        let masked = masked(token);
        let static_roles = match_static(&self.statics, token);
        if !static_roles.is_empty() {
            return granted(masked, role, static_roles, None, true);
        }
        if check_token_value(token).is_err() {
            return Err(TokenError::NotFound { masked });
        }
        let item = match self.backend.get(&key(token)).await {
            Ok(item) => item,
            Err(BackendError::NotFound { .. }) => return Err(TokenError::NotFound { masked }),
            Err(err) => return Err(err.into()),
        };
        let stored = decode(&item, token)?;
        if stored.name() != token {
            return Err(TokenError::NotFound { masked });
        }
        if let Some(at) = stored.metadata.expires.filter(|at| *at <= self.clock.now()) {
            return Err(TokenError::Expired { masked, at });
        }
        granted(
            masked,
            role,
            stored.spec.roles,
            stored.metadata.expires,
            false,
        )
    }

    async fn emit(&self, payload: EventPayload) -> Result<(), teleport_audit::sink::AuditError> {
        let event = AuditEvent::new(payload, &self.cluster_name, &*self.clock);
        self.audit.emit(event).await
    }
}

fn granted(
    masked: String,
    role: SystemRole,
    roles: Vec<SystemRole>,
    expires: Option<OffsetDateTime>,
    is_static: bool,
) -> Result<ValidatedToken, TokenError> {
    if !roles.contains(&role) {
        return Err(TokenError::WrongRole {
            masked,
            allowed: roles,
            requested: role,
        });
    }
    Ok(ValidatedToken {
        role,
        roles,
        expires,
        is_static,
        masked,
    })
}

fn key(token: &str) -> Vec<u8> {
    format!("{TOKENS_PREFIX}{token}").into_bytes()
}

fn user(by: &str) -> UserMetadata {
    UserMetadata {
        user: by.to_string(),
        login: String::new(),
    }
}

fn is_expired(token: &ProvisionToken, now: OffsetDateTime) -> bool {
    token.metadata.expires.is_some_and(|at| at <= now)
}

/// Reads a stored token; errors mask `token` (and any `/tokens/` key).
fn decode(item: &Item, token: &str) -> Result<ProvisionToken, TokenError> {
    serde_json::from_slice(&item.value).map_err(|err| {
        let masked = masked(token);
        TokenError::Corrupt {
            reason: mask_token_keys(&err.to_string()).replace(token, &masked),
            masked,
        }
    })
}

/// The roles deduplicated in their order, each a [`JOIN_ROLES`] one.
fn check_roles(roles: Vec<SystemRole>) -> Result<Vec<SystemRole>, TokenError> {
    let mut out = Vec::with_capacity(roles.len());
    for role in roles {
        if !JOIN_ROLES.contains(&role) {
            return Err(TokenError::BadRole { role });
        }
        if !out.contains(&role) {
            out.push(role);
        }
    }
    if out.is_empty() {
        return Err(TokenError::NoRoles);
    }
    Ok(out)
}

fn expiry(now: OffsetDateTime, ttl: Duration) -> Result<OffsetDateTime, TokenError> {
    if ttl.is_zero() || ttl > MAX_TTL {
        return Err(TokenError::BadTtl { ttl });
    }
    now.checked_add(time::Duration::try_from(ttl).map_err(|_| TokenError::BadTtl { ttl })?)
        .and_then(|at| {
            at.checked_add(time::Duration::try_from(EXPIRED_TOKEN_GRACE).ok()?)
                .map(|_| at)
        })
        .ok_or(TokenError::BadTtl { ttl })
}

/// Whether `token` can be stored as a backend key and shown in a table.
fn check_token_value(token: &str) -> Result<(), TokenError> {
    let reason = if token.is_empty() {
        "it is empty"
    } else if token.len() > MAX_TOKEN_LEN {
        "it is longer than 256 bytes"
    } else if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "it holds whitespace or control characters"
    } else if token.contains('/') {
        "it holds '/'"
    } else {
        return Ok(());
    };
    Err(TokenError::BadToken { reason })
}
