//! `teleport start --bootstrap state.yaml`: restoring a backup made with `tctl get all
//! --with-secrets` into a backend that was never initialized.
//!
//! The import happens only when the backend has no cluster name yet (the auth
//! server's first start); afterwards the flag is ignored, so it is safe to leave in a
//! service definition. CAs are imported with their private keys, so certificates the
//! old cluster issued keep validating. The cluster name comes from the CAs; a config
//! naming another cluster is refused, as that would break the CAs.
//!
//! Records are written with plain puts and the cluster name last: an import that dies
//! half-way leaves the backend uninitialized, and the next start imports again.

use teleport_backend::{Backend, BackendError, Item};
use teleport_core::resource::{
    CertAuthType, ClusterName, ClusterNameSpec, Kind, Resource, CLUSTER_NAME_RESOURCE,
};

use super::service::ensure_builtin_roles;
use super::store::{check_name, encode, key_of};
use super::ResourceError;
use crate::ca::{authority_key, CLUSTER_NAME_KEY};
use crate::rbac::builtin_roles;

/// What a bootstrap did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BootstrapOutcome {
    /// The backend was initialized already: nothing was imported.
    AlreadyInitialized,
    /// The state was imported.
    Imported {
        /// The cluster's name, from the imported CAs.
        cluster_name: String,
        /// How many resources were written.
        resources: usize,
    },
}

/// Imports `state` (the resources of `source_name`) into `backend` if the backend was
/// never initialized. `configured_cluster` is `auth_service.cluster_name`, when set.
///
/// The state must hold the user and host CAs of one cluster with their private keys;
/// CAs of other clusters (trusted clusters) are imported too when the state has a
/// `cluster_name` or the configuration names the local one. Users, roles, trusted
/// clusters and connectors are imported; join tokens and nodes are not (re-invite
/// dynamically added nodes, as the manual says).
pub async fn bootstrap(
    backend: &dyn Backend,
    state: Vec<Resource>,
    source_name: &str,
    configured_cluster: Option<&str>,
) -> Result<BootstrapOutcome, ResourceError> {
    match backend.get(CLUSTER_NAME_KEY.as_bytes()).await {
        Ok(_) => return Ok(BootstrapOutcome::AlreadyInitialized),
        Err(BackendError::NotFound { .. }) => {}
        Err(err) => return Err(err.into()),
    }
    let fail = |reason: String| ResourceError::Bootstrap {
        source_name: source_name.to_string(),
        reason,
    };
    let cluster = local_cluster(&state, configured_cluster).map_err(fail)?;
    for ca_type in [CertAuthType::User, CertAuthType::Host] {
        let ca = state.iter().find_map(|resource| match resource {
            Resource::CertAuthority(ca)
                if ca.spec.cluster_name == cluster && ca.spec.ca_type == ca_type =>
            {
                Some(ca)
            }
            _ => None,
        });
        let Some(ca) = ca else {
            return Err(fail(format!(
                "it holds no {} CA of cluster {cluster:?}",
                ca_type.as_str()
            )));
        };
        let keys = &ca.spec.active_keys;
        let missing_private = keys.ssh.is_empty()
            || keys.ssh.iter().any(|pair| pair.private_key.is_empty())
            || keys.tls.iter().any(|pair| pair.key.is_empty());
        if missing_private {
            return Err(fail(format!(
                "the {} CA of cluster {cluster:?} has no private keys: export with \
                 tctl get all --with-secrets",
                ca_type.as_str()
            )));
        }
        if ca_type == CertAuthType::Host && keys.tls.is_empty() {
            return Err(fail(format!(
                "the host CA of cluster {cluster:?} holds no TLS CA"
            )));
        }
    }

    // Every user's roles must be in the state or built in; checked before anything is
    // written, so a refused state leaves the backend as it was.
    let mut known_roles: Vec<String> = builtin_roles()
        .iter()
        .map(|r| r.name().to_string())
        .collect();
    known_roles.extend(
        state
            .iter()
            .filter(|r| r.kind() == Kind::Role)
            .map(|r| r.name().to_string()),
    );
    for resource in &state {
        if let Resource::User(user) = resource {
            if let Some(role) = user
                .spec
                .roles
                .iter()
                .find(|role| !known_roles.contains(role))
            {
                return Err(fail(format!(
                    "user {:?} has role {role:?}, which the state does not hold",
                    user.name()
                )));
            }
        }
    }

    // Roles first: users refer to them.
    let mut ordered: Vec<&Resource> = state.iter().filter(|r| r.kind() == Kind::Role).collect();
    ordered.extend(state.iter().filter(|r| r.kind() != Kind::Role));
    let mut written = 0;
    for resource in ordered {
        let kind = resource.kind();
        let name = resource.name();
        let key: Vec<u8> = match resource {
            Resource::CertAuthority(ca) => authority_key(ca.spec.ca_type, name).into_bytes(),
            Resource::User(_)
            | Resource::Role(_)
            | Resource::TrustedCluster(_)
            | Resource::Github(_)
            | Resource::Oidc(_)
            | Resource::Saml(_) => {
                check_name(kind, name)?;
                match key_of(kind, name) {
                    Some(key) => key,
                    None => continue,
                }
            }
            Resource::ClusterName(_) => continue,
            other => {
                tracing::info!(kind = %other.kind(), name = other.name(), "bootstrap: {} resources are not restored", other.kind());
                continue;
            }
        };
        let mut resource = resource.clone();
        resource.metadata_mut().revision = String::new();
        backend
            .put(Item::new(key.clone(), encode(&resource, &key)?))
            .await?;
        written += 1;
    }
    ensure_builtin_roles(backend).await?;

    let spec = ClusterNameSpec {
        cluster_name: cluster.clone(),
        cluster_id: state
            .iter()
            .find_map(|resource| match resource {
                Resource::ClusterName(name) if name.spec.cluster_name == cluster => {
                    Some(name.spec.cluster_id.clone())
                }
                _ => None,
            })
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
    };
    let name =
        ClusterName::named(CLUSTER_NAME_RESOURCE, spec).map_err(|err| fail(err.to_string()))?;
    let value = encode(&name, CLUSTER_NAME_KEY.as_bytes())?;
    match backend
        .create(Item::new(CLUSTER_NAME_KEY.as_bytes().to_vec(), value))
        .await
    {
        Ok(_) => {}
        Err(BackendError::AlreadyExists { .. }) => {
            return Err(fail(
                "another auth server initialized the backend during the import".into(),
            ))
        }
        Err(err) => return Err(err.into()),
    }
    tracing::info!(cluster = %cluster, resources = written, source = source_name, "bootstrapped the backend");
    Ok(BootstrapOutcome::Imported {
        cluster_name: cluster,
        resources: written,
    })
}

