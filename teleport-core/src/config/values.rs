//! Small value types of `teleport.yaml` that check themselves while they are read.
//!
//! Every check runs inside a serde `Visitor` callback (`visit_str`, `visit_seq`, ...):
//! serde_yaml attaches the position of the scalar being visited to an error raised there,
//! so a bad value is reported on its own line and column. A check done after the value
//! has been read would be reported at the enclosing mapping instead.

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::serde_support::{parse_from_str, serde_via_str, FromStrVisitor, OneOrMany};

use crate::duration::{Duration, DurationError};

/// Why a single value of `teleport.yaml` was refused.
///
/// The `Display` text is what follows `file:line:column: key.path: ` in a
/// [`ConfigError`](super::ConfigError); the same type is the `FromStr` error of the value
/// types, so a command-line flag can be checked the way the file is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// A word outside a fixed list (severity, second factor, storage type, ...).
    #[error("unknown {what} {value:?}: expected one of {expected}")]
    UnknownKeyword {
        /// What the word names, such as `log severity`.
        what: &'static str,
        /// The word as written.
        value: String,
        /// The accepted words, comma separated.
        expected: &'static str,
    },
    /// An `enabled`-style flag that is not one of the accepted yes/no words.
    #[error("invalid flag {0:?}: expected yes, no, true, false, on, off, y, n, 1 or 0")]
    InvalidFlag(String),
    /// An address that is not `host`, `host:port` or `[ipv6]:port`.
    #[error("invalid address {addr:?}: {reason}")]
    InvalidAddress {
        /// The address as written.
        addr: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A port that is not a number from 1 to 65535.
    #[error("invalid port {port:?} in address {addr:?}: expected a number from 1 to 65535")]
    InvalidPort {
        /// The address as written.
        addr: String,
        /// The port as written.
        port: String,
    },
    /// `ca_signature_algo: ssh-rsa`, which signs certificates with SHA-1.
    #[error(
        "ca_signature_algo {0:?} signs with SHA-1, which is no longer considered secure and \
         is refused by OpenSSH 8.2 and later: use rsa-sha2-512 (the default) or rsa-sha2-256"
    )]
    InsecureSignatureAlgorithm(String),
    /// A CA pin that is not `sha256:` followed by 64 hex digits.
    #[error(
        "invalid CA pin {0:?}: expected sha256: followed by 64 hex digits, \
         as printed by `tctl status` on the auth server"
    )]
    InvalidCaPin(String),
    /// A static token line without the `roles:token` shape. The line itself is not
    /// repeated because it may hold a secret.
    #[error(
        "invalid static token: expected roles:token such as \"proxy,node:xxxx\" \
         or roles:/path/to/tokenfile ({0})"
    )]
    MalformedToken(&'static str),
    /// A role name in a static token that Teleport does not know.
    #[error(
        "unknown role {0:?} in static token: expected auth, node, proxy, app, kube, db \
         or trusted_cluster"
    )]
    UnknownTokenRole(String),
    /// A label command given as one string, or as a one-element array whose element
    /// holds a space: the executable and each argument must be separate elements.
    #[error(
        "command must be an array of the executable and its arguments, such as \
         [\"/bin/uname\", \"-m\"], not the single string {0:?}"
    )]
    CommandNotArray(String),
    /// A label command with no executable.
    #[error("command must not be empty: expected an array such as [\"/bin/uname\", \"-m\"]")]
    EmptyCommand,
    /// A label command period shorter than the one-minute minimum of the manual.
    #[error("label command period {period} is less than the minimum of {minimum}")]
    PeriodTooShort {
        /// The period as read.
        period: Duration,
        /// The smallest period allowed.
        minimum: Duration,
    },
    /// A duration that does not parse.
    #[error(transparent)]
    Duration(#[from] DurationError),
    /// A label name outside Teleport's label alphabet.
    #[error(
        "invalid label name {0:?}: use letters, digits and the characters / . _ * - \
         (no spaces)"
    )]
    InvalidLabelName(String),
    /// A log output that is none of stderr, stdout, syslog or a file path.
    #[error(
        "unknown log output {0:?}: expected stderr, stdout, syslog or a file path such as \
         /var/lib/teleport/teleport.log"
    )]
    InvalidLogOutput(String),
    /// An audit events or sessions URI with a scheme this setting does not accept.
    #[error("unsupported URI {uri:?} for {setting}: expected {expected}")]
    InvalidUri {
        /// The URI as written.
        uri: String,
        /// The setting, `audit_events_uri` or `audit_sessions_uri`.
        setting: &'static str,
        /// The accepted forms.
        expected: &'static str,
    },
    /// A required text value that is empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
}

