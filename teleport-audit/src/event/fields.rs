//! The groups of fields that many audit events share, flattened into the event's JSON
//! object under Teleport's names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Who acted: the Teleport user and the OS login they used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserMetadata {
    /// The Teleport user name (`user`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// The OS login on the node (`login`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub login: String,
}

/// Where it happened: the node that saw the event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerMetadata {
    /// The namespace, `default` in this release (`namespace`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// The node's host UUID (`server_id`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub server_id: String,
    /// The node's name (`server_hostname`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub server_hostname: String,
    /// The node's address (`server_addr`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub server_addr: String,
    /// The node's labels, static and dynamic (`server_labels`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub server_labels: BTreeMap<String, String>,
}

/// The network connection an event arrived on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionMetadata {
    /// The local end, `host:port` (`addr.local`).
    #[serde(rename = "addr.local", default, skip_serializing_if = "String::is_empty")]
    pub local_addr: String,
    /// The remote end, `host:port` (`addr.remote`).
    #[serde(rename = "addr.remote", default, skip_serializing_if = "String::is_empty")]
    pub remote_addr: String,
}

/// The interactive or exec session an event belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMetadata {
    /// The session id (`sid`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sid: String,
}
