//! `trusted_cluster` (v2): how a leaf cluster connects to a root cluster and maps the
//! root's roles onto its own.

use serde::{Deserialize, Serialize};

use super::cert_authority::RoleMapping;
use super::fields::string_or_list;
use super::{Kind, ResourceWithSpec, Secret, Spec};

/// A trusted cluster resource.
pub type TrustedCluster = ResourceWithSpec<TrustedClusterSpec>;

/// `spec` of a `trusted_cluster`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedClusterSpec {
    /// Whether the trust relationship is active.
    #[serde(default)]
    pub enabled: bool,
    /// Local roles for every remote user (older form; `role_map` is preferred).
    #[serde(
        default,
        deserialize_with = "string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub roles: Vec<String>,
    /// The join token issued by the root cluster: secret.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub token: Secret<String>,
    /// The root cluster's reverse tunnel address (`root.example.com:3024`).
    #[serde(default)]
    pub tunnel_addr: String,
    /// The root cluster's web proxy address (`root.example.com:3080`).
    #[serde(default)]
    pub web_proxy_addr: String,
    /// How the root's roles map to local roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_map: Vec<RoleMapping>,
}

impl Spec for TrustedClusterSpec {
    const KIND: Kind = Kind::TrustedCluster;
    const VERSIONS: &'static [&'static str] = &["v2"];

    fn strip_secrets(&mut self) {
        self.token = Secret::default();
    }
}

#[cfg(test)]
mod tests {
    use crate::resource::{read_resources, write_resources, Resource};

    const CLUSTER: &str = "\
kind: trusted_cluster
version: v2
metadata:
  name: root.example.com
spec:
  enabled: true
  token: ba4825847f0378bcdfe18113c4998498
  tunnel_addr: root.example.com:3024
  web_proxy_addr: root.example.com:3080
  role_map:
  - remote: admin
    local:
    - access
  - remote: ^dev-(.*)$
    local:
    - dev
";

    #[test]
    fn round_trips() {
        let resources = read_resources(CLUSTER, "cluster.yaml").unwrap();
        assert_eq!(write_resources(&resources).unwrap(), CLUSTER);
        let Resource::TrustedCluster(cluster) = &resources[0] else {
            panic!("not a trusted cluster");
        };
        assert!(cluster.spec.enabled);
        assert_eq!(cluster.spec.role_map[1].remote, "^dev-(.*)$");
    }

    #[test]
    fn token_is_a_secret() {
        let resources = read_resources(CLUSTER, "cluster.yaml").unwrap();
        assert!(!format!("{resources:?}").contains("ba4825847f0378bcdfe18113c4998498"));
        let text = write_resources(&[resources[0].without_secrets()]).unwrap();
        assert!(!text.contains("token:"), "{text}");
        assert!(text.contains("tunnel_addr"), "{text}");
    }
}
