//! The `teleport` section: settings every service of the process shares.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::keywords::{CacheType, LogExtraField, LogFormatOutput, LogOutput, Severity};
use super::serde_support::is_default;
use super::storage::StorageSection;
use super::tokens::{ca_pins, CaPin, TokenValue};
use super::values::{addr_list, EnabledFlag, NetAddr};
use crate::duration::Duration;

/// The `teleport` section.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "the teleport section: a mapping of nodename, data_dir, auth_token, \
                 auth_servers, log, storage, ..."
)]
#[non_exhaustive]
pub struct TeleportSection {
    /// The name this node is reached by; the host name when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodename: Option<String>,
    /// Where keys, certificates and (on auth servers) the cluster state live; see
    /// [`FileConfig::data_dir`](super::FileConfig::data_dir) for the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// Where the daemon writes its process id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid_file: Option<PathBuf>,
    /// The invitation token used to join a cluster on first start, or the file holding it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_token: Option<TokenValue>,
    /// The auth server's CA pin(s) checked when joining; one pin or a list in the file.
    #[serde(deserialize_with = "ca_pins", skip_serializing_if = "Vec::is_empty")]
    pub ca_pin: Vec<CaPin>,
    /// Auth servers (or a proxy, for nodes behind NAT) to connect to; one address or a list.
    /// See [`FileConfig::auth_servers`](super::FileConfig::auth_servers) for default ports.
    #[serde(deserialize_with = "addr_list", skip_serializing_if = "Vec::is_empty")]
    pub auth_servers: Vec<NetAddr>,
    /// The IP address other parts of the cluster reach this node at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advertise_ip: Option<String>,
    /// The daemon's own log.
    #[serde(skip_serializing_if = "is_default")]
    pub log: Log,
    /// Where the cluster state, audit events and recordings are kept.
    #[serde(skip_serializing_if = "is_default")]
    pub storage: StorageSection,
    /// Limits on incoming connections.
    #[serde(skip_serializing_if = "is_default")]
    pub connection_limits: ConnectionLimits,
    /// The cache of the auth server's data kept by proxies and nodes.
    #[serde(skip_serializing_if = "is_default")]
    pub cache: CacheConfig,
}

/// `teleport.log`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "the log section: a mapping of output, severity and format"
)]
#[non_exhaustive]
pub struct Log {
    /// stderr (default), stdout, syslog or a file path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<LogOutput>,
    /// DEBUG, INFO (default), WARN or ERROR, in any case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// The shape of each log line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<LogFormat>,
}

/// `teleport.log.format`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "the log format: a mapping of output and extra_fields"
)]
#[non_exhaustive]
pub struct LogFormat {
    /// text (default) or json.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<LogFormatOutput>,
    /// Fields added to each line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_fields: Vec<LogExtraField>,
}

/// `teleport.connection_limits`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "connection limits: a mapping of max_connections, max_users and rates"
)]
#[non_exhaustive]
pub struct ConnectionLimits {
    /// The most simultaneous connections (Teleport's default: 15000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u64>,
    /// The most simultaneous users (Teleport's default: 250).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_users: Option<u32>,
    /// Connection rate limits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rates: Vec<ConnectionRate>,
}

/// One entry of `teleport.connection_limits.rates`: a token bucket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a rate: a mapping of period, average and burst"
)]
#[non_exhaustive]
pub struct ConnectionRate {
    /// The window the average is measured over.
    pub period: Duration,
    /// Connections allowed per period on average.
    pub average: u32,
    /// Connections allowed at once above the average.
    pub burst: u32,
}

/// `teleport.cache`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "the cache section: a mapping of enabled, type and ttl"
)]
#[non_exhaustive]
pub struct CacheConfig {
    /// Whether to cache (default yes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<EnabledFlag>,
    /// in-memory (default) or sqlite.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub cache_type: Option<CacheType>,
    /// How long cached data may be served when the auth server is unreachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Duration>,
}
