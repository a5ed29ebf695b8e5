//! Where each kind of resource lives in the backend, and reading and writing records.
//!
//! | kind | key |
//! |---|---|
//! | `cluster_name` | `/cluster_configuration/name` |
//! | `cert_authority` | `/authorities/<user\|host>/<cluster>` |
//! | `user` | `/web/users/<name>/params` |
//! | `role` | `/roles/<name>/params` |
//! | `token` | `/tokens/<token>` (through [`TokenService`](crate::tokens::TokenService)) |
//! | `node` | `/nodes/default/<name>` (through [`Presence`](crate::presence::Presence)) |
//! | `trusted_cluster` | `/trustedclusters/<name>` |
//! | `github` / `oidc` / `saml` | `/web/connectors/<kind>/connectors/<name>` |

use serde::de::DeserializeOwned;
use serde::Serialize;
use teleport_backend::{Backend, BackendError, Item, KeyRange, NO_LIMIT};
use teleport_core::resource::{
    ClusterName, GithubConnector, Kind, OidcConnector, Resource, Role, SamlConnector,
    TrustedCluster, User,
};

use super::ResourceError;
use crate::ca::CLUSTER_NAME_KEY;

/// The backend key of role `name`: `/roles/<name>/params`.
pub fn role_key(name: &str) -> Vec<u8> {
    format!("/roles/{name}/params").into_bytes()
}

/// The prefix under which a kind stored directly by the resource service lives, and
/// the suffix of its records (`/params` for users and roles).
pub(super) fn prefix_of(kind: Kind) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        Kind::User => ("/web/users/", "/params"),
        Kind::Role => ("/roles/", "/params"),
        Kind::TrustedCluster => ("/trustedclusters/", ""),
        Kind::Github => ("/web/connectors/github/connectors/", ""),
        Kind::Oidc => ("/web/connectors/oidc/connectors/", ""),
        Kind::Saml => ("/web/connectors/saml/connectors/", ""),
        Kind::CertAuthority => ("/authorities/", ""),
        Kind::ClusterName => (CLUSTER_NAME_KEY, ""),
        _ => return None,
    })
}

/// The backend key of the resource `name` of a directly stored `kind`.
pub(super) fn key_of(kind: Kind, name: &str) -> Option<Vec<u8>> {
    let (prefix, suffix) = prefix_of(kind)?;
    match kind {
        Kind::CertAuthority | Kind::ClusterName => None,
        _ => Some(format!("{prefix}{name}{suffix}").into_bytes()),
    }
}

/// Whether `name` can be a key component: not empty, no `/`, no control characters,
/// not `.` or `..`, at most 255 bytes.
pub(super) fn check_name(kind: Kind, name: &str) -> Result<(), ResourceError> {
    let reason = if name.is_empty() {
        "the name is empty"
    } else if name.len() > 255 {
        "the name is longer than 255 bytes"
    } else if name.contains('/') {
        "the name holds '/'"
    } else if name.chars().any(char::is_control) {
        "the name holds control characters"
    } else if name == "." || name == ".." {
        "the name is a path component"
    } else {
        return Ok(());
    };
    Err(ResourceError::Invalid {
        kind,
        name: name.chars().take(64).collect(),
        reason: reason.to_string(),
    })
}

/// Reads a stored record as `T`.
pub(super) fn decode<T: DeserializeOwned>(item: &Item) -> Result<T, ResourceError> {
    serde_json::from_slice(&item.value).map_err(|err| ResourceError::Corrupt {
        key: String::from_utf8_lossy(&item.key).into_owned(),
        // Positions only: the value may hold secrets.
        reason: format!(
            "invalid JSON at line {} column {}",
            err.line(),
            err.column()
        ),
    })
}

/// Writes `value` as a record's JSON.
pub(super) fn encode<T: Serialize>(value: &T, key: &[u8]) -> Result<Vec<u8>, ResourceError> {
    serde_json::to_vec(value).map_err(|err| ResourceError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: err.to_string(),
    })
}

/// Reads a stored record of a directly stored `kind` into a [`Resource`].
pub(super) fn decode_resource(kind: Kind, item: &Item) -> Result<Resource, ResourceError> {
    Ok(match kind {
        Kind::User => Resource::User(decode::<User>(item)?),
        Kind::Role => Resource::Role(decode::<Role>(item)?),
        Kind::TrustedCluster => Resource::TrustedCluster(decode::<TrustedCluster>(item)?),
        Kind::Github => Resource::Github(decode::<GithubConnector>(item)?),
        Kind::Oidc => Resource::Oidc(decode::<OidcConnector>(item)?),
        Kind::Saml => Resource::Saml(decode::<SamlConnector>(item)?),
        Kind::CertAuthority => Resource::CertAuthority(decode(item)?),
        Kind::ClusterName => Resource::ClusterName(decode::<ClusterName>(item)?),
        _ => {
            return Err(ResourceError::Corrupt {
                key: String::from_utf8_lossy(&item.key).into_owned(),
                reason: format!("{kind} records are not stored here"),
            })
        }
    })
}

/// Every stored record of a directly stored `kind`, sorted by name.
pub(super) async fn list_stored(
    backend: &dyn Backend,
    kind: Kind,
) -> Result<Vec<Resource>, ResourceError> {
    let Some((prefix, suffix)) = prefix_of(kind) else {
        return Ok(Vec::new());
    };
    let items = if kind == Kind::ClusterName {
        match backend.get(prefix.as_bytes()).await {
            Ok(item) => vec![item],
            Err(BackendError::NotFound { .. }) => Vec::new(),
            Err(err) => return Err(err.into()),
        }
    } else {
        backend
            .get_range(KeyRange::prefix(prefix), NO_LIMIT)
            .await?
    };
    let mut out = Vec::new();
    for item in &items {
        // Users keep other records (attempts, pending devices) beside their params.
        if !suffix.is_empty() && !item.key.ends_with(suffix.as_bytes()) {
            continue;
        }
        out.push(decode_resource(kind, item)?);
    }
    out.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(out)
}
