//! `cluster_name` (v2): the cluster's name, fixed when the auth service first starts,
//! and its unique id.

use serde::{Deserialize, Serialize};

use super::{Kind, ResourceWithSpec, Spec};

/// The cluster name resource (its `metadata.name` is `cluster-name`).
pub type ClusterName = ResourceWithSpec<ClusterNameSpec>;

/// The `metadata.name` Teleport gives the cluster name resource.
pub const CLUSTER_NAME_RESOURCE: &str = "cluster-name";

/// `spec` of a `cluster_name`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterNameSpec {
    /// The cluster's name (`auth_service.cluster_name`).
    pub cluster_name: String,
    /// The cluster's unique id (a UUID).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster_id: String,
}

impl Spec for ClusterNameSpec {
    const KIND: Kind = Kind::ClusterName;
    const VERSIONS: &'static [&'static str] = &["v2"];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{read_resources, write_resources, Resource};

    const NAME: &str = "\
kind: cluster_name
version: v2
metadata:
  name: cluster-name
spec:
  cluster_name: example.com
  cluster_id: 3f1c4b2a-9d8e-4f7a-b6c5-d4e3f2a1b0c9
";

    #[test]
    fn round_trips() {
        let resources = read_resources(NAME, "name.yaml").unwrap();
        assert_eq!(write_resources(&resources).unwrap(), NAME);
        let Resource::ClusterName(name) = &resources[0] else {
            panic!("not a cluster name");
        };
        assert_eq!(name.name(), CLUSTER_NAME_RESOURCE);
        assert_eq!(name.spec.cluster_name, "example.com");
    }
}
