//! Resources in the YAML shapes of the Teleport admin manual and `tctl get`.
//!
//! Every resource has `kind`, `version`, `metadata` (`name`, `description`, `labels`,
//! `expires`, `revision`) and a kind-specific `spec`. Each kind is a
//! [`ResourceWithSpec`] over its spec type (for example [`Role`] is
//! `ResourceWithSpec<RoleSpec>`), and [`Resource`] holds any of them.
//!
//! ```
//! use teleport_core::resource::{read_resources, write_resources, Resource};
//!
//! let text = "\
//! kind: role
//! version: v4
//! metadata:
//!   name: access
//! spec:
//!   allow:
//!     logins: [ubuntu]
//!     node_labels:
//!       '*': '*'
//! ";
//! let resources = read_resources(text, "access.yaml")?;
//! let Resource::Role(role) = &resources[0] else { unreachable!() };
//! assert_eq!(role.spec.allow.logins, ["ubuntu"]);
//! assert_eq!(role.spec.options.max_session_ttl.to_string(), "30h0m0s");
//! assert_eq!(read_resources(&write_resources(&resources)?, "again")?, resources);
//! # Ok::<(), teleport_core::resource::ResourceError>(())
//! ```

mod cert_authority;
mod cluster_name;
mod codec;
mod envelope;
mod error;
mod fields;
mod github;
mod kind;
mod metadata;
mod oidc;
mod role;
mod rotation;
mod saml;
mod secret;
mod server;
mod token;
mod trusted_cluster;
mod user;

pub use cert_authority::{
    CaKeySet, CertAuthType, CertAuthority, CertAuthoritySpec, JwtKeyPair, PrivateKeyType,
    RoleMapping, SigningAlg, SshKeyPair, TlsKeyPair,
};
pub use cluster_name::{ClusterName, ClusterNameSpec, CLUSTER_NAME_RESOURCE};
pub use codec::{read_resources, read_resources_json, write_resources, write_resources_json};
pub use envelope::{ResourceWithSpec, Spec, UnsupportedVersionError};
pub use error::{Location, ResourceError};
pub use fields::Strings;
pub use github::{GithubConnector, GithubConnectorSpec, TeamMapping, TeamRolesMapping};
pub use kind::{Kind, UnknownKindError};
pub use metadata::{Metadata, MetadataError};
pub use oidc::{ClaimMapping, OidcConnector, OidcConnectorSpec};
pub use role::{
    CertFormat, Role, RoleConditions, RoleOptions, RoleSpec, Rule, DEFAULT_MAX_SESSION_TTL,
};
pub use rotation::{
    Rotation, RotationMode, RotationPhase, RotationSchedule, RotationState, DEFAULT_GRACE_PERIOD,
};
pub use saml::{AsymmetricKeyPair, AttributeMapping, SamlConnector, SamlConnectorSpec};
pub use secret::{Bytes, Secret};
pub use server::{CommandLabel, Server, ServerSpec};
pub use token::{ProvisionToken, ProvisionTokenSpec, SystemRole, UnknownSystemRoleError};
pub use trusted_cluster::{TrustedCluster, TrustedClusterSpec};
pub use user::{
    ConnectorRef, CreatedBy, ExternalIdentity, LocalAuthSecrets, LoginStatus, MfaDevice,
    TotpDevice, User, UserRef, UserSpec, LOGINS_TRAIT,
};

use serde::{Serialize, Serializer};

/// Any resource.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Resource {
    /// A `user`.
    User(User),
    /// A `role`.
    Role(Role),
    /// A `token`.
    Token(ProvisionToken),
    /// A `cert_authority`.
    CertAuthority(CertAuthority),
    /// A `node`.
    Node(Server),
    /// A `trusted_cluster`.
    TrustedCluster(TrustedCluster),
    /// A `github` connector.
    Github(GithubConnector),
    /// An `oidc` connector.
    Oidc(OidcConnector),
    /// A `saml` connector.
    Saml(SamlConnector),
    /// The `cluster_name`.
    ClusterName(ClusterName),
}

/// Runs `$body` with `$r` bound to the resource inside any variant.
macro_rules! each_resource {
    ($value:expr, $r:ident => $body:expr) => {
        match $value {
            Resource::User($r) => $body,
            Resource::Role($r) => $body,
            Resource::Token($r) => $body,
            Resource::CertAuthority($r) => $body,
            Resource::Node($r) => $body,
            Resource::TrustedCluster($r) => $body,
            Resource::Github($r) => $body,
            Resource::Oidc($r) => $body,
            Resource::Saml($r) => $body,
            Resource::ClusterName($r) => $body,
        }
    };
}

impl Resource {
    /// The resource's kind.
    pub fn kind(&self) -> Kind {
        each_resource!(self, r => r.kind())
    }

    /// The resource's name.
    pub fn name(&self) -> &str {
        each_resource!(self, r => r.name())
    }

    /// The version the resource is written as.
    pub fn version(&self) -> &'static str {
        each_resource!(self, r => r.version())
    }

    /// The resource's metadata.
    pub fn metadata(&self) -> &Metadata {
        each_resource!(self, r => &r.metadata)
    }

    /// The resource's metadata, to change labels, expiry or revision.
    pub fn metadata_mut(&mut self) -> &mut Metadata {
        each_resource!(self, r => &mut r.metadata)
    }

    /// Empties every secret in place.
    pub fn strip_secrets(&mut self) {
        each_resource!(self, r => r.strip_secrets())
    }

    /// A copy with every secret (private keys, password hashes, client secrets,
    /// trusted cluster tokens) emptied, as `tctl get` prints without `--with-secrets`.
    pub fn without_secrets(&self) -> Resource {
        let mut copy = self.clone();
        copy.strip_secrets();
        copy
    }
}

impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        each_resource!(self, r => r.serialize(serializer))
    }
}

macro_rules! from_resource {
    ($($variant:ident($ty:ty)),+ $(,)?) => {
        $(
            impl From<$ty> for Resource {
                fn from(value: $ty) -> Self {
                    Resource::$variant(value)
                }
            }
        )+
    };
}

from_resource!(
    User(User),
    Role(Role),
    Token(ProvisionToken),
    CertAuthority(CertAuthority),
    Node(Server),
    TrustedCluster(TrustedCluster),
    Github(GithubConnector),
    Oidc(OidcConnector),
    Saml(SamlConnector),
    ClusterName(ClusterName),
);

#[cfg(test)]
mod tests;
