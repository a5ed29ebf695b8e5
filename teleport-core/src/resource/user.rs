//! `user` (v2): a user's roles, traits (allowed logins), lock status, SSO identities
//! and local credentials.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::fields::{go_time, string_or_list, traits};
use super::{Bytes, Kind, ResourceWithSpec, Secret, Spec};

/// A user resource.
pub type User = ResourceWithSpec<UserSpec>;

/// The trait holding a user's allowed OS logins.
pub const LOGINS_TRAIT: &str = "logins";

/// `spec` of a `user`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// Names of the roles the user has (one plain string is also accepted on input).
    #[serde(
        default,
        deserialize_with = "string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub roles: Vec<String>,
    /// Traits: name to values; `logins` lists the allowed OS logins.
    #[serde(
        default,
        deserialize_with = "traits",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub traits: BTreeMap<String, Vec<String>>,
    /// Whether the user is locked out, and until when.
    #[serde(default, skip_serializing_if = "LoginStatus::is_unlocked")]
    pub status: LoginStatus,
    /// When the user expires (SSO users do); `None` means never.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub expires: Option<OffsetDateTime>,
    /// Who created the user and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<CreatedBy>,
    /// Identities from OIDC connectors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oidc_identities: Vec<ExternalIdentity>,
    /// Identities from SAML connectors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub saml_identities: Vec<ExternalIdentity>,
    /// Identities from GitHub connectors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub github_identities: Vec<ExternalIdentity>,
    /// Local credentials: secret, removed by `without_secrets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_auth: Option<LocalAuthSecrets>,
}

impl UserSpec {
    /// The allowed OS logins (the `logins` trait).
    pub fn logins(&self) -> &[String] {
        self.traits
            .get(LOGINS_TRAIT)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

impl Spec for UserSpec {
    const KIND: Kind = Kind::User;
    const VERSIONS: &'static [&'static str] = &["v2"];

    fn strip_secrets(&mut self) {
        self.local_auth = None;
    }
}

/// `spec.status`: whether a user is locked out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginStatus {
    /// Whether the user is locked.
    #[serde(default)]
    pub is_locked: bool,
    /// Why the user is locked.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub locked_message: String,
    /// When the user was locked.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub locked_time: Option<OffsetDateTime>,
    /// When the lock ends.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub lock_expires: Option<OffsetDateTime>,
}

impl LoginStatus {
    /// Whether this is the status of a user that was never locked (nothing to print).
    pub fn is_unlocked(&self) -> bool {
        *self == LoginStatus::default()
    }
}

/// `spec.created_by`: who created a user.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatedBy {
    /// The SSO connector that created the user, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector: Option<ConnectorRef>,
    /// When the user was created.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub time: Option<OffsetDateTime>,
    /// The user (or built-in identity such as `builtin-Admin`) that created it.
    #[serde(default)]
    pub user: UserRef,
}

/// A reference to a user by name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRef {
    /// The user's name.
    #[serde(default)]
    pub name: String,
}

/// A reference to the SSO connector and identity that created a user.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorRef {
    /// The connector type: `github`, `oidc` or `saml`.
    #[serde(rename = "type", default)]
    pub connector_type: String,
    /// The connector's name.
    #[serde(default)]
    pub id: String,
    /// The identity at the provider.
    #[serde(default)]
    pub identity: String,
}

/// An identity at an SSO provider linked to a user.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalIdentity {
    /// The connector's name.
    pub connector_id: String,
    /// The user name at the provider.
    pub username: String,
}

/// `spec.local_auth`: a local user's credentials. Every field is secret.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalAuthSecrets {
    /// The bcrypt password hash, base64 in YAML as Go writes `[]byte`.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub password_hash: Secret<Bytes>,
    /// A TOTP key stored the pre-MFA-device way.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub totp_key: Secret<String>,
    /// Registered second-factor devices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mfa: Vec<MfaDevice>,
}

/// A registered second-factor device, in Teleport's `mfa_device` shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MfaDevice {
    /// Always `mfa_device`.
    #[serde(default = "mfa_device_kind")]
    pub kind: String,
    /// Always `v1`.
    #[serde(default = "mfa_device_version")]
    pub version: String,
    /// The device's name (as given by the user) in `metadata.name`.
    pub metadata: super::Metadata,
    /// The device's unique id.
    #[serde(default)]
    pub id: String,
    /// When the device was registered.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub added_at: Option<OffsetDateTime>,
    /// When the device was last used.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub last_used: Option<OffsetDateTime>,
    /// The TOTP secret when this is an authenticator app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<TotpDevice>,
}

/// The secret of a TOTP device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotpDevice {
    /// The shared TOTP key (base32).
    pub key: Secret<String>,
}

