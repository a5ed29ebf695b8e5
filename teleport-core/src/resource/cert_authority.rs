//! `cert_authority` (v2): a cluster's user or host certificate authority: its active
//! SSH and TLS key pairs, keys it additionally trusts during a rotation, and the role
//! map applied to users of a trusted cluster.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::fields::string_or_list;
use super::{Bytes, Kind, ResourceWithSpec, Rotation, Secret, Spec};

/// A certificate authority resource.
pub type CertAuthority = ResourceWithSpec<CertAuthoritySpec>;

/// `spec` of a `cert_authority`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertAuthoritySpec {
    /// Which certificates the CA signs.
    #[serde(rename = "type")]
    pub ca_type: CertAuthType,
    /// The cluster the CA belongs to.
    pub cluster_name: String,
    /// Roles given to users of this (trusted) cluster's CA.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// How remote roles map to local roles for a trusted cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_map: Vec<RoleMapping>,
    /// The CA's rotation state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<Rotation>,
    /// The signature algorithm used for SSH certificates with RSA keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_alg: Option<SigningAlg>,
    /// The keys the CA signs with and that are trusted.
    #[serde(default, skip_serializing_if = "CaKeySet::is_empty")]
    pub active_keys: CaKeySet,
    /// Keys also trusted (the other side of a rotation).
    #[serde(default, skip_serializing_if = "CaKeySet::is_empty")]
    pub additional_trusted_keys: CaKeySet,
}

impl CertAuthoritySpec {
    /// An empty CA of the given type for `cluster_name`.
    pub fn new(ca_type: CertAuthType, cluster_name: impl Into<String>) -> Self {
        CertAuthoritySpec {
            ca_type,
            cluster_name: cluster_name.into(),
            roles: Vec::new(),
            role_map: Vec::new(),
            rotation: None,
            signing_alg: None,
            active_keys: CaKeySet::default(),
            additional_trusted_keys: CaKeySet::default(),
        }
    }
}

impl Spec for CertAuthoritySpec {
    const KIND: Kind = Kind::CertAuthority;
    const VERSIONS: &'static [&'static str] = &["v2"];

    fn strip_secrets(&mut self) {
        self.active_keys.strip_private_keys();
        self.additional_trusted_keys.strip_private_keys();
    }
}

/// The type of a certificate authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CertAuthType {
    /// Signs user certificates.
    User,
    /// Signs host certificates.
    Host,
    /// Signs database access certificates.
    Db,
    /// Signs JSON web tokens for application access.
    Jwt,
}

impl CertAuthType {
    /// The name documents write (`user`, `host`, `db`, `jwt`).
    pub const fn as_str(self) -> &'static str {
        match self {
            CertAuthType::User => "user",
            CertAuthType::Host => "host",
            CertAuthType::Db => "db",
            CertAuthType::Jwt => "jwt",
        }
    }
}

/// A mapping of a remote cluster's role to local roles.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleMapping {
    /// The remote role (`*` or a `^regex$` may match several).
    pub remote: String,
    /// The local roles it becomes (one plain string is also accepted on input).
    #[serde(deserialize_with = "string_or_list")]
    pub local: Vec<String>,
}

/// A set of CA key pairs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaKeySet {
    /// SSH key pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh: Vec<SshKeyPair>,
    /// TLS certificates and keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tls: Vec<TlsKeyPair>,
    /// JWT signing key pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jwt: Vec<JwtKeyPair>,
}

impl CaKeySet {
    /// Whether the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.ssh.is_empty() && self.tls.is_empty() && self.jwt.is_empty()
    }

    /// Empties every private key, keeping public keys and certificates.
    pub fn strip_private_keys(&mut self) {
        for pair in &mut self.ssh {
            pair.private_key = Secret::default();
        }
        for pair in &mut self.tls {
            pair.key = Secret::default();
        }
        for pair in &mut self.jwt {
            pair.private_key = Secret::default();
        }
    }
}

