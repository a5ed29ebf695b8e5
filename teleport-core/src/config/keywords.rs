//! The fixed words of `teleport.yaml`: log severities, authentication types, second
//! factors, cache and storage types, CA signature algorithms and log outputs.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::serde_support::{keyword_enum, serde_via_str};
use super::values::ValueError;

keyword_enum! {
    /// `teleport.log.severity`: the least severe log level printed.
    pub enum Severity ("log severity", "DEBUG, INFO, WARN, ERROR") {
        /// Everything, including multiplexing and connection details.
        Debug = "DEBUG" | "trace",
        /// Normal operation (the default).
        Info = "INFO",
        /// Problems Teleport works around.
        Warn = "WARN" | "warning",
        /// Only errors.
        Error = "ERROR",
    }
}

keyword_enum! {
    /// `auth_service.authentication.type`: how users log in.
    pub enum AuthType ("authentication type", "local, github, oidc, saml") {
        /// The local user database managed by `tctl users` (the default).
        Local = "local",
        /// A GitHub OAuth 2.0 connector.
        Github = "github",
        /// An OpenID Connect connector (Enterprise in Teleport).
        Oidc = "oidc",
        /// A SAML connector (Enterprise in Teleport).
        Saml = "saml",
    }
}

keyword_enum! {
    /// `auth_service.authentication.second_factor`.
    ///
    /// Every value of the manual is accepted here; a daemon refuses at start the ones it
    /// does not implement.
    pub enum SecondFactor ("second factor", "off, on, otp, optional, u2f, webauthn") {
        /// No second factor.
        Off = "off",
        /// Both TOTP and hardware keys; every local user must register one device.
        On = "on",
        /// TOTP codes (the default).
        Otp = "otp",
        /// Both TOTP and hardware keys, for the users that registered one.
        Optional = "optional",
        /// U2F hardware keys.
        U2f = "u2f",
        /// WebAuthn hardware keys.
        Webauthn = "webauthn",
    }
}

keyword_enum! {
    /// `teleport.cache.type`: where a proxy or node caches the auth server's data.
    pub enum CacheType ("cache type", "in-memory, sqlite") {
        /// In memory (the default; what the manual recommends for proxies at scale).
        InMemory = "in-memory" | "memory",
        /// A local SQLite file under `data_dir`.
        Sqlite = "sqlite",
    }
}

keyword_enum! {
    /// `auth_service.session_recording`: who records interactive sessions.
    pub enum SessionRecording ("session recording mode", "node, node-sync, proxy, proxy-sync, off") {
        /// The node records and uploads later (the default).
        Node = "node",
        /// The node streams the recording as it happens.
        NodeSync = "node-sync",
        /// The proxy records (for nodes that are plain OpenSSH servers).
        Proxy = "proxy",
        /// The proxy streams the recording as it happens.
        ProxySync = "proxy-sync",
        /// Sessions are not recorded.
        Off = "off",
    }
}

keyword_enum! {
    /// `teleport.log.format.output`: how each log line is written.
    pub enum LogFormatOutput ("log format", "text, json") {
        /// Human-readable text (the default).
        Text = "text",
        /// One JSON object per line.
        Json = "json",
    }
}

keyword_enum! {
    /// An entry of `teleport.log.format.extra_fields`.
    pub enum LogExtraField ("log field", "level, timestamp, component, caller") {
        /// The severity.
        Level = "level",
        /// The time.
        Timestamp = "timestamp",
        /// The Teleport component that logs.
        Component = "component",
        /// The source file and line.
        Caller = "caller",
    }
}

keyword_enum! {
    /// `teleport.storage.type`: where the auth server keeps the cluster state.
    pub enum StorageType ("storage type", "dir, etcd, dynamodb, firestore") {
        /// A local directory under `data_dir` (the default).
        Dir = "dir",
        /// An etcd 3.3+ cluster.
        Etcd = "etcd",
        /// AWS DynamoDB.
        DynamoDb = "dynamodb",
        /// GCP Firestore.
        Firestore = "firestore",
    }
}

/// `auth_service.ca_signature_algo`: how the cluster's CAs sign SSH certificates.
///
/// `ssh-rsa` (SHA-1) is refused with [`ValueError::InsecureSignatureAlgorithm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaSignatureAlgo {
    /// RSA with SHA-256.
    RsaSha2_256,
    /// RSA with SHA-512 (the default).
    RsaSha2_512,
    /// Ed25519.
    Ed25519,
}

