//! Join secrets of `teleport.yaml`: static tokens (`auth_service.tokens`), the
//! `auth_token` a node joins with, and CA pins.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserializer, Serialize, Serializer};

use super::serde_support::{parse_from_str, serde_via_str, FromStrVisitor, OneOrMany};
use super::values::{Secret, ValueError};

/// A role a static token lets a joining process assume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenRole {
    /// An auth server.
    Auth,
    /// An SSH node.
    Node,
    /// A proxy.
    Proxy,
    /// An application service.
    App,
    /// A Kubernetes service.
    Kube,
    /// A database service.
    Db,
    /// A trusted (leaf) cluster.
    TrustedCluster,
}

impl TokenRole {
    /// The role's name as written in a token line, in lower case.
    pub const fn as_str(&self) -> &'static str {
        match self {
            TokenRole::Auth => "auth",
            TokenRole::Node => "node",
            TokenRole::Proxy => "proxy",
            TokenRole::App => "app",
            TokenRole::Kube => "kube",
            TokenRole::Db => "db",
            TokenRole::TrustedCluster => "trusted_cluster",
        }
    }
}

impl fmt::Display for TokenRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenRole {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auth" => Ok(TokenRole::Auth),
            "node" => Ok(TokenRole::Node),
            "proxy" => Ok(TokenRole::Proxy),
            "app" => Ok(TokenRole::App),
            "kube" => Ok(TokenRole::Kube),
            "db" => Ok(TokenRole::Db),
            "trusted_cluster" => Ok(TokenRole::TrustedCluster),
            _ => Err(ValueError::UnknownTokenRole(s.trim().to_string())),
        }
    }
}

/// A token as written: the secret itself, or (when it starts with `/`) the path of a file
/// that holds it, as Teleport reads `auth_token` and static tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenValue {
    /// The secret, written in the configuration.
    Value(Secret),
    /// A file whose content is the secret.
    File(PathBuf),
}

impl TokenValue {
    fn as_written(&self) -> String {
        match self {
            TokenValue::Value(secret) => secret.expose().to_string(),
            TokenValue::File(path) => path.display().to_string(),
        }
    }
}

impl FromStr for TokenValue {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ValueError::Empty("the token"));
        }
        if s.starts_with('/') {
            return Ok(TokenValue::File(PathBuf::from(s)));
        }
        Ok(TokenValue::Value(Secret::new(s)))
    }
}

impl Serialize for TokenValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_written())
    }
}

impl<'de> serde::Deserialize<'de> for TokenValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(FromStrVisitor::new(
            "a join token, or the path of a file holding it",
        ))
    }
}

/// A line of `auth_service.tokens`: `"proxy,node:xxxx"` or `"auth:/path/to/tokenfile"`.
///
/// Role names are case-insensitive and must be among auth, node, proxy, app, kube, db and
/// trusted_cluster; at least one is needed and none may repeat.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StaticToken {
    /// The roles a process that joins with this token may assume.
    pub roles: Vec<TokenRole>,
    /// The token, or the file holding it.
    pub value: TokenValue,
}

impl FromStr for StaticToken {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (roles_part, value_part) = s.split_once(':').ok_or(ValueError::MalformedToken(
            "no ':' between the roles and the token",
        ))?;
        if roles_part.trim().is_empty() {
            return Err(ValueError::MalformedToken("no role before ':'"));
        }
        let mut roles = Vec::new();
        for name in roles_part.split(',') {
            if name.trim().is_empty() {
                return Err(ValueError::MalformedToken(
                    "an empty role name between commas",
                ));
            }
            let role: TokenRole = name.parse()?;
            if roles.contains(&role) {
                return Err(ValueError::MalformedToken("a role is listed twice"));
            }
            roles.push(role);
        }
        if value_part.trim().is_empty() {
            return Err(ValueError::MalformedToken("no token after ':'"));
        }
        Ok(StaticToken {
            roles,
            value: value_part.parse()?,
        })
    }
}

impl Serialize for StaticToken {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let roles: Vec<&str> = self.roles.iter().map(TokenRole::as_str).collect();
        serializer.serialize_str(&format!("{}:{}", roles.join(","), self.value.as_written()))
    }
}

impl<'de> serde::Deserialize<'de> for StaticToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(FromStrVisitor::new(
            "a static token such as \"proxy,node:xxxx\"",
        ))
    }
}

/// A CA pin: `sha256:` and 64 hex digits (the SHA-256 of the auth server's TLS CA public
/// key), as `tctl status` prints it. Kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CaPin(String);

impl CaPin {
    /// The pin, `sha256:` included.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CaPin {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let hex = trimmed
            .strip_prefix("sha256:")
            .ok_or_else(|| ValueError::InvalidCaPin(s.to_string()))?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ValueError::InvalidCaPin(s.to_string()));
        }
        Ok(CaPin(format!("sha256:{}", hex.to_ascii_lowercase())))
    }
}

impl fmt::Display for CaPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

serde_via_str!(CaPin, "a CA pin such as sha256:<64 hex digits>");

/// `deserialize_with` for `ca_pin`: one pin or a list.
pub(crate) fn ca_pins<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CaPin>, D::Error> {
    OneOrMany::new("a CA pin such as sha256:<64 hex digits>", parse_from_str).read(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_tokens() {
        let t: StaticToken = "proxy,Node:xxxx-token-xxxx".parse().unwrap();
        assert_eq!(t.roles, [TokenRole::Proxy, TokenRole::Node]);
        assert_eq!(t.value, TokenValue::Value(Secret::new("xxxx-token-xxxx")));
        let f: StaticToken = "auth:/path/to/tokenfile".parse().unwrap();
        assert_eq!(f.value, TokenValue::File("/path/to/tokenfile".into()));
        let tc: StaticToken = "trusted_cluster:abc".parse().unwrap();
        assert_eq!(tc.roles, [TokenRole::TrustedCluster]);
        assert_eq!(
            serde_yaml::to_string(&t).unwrap().trim(),
            "proxy,node:xxxx-token-xxxx"
        );
        for bad in [
            "nocolon",
            ":secret",
            "proxy:",
            "proxy,,node:x",
            "node,node:x",
        ] {
            let err = bad.parse::<StaticToken>().unwrap_err();
            assert!(matches!(err, ValueError::MalformedToken(_)), "{bad}: {err}");
        }
        assert_eq!(
            "admin:x".parse::<StaticToken>(),
            Err(ValueError::UnknownTokenRole("admin".into()))
        );
    }

    #[test]
    fn token_errors_do_not_echo_secrets() {
        let err = "supersecretvalue".parse::<StaticToken>().unwrap_err();
        assert!(!err.to_string().contains("supersecret"), "{err}");
    }

    #[test]
    fn ca_pins_are_checked() {
        let hex = "AB".repeat(32);
        let pin: CaPin = format!("sha256:{hex}").parse().unwrap();
        assert_eq!(pin.as_str(), format!("sha256:{}", "ab".repeat(32)));
        assert!("sha256:ca-pin-hash-goes-here".parse::<CaPin>().is_err());
        assert!(format!("sha1:{hex}").parse::<CaPin>().is_err());
    }
}
