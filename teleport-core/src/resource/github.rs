//! `github` (v3): a GitHub OAuth connector mapping organisation teams to logins/roles.

use serde::{Deserialize, Serialize};

use super::{Kind, ResourceWithSpec, Secret, Spec};

/// A GitHub connector resource.
pub type GithubConnector = ResourceWithSpec<GithubConnectorSpec>;

/// `spec` of a `github` connector.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubConnectorSpec {
    /// The OAuth app's client id.
    pub client_id: String,
    /// The OAuth app's client secret: secret.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub client_secret: Secret<String>,
    /// The name shown on the web login screen.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display: String,
    /// The callback URL (`https://<proxy>/v1/webapi/github/callback`).
    pub redirect_url: String,
    /// Teams to OS logins (or, with RBAC, roles).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams_to_logins: Vec<TeamMapping>,
    /// Teams to roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams_to_roles: Vec<TeamRolesMapping>,
}

impl Spec for GithubConnectorSpec {
    const KIND: Kind = Kind::Github;
    const VERSIONS: &'static [&'static str] = &["v3"];

    fn strip_secrets(&mut self) {
        self.client_secret = Secret::default();
    }
}

/// Members of a team get these logins and Kubernetes groups.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamMapping {
    /// The GitHub organisation.
    pub organization: String,
    /// The team within the organisation.
    pub team: String,
    /// Allowed logins (roles under RBAC).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logins: Vec<String>,
    /// Kubernetes groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kubernetes_groups: Vec<String>,
    /// Kubernetes users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kubernetes_users: Vec<String>,
}

/// Members of a team get these roles.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamRolesMapping {
    /// The GitHub organisation.
    pub organization: String,
    /// The team within the organisation.
    pub team: String,
    /// The roles given.
    #[serde(default)]
    pub roles: Vec<String>,
}

#[cfg(test)]
mod tests {
    use crate::resource::{read_resources, write_resources, Resource};

    /// The manual's `github.yaml` example, indentation restored.
    const MANUAL_GITHUB: &str = "\
# Create a file called github.yaml:
kind: github
version: v3
metadata:
  # connector name that will be used with `tsh --auth=github login`
  name: github
spec:
  # Client ID of Github OAuth app
  client_id: <client-id>
  # Client secret of Github OAuth app
  client_secret: <client-secret>
  # Connector display name that will be shown on web UI login screen
  display: Github
  # Callback URL that will be called after successful authentication
  redirect_url: https://<proxy-address>/v1/webapi/github/callback
  # Mapping of org/team memberships onto allowed logins and roles
  teams_to_logins:
    - organization: octocats # Github organization name
      team: admins # Github team name within that organization
      # Allowed logins for users in this org/team
      logins:
        - access
      # List of Kubernetes groups this Github team is allowed to connect to
      # (see Kubernetes integration for more information)
      kubernetes_groups: [\"system:masters\"]
";

    const CANONICAL: &str = "\
kind: github
version: v3
metadata:
  name: github
spec:
  client_id: <client-id>
  client_secret: <client-secret>
  display: Github
  redirect_url: https://<proxy-address>/v1/webapi/github/callback
  teams_to_logins:
  - organization: octocats
    team: admins
    logins:
    - access
    kubernetes_groups:
    - system:masters
";

    #[test]
    fn reads_the_manual_example() {
        let resources = read_resources(MANUAL_GITHUB, "github.yaml").unwrap();
        let [Resource::Github(github)] = resources.as_slice() else {
            panic!("expected one github connector, got {resources:?}");
        };
        assert_eq!(github.name(), "github");
        assert_eq!(github.spec.client_id, "<client-id>");
        assert_eq!(github.spec.client_secret.expose(), "<client-secret>");
        let team = &github.spec.teams_to_logins[0];
        assert_eq!(team.organization, "octocats");
        assert_eq!(team.logins, ["access"]);
        assert_eq!(team.kubernetes_groups, ["system:masters"]);
        assert_eq!(write_resources(&resources).unwrap(), CANONICAL);
    }

    #[test]
    fn round_trips_and_strips_the_client_secret() {
        let resources = read_resources(CANONICAL, "github.yaml").unwrap();
        assert_eq!(write_resources(&resources).unwrap(), CANONICAL);
        let text = write_resources(&[resources[0].without_secrets()]).unwrap();
        assert!(!text.contains("client_secret"), "{text}");
    }
}
