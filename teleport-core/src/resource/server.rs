//! `node` (v2): an SSH server registered with the cluster. `metadata.name` is the
//! server's UUID and `metadata.labels` its static labels.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fields::is_false;
use super::{Kind, ResourceWithSpec, Rotation, Spec};
use crate::Duration;

/// A node resource (Teleport calls its type `Server`).
pub type Server = ResourceWithSpec<ServerSpec>;

/// `spec` of a `node`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// The address the node listens on (`10.0.0.5:3022`); empty for tunnel nodes.
    #[serde(default)]
    pub addr: String,
    /// An address users may reach the node at.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub public_addr: String,
    /// The node's host name, shown by `tctl nodes ls`.
    #[serde(default)]
    pub hostname: String,
    /// Dynamic labels: label name to the command that computes it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cmd_labels: BTreeMap<String, CommandLabel>,
    /// The node's view of the host CA rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<Rotation>,
    /// Whether the node is reached through a reverse tunnel.
    #[serde(default, skip_serializing_if = "is_false")]
    pub use_tunnel: bool,
    /// The Teleport version the node runs.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
}

impl Spec for ServerSpec {
    const KIND: Kind = Kind::Node;
    const VERSIONS: &'static [&'static str] = &["v2"];
}

impl Server {
    /// Every label of the node: static labels, then command labels' last results
    /// (a command label wins over a static label of the same name).
    pub fn all_labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.metadata.labels.clone();
        for (name, label) in &self.spec.cmd_labels {
            labels.insert(name.clone(), label.result.clone());
        }
        labels
    }
}

/// A dynamic label: a command run every `period` whose output is the value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandLabel {
    /// How often the command runs.
    pub period: Duration,
    /// The command and its arguments.
    pub command: Vec<String>,
    /// The last output, trimmed.
    #[serde(default)]
    pub result: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{read_resources, write_resources, Resource};

    const NODE: &str = "\
kind: node
version: v2
metadata:
  name: 5b0c1e3e-1a52-4b2a-9a1e-3c6f0b7d8e9f
  labels:
    env: prod
  expires: 2021-01-01T00:10:00Z
spec:
  addr: 10.0.0.5:3022
  public_addr: web-1.example.com:3022
  hostname: web-1
  cmd_labels:
    kernel:
      period: 1h0m0s
      command:
      - uname
      - -r
      result: 5.10.0
    uptime:
      period: 1m0s
      command:
      - uptime
      - -p
      result: up 2 days
  rotation:
    state: standby
    phase: standby
  use_tunnel: true
  version: 4.4.0
";

    #[test]
    fn round_trips() {
        let resources = read_resources(NODE, "node.yaml").unwrap();
        assert_eq!(write_resources(&resources).unwrap(), NODE);
        let Resource::Node(node) = &resources[0] else {
            panic!("not a node");
        };
        assert_eq!(
            node.spec.cmd_labels["kernel"].period,
            Duration::from_hours(1)
        );
        let labels = node.all_labels();
        assert_eq!(labels["env"], "prod");
        assert_eq!(labels["uptime"], "up 2 days");
    }

    #[test]
    fn minimal_node() {
        let text = "kind: node\nversion: v2\nmetadata:\n  name: n1\nspec:\n  addr: 127.0.0.1:3022\n  hostname: n1\n";
        let resources = read_resources(text, "n1.yaml").unwrap();
        assert_eq!(write_resources(&resources).unwrap(), text);
    }
}