/// The yes/no flag of `enabled` and similar keys.
///
/// Accepts `yes`, `no`, `true`, `false`, `on`, `off`, `y`, `n`, `1` and `0` in any case,
/// quoted or bare (a bare YAML `true`/`false` or `1`/`0` too), as Teleport does. Written
/// back as `"yes"` or `"no"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnabledFlag(pub bool);

impl EnabledFlag {
    /// Whether the flag says yes.
    pub const fn is_enabled(&self) -> bool {
        self.0
    }
}

impl From<bool> for EnabledFlag {
    fn from(value: bool) -> Self {
        EnabledFlag(value)
    }
}

impl FromStr for EnabledFlag {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "on" | "1" => Ok(EnabledFlag(true)),
            "no" | "n" | "false" | "off" | "0" => Ok(EnabledFlag(false)),
            _ => Err(ValueError::InvalidFlag(s.to_string())),
        }
    }
}

impl fmt::Display for EnabledFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0 { "yes" } else { "no" })
    }
}

serde_via_str!(
    EnabledFlag,
    "a flag: yes, no, true, false, on, off, y, n, 1 or 0"
);

/// A network address as written in `listen_addr`, `public_addr` or `auth_servers`:
/// `host`, `host:port`, `[ipv6]:port` or a bare IPv6 address.
///
/// A missing port stays missing here; the resolved helpers of
/// [`FileConfig`](super::FileConfig) fill in the default port of each service.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetAddr {
    /// The host name or IP address, without brackets.
    pub host: String,
    /// The port, if one was written.
    pub port: Option<u16>,
}

impl NetAddr {
    /// An address of `host` and `port`.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        NetAddr {
            host: host.into(),
            port: Some(port),
        }
    }

    /// The port, or `default` when none was written.
    pub fn port_or(&self, default: u16) -> u16 {
        self.port.unwrap_or(default)
    }

    /// The same address with `default` as its port when none was written.
    pub fn with_default_port(&self, default: u16) -> NetAddr {
        NetAddr {
            host: self.host.clone(),
            port: Some(self.port_or(default)),
        }
    }
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '*'))
}

fn parse_port(addr: &str, port: &str) -> Result<u16, ValueError> {
    let bad = || ValueError::InvalidPort {
        addr: addr.to_string(),
        port: port.to_string(),
    };
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match port.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => u16::try_from(n).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

impl FromStr for NetAddr {
    type Err = ValueError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim();
        let invalid = |reason| ValueError::InvalidAddress {
            addr: input.to_string(),
            reason,
        };
        if s.is_empty() {
            return Err(invalid("the address is empty"));
        }
        if s.contains("://") {
            return Err(invalid("expected host:port without a URL scheme"));
        }
        if let Some(rest) = s.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| invalid("missing ] after the IPv6 address"))?;
            if host.parse::<Ipv6Addr>().is_err() {
                return Err(invalid("the part in brackets is not an IPv6 address"));
            }
            let port = match after {
                "" => None,
                _ => match after.strip_prefix(':') {
                    Some(port) => Some(parse_port(input, port)?),
                    None => return Err(invalid("expected :port after the IPv6 address")),
                },
            };
            return Ok(NetAddr {
                host: host.to_string(),
                port,
            });
        }
        if s.matches(':').count() > 1 {
            if s.parse::<Ipv6Addr>().is_ok() {
                return Ok(NetAddr {
                    host: s.to_string(),
                    port: None,
                });
            }
            return Err(invalid(
                "too many colons: write an IPv6 address with a port as [::1]:3025",
            ));
        }
        let (host, port) = match s.split_once(':') {
            Some((host, port)) => (host, Some(parse_port(input, port)?)),
            None => (s, None),
        };
        if host.is_empty() {
            return Err(invalid(
                "missing host: write 0.0.0.0:PORT to listen on every interface",
            ));
        }
        if !valid_host(host) {
            return Err(invalid(
                "the host may hold only letters, digits and the characters . - _ *",
            ));
        }
        Ok(NetAddr {
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for NetAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bracket = self.host.contains(':');
        match (bracket, self.port) {
            (true, Some(port)) => write!(f, "[{}]:{port}", self.host),
            (true, None) => write!(f, "[{}]", self.host),
            (false, Some(port)) => write!(f, "{}:{port}", self.host),
            (false, None) => f.write_str(&self.host),
        }
    }
}

