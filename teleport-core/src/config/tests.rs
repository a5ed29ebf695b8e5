//! Tests of `teleport.yaml` as a whole: the manual's examples, the sample, defaults,
//! writing back, and a table of bad files with the exact line and key path of each error.

use std::path::PathBuf;

use super::*;

const MANUAL_SAMPLE: &str = include_str!("testdata/manual-sample.yaml");
const ETCD: &str = include_str!("testdata/etcd.yaml");
const DYNAMODB: &str = include_str!("testdata/dynamodb.yaml");
const FIRESTORE: &str = include_str!("testdata/firestore.yaml");
const S3: &str = include_str!("testdata/s3.yaml");
const GCS: &str = include_str!("testdata/gcs.yaml");
const SCALABILITY: &str = include_str!("testdata/scalability.yaml");

fn parse(text: &str) -> FileConfig {
    match FileConfig::parse(text, "test.yaml") {
        Ok(config) => config,
        Err(err) => panic!("{err}"),
    }
}

#[test]
fn manual_sample_parses() {
    let c = parse(MANUAL_SAMPLE);
    assert_eq!(c.teleport.nodename.as_deref(), Some("NODE_NAME"));
    assert_eq!(c.data_dir(), PathBuf::from("/var/lib/teleport"));
    assert_eq!(
        c.teleport.auth_token,
        Some(TokenValue::Value(Secret::new("xxxx-token-xxxx")))
    );
    assert_eq!(c.teleport.ca_pin.len(), 1);
    assert_eq!(
        c.auth_servers(),
        [
            NetAddr::new("10.1.0.5", 3025),
            NetAddr::new("10.1.0.6", 3025)
        ]
    );
    assert_eq!(c.log_output(), LogOutput::Stderr);
    assert_eq!(c.log_severity(), Severity::Info);

    assert!(c.auth_enabled() && c.ssh_enabled() && c.proxy_enabled());
    assert_eq!(
        c.auth_service.cluster_name.as_deref(),
        Some("teleport-aws-us-east-1")
    );
    assert_eq!(c.auth_listen_addr(), NetAddr::new("0.0.0.0", 3025));
    assert_eq!(c.auth_service.tokens.len(), 1);
    assert_eq!(
        c.auth_service.tokens[0].roles,
        [TokenRole::Proxy, TokenRole::Node]
    );
    assert_eq!(c.auth_type(), AuthType::Local);
    assert_eq!(c.second_factor(), SecondFactor::Otp);

    assert_eq!(
        c.ssh_service.labels.get("db_role").map(String::as_str),
        Some("master")
    );
    let commands = &c.ssh_service.commands;
    assert_eq!(commands.len(), 2);
    assert_eq!(commands[1].name, "arch");
    assert_eq!(commands[1].command, ["/usr/bin/uname", "-p"]);
    assert_eq!(commands[1].period, crate::Duration::from_hours(1));

    assert_eq!(c.proxy_ssh_listen_addr(), NetAddr::new("0.0.0.0", 3023));
    assert_eq!(c.proxy_web_listen_addr(), NetAddr::new("0.0.0.0", 3080));
    assert_eq!(c.proxy_tunnel_listen_addr(), NetAddr::new("0.0.0.0", 3024));
    assert_eq!(
        c.proxy_kube_listen_addr(),
        Some(NetAddr::new("0.0.0.0", 3026))
    );
    assert_eq!(
        c.proxy_public_addrs(),
        [NetAddr::new("TELEPORT_PUBLIC_DNS_NAME", 3080)]
    );
    assert_eq!(c.proxy_service.https_keypairs.len(), 1);
    assert!(!c.proxy_multiplexes_tunnel());
}

#[test]
fn manual_placeholder_pin_is_explained() {
    let text = MANUAL_SAMPLE.replace(
        "sha256:7e12c17c20d9cb504bbcb3f0236be3f446861f1396dcbb44425fe28ec1c108f1",
        "sha256:ca-pin-hash-goes-here",
    );
    let err = FileConfig::parse(&text, "t.yaml").unwrap_err();
    assert_eq!(err.key_path(), Some("teleport.ca_pin"));
    assert!(err.message().contains("tctl status"), "{err}");
}

#[test]
fn etcd_example_parses() {
    let c = parse(ETCD);
    let StorageConfig::Etcd(etcd) = &c.teleport.storage.backend else {
        panic!("not etcd: {:?}", c.teleport.storage.backend);
    };
    assert_eq!(etcd.peers.len(), 2);
    assert_eq!(etcd.prefix.as_deref(), Some("/teleport/"));
    assert_eq!(
        etcd.tls_ca_file,
        Some(PathBuf::from("/var/lib/teleport/etcd-ca.pem"))
    );
    assert_eq!(etcd.username.as_deref(), Some("username"));
    assert!(!etcd.insecure);
    assert_eq!(etcd.etcd_max_client_msg_size_bytes, Some(15_728_640));
}

