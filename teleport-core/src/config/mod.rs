//! `teleport.yaml`: the daemon's configuration file, in the shape of the Teleport admin
//! manual.
//!
//! [`FileConfig`] is the typed tree of the four sections (`teleport`, `auth_service`,
//! `ssh_service`, `proxy_service`); every section and key is optional, and the resolved
//! helpers ([`FileConfig::data_dir`], [`FileConfig::auth_listen_addr`], ...) apply
//! Teleport's [`defaults`]. [`sample_config`] is the commented file `teleport configure`
//! prints.
//!
//! Reading is strict: an unknown key, a wrong type or a bad value is a [`ConfigError`]
//! printed like a compiler error, with the file, line, column and key path:
//!
//! ```
//! use teleport_core::config::FileConfig;
//!
//! let text = "\
//! ssh_service:
//!   commands:
//!   - name: arch
//!     command: [uname, -m]
//!     period: 30s
//! ";
//! let err = FileConfig::parse(text, "/etc/teleport.yaml").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "/etc/teleport.yaml:5:13: ssh_service.commands[0].period: \
//!      label command period 30s is less than the minimum of 1m0s"
//! );
//! ```

use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

pub mod defaults;
mod error;
mod keywords;
mod labels_flag;
mod locate;
mod sample;
mod serde_support;
mod services;
mod storage;
mod teleport;
mod tokens;
mod values;

#[cfg(test)]
mod bad_tests;
#[cfg(test)]
mod tests;

pub use error::{ConfigError, ErrorLocation};
pub use keywords::{
    AuthType, CaSignatureAlgo, CacheType, LogExtraField, LogFormatOutput, LogOutput, SecondFactor,
    SessionRecording, Severity, StorageType,
};
pub use labels_flag::{parse_labels_flag, FlagLabels};
pub use sample::{sample_config, SampleConfig};
pub use services::{AuthService, Authentication, CommandLabel, KeyPair, ProxyService, SshService};
pub use storage::{
    DirStorage, DynamoDbStorage, EtcdStorage, FirestoreStorage, StorageConfig, StorageSection,
};
pub use teleport::{
    CacheConfig, ConnectionLimits, ConnectionRate, Log, LogFormat, TeleportSection,
};
pub use tokens::{CaPin, StaticToken, TokenRole, TokenValue};
pub use values::{EnabledFlag, NetAddr, Secret, ValueError};

use crate::duration::Duration;
use serde_support::is_default;

/// A whole `teleport.yaml` file.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "a teleport.yaml mapping of the sections teleport, auth_service, \
                 ssh_service and proxy_service"
)]
#[non_exhaustive]
pub struct FileConfig {
    /// Settings shared by every service of the process.
    #[serde(skip_serializing_if = "is_default")]
    pub teleport: TeleportSection,
    /// The auth service.
    #[serde(skip_serializing_if = "is_default")]
    pub auth_service: AuthService,
    /// The SSH node service.
    #[serde(skip_serializing_if = "is_default")]
    pub ssh_service: SshService,
    /// The proxy service.
    #[serde(skip_serializing_if = "is_default")]
    pub proxy_service: ProxyService,
}

