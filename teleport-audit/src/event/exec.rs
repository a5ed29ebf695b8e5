//! Events of what a connected user asks a node to do besides a shell: run a command, copy
//! files, start a subsystem, forward a port or X11, and the server dropping the client.

use serde::{Deserialize, Serialize};

use super::fields::{
    CommandMetadata, ConnectionMetadata, ServerMetadata, SessionMetadata, Status, UserMetadata,
};

/// `exec` (T3002I, or T3002E when the command failed): a command ran without a
/// terminal, as in `tsh ssh root@node ls /`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exec {
    /// Who ran it, as which login.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// Over which connection.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// The session it ran in.
    #[serde(flatten)]
    pub session: SessionMetadata,
    /// On which node.
    #[serde(flatten)]
    pub server: ServerMetadata,
    /// The command and how it ended.
    #[serde(flatten)]
    pub command: CommandMetadata,
}

/// Which way an `scp` copy went, seen from the node (`action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ScpAction {
    /// A file was copied from the client onto the node (`upload`).
    Upload,
    /// A file was copied from the node to the client (`download`).
    Download,
}

/// `scp` (T3004I download, T3005I upload; T3004E/T3005E when the copy failed): a file
/// was copied with scp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scp {
    /// Who copied, as which login.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// Over which connection.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// The session it ran in.
    #[serde(flatten)]
    pub session: SessionMetadata,
    /// On which node.
    #[serde(flatten)]
    pub server: ServerMetadata,
    /// The scp command and how it ended.
    #[serde(flatten)]
    pub command: CommandMetadata,
    /// The path on the node (`path`).
    #[serde(default)]
    pub path: String,
    /// How many bytes were copied (`len`).
    #[serde(rename = "len", default)]
    pub length: u64,
    /// Which way the copy went (`action`).
    pub action: ScpAction,
}

/// `subsystem` (T3001I, or T3001E when it failed): a client requested an SSH subsystem
/// such as `sftp`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subsystem {
    /// Who requested it.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// Over which connection.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// On which node.
    #[serde(flatten)]
    pub server: ServerMetadata,
    /// The subsystem's name, such as `sftp` (`name`).
    #[serde(default)]
    pub name: String,
    /// Why it failed, empty if it did not (`exitError`, always written).
    #[serde(rename = "exitError", default)]
    pub exit_error: String,
}

/// `port` (T3003I, or T3003E when refused or failed): a client asked to forward a port
/// (`ssh -L`, `-D`, or a `direct-tcpip` channel).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortForward {
    /// Who asked.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// Over which connection.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// Whether the forward was allowed and worked.
    #[serde(flatten)]
    pub status: Status,
    /// The target, `host:port` (`addr`).
    #[serde(default)]
    pub addr: String,
}

/// `x11-forward` (T3008I, or T3008W when refused or failed): a client asked to forward
/// X11.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct X11Forward {
    /// Who asked.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// Over which connection.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// Whether the forward was allowed and worked.
    #[serde(flatten)]
    pub status: Status,
}

/// `client.disconnect` (T3006I): the server closed a client's connection, for example
/// because it sat idle or its certificate expired.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientDisconnect {
    /// Whose connection.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// Which connection.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// On which node.
    #[serde(flatten)]
    pub server: ServerMetadata,
    /// Why the server closed it (`reason`).
    #[serde(default)]
    pub reason: String,
}
