//! Tests of reading and writing document streams: errors with locations, several
//! documents, every kind together, JSON.

use super::*;

const TWO_DOCS: &str = "\
kind: role
version: v4
metadata:
  name: access
spec:
  allow:
    logins:
    - ubuntu
---
kind: user
version: v2
metadata:
  name: joe
spec:
  roles:
  - access
";

fn location(err: &ResourceError) -> (usize, Option<usize>) {
    let at = err.location().expect("a read error has a location");
    (at.document, at.line)
}

#[test]
fn reads_several_documents() {
    let resources = read_resources(TWO_DOCS, "two.yaml").unwrap();
    assert_eq!(resources.len(), 2);
    assert_eq!(resources[0].kind(), Kind::Role);
    assert_eq!(resources[0].name(), "access");
    assert_eq!(resources[1].kind(), Kind::User);
    assert_eq!(resources[1].name(), "joe");
    assert_eq!(resources[1].version(), "v2");
}

#[test]
fn skips_empty_documents_and_leading_separators() {
    let text = format!("---\n{TWO_DOCS}---\n# just a comment\n---\n");
    let resources = read_resources(&text, "x").unwrap();
    assert_eq!(resources.len(), 2);
    assert!(read_resources("", "empty").unwrap().is_empty());
    assert!(read_resources("# nothing\n", "empty").unwrap().is_empty());
}

#[test]
fn unknown_field_names_source_document_line_and_path() {
    let text = TWO_DOCS.replace("  - access\n", "  - access\n  favourite_colour: blue\n");
    let err = read_resources(&text, "users.yaml").unwrap_err();
    let ResourceError::Invalid {
        location,
        path,
        message,
    } = &err
    else {
        panic!("expected Invalid, got {err:?}");
    };
    assert_eq!(location.source, "users.yaml");
    assert_eq!(location.document, 2);
    assert_eq!(location.line, Some(17));
    assert_eq!(path, "spec.favourite_colour");
    assert!(
        message.starts_with("unknown field `favourite_colour`"),
        "{message}"
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with(
            "users.yaml: document 2, line 17, column 3: spec.favourite_colour: unknown field"
        ),
        "{shown}"
    );
}

#[test]
fn nested_unknown_field_and_wrong_type() {
    let text = TWO_DOCS.replace("    logins:\n", "    login:\n");
    let err = read_resources(&text, "r.yaml").unwrap_err();
    assert_eq!(location(&err), (1, Some(7)));
    assert!(
        err.to_string()
            .ends_with("spec.allow.login: unknown field `login`, expected one of `logins`, `node_labels`, `rules`"),
        "{err}"
    );

    let text = TWO_DOCS.replace("    - ubuntu\n", "    - [nested]\n");
    let err = read_resources(&text, "r.yaml").unwrap_err();
    assert_eq!(location(&err), (1, Some(8)));
    assert!(
        err.to_string()
            .contains("spec.allow.logins[0]: invalid type"),
        "{err}"
    );
}

#[test]
fn unknown_top_level_field() {
    let text = TWO_DOCS.replace("kind: user\n", "kind: user\nstatus: ok\n");
    let err = read_resources(&text, "u.yaml").unwrap_err();
    assert_eq!(location(&err), (2, Some(11)));
    assert!(err.to_string().contains("unknown field `status`"), "{err}");
}

#[test]
fn unknown_kind() {
    let text = TWO_DOCS.replace("kind: user", "kind: widget");
    let err = read_resources(&text, "w.yaml").unwrap_err();
    let ResourceError::UnknownKind { location, kind } = &err else {
        panic!("expected UnknownKind, got {err:?}");
    };
    assert_eq!(kind, "widget");
    assert_eq!((location.document, location.line), (2, Some(10)));
    let shown = err.to_string();
    assert!(
        shown.contains("\"widget\"") && shown.contains("cert_authority"),
        "{shown}"
    );
    // Aliases are for the command line, not for documents.
    let text = TWO_DOCS.replace("kind: user", "kind: users");
    assert!(matches!(
        read_resources(&text, "w.yaml"),
        Err(ResourceError::UnknownKind { .. })
    ));
}

#[test]
fn missing_kind() {
    let text = TWO_DOCS.replace("kind: role\n", "");
    let err = read_resources(&text, "r.yaml").unwrap_err();
    assert!(matches!(err, ResourceError::MissingKind { .. }), "{err:?}");
    assert_eq!(location(&err).0, 1);
}

#[test]
fn unsupported_version() {
    let text = TWO_DOCS.replace("version: v4", "version: v9");
    let err = read_resources(&text, "r.yaml").unwrap_err();
    let ResourceError::UnsupportedVersion {
        location,
        kind,
        version,
        expected,
    } = &err
    else {
        panic!("expected UnsupportedVersion, got {err:?}");
    };
    assert_eq!((*kind, version.as_str()), (Kind::Role, "v9"));
    assert_eq!(*expected, ["v4", "v3"]);
    assert_eq!(location.line, Some(2));
    assert!(err.to_string().contains("expected v4 or v3"), "{err}");
}

