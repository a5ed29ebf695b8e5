//! [`ResourceService`]: `tctl get`, `tctl create [-f]` and `tctl rm` over every kind.

use std::sync::Arc;
use std::time::Duration;

use teleport_audit::event::{ResourceChange, ResourceMetadata, UserChange, UserMetadata};
use teleport_audit::sink::AuditSink;
use teleport_audit::{AuditEvent, EventPayload};
use teleport_backend::{Backend, BackendError, Item};
use teleport_core::resource::{Kind, ProvisionToken, Resource, Role, User};
use teleport_core::SharedClock;

use super::store::{self, check_name, decode_resource, encode, key_of, list_stored};
use super::{secrets, PutMode, ResourceError};
use crate::presence::{Presence, PresenceError, ServerKind, DEFAULT_SERVER_TTL};
use crate::rbac::{builtin_roles, RoleSet, Traits};
use crate::tokens::{TokenError, TokenService, DEFAULT_TOKEN_TTL};

/// How often a read-modify-write is retried when another writer got in first.
const CAS_RETRIES: usize = 32;

/// Every kind of the cluster's state, stored in one backend; what `tctl get`, `tctl
/// create` and `tctl rm` act on. Results hold secrets: callers strip them unless the
/// caller may see them ([`Resource::strip_secrets`]).
pub struct ResourceService {
    backend: Arc<dyn Backend>,
    presence: Arc<Presence>,
    tokens: Arc<TokenService>,
    audit: Arc<dyn AuditSink>,
    clock: SharedClock,
    cluster_name: String,
}

impl std::fmt::Debug for ResourceService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceService")
            .field("cluster_name", &self.cluster_name)
            .finish_non_exhaustive()
    }
}

impl ResourceService {
    /// The resources of cluster `cluster_name` in `backend`; nodes go through
    /// `presence`, join tokens through `tokens`; changes are audited to `audit`.
    pub fn new(
        backend: Arc<dyn Backend>,
        presence: Arc<Presence>,
        tokens: Arc<TokenService>,
        audit: Arc<dyn AuditSink>,
        clock: SharedClock,
        cluster_name: impl Into<String>,
    ) -> Self {
        ResourceService {
            backend,
            presence,
            tokens,
            audit,
            clock,
            cluster_name: cluster_name.into(),
        }
    }

    /// Creates the built-in roles (`access`, `editor`, `auditor`) that do not exist;
    /// existing ones, possibly edited by an administrator, are kept.
    pub async fn ensure_builtin_roles(&self) -> Result<(), ResourceError> {
        ensure_builtin_roles(self.backend.as_ref()).await
    }

    /// Every resource of `kind`, sorted by name. Expired tokens and nodes whose
    /// heartbeat ran out are not listed; static tokens (from the configuration) are
    /// not resources and are not listed either.
    pub async fn list(&self, kind: Kind) -> Result<Vec<Resource>, ResourceError> {
        match kind {
            Kind::Node => Ok(self
                .presence
                .list(ServerKind::Node)
                .await?
                .into_iter()
                .map(Resource::Node)
                .collect()),
            Kind::Token => {
                let mut out = Vec::new();
                for info in self.tokens.list().await.map_err(token_error)? {
                    if info.is_static {
                        continue;
                    }
                    let token = token_resource(&info.token, info.roles, info.expires)?;
                    out.push(Resource::Token(token));
                }
                out.sort_by(|a, b| a.name().cmp(b.name()));
                Ok(out)
            }
            _ => list_stored(self.backend.as_ref(), kind).await,
        }
    }