serde_via_str!(
    NetAddr,
    "an address such as 0.0.0.0:3025 or host.example.com"
);

/// A secret string (a join token): `Debug` prints `***`, and it has no `Display`, so it
/// does not end up in logs by accident. It serializes as its value so that a
/// configuration can be written back.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Call this only where the value is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A string read from any YAML scalar: `123` and `true` become `"123"` and `"true"`, as
/// Teleport's Go YAML reader does for string fields such as label values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ScalarString(pub(crate) String);

impl FromStr for ScalarString {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ScalarString(s.to_string()))
    }
}

impl<'de> Deserialize<'de> for ScalarString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(FromStrVisitor::new("a string"))
    }
}

/// `deserialize_with` for `Vec<NetAddr>` written as one address or a list.
pub(crate) fn addr_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NetAddr>, D::Error> {
    OneOrMany::new("an address such as host.example.com:3080", parse_from_str).read(d)
}

/// Whether `name` is a valid Teleport label name (`types.IsValidLabelKey`).
pub(crate) fn valid_label_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '*' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        for yes in ["yes", "YES", "y", "true", "True", "on", "1"] {
            assert_eq!(yes.parse::<EnabledFlag>(), Ok(EnabledFlag(true)), "{yes}");
        }
        for no in ["no", "N", "false", "off", "0"] {
            assert_eq!(no.parse::<EnabledFlag>(), Ok(EnabledFlag(false)), "{no}");
        }
        assert!("maybe".parse::<EnabledFlag>().is_err());
        let bare: EnabledFlag = serde_yaml::from_str("true").unwrap();
        assert!(bare.is_enabled());
        let one: EnabledFlag = serde_yaml::from_str("0").unwrap();
        assert!(!one.is_enabled());
        assert_eq!(
            serde_yaml::to_string(&EnabledFlag(true)).unwrap().trim(),
            "yes"
        );
    }

    #[test]
    fn addresses() {
        let a: NetAddr = "0.0.0.0:3025".parse().unwrap();
        assert_eq!(a, NetAddr::new("0.0.0.0", 3025));
        let bare: NetAddr = "auth.example.com".parse().unwrap();
        assert_eq!(bare.port, None);
        assert_eq!(
            bare.with_default_port(3025).to_string(),
            "auth.example.com:3025"
        );
        let v6: NetAddr = "[::1]:3080".parse().unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", Some(3080)));
        assert_eq!(v6.to_string(), "[::1]:3080");
        let v6bare: NetAddr = "fe80::1".parse().unwrap();
        assert_eq!(v6bare.with_default_port(22).to_string(), "[fe80::1]:22");
        for bad in [
            "",
            "host:0",
            "host:65536",
            "host:http",
            ":3025",
            "a b:1",
            "tcp://h:1",
            "1:2:3:x",
        ] {
            assert!(bad.parse::<NetAddr>().is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "***");
    }
}