#[test]
fn missing_name() {
    let text = TWO_DOCS.replace("  name: joe\n", "  description: no name\n");
    let err = read_resources(&text, "u.yaml").unwrap_err();
    let ResourceError::MissingName { location } = &err else {
        panic!("expected MissingName, got {err:?}");
    };
    assert_eq!(location.document, 2);
    assert!(location.line.is_some());

    let text = TWO_DOCS.replace("  name: joe\n", "  name: ''\n");
    let err = read_resources(&text, "u.yaml").unwrap_err();
    assert!(matches!(err, ResourceError::MissingName { .. }), "{err:?}");

    let text = "kind: user\nversion: v2\nspec: {}\n";
    let err = read_resources(text, "u.yaml").unwrap_err();
    assert!(matches!(err, ResourceError::MissingName { .. }), "{err:?}");
}

#[test]
fn missing_spec_and_bad_yaml() {
    let err = read_resources("kind: user\nversion: v2\nmetadata: {name: a}\n", "u").unwrap_err();
    assert!(err.to_string().contains("missing field `spec`"), "{err}");
    let err = read_resources("kind: user\nversion: [v2\n", "u").unwrap_err();
    assert!(matches!(err, ResourceError::Invalid { .. }), "{err:?}");
    assert!(location(&err).1.is_some(), "{err:?}");
    let err = read_resources("- a list\n", "u").unwrap_err();
    assert!(matches!(err, ResourceError::Invalid { .. }), "{err:?}");
}

/// One document of every kind, each in canonical form.
fn every_kind() -> Vec<Resource> {
    let mut role = Role::named("access", RoleSpec::default()).unwrap();
    role.spec.allow.logins = vec!["ubuntu".into()];
    role.spec
        .allow
        .node_labels
        .insert("*".into(), Strings::from("*"));
    let mut user = User::named("joe", UserSpec::default()).unwrap();
    user.spec.roles = vec!["access".into()];
    user.spec.local_auth = Some(LocalAuthSecrets {
        password_hash: Secret::new(Bytes(b"$2a$10$hash".to_vec())),
        ..LocalAuthSecrets::default()
    });
    let token = ProvisionToken::named(
        "abc123",
        ProvisionTokenSpec {
            roles: vec![SystemRole::Node],
        },
    )
    .unwrap();
    let mut ca_spec = CertAuthoritySpec::new(CertAuthType::Host, "example.com");
    ca_spec.active_keys.tls.push(TlsKeyPair {
        cert: Bytes(b"CERT".to_vec()),
        key: Secret::new(Bytes(b"KEY".to_vec())),
        key_type: PrivateKeyType::Raw,
    });
    let ca = CertAuthority::named("example.com", ca_spec).unwrap();
    let mut node = Server::named(
        "5b0c1e3e",
        ServerSpec {
            addr: "10.0.0.5:3022".into(),
            hostname: "web-1".into(),
            ..ServerSpec::default()
        },
    )
    .unwrap();
    node.metadata.labels.insert("env".into(), "prod".into());
    let cluster = TrustedCluster::named(
        "root",
        TrustedClusterSpec {
            enabled: true,
            token: Secret::from("join-token"),
            tunnel_addr: "root:3024".into(),
            web_proxy_addr: "root:3080".into(),
            ..TrustedClusterSpec::default()
        },
    )
    .unwrap();
    let github = GithubConnector::named(
        "github",
        GithubConnectorSpec {
            client_id: "id".into(),
            client_secret: Secret::from("gh-secret"),
            redirect_url: "https://proxy/v1/webapi/github/callback".into(),
            ..GithubConnectorSpec::default()
        },
    )
    .unwrap();
    let oidc = OidcConnector::named(
        "google",
        OidcConnectorSpec {
            issuer_url: "https://accounts.google.com".into(),
            client_id: "id".into(),
            client_secret: Secret::from("oidc-secret"),
            redirect_url: "https://proxy/v1/webapi/oidc/callback".into(),
            ..OidcConnectorSpec::default()
        },
    )
    .unwrap();
    let saml = SamlConnector::named(
        "okta",
        SamlConnectorSpec {
            acs: "https://proxy/v1/webapi/saml/acs".into(),
            signing_key_pair: Some(AsymmetricKeyPair {
                private_key: Secret::from("saml-secret"),
                cert: "CERT".into(),
            }),
            ..SamlConnectorSpec::default()
        },
    )
    .unwrap();
    let name = ClusterName::named(
        CLUSTER_NAME_RESOURCE,
        ClusterNameSpec {
            cluster_name: "example.com".into(),
            cluster_id: "3f1c".into(),
        },
    )
    .unwrap();
    vec![
        name.into(),
        ca.into(),
        user.into(),
        role.into(),
        token.into(),
        node.into(),
        cluster.into(),
        github.into(),
        oidc.into(),
        saml.into(),
    ]
}