    /// The resources of `kind` named `name`: one, or for `cert_authority` both the
    /// user and the host CA of that cluster. [`ResourceError::NotFound`] when none.
    pub async fn get(&self, kind: Kind, name: &str) -> Result<Vec<Resource>, ResourceError> {
        let not_found = || ResourceError::NotFound {
            kind,
            name: name.chars().take(64).collect(),
        };
        let found: Vec<Resource> = match kind {
            Kind::Node => match self.presence.get(ServerKind::Node, name).await {
                Ok(server) => vec![Resource::Node(server)],
                Err(PresenceError::NotFound { .. } | PresenceError::BadName { .. }) => Vec::new(),
                Err(err) => return Err(err.into()),
            },
            Kind::CertAuthority | Kind::ClusterName | Kind::Token => self
                .list(kind)
                .await?
                .into_iter()
                .filter(|resource| resource.name() == name)
                .collect(),
            _ => {
                check_name(kind, name).map_err(|_| not_found())?;
                let Some(key) = key_of(kind, name) else {
                    return Err(not_found());
                };
                match self.backend.get(&key).await {
                    Ok(item) => vec![decode_resource(kind, &item)?],
                    Err(BackendError::NotFound { .. }) => Vec::new(),
                    Err(err) => return Err(err.into()),
                }
            }
        };
        if found.is_empty() {
            return Err(not_found());
        }
        Ok(found)
    }

    /// The roles named `names`, in that order; an unknown name is
    /// [`ResourceError::NotFound`].
    pub async fn roles(&self, names: &[String]) -> Result<Vec<Role>, ResourceError> {
        let mut roles = Vec::with_capacity(names.len());
        for name in names {
            for resource in self.get(Kind::Role, name).await? {
                if let Resource::Role(role) = resource {
                    roles.push(role);
                }
            }
        }
        Ok(roles)
    }

    /// `tctl create` ([`PutMode::Create`]: an existing resource is
    /// [`ResourceError::AlreadyExists`]) or `tctl create -f` ([`PutMode::Upsert`]: it
    /// is replaced). `by` is who asks, for the audit log.
    ///
    /// A replacement without secrets (the output of `tctl get` without
    /// `--with-secrets`) keeps the stored secrets: a user keeps its password and
    /// devices, a connector its client secret. Certificate authorities and the
    /// cluster name cannot be written here ([`ResourceError::ReadOnly`]): they are
    /// made on the first start, or restored with `teleport start --bootstrap`.
    pub async fn put(
        &self,
        by: &str,
        resource: Resource,
        mode: PutMode,
    ) -> Result<Resource, ResourceError> {
        let kind = resource.kind();
        check_name(kind, resource.name())?;
        if matches!(kind, Kind::CertAuthority | Kind::ClusterName) {
            // `tctl get all` output given back unchanged is accepted as it is.
            if self.is_stored_unchanged(&resource).await? {
                return Ok(resource);
            }
        }
        match resource {
            Resource::CertAuthority(_) => Err(ResourceError::ReadOnly {
                kind,
                action: "created",
                why: "the auth server makes its CAs on the first start; restore a backup \
                      with teleport start --bootstrap",
            }),
            Resource::ClusterName(_) => Err(ResourceError::ReadOnly {
                kind,
                action: "created",
                why: "the cluster name is set by auth_service.cluster_name on the first start",
            }),
            Resource::Node(server) => {
                if mode == PutMode::Create
                    && self
                        .presence
                        .get(ServerKind::Node, server.name())
                        .await
                        .is_ok()
                {
                    return Err(ResourceError::AlreadyExists {
                        kind,
                        name: server.name().to_string(),
                    });
                }
                let stored = self
                    .presence
                    .upsert(ServerKind::Node, server, DEFAULT_SERVER_TTL)
                    .await?;
                Ok(Resource::Node(stored))
            }
            Resource::Token(token) => self.put_token(by, token, mode).await,
            other => self.put_stored(by, other, mode).await,
        }
    }

