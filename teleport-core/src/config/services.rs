//! The service sections: `auth_service`, `ssh_service` and `proxy_service`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::defaults;
use super::error::{keyed, KeyedKind};
use super::keywords::{AuthType, CaSignatureAlgo, SecondFactor, SessionRecording};
use super::serde_support::is_default;
use super::tokens::StaticToken;
use super::values::{addr_list, valid_label_name, EnabledFlag, NetAddr, ScalarString, ValueError};
use crate::duration::{Duration, DurationError};

/// The `auth_service` section.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "the auth_service section: a mapping of enabled, cluster_name, listen_addr, \
                 tokens, authentication, ..."
)]
#[non_exhaustive]
pub struct AuthService {
    /// yes/no; the service runs when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<EnabledFlag>,
    /// The cluster's name, part of every certificate's signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// Where the auth API listens (default `0.0.0.0:3025`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen_addr: Option<NetAddr>,
    /// Names the auth server is reached by (behind a load balancer); one or a list.
    #[serde(deserialize_with = "addr_list", skip_serializing_if = "Vec::is_empty")]
    pub public_addr: Vec<NetAddr>,
    /// Static join tokens such as `"proxy,node:xxxx"`.
    #[serde(deserialize_with = "token_list", skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<StaticToken>,
    /// How users log in.
    #[serde(skip_serializing_if = "is_default")]
    pub authentication: Authentication,
    /// The Enterprise license file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_file: Option<PathBuf>,
    /// How the CAs sign SSH certificates (default `rsa-sha2-512`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_signature_algo: Option<CaSignatureAlgo>,
    /// Who records sessions (default `node`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_recording: Option<SessionRecording>,
}

/// `auth_service.authentication`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "the authentication section: a mapping of type and second_factor"
)]
#[non_exhaustive]
pub struct Authentication {
    /// local (default), github, oidc or saml.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<AuthType>,
    /// off, on, otp (default), optional, u2f or webauthn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_factor: Option<SecondFactor>,
    /// The connector used when a login names none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector_name: Option<String>,
}

/// The `ssh_service` section.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "the ssh_service section: a mapping of enabled, listen_addr, labels, commands, ..."
)]
#[non_exhaustive]
pub struct SshService {
    /// yes/no; the service runs when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<EnabledFlag>,
    /// Where the SSH server listens (default `0.0.0.0:3022`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen_addr: Option<NetAddr>,
    /// Names the node is reached by; one or a list.
    #[serde(deserialize_with = "addr_list", skip_serializing_if = "Vec::is_empty")]
    pub public_addr: Vec<NetAddr>,
    /// Static labels.
    #[serde(
        deserialize_with = "label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    /// Dynamic labels: commands run every `period` whose output is the label's value.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<CommandLabel>,
}

/// One entry of `ssh_service.commands`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a label command: a mapping of name, command and period"
)]
#[non_exhaustive]
pub struct CommandLabel {
    /// The label's name.
    #[serde(deserialize_with = "label_name")]
    pub name: String,
    /// The executable and its arguments, one element each.
    #[serde(deserialize_with = "label_command")]
    pub command: Vec<String>,
    /// How often the command runs; at least one minute.
    #[serde(deserialize_with = "label_period")]
    pub period: Duration,
}

/// The `proxy_service` section.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "the proxy_service section: a mapping of enabled, listen_addr, \
                 web_listen_addr, tunnel_listen_addr, public_addr, https_keypairs, ..."
)]
#[non_exhaustive]
pub struct ProxyService {
    /// yes/no; the service runs when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<EnabledFlag>,
    /// Where the proxy's SSH side listens (default `0.0.0.0:3023`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen_addr: Option<NetAddr>,
    /// Where the HTTPS side listens (default `0.0.0.0:3080`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_listen_addr: Option<NetAddr>,
    /// Where reverse tunnels from nodes arrive (default `0.0.0.0:3024`; the same port as
    /// `web_listen_addr` turns multiplexing on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel_listen_addr: Option<NetAddr>,
    /// Where the Kubernetes proxy listens; off when absent (port 3026 by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kube_listen_addr: Option<NetAddr>,
    /// The DNS name(s) of the HTTPS endpoint as users reach it; one or a list.
    #[serde(deserialize_with = "addr_list", skip_serializing_if = "Vec::is_empty")]
    pub public_addr: Vec<NetAddr>,
    /// The name(s) of the SSH side as users reach it; one or a list.
    #[serde(deserialize_with = "addr_list", skip_serializing_if = "Vec::is_empty")]
    pub ssh_public_addr: Vec<NetAddr>,
    /// The name(s) of the tunnel side as nodes reach it; one or a list.
    #[serde(deserialize_with = "addr_list", skip_serializing_if = "Vec::is_empty")]
    pub tunnel_public_addr: Vec<NetAddr>,
    /// TLS key pairs of the HTTPS side (a self-signed pair is made when absent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub https_keypairs: Vec<KeyPair>,
}

