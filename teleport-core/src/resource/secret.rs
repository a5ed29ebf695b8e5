//! Byte fields written as base64 (Go's `[]byte` in JSON) and a wrapper that keeps
//! secrets out of logs.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Raw bytes, written in YAML and JSON as standard padded base64, the way Go's
/// `encoding/json` writes a `[]byte` (for example a certificate authority's keys).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// The bytes as a slice.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes, consuming the wrapper.
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(value: Vec<u8>) -> Self {
        Bytes(value)
    }
}

impl From<&[u8]> for Bytes {
    fn from(value: &[u8]) -> Self {
        Bytes(value.to_vec())
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BytesVisitor;

        impl Visitor<'_> for BytesVisitor {
            type Value = Bytes;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("base64-encoded bytes")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Bytes, E> {
                // Go's decoder skips line breaks inside base64; so do we.
                let compact: String = v.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
                STANDARD
                    .decode(compact.as_bytes())
                    .map(Bytes)
                    .map_err(|err| {
                        let shown: String = v.chars().take(16).collect();
                        E::custom(format_args!(
                            "invalid base64 {shown:?}{}: {err}",
                            if v.chars().count() > 16 { "..." } else { "" }
                        ))
                    })
            }

            fn visit_unit<E: de::Error>(self) -> Result<Bytes, E> {
                Ok(Bytes::default())
            }
        }

        deserializer.deserialize_str(BytesVisitor)
    }
}

/// A value that must not leak: its `Debug` prints `***`, it has no `Display`, and
/// [`crate::resource::Resource::without_secrets`] empties it before `tctl get` prints
/// a resource. Serialization writes the real value (`--with-secrets`, storage).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a secret value.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The secret value itself; the name makes every use easy to find in review.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The secret value, consuming the wrapper.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: AsRef<[u8]>> Secret<T> {
    /// Whether the secret is empty (absent, or removed by `without_secrets`).
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_empty()
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret<String> {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_base64_like_go() {
        let bytes = Bytes(b"ssh-ed25519 AAAA".to_vec());
        let yaml = serde_yaml::to_string(&bytes).unwrap();
        assert_eq!(yaml.trim(), "c3NoLWVkMjU1MTkgQUFBQQ==");
        assert_eq!(serde_yaml::from_str::<Bytes>(&yaml).unwrap(), bytes);
        let json = serde_json::to_string(&bytes).unwrap();
        assert_eq!(json, "\"c3NoLWVkMjU1MTkgQUFBQQ==\"");
        assert_eq!(serde_json::from_str::<Bytes>(&json).unwrap(), bytes);
    }

    #[test]
    fn bad_base64_names_the_value() {
        let err = serde_yaml::from_str::<Bytes>("not*base64").unwrap_err();
        assert!(err.to_string().contains("\"not*base64\""), "{err}");
    }

    #[test]
    fn secret_debug_is_redacted() {
        let secret = Secret::new("hunter2".to_string());
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(secret.expose(), "hunter2");
        assert!(!secret.is_empty());
        assert!(Secret::<String>::default().is_empty());
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"hunter2\"");
    }
}