    /// Whether a stored resource equals `resource` (compared without secrets when
    /// `resource` carries none).
    async fn is_stored_unchanged(&self, resource: &Resource) -> Result<bool, ResourceError> {
        let stored = match self.get(resource.kind(), resource.name()).await {
            Ok(stored) => stored,
            Err(ResourceError::NotFound { .. }) => return Ok(false),
            Err(err) => return Err(err),
        };
        let bare = resource.without_secrets();
        let has_secrets = &bare != resource;
        Ok(stored.iter().any(|stored| {
            let mut stored = stored.clone();
            stored
                .metadata_mut()
                .revision
                .clone_from(&resource.metadata().revision);
            if has_secrets {
                &stored == resource
            } else {
                stored.without_secrets() == bare
            }
        }))
    }

    /// Stores a user, role, trusted cluster or connector.
    async fn put_stored(
        &self,
        by: &str,
        mut resource: Resource,
        mode: PutMode,
    ) -> Result<Resource, ResourceError> {
        let kind = resource.kind();
        let name = resource.name().to_string();
        self.validate(&resource).await?;
        let Some(key) = key_of(kind, &name) else {
            return Err(ResourceError::ReadOnly {
                kind,
                action: "created",
                why: "this kind is not stored by the resource API",
            });
        };
        resource.metadata_mut().revision = String::new();
        let mut written = None;
        for _ in 0..CAS_RETRIES {
            let old = match self.backend.get(&key).await {
                Ok(item) => Some(item),
                Err(BackendError::NotFound { .. }) => None,
                Err(err) => return Err(err.into()),
            };
            let result = match &old {
                None => {
                    let value = encode(&resource, &key)?;
                    self.backend.create(Item::new(key.clone(), value)).await
                }
                Some(_) if mode == PutMode::Create => {
                    return Err(ResourceError::AlreadyExists { kind, name })
                }
                Some(item) => {
                    let stored = decode_resource(kind, item)?;
                    secrets::carry_over(&stored, &mut resource);
                    let value = encode(&resource, &key)?;
                    self.backend
                        .compare_and_swap(&item.value, Item::new(key.clone(), value))
                        .await
                }
            };
            match result {
                Ok(_) => {
                    written = Some(old.is_none());
                    break;
                }
                // Another writer got in first: read again (a create then sees it).
                Err(BackendError::AlreadyExists { .. } | BackendError::CompareFailed { .. })
                | Err(BackendError::NotFound { .. }) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        let Some(created) = written else {
            return Err(ResourceError::Contended {
                key: String::from_utf8_lossy(&key).into_owned(),
            });
        };
        tracing::info!(%kind, name = %name, by, "resource written");
        self.audit_put(by, &resource, created).await?;
        Ok(resource)
    }

    /// Checks what a resource refers to before it is stored.
    async fn validate(&self, resource: &Resource) -> Result<(), ResourceError> {
        let invalid = |reason: String| ResourceError::Invalid {
            kind: resource.kind(),
            name: resource.name().to_string(),
            reason,
        };
        match resource {
            Resource::User(user) => {
                crate::users::check_name(user.name()).map_err(|err| invalid(err.to_string()))?;
                if user.spec.roles.is_empty() {
                    return Err(invalid("a user needs at least one role".into()));
                }
                for role in &user.spec.roles {
                    if !role_exists(self.backend.as_ref(), role).await? {
                        return Err(invalid(format!("role {role:?} is not found")));
                    }
                }
            }
            Resource::Role(role) => {
                RoleSet::new(vec![role.clone()], &Traits::new())
                    .map_err(|err| invalid(err.to_string()))?;
            }
            _ => {}
        }
        Ok(())
    }

    /// `tctl create [-f]` of a join token: stored through the token service, which
    /// checks its roles and value; without `expires` it lasts the default 30 minutes.
    async fn put_token(
        &self,
        by: &str,
        token: ProvisionToken,
        mode: PutMode,
    ) -> Result<Resource, ResourceError> {
        let now = self.clock.now();
        let ttl = match token.metadata.expires {
            None => DEFAULT_TOKEN_TTL,
            Some(at) if at > now => Duration::try_from(at - now).unwrap_or(DEFAULT_TOKEN_TTL),
            Some(_) => {
                return Err(ResourceError::Invalid {
                    kind: Kind::Token,
                    name: crate::tokens::masked(token.name()),
                    reason: "it has expired already".into(),
                })
            }
        };
        if mode == PutMode::Upsert {
            match self.tokens.delete(by, token.name()).await {
                Ok(()) | Err(TokenError::NotFound { .. } | TokenError::Expired { .. }) => {}
                Err(err) => return Err(token_error(err)),
            }
        }
        let stored = self
            .tokens
            .add(
                by,
                token.spec.roles.clone(),
                ttl,
                Some(token.name().to_string()),
            )
            .await
            .map_err(|err| match err {
                TokenError::AlreadyExists { .. } => ResourceError::AlreadyExists {
                    kind: Kind::Token,
                    name: crate::tokens::masked(token.name()),
                },
                other => token_error(other),
            })?;
        Ok(Resource::Token(stored))
    }

    /// `tctl rm kind/name`. A role that users still have is refused
    /// ([`ResourceError::RoleInUse`]); CAs and the cluster name cannot be deleted.
    pub async fn delete(&self, by: &str, kind: Kind, name: &str) -> Result<(), ResourceError> {
        let not_found = || ResourceError::NotFound {
            kind,
            name: name.chars().take(64).collect(),
        };
        match kind {
            Kind::CertAuthority | Kind::ClusterName => {
                return Err(ResourceError::ReadOnly {
                    kind,
                    action: "deleted",
                    why: "a cluster cannot run without them",
                })
            }
            Kind::Node => {
                return match self.presence.delete(ServerKind::Node, name).await {
                    Ok(()) => Ok(()),
                    Err(PresenceError::NotFound { .. } | PresenceError::BadName { .. }) => {
                        Err(not_found())
                    }
                    Err(err) => Err(err.into()),
                }
            }
            Kind::Token => {
                return match self.tokens.delete(by, name).await {
                    Ok(()) => Ok(()),
                    Err(TokenError::NotFound { .. } | TokenError::Expired { .. }) => {
                        Err(not_found())
                    }
                    Err(err) => Err(token_error(err)),
                }
            }
            Kind::User => {
                // Users own more records than their params: the user service
                // removes them all (and audits user.delete).
                return Err(ResourceError::ReadOnly {
                    kind,
                    action: "deleted",
                    why: "use the users API (tctl users rm), which removes its tokens too",
                });
            }
            _ => {}
        }
        check_name(kind, name).map_err(|_| not_found())?;
        let key = key_of(kind, name).ok_or_else(not_found)?;
        if kind == Kind::Role {
            let users = self.users_with_role(name).await?;
            if !users.is_empty() {
                return Err(ResourceError::RoleInUse {
                    role: name.to_string(),
                    users: users.join(", "),
                });
            }
        }
        match self.backend.delete(&key).await {
            Ok(()) => {}
            Err(BackendError::NotFound { .. }) => return Err(not_found()),
            Err(err) => return Err(err.into()),
        }
        tracing::info!(%kind, name, by, "resource deleted");
        let change = resource_change(by, name);
        let payload = match kind {
            Kind::Role => Some(EventPayload::RoleDeleted(change)),
            Kind::TrustedCluster => Some(EventPayload::TrustedClusterDelete(change)),
            Kind::Github => Some(EventPayload::GithubConnectorDeleted(change)),
            Kind::Oidc => Some(EventPayload::OidcConnectorDeleted(change)),
            Kind::Saml => Some(EventPayload::SamlConnectorDeleted(change)),
            _ => None,
        };
        self.emit(payload, format!("{kind} {name:?} was deleted"))
            .await
    }

    /// The names of the users that have role `role`.
    async fn users_with_role(&self, role: &str) -> Result<Vec<String>, ResourceError> {
        let users = list_stored(self.backend.as_ref(), Kind::User).await?;
        Ok(users
            .iter()
            .filter_map(|resource| match resource {
                Resource::User(user) if user.spec.roles.iter().any(|r| r == role) => {
                    Some(user.name().to_string())
                }
                _ => None,
            })
            .collect())
    }

    async fn audit_put(
        &self,
        by: &str,
        resource: &Resource,
        created: bool,
    ) -> Result<(), ResourceError> {
        let name = resource.name();
        let change = resource_change(by, name);
        let payload = match resource {
            Resource::User(user) if created => {
                Some(EventPayload::UserCreate(user_change(by, user)))
            }
            Resource::User(user) => Some(EventPayload::UserUpdate(user_change(by, user))),
            Resource::Role(_) => Some(EventPayload::RoleCreated(change)),
            Resource::TrustedCluster(_) => Some(EventPayload::TrustedClusterCreate(change)),
            Resource::Github(_) => Some(EventPayload::GithubConnectorCreated(change)),
            Resource::Oidc(_) => Some(EventPayload::OidcConnectorCreated(change)),
            Resource::Saml(_) => Some(EventPayload::SamlConnectorCreated(change)),
            _ => None,
        };
        let kind = resource.kind();
        self.emit(payload, format!("{kind} {name:?} was written"))
            .await
    }

    async fn emit(
        &self,
        payload: Option<EventPayload>,
        action: String,
    ) -> Result<(), ResourceError> {
        let Some(payload) = payload else {
            return Ok(());
        };
        let event = AuditEvent::new(payload, &self.cluster_name, &*self.clock);
        self.audit
            .emit(event)
            .await
            .map_err(|source| ResourceError::Audit { action, source })
    }
}

/// Creates the built-in roles that do not exist in `backend`.
pub async fn ensure_builtin_roles(backend: &dyn Backend) -> Result<(), ResourceError> {
    for role in builtin_roles() {
        let key = store::role_key(role.name());
        let value = encode(&role, &key)?;
        match backend.create(Item::new(key, value)).await {
            Ok(_) => tracing::info!(role = role.name(), "built-in role created"),
            Err(BackendError::AlreadyExists { .. }) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Ok(())
}

/// Whether role `name` exists in `backend`.
pub async fn role_exists(backend: &dyn Backend, name: &str) -> Result<bool, ResourceError> {
    if check_name(Kind::Role, name).is_err() {
        return Ok(false);
    }
    match backend.get(&store::role_key(name)).await {
        Ok(_) => Ok(true),
        Err(BackendError::NotFound { .. }) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

fn token_resource(
    name: &str,
    roles: Vec<teleport_core::resource::SystemRole>,
    expires: Option<time::OffsetDateTime>,
) -> Result<ProvisionToken, ResourceError> {
    let mut metadata =
        teleport_core::resource::Metadata::new(name).map_err(|err| ResourceError::Invalid {
            kind: Kind::Token,
            name: crate::tokens::masked(name),
            reason: err.to_string(),
        })?;
    metadata.expires = expires;
    Ok(ProvisionToken::new(
        metadata,
        teleport_core::resource::ProvisionTokenSpec { roles },
    ))
}

fn token_error(err: TokenError) -> ResourceError {
    match err {
        TokenError::Audit { action, source } => ResourceError::Audit { action, source },
        other => ResourceError::Invalid {
            kind: Kind::Token,
            name: String::new(),
            reason: other.to_string(),
        },
    }
}

fn actor(by: &str) -> UserMetadata {
    UserMetadata {
        user: by.to_string(),
        login: String::new(),
    }
}

fn resource_change(by: &str, name: &str) -> ResourceChange {
    ResourceChange {
        user: actor(by),
        resource: ResourceMetadata {
            name: name.to_string(),
            ..ResourceMetadata::default()
        },
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
