//! `saml` (v2): a SAML connector mapping assertion attributes to roles.

use serde::{Deserialize, Serialize};

use super::{Kind, ResourceWithSpec, Secret, Spec};

/// A SAML connector resource.
pub type SamlConnector = ResourceWithSpec<SamlConnectorSpec>;

/// `spec` of a `saml` connector.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlConnectorSpec {
    /// The identity provider's issuer.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub issuer: String,
    /// The identity provider's single sign-on URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sso: String,
    /// The identity provider's signing certificate (PEM).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cert: String,
    /// The name shown on the web login screen.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display: String,
    /// The assertion consumer service URL (`https://<proxy>/v1/webapi/saml/acs`).
    pub acs: String,
    /// The audience; defaults to the ACS URL in Teleport.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub audience: String,
    /// The service provider's issuer.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service_provider_issuer: String,
    /// The identity provider's metadata XML.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub entity_descriptor: String,
    /// Where to download the identity provider's metadata XML.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub entity_descriptor_url: String,
    /// The provider's flavour (`adfs`, ...) for its quirks.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provider: String,
    /// Attributes to roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes_to_roles: Vec<AttributeMapping>,
    /// The key pair Teleport signs authentication requests with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key_pair: Option<AsymmetricKeyPair>,
    /// The key pair used to decrypt encrypted assertions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion_key_pair: Option<AsymmetricKeyPair>,
}

impl Spec for SamlConnectorSpec {
    const KIND: Kind = Kind::Saml;
    const VERSIONS: &'static [&'static str] = &["v2"];

    fn strip_secrets(&mut self) {
        for pair in [&mut self.signing_key_pair, &mut self.assertion_key_pair]
            .into_iter()
            .flatten()
        {
            pair.private_key = Secret::default();
        }
    }
}

/// Users whose attribute has a value get these roles.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeMapping {
    /// The attribute's name.
    pub name: String,
    /// The value to match (`*` and `^regex$` allowed).
    pub value: String,
    /// The roles given.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A PEM private key and certificate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsymmetricKeyPair {
    /// The private key (PEM): secret.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub private_key: Secret<String>,
    /// The certificate (PEM).
    #[serde(default)]
    pub cert: String,
}

#[cfg(test)]
mod tests {
    use crate::resource::{read_resources, write_resources};

    const SAML: &str = "\
kind: saml
version: v2
metadata:
  name: okta
spec:
  issuer: http://www.okta.com/exk1
  sso: https://example.okta.com/app/sso/saml
  cert: |
    -----BEGIN CERTIFICATE-----
    MIIB
    -----END CERTIFICATE-----
  display: Okta
  acs: https://proxy.example.com:3080/v1/webapi/saml/acs
  audience: https://proxy.example.com:3080/v1/webapi/saml/acs
  service_provider_issuer: https://proxy.example.com:3080/v1/webapi/saml/acs
  entity_descriptor: <EntityDescriptor/>
  entity_descriptor_url: https://example.okta.com/app/metadata
  provider: okta
  attributes_to_roles:
  - name: groups
    value: admins
    roles:
    - editor
  signing_key_pair:
    private_key: |
      -----BEGIN RSA PRIVATE KEY-----
      SECRETKEY
      -----END RSA PRIVATE KEY-----
    cert: |
      -----BEGIN CERTIFICATE-----
      MIIC
      -----END CERTIFICATE-----
";

    #[test]
    fn round_trips_and_strips_the_signing_key() {
        let resources = read_resources(SAML, "saml.yaml").unwrap();
        assert_eq!(write_resources(&resources).unwrap(), SAML);
        let text = write_resources(&[resources[0].without_secrets()]).unwrap();
        assert!(!text.contains("SECRETKEY"), "{text}");
        assert!(text.contains("MIIC"), "{text}");
    }
}