/// One entry of `proxy_service.https_keypairs`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a key pair: a mapping of key_file and cert_file"
)]
#[non_exhaustive]
pub struct KeyPair {
    /// The private key (PEM).
    pub key_file: PathBuf,
    /// The certificate chain (PEM).
    pub cert_file: PathBuf,
}

/// Reads `tokens` as a list only, without echoing a mistyped single string (it is a
/// secret) the way serde's type error would.
fn token_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<StaticToken>, D::Error> {
    struct Tokens;

    impl<'de> Visitor<'de> for Tokens {
        type Value = Vec<StaticToken>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of static tokens such as [\"proxy,node:xxxx\"]")
        }

        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(E::invalid_type(
                de::Unexpected::Other("a single string"),
                &self,
            ))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(token) = seq.next_element()? {
                out.push(token);
            }
            Ok(out)
        }
    }

    d.deserialize_any(Tokens)
}

/// A label name, checked in `visit_str` (so on its own line).
struct LabelName;

impl<'de> DeserializeSeed<'de> for LabelName {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for LabelName {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a label name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        if valid_label_name(v) {
            Ok(v.to_string())
        } else {
            Err(E::custom(ValueError::InvalidLabelName(v.to_string())))
        }
    }
}

fn label_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    LabelName.deserialize(d)
}

/// Reads `labels`: names checked, values read from any scalar, duplicates refused.
fn label_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    struct Labels;

    impl<'de> Visitor<'de> for Labels {
        type Value = BTreeMap<String, String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a mapping of label names to values")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(name) = map.next_key_seed(LabelName)? {
                let value: ScalarString = map.next_value()?;
                if out.contains_key(&name) {
                    return Err(keyed(
                        KeyedKind::Duplicate,
                        &name,
                        format_args!("duplicate label `{name}`"),
                    ));
                }
                out.insert(name, value.0);
            }
            Ok(out)
        }
    }

    d.deserialize_any(Labels)
}

/// Reads `command`: a list of the executable and its arguments.
fn label_command<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct Command;

    impl<'de> Visitor<'de> for Command {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array such as [\"/bin/uname\", \"-m\"]")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Err(E::custom(ValueError::CommandNotArray(v.to_string())))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Err(E::custom(ValueError::EmptyCommand))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut argv = Vec::new();
            while let Some(arg) = seq.next_element::<ScalarString>()? {
                argv.push(arg.0);
            }
            match argv.as_slice() {
                [] => Err(de::Error::custom(ValueError::EmptyCommand)),
                [only] if only.trim().contains(char::is_whitespace) => {
                    Err(de::Error::custom(ValueError::CommandNotArray(only.clone())))
                }
                [first, ..] if first.trim().is_empty() => {
                    Err(de::Error::custom(ValueError::EmptyCommand))
                }
                _ => Ok(argv),
            }
        }
    }

    d.deserialize_any(Command)
}

/// Reads `period`: a duration of at least one minute.
fn label_period<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    struct Period;

    impl Visitor<'_> for Period {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a period of at least one minute, such as 1m0s or 1h")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
            let period = Duration::parse(v).map_err(|e| E::custom(ValueError::from(e)))?;
            if period < defaults::MIN_LABEL_COMMAND_PERIOD {
                return Err(E::custom(ValueError::PeriodTooShort {
                    period,
                    minimum: defaults::MIN_LABEL_COMMAND_PERIOD,
                }));
            }
            Ok(period)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
            self.visit_str(&v.to_string())
        }

        fn visit_unit<E: de::Error>(self) -> Result<Duration, E> {
            Err(E::custom(ValueError::Duration(DurationError::Empty)))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
            self.visit_str(&v.to_string())
        }
    }

    d.deserialize_any(Period)
}