#[test]
fn dynamodb_example_parses() {
    let c = parse(DYNAMODB);
    let storage = &c.teleport.storage;
    let StorageConfig::DynamoDb(d) = c.storage() else {
        panic!("not dynamodb: {:?}", c.storage());
    };
    assert_eq!(d.region.as_deref(), Some("us-east-1"));
    assert_eq!(storage.aws_region(), Some("us-east-1"));
    assert_eq!(d.table_name, "Example_TELEPORT_DYNAMO_TABLE_NAME");
    assert!(d.continuous_backups && d.auto_scaling);
    assert_eq!(
        (d.read_min_capacity, d.write_max_capacity),
        (Some(5), Some(100))
    );
    assert_eq!(d.write_target_value, Some(50.0));
    assert_eq!(c.storage().type_name(), "dynamodb");
    assert_eq!(
        c.audit_events_uri(),
        [
            "dynamodb://events_table_name",
            "file:///var/lib/teleport/audit/events",
            "stdout://"
        ]
    );
    assert_eq!(
        c.audit_sessions_uri(),
        Some("s3://Example_TELEPORT_S3_BUCKET/records")
    );
}

#[test]
fn firestore_example_parses() {
    let c = parse(FIRESTORE);
    let storage = &c.teleport.storage;
    let StorageConfig::Firestore(f) = &storage.backend else {
        panic!("not firestore: {:?}", storage.backend);
    };
    assert_eq!(f.project_id, "Example_GCP_Project_Name");
    assert_eq!(f.collection_name, "Example_TELEPORT_FIRESTORE_TABLE_NAME");
    assert_eq!(
        storage.gcp_credentials_path(),
        Some(&PathBuf::from("/var/lib/teleport/gcs_creds"))
    );
    assert_eq!(storage.audit_events_uri.len(), 3);
}

#[test]
fn s3_gcs_and_scalability_examples_parse() {
    let s3 = parse(S3);
    assert_eq!(s3.teleport.storage.aws_region(), Some("us-east-1"));
    assert!(matches!(s3.storage(), StorageConfig::Dir(_)));
    let gcs = parse(GCS);
    assert!(gcs.teleport.storage.gcp_credentials_path().is_some());
    let scale = parse(SCALABILITY);
    assert_eq!(scale.max_connections(), 65_000);
    assert_eq!(scale.max_users(), 1_000);
    assert_eq!(scale.cache_type(), CacheType::InMemory);
}

#[test]
fn single_string_audit_uri_is_a_list() {
    let c = parse("teleport:\n  storage:\n    audit_events_uri: 'file:///var/lib/teleport/log'\n");
    assert_eq!(c.audit_events_uri(), ["file:///var/lib/teleport/log"]);
}

#[test]
fn empty_file_gives_teleport_defaults() {
    for text in ["", "# only a comment\n", "teleport:\nauth_service:\n"] {
        let c = parse(text);
        assert_eq!(c.data_dir(), PathBuf::from(defaults::DATA_DIR));
        assert_eq!(
            c.storage(),
            StorageConfig::Dir(DirStorage {
                path: Some(PathBuf::from("/var/lib/teleport/backend"))
            })
        );
        assert_eq!(c.nodename(), c.nodename().trim());
        assert!(!c.nodename().is_empty());
        assert!(c.auth_enabled() && c.ssh_enabled() && c.proxy_enabled());
        assert_eq!(c.auth_listen_addr().to_string(), "0.0.0.0:3025");
        assert_eq!(c.ssh_listen_addr().to_string(), "0.0.0.0:3022");
        assert_eq!(c.proxy_ssh_listen_addr().to_string(), "0.0.0.0:3023");
        assert_eq!(c.proxy_web_listen_addr().to_string(), "0.0.0.0:3080");
        assert_eq!(c.proxy_tunnel_listen_addr().to_string(), "0.0.0.0:3024");
        assert_eq!(c.proxy_kube_listen_addr(), None);
        assert_eq!(c.max_connections(), 15_000);
        assert_eq!(c.ca_signature_algo(), CaSignatureAlgo::Ed25519);
        assert_eq!(c.second_factor(), SecondFactor::Otp);
        assert!(c.cache_enabled());
        assert_eq!(c.cache_ttl(), crate::Duration::from_hours(20));
    }
}

#[test]
fn bare_hosts_get_their_service_port_and_data_dir_moves_storage() {
    let c = parse(
        "teleport:\n  data_dir: /srv/tp\n  auth_servers: auth.example.com\n\
         auth_service:\n  listen_addr: 10.0.0.1\n  public_addr: [a.example.com, 'b.example.com:443']\n\
         ssh_service:\n  enabled: no\n  listen_addr: '[::1]'\n\
         proxy_service:\n  enabled: false\n  web_listen_addr: 0.0.0.0:443\n  tunnel_listen_addr: 0.0.0.0:443\n  kube_listen_addr: 0.0.0.0\n",
    );
    assert_eq!(c.auth_servers(), [NetAddr::new("auth.example.com", 3025)]);
    assert_eq!(c.auth_listen_addr().to_string(), "10.0.0.1:3025");
    assert_eq!(
        c.auth_public_addrs(),
        [
            NetAddr::new("a.example.com", 3025),
            NetAddr::new("b.example.com", 443)
        ]
    );
    assert!(!c.ssh_enabled() && !c.proxy_enabled() && c.auth_enabled());
    assert_eq!(c.ssh_listen_addr().to_string(), "[::1]:3022");
    assert!(c.proxy_multiplexes_tunnel());
    assert_eq!(
        c.proxy_kube_listen_addr(),
        Some(NetAddr::new("0.0.0.0", 3026))
    );
    assert_eq!(
        c.storage(),
        StorageConfig::Dir(DirStorage {
            path: Some(PathBuf::from("/srv/tp/backend"))
        })
    );
}

