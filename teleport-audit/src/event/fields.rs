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
    #[serde(
        rename = "addr.local",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub local_addr: String,
    /// The remote end, `host:port` (`addr.remote`).
    #[serde(
        rename = "addr.remote",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub remote_addr: String,
}

/// The interactive or exec session an event belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMetadata {
    /// The session id (`sid`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sid: String,
}

/// Whether an attempt (a login, a port forward, a join) succeeded, and if not, why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Whether it succeeded (`success`, always written).
    #[serde(default, deserialize_with = "crate::event::wire::bool_or_string")]
    pub success: bool,
    /// The error that made it fail (`error`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// A message meant for the user, whether it succeeded or not (`message`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl Status {
    /// A success.
    pub fn succeeded() -> Self {
        Status {
            success: true,
            ..Status::default()
        }
    }

    /// A failure because of `error`.
    pub fn failed(error: impl Into<String>) -> Self {
        Status {
            success: false,
            error: error.into(),
            message: String::new(),
        }
    }
}

/// The command that a node ran for an `exec` or `scp` request, and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandMetadata {
    /// The command line as the client sent it (`command`).
    #[serde(default)]
    pub command: String,
    /// The exit status, a decimal number written as a JSON string as Teleport does
    /// (`exitCode`); empty while unknown.
    #[serde(
        rename = "exitCode",
        default,
        skip_serializing_if = "String::is_empty",
        deserialize_with = "crate::event::wire::string_or_number"
    )]
    pub exit_code: String,
    /// Why the command failed, empty if it did not (`exitError`).
    #[serde(
        rename = "exitError",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub exit_error: String,
}

impl CommandMetadata {
    /// Whether the command failed: it has an error, or an exit status other than 0.
    pub fn failed(&self) -> bool {
        !self.exit_error.is_empty() || !matches!(self.exit_code.as_str(), "" | "0")
    }
}

/// The cluster resource (user, role, token, connector, trusted cluster) an
/// administrative event is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceMetadata {
    /// The resource's name (`name`); for secret tokens, a masked name (see
    /// [`mask_token`](crate::event::mask_token)).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// When the resource expires, if it does (`expires`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::event::wire::utc_option"
    )]
    pub expires: Option<time::OffsetDateTime>,
    /// The user who changed the resource, when it is not the acting user (`updated_by`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub updated_by: String,
    /// How long the resource lives, as a duration such as `1h0m0s` (`ttl`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ttl: String,
}