fn mfa_device_kind() -> String {
    "mfa_device".to_string()
}

fn mfa_device_version() -> String {
    "v1".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{read_resources, write_resources, Resource};

    /// The manual's `tctl get user/joe` example, indentation restored.
    const MANUAL_USER: &str = "\
kind: user
version: v2
metadata:
  name: joe
spec:
  # This is the list of roles assigned to this user
  roles: admin
  # Teleport will automatically keep track of the status of the user
  status:
    # Users can be temporarily locked in a Teleport system, but this
    # functionality is reserved for internal use for now.
    is_locked: false
    lock_expires: 0001-01-01T00:00:00Z
    locked_time: 0001-01-01T00:00:00Z
  traits:
    # These are \"allowed logins\" which are usually specified as the
    # last argument to `tctl users add`
    logins:
    - joe
    - root
  # Any resource in Teleport can automatically expire.
  expires: 0001-01-01T00:00:00Z
  # for internal use only
  created_by:
    time: 0001-01-01T00:00:00Z
    user:
      name: builtin-Admin
";

    const FULL_USER: &str = "\
kind: user
version: v2
metadata:
  name: alice
  labels:
    team: infra
spec:
  roles:
  - access
  - editor
  traits:
    kubernetes_groups:
    - viewers
    logins:
    - alice
    - root
  status:
    is_locked: true
    locked_message: too many failed logins
    locked_time: 2021-05-01T10:00:00Z
    lock_expires: 2021-05-01T10:30:00Z
  expires: 2022-01-01T00:00:00Z
  created_by:
    connector:
      type: github
      id: github
      identity: alice-gh
    time: 2021-04-01T09:00:00.25Z
    user:
      name: builtin-Admin
  github_identities:
  - connector_id: github
    username: alice-gh
  local_auth:
    password_hash: JDJhJDEwJGFiYw==
    mfa:
    - kind: mfa_device
      version: v1
      metadata:
        name: phone
      id: 6a2c4f9e-0c1d-4c6b-9b1e-4d2f3a1b0c9d
      added_at: 2021-04-01T09:05:00Z
      last_used: 2021-04-30T18:00:00Z
      totp:
        key: JBSWY3DPEHPK3PXP
";

    #[test]
    fn reads_the_manual_example() {
        let resources = read_resources(MANUAL_USER, "joe.yaml").unwrap();
        let [Resource::User(user)] = resources.as_slice() else {
            panic!("expected one user, got {resources:?}");
        };
        assert_eq!(user.name(), "joe");
        assert_eq!(user.version(), "v2");
        assert_eq!(user.spec.roles, ["admin"]);
        assert_eq!(user.spec.logins(), ["joe", "root"]);
        assert!(!user.spec.status.is_locked);
        assert_eq!(user.spec.status.lock_expires, None);
        assert_eq!(user.spec.expires, None);
        let created_by = user.spec.created_by.as_ref().unwrap();
        assert_eq!(created_by.user.name, "builtin-Admin");
        assert_eq!(created_by.time, None);
        // Written back in canonical form, it reads back equal.
        let again = read_resources(&write_resources(&resources).unwrap(), "again").unwrap();
        assert_eq!(again, resources);
    }

    #[test]
    fn round_trips_every_field() {
        let resources = read_resources(FULL_USER, "alice.yaml").unwrap();
        assert_eq!(write_resources(&resources).unwrap(), FULL_USER);
        let Resource::User(user) = &resources[0] else {
            panic!("not a user");
        };
        let local = user.spec.local_auth.as_ref().unwrap();
        assert_eq!(local.password_hash.expose().as_slice(), b"$2a$10$abc");
        assert_eq!(local.mfa[0].metadata.name(), "phone");
        assert_eq!(
            format!("{:?}", local.mfa[0].totp),
            "Some(TotpDevice { key: *** })"
        );
    }

    #[test]
    fn secrets_are_stripped() {
        let resources = read_resources(FULL_USER, "alice.yaml").unwrap();
        let stripped = resources[0].without_secrets();
        let text = write_resources(&[stripped]).unwrap();
        assert!(!text.contains("local_auth"), "{text}");
        assert!(!text.contains("JBSWY3DPEHPK3PXP"), "{text}");
        assert!(text.contains("alice-gh"), "{text}");
    }

    #[test]
    fn built_in_code_round_trips() {
        let mut spec = UserSpec {
            roles: vec!["access".into()],
            ..UserSpec::default()
        };
        spec.traits
            .insert(LOGINS_TRAIT.into(), vec!["bob".into(), "ubuntu".into()]);
        let user = User::named("bob", spec).unwrap();
        let resources = vec![Resource::from(user)];
        let text = write_resources(&resources).unwrap();
        assert_eq!(read_resources(&text, "bob").unwrap(), resources);
    }
}