#[test]
fn enabled_accepts_teleport_words() {
    for (word, expected) in [
        ("yes", true),
        ("\"yes\"", true),
        ("YES", true),
        ("on", true),
        ("true", true),
        ("1", true),
        ("y", true),
        ("no", false),
        ("'no'", false),
        ("Off", false),
        ("false", false),
        ("0", false),
        ("n", false),
    ] {
        let c = parse(&format!("ssh_service:\n  enabled: {word}\n"));
        assert_eq!(c.ssh_enabled(), expected, "enabled: {word}");
    }
}

#[test]
fn sample_config_parses_back() {
    let text = sample_config();
    let c = parse(&text);
    assert!(c.auth_enabled() && c.ssh_enabled() && c.proxy_enabled());
    assert_eq!(c.teleport.nodename, None);
    let Some(TokenValue::Value(token)) = &c.teleport.auth_token else {
        panic!("no auth_token in the sample");
    };
    assert_eq!(token.expose().len(), 32);
    assert_eq!(
        c.auth_service.tokens[0].value,
        TokenValue::Value(token.clone())
    );
    assert_eq!(c.ssh_service.commands.len(), 2);
    // Every non-comment line of the manual's sample structure is there.
    for key in [
        "teleport:",
        "auth_service:",
        "ssh_service:",
        "proxy_service:",
        "  log:",
    ] {
        assert!(text.contains(key), "{key} missing from the sample");
    }
    assert_ne!(sample_config(), text, "each sample has a fresh token");
}

#[test]
fn sample_config_quotes_odd_values() {
    let text = SampleConfig::new()
        .nodename("node: \"one\" # not a comment")
        .cluster_name("prod\\east")
        .token(Secret::new("fixed-token"))
        .render();
    let c = parse(&text);
    assert_eq!(
        c.teleport.nodename.as_deref(),
        Some("node: \"one\" # not a comment")
    );
    assert_eq!(c.auth_service.cluster_name.as_deref(), Some("prod\\east"));
    assert_eq!(
        c.teleport.auth_token,
        Some(TokenValue::Value(Secret::new("fixed-token")))
    );
}

#[test]
fn written_back_config_parses_to_the_same() {
    for text in [
        MANUAL_SAMPLE,
        ETCD,
        DYNAMODB,
        FIRESTORE,
        S3,
        GCS,
        SCALABILITY,
        &sample_config(),
    ] {
        let c = parse(text);
        let yaml = serde_yaml::to_string(&c).unwrap();
        let again =
            FileConfig::parse(&yaml, "written.yaml").unwrap_or_else(|e| panic!("{e}\n---\n{yaml}"));
        assert_eq!(again, c, "round trip of\n{yaml}");
    }
}

#[test]
fn from_path_reads_files_and_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("teleport.yaml");
    std::fs::write(&good, MANUAL_SAMPLE).unwrap();
    assert!(FileConfig::from_path(&good).is_ok());

    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "ssh_service:\n  enabled: maybe\n").unwrap();
    let err = FileConfig::from_path(&bad).unwrap_err();
    assert_eq!(err.file(), bad.display().to_string());
    assert!(
        err.to_string()
            .starts_with(&format!("{}:2:12: ", bad.display())),
        "{err}"
    );

    let missing = dir.path().join("missing.yaml");
    let err = FileConfig::from_path(&missing).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert_eq!(err.file(), missing.display().to_string());
    assert!(err.to_string().contains("missing.yaml"), "{err}");

    let binary = dir.path().join("binary.yaml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
    assert!(matches!(
        FileConfig::from_path(&binary),
        Err(ConfigError::Read { .. })
    ));
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<FileConfig>();
    check::<ConfigError>();
    check::<ValueError>();
}

#[test]
fn secrets_stay_out_of_errors_and_debug() {
    for text in [
        "auth_service:\n  tokens: \"proxy:s3cr3t\"\n",
        "auth_service:\n  tokens:\n    - s3cr3t\n",
    ] {
        let err = FileConfig::parse(text, "t.yaml").unwrap_err();
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
    }
    let c = parse("teleport:\n  auth_token: s3cr3t\nauth_service:\n  tokens: ['node:s3cr3t']\n");
    assert!(!format!("{c:?}").contains("s3cr3t"));
}