impl CaSignatureAlgo {
    /// The algorithm's name as `teleport.yaml` spells it.
    pub const fn as_str(&self) -> &'static str {
        match self {
            CaSignatureAlgo::RsaSha2_256 => "rsa-sha2-256",
            CaSignatureAlgo::RsaSha2_512 => "rsa-sha2-512",
            CaSignatureAlgo::Ed25519 => "ed25519",
        }
    }
}

impl fmt::Display for CaSignatureAlgo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CaSignatureAlgo {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "rsa-sha2-256" => Ok(CaSignatureAlgo::RsaSha2_256),
            "rsa-sha2-512" => Ok(CaSignatureAlgo::RsaSha2_512),
            "ed25519" | "ssh-ed25519" => Ok(CaSignatureAlgo::Ed25519),
            "ssh-rsa" | "ssh-rsa-cert-v01@openssh.com" => {
                Err(ValueError::InsecureSignatureAlgorithm(s.to_string()))
            }
            _ => Err(ValueError::UnknownKeyword {
                what: "CA signature algorithm",
                value: s.to_string(),
                expected: "rsa-sha2-512, rsa-sha2-256, ed25519",
            }),
        }
    }
}

serde_via_str!(CaSignatureAlgo, "rsa-sha2-512, rsa-sha2-256 or ed25519");

/// `teleport.log.output`: where the daemon's own log goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LogOutput {
    /// Standard error (the default; also written `error` or `2`).
    Stderr,
    /// Standard output (also written `out` or `1`).
    Stdout,
    /// The system log.
    Syslog,
    /// A file, such as `/var/lib/teleport/teleport.log`.
    File(PathBuf),
}

impl FromStr for LogOutput {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        match trimmed.to_ascii_lowercase().as_str() {
            "stderr" | "error" | "2" => Ok(LogOutput::Stderr),
            "stdout" | "out" | "1" => Ok(LogOutput::Stdout),
            "syslog" => Ok(LogOutput::Syslog),
            // A bare word is far more likely a misspelt keyword than a file name in the
            // daemon's working directory: ask for a path.
            _ if trimmed.contains('/') => Ok(LogOutput::File(PathBuf::from(trimmed))),
            _ => Err(ValueError::InvalidLogOutput(s.to_string())),
        }
    }
}

impl fmt::Display for LogOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogOutput::Stderr => f.write_str("stderr"),
            LogOutput::Stdout => f.write_str("stdout"),
            LogOutput::Syslog => f.write_str("syslog"),
            LogOutput::File(path) => write!(f, "{}", path.display()),
        }
    }
}

serde_via_str!(LogOutput, "stderr, stdout, syslog or a file path");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_case_insensitive() {
        assert_eq!("info".parse::<Severity>(), Ok(Severity::Info));
        assert_eq!("Warning".parse::<Severity>(), Ok(Severity::Warn));
        assert_eq!(Severity::Warn.to_string(), "WARN");
        assert_eq!(
            "WebAuthn".parse::<SecondFactor>(),
            Ok(SecondFactor::Webauthn)
        );
        assert_eq!("DynamoDB".parse::<StorageType>(), Ok(StorageType::DynamoDb));
        assert!("LOUD".parse::<Severity>().is_err());
    }

    #[test]
    fn signature_algorithms() {
        assert_eq!("rsa-sha2-512".parse(), Ok(CaSignatureAlgo::RsaSha2_512));
        assert_eq!("ssh-ed25519".parse(), Ok(CaSignatureAlgo::Ed25519));
        let err = "ssh-rsa".parse::<CaSignatureAlgo>().unwrap_err();
        assert!(err.to_string().contains("SHA-1"), "{err}");
    }

    #[test]
    fn log_outputs() {
        assert_eq!("STDERR".parse(), Ok(LogOutput::Stderr));
        assert_eq!(
            "/var/lib/teleport/teleport.log".parse(),
            Ok(LogOutput::File("/var/lib/teleport/teleport.log".into()))
        );
        assert!("stdrr".parse::<LogOutput>().is_err());
    }
}