/// An SSH key pair of a CA.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshKeyPair {
    /// The public key in authorized_keys format.
    #[serde(default, skip_serializing_if = "Bytes::is_empty")]
    pub public_key: Bytes,
    /// The private key (PEM): secret.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub private_key: Secret<Bytes>,
    /// Where the private key lives.
    #[serde(default, skip_serializing_if = "PrivateKeyType::is_raw")]
    pub private_key_type: PrivateKeyType,
}

/// A TLS certificate and key of a CA.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsKeyPair {
    /// The certificate (PEM).
    #[serde(default, skip_serializing_if = "Bytes::is_empty")]
    pub cert: Bytes,
    /// The private key (PEM): secret.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub key: Secret<Bytes>,
    /// Where the private key lives.
    #[serde(default, skip_serializing_if = "PrivateKeyType::is_raw")]
    pub key_type: PrivateKeyType,
}

/// A JWT signing key pair of a CA.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtKeyPair {
    /// The public key (PEM).
    #[serde(default, skip_serializing_if = "Bytes::is_empty")]
    pub public_key: Bytes,
    /// The private key (PEM): secret.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub private_key: Secret<Bytes>,
    /// Where the private key lives.
    #[serde(default, skip_serializing_if = "PrivateKeyType::is_raw")]
    pub private_key_type: PrivateKeyType,
}

/// Declares a Go protobuf enum: written as its number, as Go's `encoding/json` writes
/// it; read from the number or the name in any case, `-` counting as `_`.
macro_rules! proto_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident = $num:literal, $text:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// The protobuf number.
            pub const fn number(self) -> u8 {
                match self { $($name::$variant => $num,)+ }
            }

            /// The protobuf name.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            fn from_number(number: u64) -> Option<Self> {
                match number { $($num => Some($name::$variant),)+ _ => None }
            }

            fn from_name(name: &str) -> Option<Self> {
                let wanted = name.trim().to_ascii_uppercase().replace('-', "_");
                [$($name::$variant,)+].into_iter().find(|v| v.as_str() == wanted)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_u8(self.number())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct EnumVisitor;

                impl Visitor<'_> for EnumVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!($what, " as a number or one of"))?;
                        $(write!(f, " {}", $text)?;)+
                        Ok(())
                    }

                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$name, E> {
                        $name::from_number(v).ok_or_else(|| {
                            E::invalid_value(de::Unexpected::Unsigned(v), &self)
                        })
                    }

                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$name, E> {
                        let n = u64::try_from(v).map_err(|_| {
                            E::invalid_value(de::Unexpected::Signed(v), &self)
                        })?;
                        self.visit_u64(n)
                    }

                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::from_name(v)
                            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
                    }
                }

                deserializer.deserialize_any(EnumVisitor)
            }
        }
    };
}

proto_enum! {
    /// Where a CA private key lives.
    #[derive(Default)]
    PrivateKeyType, "a private key type" {
        /// In the key pair itself (PEM).
        #[default]
        Raw = 0, "RAW";
        /// In a PKCS#11 hardware security module.
        Pkcs11 = 1, "PKCS11";
        /// In Google Cloud KMS.
        GcpKms = 2, "GCP_KMS";
        /// In AWS KMS.
        AwsKms = 3, "AWS_KMS";
    }
}

impl PrivateKeyType {
    /// Whether the key is stored raw (the default, left out of the output).
    pub fn is_raw(&self) -> bool {
        *self == PrivateKeyType::Raw
    }
}