#[test]
fn every_kind_round_trips_as_yaml() {
    let resources = every_kind();
    let kinds: Vec<Kind> = resources.iter().map(Resource::kind).collect();
    assert_eq!(kinds, Kind::ALL);
    let text = write_resources(&resources).unwrap();
    assert_eq!(text.matches("\n---\n").count(), resources.len() - 1);
    let again = read_resources(&text, "all.yaml").unwrap();
    assert_eq!(again, resources);
    assert_eq!(write_resources(&again).unwrap(), text);
}

#[test]
fn every_kind_round_trips_as_json() {
    let resources = every_kind();
    let json = write_resources_json(&resources).unwrap();
    let whole = serde_json::to_string_pretty(&resources).unwrap() + "\n";
    assert_eq!(json, whole);
    assert!(
        json.starts_with("[\n  {\n    \"kind\": \"cluster_name\",\n    \"version\": \"v2\""),
        "{json}"
    );
    assert_eq!(write_resources_json(&[]).unwrap(), "[]\n");
    assert_eq!(read_resources_json(&json, "all.json").unwrap(), resources);
    // A single object reads too.
    let one = serde_json::to_string(&resources[3]).unwrap();
    assert_eq!(
        read_resources_json(&one, "one.json").unwrap(),
        [resources[3].clone()]
    );
    assert!(read_resources_json("[]", "none.json").unwrap().is_empty());
}

#[test]
fn json_errors_name_the_document_and_line() {
    let resources = every_kind();
    let json = write_resources_json(&resources).unwrap();
    let broken = json.replace("\"cluster_id\"", "\"cluster_uuid\"");
    let err = read_resources_json(&broken, "all.json").unwrap_err();
    let ResourceError::Invalid { location, path, .. } = &err else {
        panic!("expected Invalid, got {err:?}");
    };
    assert_eq!(location.document, 1);
    assert!(location.line.is_some());
    assert_eq!(path, "[0].spec.cluster_uuid");
    let broken = json.replace("\"kind\": \"role\"", "\"kind\": \"widget\"");
    let err = read_resources_json(&broken, "all.json").unwrap_err();
    let ResourceError::UnknownKind { location, kind } = &err else {
        panic!("expected UnknownKind, got {err:?}");
    };
    assert_eq!((location.document, kind.as_str()), (4, "widget"));
    let err = read_resources_json("{\"kind\": \"role\"", "cut.json").unwrap_err();
    assert!(matches!(err, ResourceError::Invalid { .. }), "{err:?}");
}

#[test]
fn without_secrets_removes_every_secret() {
    let resources = every_kind();
    let full = write_resources(&resources).unwrap();
    let stripped: Vec<Resource> = resources.iter().map(Resource::without_secrets).collect();
    let text = write_resources(&stripped).unwrap();
    for secret in [
        "$2a$10$hash",
        "S0VZ",
        "join-token",
        "gh-secret",
        "oidc-secret",
        "saml-secret",
    ] {
        let needle = if secret.starts_with('$') {
            "JDJhJDEwJGhhc2g="
        } else {
            secret
        };
        assert!(full.contains(needle), "fixture lacks {secret}");
        assert!(!text.contains(needle), "{secret} left in:\n{text}");
    }
    // Public parts stay, and the result still reads back.
    assert!(text.contains("Q0VSVA=="));
    assert_eq!(read_resources(&text, "stripped").unwrap(), stripped);
    // Debug output never shows secrets.
    let debug = format!("{resources:?}");
    assert!(!debug.contains("gh-secret") && !debug.contains("join-token"));
}

#[test]
fn metadata_is_reachable_through_resource() {
    let mut resources = every_kind();
    let node = &mut resources[5];
    node.metadata_mut().revision = "42".into();
    assert_eq!(node.metadata().revision, "42");
    assert_eq!(node.metadata().labels["env"], "prod");
    let text = write_resources(std::slice::from_ref(node)).unwrap();
    assert!(text.contains("revision: '42'"), "{text}");
}

#[test]
fn typed_resources_deserialize_directly() {
    let role: Role = serde_yaml::from_str(TWO_DOCS.split("---").next().unwrap()).unwrap();
    assert_eq!(role.name(), "access");
    let err =
        serde_yaml::from_str::<User>("kind: role\nversion: v4\nmetadata: {name: a}\nspec: {}")
            .unwrap_err();
    assert!(
        err.to_string()
            .contains("kind \"role\" does not match: expected user"),
        "{err}"
    );
    let mut role = role;
    assert!(role.set_version("v3").is_ok());
    assert_eq!(role.version(), "v3");
    let err = role.set_version("v1").unwrap_err();
    assert_eq!(err.expected, ["v4", "v3"]);
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Resource>();
    assert_send_sync::<ResourceError>();
    assert_send_sync::<Kind>();
}
