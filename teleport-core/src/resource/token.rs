//! `token` (v2): a provisioning token that lets a host join the cluster in some
//! system roles, and the [`SystemRole`]s themselves.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Kind, ResourceWithSpec, Spec};

/// A provisioning token: `metadata.name` is the token itself, `metadata.expires`
/// its expiry.
pub type ProvisionToken = ResourceWithSpec<ProvisionTokenSpec>;

/// `spec` of a `token`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionTokenSpec {
    /// The system roles a host joining with this token receives.
    pub roles: Vec<SystemRole>,
}

impl Spec for ProvisionTokenSpec {
    const KIND: Kind = Kind::Token;
    const VERSIONS: &'static [&'static str] = &["v2"];
}

/// The role of a Teleport process or built-in identity (not a user role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SystemRole {
    /// The auth service.
    Auth,
    /// An SSH node.
    Node,
    /// A proxy.
    Proxy,
    /// The local administrator (`tctl` on the auth host).
    Admin,
    /// An application access agent.
    App,
    /// A Kubernetes access agent.
    Kube,
    /// A database access agent.
    Db,
    /// A Windows desktop agent.
    WindowsDesktop,
    /// A leaf cluster joining a root cluster.
    TrustedCluster,
    /// A user signing up with an invitation.
    Signup,
    /// No permissions.
    Nop,
    /// A proxy of a remote (trusted) cluster.
    RemoteProxy,
    /// A machine-identity bot.
    Bot,
}

/// A name that is no system role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown system role {0:?}: expected one of Auth, Node, Proxy, Admin, App, Kube, Db, \
     WindowsDesktop, Trusted_cluster, Signup, Nop, RemoteProxy, Bot"
)]
pub struct UnknownSystemRoleError(pub String);

impl SystemRole {
    /// Every system role.
    pub const ALL: &'static [SystemRole] = &[
        SystemRole::Auth,
        SystemRole::Node,
        SystemRole::Proxy,
        SystemRole::Admin,
        SystemRole::App,
        SystemRole::Kube,
        SystemRole::Db,
        SystemRole::WindowsDesktop,
        SystemRole::TrustedCluster,
        SystemRole::Signup,
        SystemRole::Nop,
        SystemRole::RemoteProxy,
        SystemRole::Bot,
    ];

    /// The name Teleport prints (`Auth`, `Node`, `Trusted_cluster`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            SystemRole::Auth => "Auth",
            SystemRole::Node => "Node",
            SystemRole::Proxy => "Proxy",
            SystemRole::Admin => "Admin",
            SystemRole::App => "App",
            SystemRole::Kube => "Kube",
            SystemRole::Db => "Db",
            SystemRole::WindowsDesktop => "WindowsDesktop",
            SystemRole::TrustedCluster => "Trusted_cluster",
            SystemRole::Signup => "Signup",
            SystemRole::Nop => "Nop",
            SystemRole::RemoteProxy => "RemoteProxy",
            SystemRole::Bot => "Bot",
        }
    }
}

impl fmt::Display for SystemRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SystemRole {
    type Err = UnknownSystemRoleError;

    /// Parses a role ignoring case and `_`/`-` (`node`, `PROXY`, `trusted_cluster`,
    /// `windows_desktop`), as `tctl tokens add --type=node,proxy` needs.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let squash = |text: &str| -> String {
            text.chars()
                .filter(|c| !matches!(c, '_' | '-'))
                .flat_map(char::to_lowercase)
                .collect()
        };
        let wanted = squash(s.trim());
        SystemRole::ALL
            .iter()
            .copied()
            .find(|role| squash(role.as_str()) == wanted)
            .ok_or_else(|| UnknownSystemRoleError(s.to_string()))
    }
}

impl Serialize for SystemRole {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SystemRole {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{read_resources, write_resources, Resource};

    const TOKEN: &str = "\
kind: token
version: v2
metadata:
  name: e94d68a8a1e5821dbd79d03a960644f0
  expires: 2021-01-01T00:05:00Z
spec:
  roles:
  - Node
  - Proxy
  - Trusted_cluster
";

    #[test]
    fn round_trips() {
        let resources = read_resources(TOKEN, "token.yaml").unwrap();
        assert_eq!(write_resources(&resources).unwrap(), TOKEN);
        let Resource::Token(token) = &resources[0] else {
            panic!("not a token");
        };
        assert_eq!(
            token.spec.roles,
            [
                SystemRole::Node,
                SystemRole::Proxy,
                SystemRole::TrustedCluster
            ]
        );
    }

    #[test]
    fn roles_parse_case_insensitively() {
        for (text, role) in [
            ("node", SystemRole::Node),
            ("PROXY", SystemRole::Proxy),
            ("Auth", SystemRole::Auth),
            ("trusted_cluster", SystemRole::TrustedCluster),
            ("TrustedCluster", SystemRole::TrustedCluster),
            ("windows_desktop", SystemRole::WindowsDesktop),
            ("kube", SystemRole::Kube),
            ("app", SystemRole::App),
            ("db", SystemRole::Db),
        ] {
            assert_eq!(text.parse::<SystemRole>(), Ok(role), "{text}");
        }
        for role in SystemRole::ALL {
            assert_eq!(role.to_string().parse::<SystemRole>(), Ok(*role));
        }
        let err = "wizard".parse::<SystemRole>().unwrap_err();
        assert!(err.to_string().contains("\"wizard\""));
    }

    #[test]
    fn lower_case_input_is_written_capitalised() {
        let text = "kind: token\nversion: v2\nmetadata:\n  name: t\nspec:\n  roles: [node, app]\n";
        let resources = read_resources(text, "t.yaml").unwrap();
        let out = write_resources(&resources).unwrap();
        assert!(out.ends_with("roles:\n  - Node\n  - App\n"), "{out}");
    }

    #[test]
    fn unknown_role_names_the_path() {
        let text =
            "kind: token\nversion: v2\nmetadata:\n  name: t\nspec:\n  roles: [node, wizard]\n";
        let err = read_resources(text, "t.yaml").unwrap_err().to_string();
        assert!(
            err.contains("spec.roles[1]") && err.contains("\"wizard\""),
            "{err}"
        );
    }
}