proto_enum! {
    /// The signature algorithm of SSH certificates signed with an RSA key.
    SigningAlg, "a signing algorithm" {
        /// SHA-1 (`ssh-rsa`), for very old OpenSSH.
        RsaSha1 = 1, "RSA_SHA1";
        /// SHA-256 (`rsa-sha2-256`).
        RsaSha2_256 = 2, "RSA_SHA2_256";
        /// SHA-512 (`rsa-sha2-512`), Teleport's default.
        RsaSha2_512 = 3, "RSA_SHA2_512";
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{read_resources, write_resources, Resource, RotationPhase};

    const CA: &str = "\
kind: cert_authority
version: v2
metadata:
  name: example.com
spec:
  type: host
  cluster_name: example.com
  roles:
  - admin
  role_map:
  - remote: admin
    local:
    - access
  rotation:
    state: in_progress
    phase: init
    mode: manual
    current_id: 0b7e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b
    started: 2021-01-01T00:00:00Z
    grace_period: 48h0m0s
  signing_alg: 3
  active_keys:
    ssh:
    - public_key: c3NoLWVkMjU1MTkgQUFBQQ==
      private_key: LS0tLS1CRUdJTg==
    tls:
    - cert: Q0VSVA==
      key: S0VZ
  additional_trusted_keys:
    ssh:
    - public_key: c3NoLWVkMjU1MTkgQkJCQg==
      private_key: LS0tLS1PTEQ=
      private_key_type: 1
";

    #[test]
    fn round_trips() {
        let resources = read_resources(CA, "ca.yaml").unwrap();
        assert_eq!(write_resources(&resources).unwrap(), CA);
        let Resource::CertAuthority(ca) = &resources[0] else {
            panic!("not a CA");
        };
        assert_eq!(ca.spec.ca_type, CertAuthType::Host);
        assert_eq!(ca.spec.signing_alg, Some(SigningAlg::RsaSha2_512));
        let rotation = ca.spec.rotation.as_ref().unwrap();
        assert_eq!(rotation.phase, Some(RotationPhase::Init));
        assert_eq!(rotation.grace_period.to_string(), "48h0m0s");
        assert_eq!(ca.spec.active_keys.tls[0].cert.as_slice(), b"CERT");
        assert_eq!(
            ca.spec.additional_trusted_keys.ssh[0].private_key_type,
            PrivateKeyType::Pkcs11
        );
    }

    #[test]
    fn private_keys_are_stripped() {
        let resources = read_resources(CA, "ca.yaml").unwrap();
        let text = write_resources(&[resources[0].without_secrets()]).unwrap();
        assert!(!text.contains("private_key:"), "{text}");
        assert!(!text.contains("key: S0VZ"), "{text}");
        assert!(
            text.contains("public_key: c3NoLWVkMjU1MTkgQUFBQQ=="),
            "{text}"
        );
        assert!(text.contains("cert: Q0VSVA=="), "{text}");
        // The original is untouched.
        assert!(format!("{:?}", resources[0]).contains("private_key: ***"));
    }

    #[test]
    fn enums_read_names_too() {
        let alg: SigningAlg = serde_yaml::from_str("rsa-sha2-256").unwrap();
        assert_eq!(alg, SigningAlg::RsaSha2_256);
        let key_type: PrivateKeyType = serde_yaml::from_str("pkcs11").unwrap();
        assert_eq!(key_type, PrivateKeyType::Pkcs11);
        let err = serde_yaml::from_str::<SigningAlg>("9")
            .unwrap_err()
            .to_string();
        assert!(err.contains("RSA_SHA2_512"), "{err}");
    }

    #[test]
    fn user_ca_from_code() {
        let mut spec = CertAuthoritySpec::new(CertAuthType::User, "example.com");
        spec.active_keys.ssh.push(SshKeyPair {
            public_key: Bytes(b"ssh-ed25519 AAAA".to_vec()),
            private_key: Secret::new(Bytes(b"PRIVATE".to_vec())),
            private_key_type: PrivateKeyType::Raw,
        });
        let ca = CertAuthority::named("example.com", spec).unwrap();
        let resources = vec![Resource::from(ca)];
        let text = write_resources(&resources).unwrap();
        assert!(text.contains("type: user"), "{text}");
        assert_eq!(read_resources(&text, "ca").unwrap(), resources);
    }
}