/// The local cluster's name: the state's `cluster_name`, or the one cluster its CAs
/// belong to; the configured name must agree.
fn local_cluster(state: &[Resource], configured: Option<&str>) -> Result<String, String> {
    let mut clusters: Vec<&str> = Vec::new();
    for resource in state {
        if let Resource::CertAuthority(ca) = resource {
            if !clusters.contains(&ca.spec.cluster_name.as_str()) {
                clusters.push(&ca.spec.cluster_name);
            }
        }
    }
    let named = state.iter().find_map(|resource| match resource {
        Resource::ClusterName(name) => Some(name.spec.cluster_name.as_str()),
        _ => None,
    });
    let from_state = match (named, clusters.as_slice()) {
        (_, []) => return Err("it holds no cert_authority resources".into()),
        (Some(name), _) => name.to_string(),
        (None, [one]) => one.to_string(),
        (None, many) => match configured {
            Some(name) if many.contains(&name) => name.to_string(),
            _ => {
                return Err(format!(
                    "it holds the CAs of several clusters ({}): set auth_service.cluster_name \
                     to the one to restore",
                    many.join(", ")
                ))
            }
        },
    };
    if let Some(configured) = configured {
        if configured != from_state {
            return Err(format!(
                "it holds cluster {from_state:?} but auth_service.cluster_name is \
                 {configured:?}: changing the cluster name would break the CAs; set \
                 cluster_name: {from_state}"
            ));
        }
    }
    Ok(from_state)
}
