//! The kinds of resources, with the names YAML documents use and the aliases
//! `tctl get` and `tctl rm` accept (`users`, `cluster`, ...).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    CertAuthoritySpec, ClusterNameSpec, GithubConnectorSpec, OidcConnectorSpec, ProvisionTokenSpec,
    RoleSpec, SamlConnectorSpec, ServerSpec, Spec, TrustedClusterSpec, UserSpec,
};

/// A kind of resource, as written in a document's `kind` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// `user`: a local or SSO user.
    User,
    /// `role`: a set of allow/deny rules and options.
    Role,
    /// `token`: a provisioning (join) token.
    Token,
    /// `cert_authority`: a cluster's user or host certificate authority.
    CertAuthority,
    /// `node`: a registered SSH node (a server).
    Node,
    /// `trusted_cluster`: a link to a root cluster.
    TrustedCluster,
    /// `github`: a GitHub OAuth connector.
    Github,
    /// `oidc`: an OpenID Connect connector.
    Oidc,
    /// `saml`: a SAML connector.
    Saml,
    /// `cluster_name`: the cluster's name and id.
    ClusterName,
}

/// A name that is neither a resource kind nor one of its aliases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown resource kind {0:?}: expected one of {list}", list = Kind::names_for_help())]
pub struct UnknownKindError(pub String);

impl Kind {
    /// Every kind, in the order `tctl get all` prints them.
    pub const ALL: &'static [Kind] = &[
        Kind::ClusterName,
        Kind::CertAuthority,
        Kind::User,
        Kind::Role,
        Kind::Token,
        Kind::Node,
        Kind::TrustedCluster,
        Kind::Github,
        Kind::Oidc,
        Kind::Saml,
    ];

    /// The name written in a document's `kind` field.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Role => "role",
            Kind::Token => "token",
            Kind::CertAuthority => "cert_authority",
            Kind::Node => "node",
            Kind::TrustedCluster => "trusted_cluster",
            Kind::Github => "github",
            Kind::Oidc => "oidc",
            Kind::Saml => "saml",
            Kind::ClusterName => "cluster_name",
        }
    }

    /// The kind whose document name is exactly `name` (no aliases, case-sensitive):
    /// what a YAML document's `kind` field must say.
    pub fn from_document(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|kind| kind.as_str() == name)
    }

    /// The versions a document of this kind may declare; the first is written for
    /// resources created in code.
    pub fn supported_versions(self) -> &'static [&'static str] {
        match self {
            Kind::User => UserSpec::VERSIONS,
            Kind::Role => RoleSpec::VERSIONS,
            Kind::Token => ProvisionTokenSpec::VERSIONS,
            Kind::CertAuthority => CertAuthoritySpec::VERSIONS,
            Kind::Node => ServerSpec::VERSIONS,
            Kind::TrustedCluster => TrustedClusterSpec::VERSIONS,
            Kind::Github => GithubConnectorSpec::VERSIONS,
            Kind::Oidc => OidcConnectorSpec::VERSIONS,
            Kind::Saml => SamlConnectorSpec::VERSIONS,
            Kind::ClusterName => ClusterNameSpec::VERSIONS,
        }
    }

    /// The aliases accepted on the command line besides [`Kind::as_str`].
    const fn aliases(self) -> &'static [&'static str] {
        match self {
            Kind::User => &["users"],
            Kind::Role => &["roles"],
            Kind::Token => &["tokens"],
            Kind::CertAuthority => &["cert_authorities", "cas"],
            Kind::Node => &["nodes"],
            Kind::TrustedCluster => &["trusted_clusters", "cluster", "clusters", "tc"],
            Kind::Github => &[],
            Kind::Oidc => &[],
            Kind::Saml => &[],
            Kind::ClusterName => &[],
        }
    }

    fn names_for_help() -> String {
        Kind::ALL
            .iter()
            .map(|kind| kind.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = UnknownKindError;

    /// Parses a kind or one of its aliases, ignoring case (`users`, `Cluster`, `cas`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Kind::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == wanted || kind.aliases().contains(&wanted.as_str()))
            .ok_or_else(|| UnknownKindError(s.to_string()))
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Kind::from_document(&name).ok_or_else(|| serde::de::Error::custom(UnknownKindError(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_aliases() {
        for (text, kind) in [
            ("user", Kind::User),
            ("users", Kind::User),
            ("role", Kind::Role),
            ("Roles", Kind::Role),
            ("token", Kind::Token),
            ("tokens", Kind::Token),
            ("node", Kind::Node),
            ("nodes", Kind::Node),
            ("cert_authority", Kind::CertAuthority),
            ("cert_authorities", Kind::CertAuthority),
            ("trusted_cluster", Kind::TrustedCluster),
            ("cluster", Kind::TrustedCluster),
            ("github", Kind::Github),
            ("oidc", Kind::Oidc),
            ("saml", Kind::Saml),
            ("cluster_name", Kind::ClusterName),
        ] {
            assert_eq!(text.parse::<Kind>(), Ok(kind), "{text}");
        }
    }

    #[test]
    fn unknown_kind_lists_the_known_ones() {
        let err = "widget".parse::<Kind>().unwrap_err();
        assert_eq!(err, UnknownKindError("widget".into()));
        let msg = err.to_string();
        assert!(
            msg.contains("\"widget\"") && msg.contains("cert_authority"),
            "{msg}"
        );
    }

    #[test]
    fn documents_use_exact_names() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_document(kind.as_str()), Some(*kind));
            assert_eq!(kind.to_string(), kind.as_str());
            assert!(!kind.supported_versions().is_empty());
        }
        assert_eq!(Kind::from_document("users"), None);
        assert_eq!(Kind::from_document("User"), None);
    }
}
