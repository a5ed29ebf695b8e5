//! `role` (v3, v4): what a user may do: allowed and denied logins, node labels and
//! resource rules, plus session options such as `max_session_ttl`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fields::{default_true, is_false, is_zero_duration, Strings};
use super::{Kind, ResourceWithSpec, Spec};
use crate::labels::{LabelError, LabelSelector};
use crate::Duration;

/// A role resource.
pub type Role = ResourceWithSpec<RoleSpec>;

/// `spec` of a `role`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    /// Session options.
    #[serde(default)]
    pub options: RoleOptions,
    /// What the role allows.
    #[serde(default)]
    pub allow: RoleConditions,
    /// What the role denies; deny wins over allow.
    #[serde(default)]
    pub deny: RoleConditions,
}

impl Spec for RoleSpec {
    const KIND: Kind = Kind::Role;
    const VERSIONS: &'static [&'static str] = &["v4", "v3"];
}

/// The default (and largest usual) `max_session_ttl`: 30 hours.
pub const DEFAULT_MAX_SESSION_TTL: Duration = Duration::from_hours(30);

/// `spec.options` of a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleOptions {
    /// The certificate format issued to users: `standard` or `oldssh`.
    #[serde(default)]
    pub cert_format: CertFormat,
    /// Whether users may forward their SSH agent.
    #[serde(default)]
    pub forward_agent: bool,
    /// How long certificates issued to holders of this role live at most.
    #[serde(default = "default_max_session_ttl")]
    pub max_session_ttl: Duration,
    /// Whether users may forward ports.
    #[serde(default = "default_true")]
    pub port_forwarding: bool,
    /// Whether users may copy files with scp/sftp.
    #[serde(default = "default_true")]
    pub ssh_file_copy: bool,
    /// Disconnect idle clients after this long; zero means never.
    #[serde(default, skip_serializing_if = "is_zero_duration")]
    pub client_idle_timeout: Duration,
    /// Disconnect clients when their certificate expires.
    #[serde(default, skip_serializing_if = "is_false")]
    pub disconnect_expired_cert: bool,
}

fn default_max_session_ttl() -> Duration {
    DEFAULT_MAX_SESSION_TTL
}

impl Default for RoleOptions {
    fn default() -> Self {
        RoleOptions {
            cert_format: CertFormat::Standard,
            forward_agent: false,
            max_session_ttl: DEFAULT_MAX_SESSION_TTL,
            port_forwarding: true,
            ssh_file_copy: true,
            client_idle_timeout: Duration::ZERO,
            disconnect_expired_cert: false,
        }
    }
}

/// The format of issued user certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CertFormat {
    /// Certificates with Teleport's extensions (roles, traits).
    #[default]
    Standard,
    /// Certificates without extensions, for OpenSSH older than 7.2.
    #[serde(rename = "oldssh")]
    OldSsh,
}

/// `spec.allow` or `spec.deny` of a role.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleConditions {
    /// OS logins (may use `{{internal.logins}}` style variables).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logins: Vec<String>,
    /// Node labels: key to one value or a list; see [`LabelSelector`] for the syntax.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_labels: BTreeMap<String, Strings>,
    /// Rules on resources of the auth API (`tctl`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

impl RoleConditions {
    /// Compiles `node_labels` into a matcher (an empty map matches no node).
    pub fn node_label_selector(&self) -> Result<LabelSelector, LabelError> {
        LabelSelector::new(&self.node_labels)
    }
}

/// A rule: the verbs allowed or denied on some resources.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Resource kinds (`user`, `role`, `*`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Verbs (`list`, `read`, `create`, `update`, `delete`, `*`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verbs: Vec<String>,
    /// An optional condition expression.
    #[serde(default, rename = "where", skip_serializing_if = "String::is_empty")]
    pub where_: String,
    /// Optional actions run when the rule matches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{read_resources, write_resources, Resource};

    const ROLE: &str = "\
kind: role
version: v4
metadata:
  name: access
  description: SSH access to staging
spec:
  options:
    cert_format: standard
    forward_agent: true
    max_session_ttl: 8h0m0s
    port_forwarding: false
    ssh_file_copy: true
    client_idle_timeout: 15m0s
    disconnect_expired_cert: true
  allow:
    logins:
    - '{{internal.logins}}'
    - ubuntu
    node_labels:
      '*': '*'
      env:
      - staging
      - dev
    rules:
    - resources:
      - session
      verbs:
      - list
      - read
      where: contains(session.participants, user.metadata.name)
  deny:
    logins:
    - root
    node_labels:
      env: prod
";

    #[test]
    fn round_trips_every_field() {
        let resources = read_resources(ROLE, "role.yaml").unwrap();
        assert_eq!(write_resources(&resources).unwrap(), ROLE);
        let Resource::Role(role) = &resources[0] else {
            panic!("not a role");
        };
        assert_eq!(role.spec.options.max_session_ttl, Duration::from_hours(8));
        assert_eq!(
            role.spec.allow.node_labels["env"],
            Strings::from(["staging", "dev"])
        );
        assert_eq!(role.spec.deny.node_labels["env"], Strings::from("prod"));
    }

    #[test]
    fn minimal_role_gets_teleport_defaults() {
        let text = "kind: role\nversion: v3\nmetadata:\n  name: min\nspec: {}\n";
        let resources = read_resources(text, "min.yaml").unwrap();
        let Resource::Role(role) = &resources[0] else {
            panic!("not a role");
        };
        assert_eq!(role.version(), "v3");
        assert_eq!(role.spec.options, RoleOptions::default());
        assert_eq!(role.spec.options.max_session_ttl.to_string(), "30h0m0s");
        assert!(role.spec.options.port_forwarding && role.spec.options.ssh_file_copy);
        assert!(!role.spec.options.forward_agent);
        let written = write_resources(&resources).unwrap();
        assert_eq!(
            written,
            "\
kind: role
version: v3
metadata:
  name: min
spec:
  options:
    cert_format: standard
    forward_agent: false
    max_session_ttl: 30h0m0s
    port_forwarding: true
    ssh_file_copy: true
  allow: {}
  deny: {}
"
        );
        assert_eq!(read_resources(&written, "again").unwrap(), resources);
    }

    #[test]
    fn new_roles_are_v4_and_selectors_compile() {
        let mut spec = RoleSpec::default();
        spec.allow
            .node_labels
            .insert("env".into(), Strings::from("^prod-[0-9]+$"));
        let role = Role::named("ops", spec).unwrap();
        assert_eq!(role.version(), "v4");
        let selector = role.spec.allow.node_label_selector().unwrap();
        let labels = BTreeMap::from([("env".to_string(), "prod-1".to_string())]);
        assert!(selector.matches(&labels));
        let mut bad = role.spec.clone();
        bad.deny
            .node_labels
            .insert("env".into(), Strings::from("^(prod$"));
        assert!(bad.deny.node_label_selector().is_err());
    }

    #[test]
    fn bad_cert_format_is_refused() {
        let text = "kind: role\nversion: v4\nmetadata:\n  name: r\nspec:\n  options:\n    cert_format: x509\n";
        let err = read_resources(text, "r.yaml").unwrap_err().to_string();
        assert!(err.contains("spec.options.cert_format"), "{err}");
    }
}