impl FileConfig {
    /// Reads and checks the file at `path` (`/dev/stdin` works too); errors name `path`.
    pub fn from_path(path: &Path) -> Result<FileConfig, ConfigError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
            file: file.clone(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| ConfigError::Read {
            file: file.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
        })?;
        FileConfig::parse(&text, &file)
    }

    /// Parses and checks `text`; `source` is the file name used in errors.
    ///
    /// An empty text (or only comments) is a valid, all-default configuration.
    pub fn parse(text: &str, source: &str) -> Result<FileConfig, ConfigError> {
        // First pass: YAML syntax only, so that a syntax error is never mistaken for a
        // problem with a key.
        if let Err(err) = IgnoredAny::deserialize(serde_yaml::Deserializer::from_str(text)) {
            return Err(error::syntax(&err, text, source));
        }
        serde_path_to_error::deserialize(serde_yaml::Deserializer::from_str(text))
            .map_err(|err| error::typed(err, text, source))
    }

    /// `teleport.data_dir`, default `/var/lib/teleport`.
    pub fn data_dir(&self) -> PathBuf {
        self.teleport
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(defaults::DATA_DIR))
    }

    /// The backend of the cluster state, with the `dir` path resolved (default
    /// `data_dir/backend`).
    pub fn storage(&self) -> StorageConfig {
        let mut backend = self.teleport.storage.backend.clone();
        if let StorageConfig::Dir(dir) = &mut backend {
            dir.path = Some(dir.path_or(&self.data_dir()));
        }
        backend
    }

    /// `teleport.storage.audit_events_uri`, in order; empty means files under
    /// `data_dir/log`.
    pub fn audit_events_uri(&self) -> &[String] {
        &self.teleport.storage.audit_events_uri
    }

    /// `teleport.storage.audit_sessions_uri`; `None` means files under `data_dir/log`.
    pub fn audit_sessions_uri(&self) -> Option<&str> {
        self.teleport.storage.audit_sessions_uri.as_deref()
    }

    /// `teleport.nodename`, else this machine's host name, else `localhost`.
    ///
    /// The host name is read from `/proc/sys/kernel/hostname` or `/etc/hostname`.
    pub fn nodename(&self) -> String {
        if let Some(name) = &self.teleport.nodename {
            return name.clone();
        }
        ["/proc/sys/kernel/hostname", "/etc/hostname"]
            .iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .map(|text| text.trim().to_string())
            .find(|name| !name.is_empty())
            .unwrap_or_else(|| "localhost".to_string())
    }

    /// `teleport.auth_servers` with port 3025 where none is written.
    pub fn auth_servers(&self) -> Vec<NetAddr> {
        with_port(&self.teleport.auth_servers, defaults::AUTH_PORT)
    }

    /// `teleport.log.severity`, default INFO.
    pub fn log_severity(&self) -> Severity {
        self.teleport.log.severity.unwrap_or(Severity::Info)
    }

    /// `teleport.log.output`, default stderr.
    pub fn log_output(&self) -> LogOutput {
        self.teleport
            .log
            .output
            .clone()
            .unwrap_or(LogOutput::Stderr)
    }

    /// `teleport.connection_limits.max_connections`, default 15000.
    pub fn max_connections(&self) -> u64 {
        self.teleport
            .connection_limits
            .max_connections
            .unwrap_or(defaults::MAX_CONNECTIONS)
    }

    /// `teleport.connection_limits.max_users`, default 250.
    pub fn max_users(&self) -> u32 {
        self.teleport
            .connection_limits
            .max_users
            .unwrap_or(defaults::MAX_USERS)
    }

    /// `teleport.cache.enabled`, default yes.
    pub fn cache_enabled(&self) -> bool {
        flag(self.teleport.cache.enabled)
    }

    /// `teleport.cache.type`, default in-memory.
    pub fn cache_type(&self) -> CacheType {
        self.teleport
            .cache
            .cache_type
            .unwrap_or(CacheType::InMemory)
    }

    /// `teleport.cache.ttl`, default 20h.
    pub fn cache_ttl(&self) -> Duration {
        self.teleport.cache.ttl.unwrap_or(defaults::CACHE_TTL)
    }

    /// Whether the auth service runs: yes unless `auth_service.enabled` says no.
    pub fn auth_enabled(&self) -> bool {
        flag(self.auth_service.enabled)
    }

    /// Whether the SSH service runs: yes unless `ssh_service.enabled` says no.
    pub fn ssh_enabled(&self) -> bool {
        flag(self.ssh_service.enabled)
    }

    /// Whether the proxy service runs: yes unless `proxy_service.enabled` says no.
    pub fn proxy_enabled(&self) -> bool {
        flag(self.proxy_service.enabled)
    }

    /// `auth_service.listen_addr`, default `0.0.0.0:3025`.
    pub fn auth_listen_addr(&self) -> NetAddr {
        listen(&self.auth_service.listen_addr, defaults::AUTH_PORT)
    }

    /// `auth_service.public_addr` with port 3025 where none is written.
    pub fn auth_public_addrs(&self) -> Vec<NetAddr> {
        with_port(&self.auth_service.public_addr, defaults::AUTH_PORT)
    }

    /// `auth_service.authentication.type`, default local.
    pub fn auth_type(&self) -> AuthType {
        self.auth_service
            .authentication
            .auth_type
            .unwrap_or(AuthType::Local)
    }

    /// `auth_service.authentication.second_factor`, default otp.
    pub fn second_factor(&self) -> SecondFactor {
        self.auth_service
            .authentication
            .second_factor
            .unwrap_or(SecondFactor::Otp)
    }

    /// `auth_service.ca_signature_algo`, default ed25519 (DESIGN.md: ed25519 CAs unless RSA is asked for).
    pub fn ca_signature_algo(&self) -> CaSignatureAlgo {
        self.auth_service
            .ca_signature_algo
            .unwrap_or(CaSignatureAlgo::Ed25519)
    }

    /// `auth_service.session_recording`, default node.
    pub fn session_recording(&self) -> SessionRecording {
        self.auth_service
            .session_recording
            .unwrap_or(SessionRecording::Node)
    }

    /// `ssh_service.listen_addr`, default `0.0.0.0:3022`.
    pub fn ssh_listen_addr(&self) -> NetAddr {
        listen(&self.ssh_service.listen_addr, defaults::SSH_PORT)
    }

    /// `ssh_service.public_addr` with port 3022 where none is written.
    pub fn ssh_public_addrs(&self) -> Vec<NetAddr> {
        with_port(&self.ssh_service.public_addr, defaults::SSH_PORT)
    }

    /// `proxy_service.listen_addr` (the SSH side), default `0.0.0.0:3023`.
    pub fn proxy_ssh_listen_addr(&self) -> NetAddr {
        listen(&self.proxy_service.listen_addr, defaults::PROXY_SSH_PORT)
    }

    /// `proxy_service.web_listen_addr`, default `0.0.0.0:3080`.
    pub fn proxy_web_listen_addr(&self) -> NetAddr {
        listen(
            &self.proxy_service.web_listen_addr,
            defaults::PROXY_WEB_PORT,
        )
    }

    /// `proxy_service.tunnel_listen_addr`, default `0.0.0.0:3024`.
    pub fn proxy_tunnel_listen_addr(&self) -> NetAddr {
        listen(
            &self.proxy_service.tunnel_listen_addr,
            defaults::PROXY_TUNNEL_PORT,
        )
    }

    /// Whether the tunnel shares the web port (multiplexing), as the manual describes.
    pub fn proxy_multiplexes_tunnel(&self) -> bool {
        self.proxy_tunnel_listen_addr() == self.proxy_web_listen_addr()
    }

    /// `proxy_service.kube_listen_addr` with port 3026 where none is written; `None` (the
    /// Kubernetes proxy is off) when absent.
    pub fn proxy_kube_listen_addr(&self) -> Option<NetAddr> {
        self.proxy_service
            .kube_listen_addr
            .as_ref()
            .map(|a| a.with_default_port(defaults::PROXY_KUBE_PORT))
    }

    /// `proxy_service.public_addr` with port 3080 where none is written.
    pub fn proxy_public_addrs(&self) -> Vec<NetAddr> {
        with_port(&self.proxy_service.public_addr, defaults::PROXY_WEB_PORT)
    }

    /// `proxy_service.ssh_public_addr` with port 3023 where none is written.
    pub fn proxy_ssh_public_addrs(&self) -> Vec<NetAddr> {
        with_port(
            &self.proxy_service.ssh_public_addr,
            defaults::PROXY_SSH_PORT,
        )
    }

    /// `proxy_service.tunnel_public_addr` with port 3024 where none is written.
    pub fn proxy_tunnel_public_addrs(&self) -> Vec<NetAddr> {
        with_port(
            &self.proxy_service.tunnel_public_addr,
            defaults::PROXY_TUNNEL_PORT,
        )
    }
}

fn flag(value: Option<EnabledFlag>) -> bool {
    value.is_none_or(|f| f.is_enabled())
}

fn listen(addr: &Option<NetAddr>, port: u16) -> NetAddr {
    addr.as_ref().map_or_else(
        || NetAddr::new(defaults::BIND_HOST, port),
        |a| a.with_default_port(port),
    )
}

fn with_port(addrs: &[NetAddr], port: u16) -> Vec<NetAddr> {
    addrs.iter().map(|a| a.with_default_port(port)).collect()
}
