//! `oidc` (v2): an OpenID Connect connector mapping ID-token claims to roles.

use serde::{Deserialize, Serialize};

use super::{Kind, ResourceWithSpec, Secret, Spec};

/// An OIDC connector resource.
pub type OidcConnector = ResourceWithSpec<OidcConnectorSpec>;

/// `spec` of an `oidc` connector.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConnectorSpec {
    /// The provider's issuer URL.
    pub issuer_url: String,
    /// The client id registered with the provider.
    pub client_id: String,
    /// The client secret: secret.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub client_secret: Secret<String>,
    /// The callback URL (`https://<proxy>/v1/webapi/oidc/callback`).
    pub redirect_url: String,
    /// Authentication context class reference values.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub acr_values: String,
    /// The provider's flavour (`adfs`, `netiq`, `okta`, `ping`) for its quirks.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provider: String,
    /// The name shown on the web login screen.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display: String,
    /// Extra scopes to request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<String>,
    /// The `prompt` parameter sent to the provider (`select_account`, `none`, ...).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prompt: String,
    /// Claims to roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims_to_roles: Vec<ClaimMapping>,
}

impl Spec for OidcConnectorSpec {
    const KIND: Kind = Kind::Oidc;
    const VERSIONS: &'static [&'static str] = &["v2"];

    fn strip_secrets(&mut self) {
        self.client_secret = Secret::default();
    }
}

/// Users whose claim has a value get these roles.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimMapping {
    /// The claim's name (`groups`).
    pub claim: String,
    /// The value to match (`*` and `^regex$` allowed).
    pub value: String,
    /// The roles given.
    #[serde(default)]
    pub roles: Vec<String>,
}

#[cfg(test)]
mod tests {
    use crate::resource::{read_resources, write_resources};

    const OIDC: &str = "\
kind: oidc
version: v2
metadata:
  name: gworkspace
spec:
  issuer_url: https://accounts.google.com
  client_id: 1234.apps.googleusercontent.com
  client_secret: s3cr3t
  redirect_url: https://proxy.example.com:3080/v1/webapi/oidc/callback
  acr_values: phr
  provider: okta
  display: Google
  scope:
  - email
  - groups
  prompt: select_account
  claims_to_roles:
  - claim: groups
    value: admins@example.com
    roles:
    - editor
";

    #[test]
    fn round_trips_and_strips_the_client_secret() {
        let resources = read_resources(OIDC, "oidc.yaml").unwrap();
        assert_eq!(write_resources(&resources).unwrap(), OIDC);
        let text = write_resources(&[resources[0].without_secrets()]).unwrap();
        assert!(!text.contains("s3cr3t"), "{text}");
    }
}
