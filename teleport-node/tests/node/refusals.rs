//! Every way in that must stay shut, each refused by the node AND audited as an `auth`
//! event naming the login, the client's address and the reason.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use teleport_auth::ca::{CertAuthority as _, ExportKind, LocalCertAuthority};
use teleport_backend::MemoryBackend;
use teleport_core::config::CaSignatureAlgo;
use teleport_core::FakeClock;
use teleport_node::TrustedUserCas;

use russh::keys::ssh_key::Certificate;

use crate::harness::{default_roles, new_key, russh_cert_login, text, TestNode, UserKey, CLUSTER};

/// Runs `ssh login@node true` with `key`, expects a refusal, and returns the `auth`
/// events it caused.
async fn refused(node: &TestNode, key: &UserKey, login: &str) -> Vec<serde_json::Value> {
    let before = node.audit.events().len();
    let out = node.ssh(key, login, "true", b"").await;
    assert_eq!(
        out.status.code(),
        Some(255),
        "login {login} was let in; stderr: {}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("Permission denied"),
        "{}",
        text(&out.stderr)
    );
    // The connection's last events are emitted as it closes.
    let mut events = Vec::new();
    for _ in 0..100 {
        events = node
            .events_since(before)
            .into_iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .filter(|e| e["event"] == "auth")
            .collect();
        if !events.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!events.is_empty(), "refusal of {login} not audited");
    for event in &events {
        assert_eq!(event["code"], "T3007W");
        assert_eq!(event["success"], false);
        assert_eq!(event["login"], login);
        assert!(event["addr.remote"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:"));
    }
    events
}

fn has_error(events: &[serde_json::Value], needle: &str) -> bool {
    events
        .iter()
        .any(|e| e["error"].as_str().unwrap_or_default().contains(needle))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_that_are_not_a_valid_user_certificate_are_refused_and_audited() {
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;

    // A key without a certificate.
    let plain = node.write_key("plain", &new_key(), None);
    let events = refused(&node, &plain, "root").await;
    assert!(has_error(&events, "is not a certificate"), "{events:#?}");

    // A certificate from another cluster's CA.
    let other_clock = Arc::new(teleport_core::SystemClock);
    let other = LocalCertAuthority::load_or_create(
        Arc::new(MemoryBackend::new(other_clock.clone())),
        Some(CLUSTER),
        CaSignatureAlgo::Ed25519,
        other_clock,
    )
    .await
    .unwrap();
    let key = new_key();
    let cert = other
        .sign_user_ssh_sync(&teleport_auth::ca::UserCertRequest {
            roles: vec!["access".into()],
            ..teleport_auth::ca::UserCertRequest::new(
                key.public_key().clone(),
                "mallory",
                vec!["root".into()],
                Duration::from_secs(3600),
            )
        })
        .unwrap();
    let foreign = node.write_key("foreign", &key, Some(&cert));
    let events = refused(&node, &foreign, "root").await;
    assert!(has_error(&events, "untrusted authority"), "{events:#?}");
    assert!(events.iter().any(|e| e["user"] == "mallory"), "{events:#?}");

    // An expired certificate: signed by the right CA two hours ago for one hour. russh
    // refuses it before the node sees it; the key offered next is refused and audited.
    let past = FakeClock::new(node.now() - time::Duration::hours(2));
    let past_ca = LocalCertAuthority::load_or_create(
        node.backend.clone(),
        Some(CLUSTER),
        CaSignatureAlgo::Ed25519,
        Arc::new(past),
    )
    .await
    .unwrap();
    let key = new_key();
    let cert = past_ca
        .sign_user_ssh_sync(&teleport_auth::ca::UserCertRequest {
            roles: vec!["access".into()],
            ..teleport_auth::ca::UserCertRequest::new(
                key.public_key().clone(),
                "alice",
                vec!["root".into()],
                Duration::from_secs(3600),
            )
        })
        .unwrap();
    assert!(cert.valid_before() < node.now().unix_timestamp() as u64);
    let expired = node.write_key("expired", &key, Some(&cert));
    refused(&node, &expired, "root").await;

    // A certificate for other logins only.
    let wrong = node.user("wrong", "alice", &["ubuntu"], &["access"], |_| {});
    let events = refused(&node, &wrong, "root").await;
    assert!(has_error(&events, "is not a principal"), "{events:#?}");
    assert!(events.iter().any(|e| e["user"] == "alice"));

    // The client's address is not in the certificate's source-address.
    let elsewhere = node.user("elsewhere", "alice", &["root"], &["access"], |req| {
        req.source_ip = Some("10.1.2.0/24".into());
    });
    let events = refused(&node, &elsewhere, "root").await;
    assert!(
        has_error(&events, "source address 127.0.0.1"),
        "{events:#?}"
    );
    // ... and a matching one is fine.
    let here = node.user("here", "alice", &["root"], &["access"], |req| {
        req.source_ip = Some("10.0.0.0/8,127.0.0.0/8".into());
    });
    let out = node.ssh(&here, "root", "true", b"").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_of_the_wrong_shape_are_refused_and_audited() {
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;
    // A CA made by ssh-keygen, trusted from now on beside the cluster's: the node's
    // trust can be replaced while it runs.
    let ca = node.keygen_ca("keygen_ca");
    let ca_public = std::fs::read_to_string(ca.with_extension("pub")).unwrap();
    let cluster_ca = node.ca.export(ExportKind::UserTrustedCaKeys);
    let both = TrustedUserCas::from_openssh(&format!("{cluster_ca}{ca_public}")).unwrap();
    node.user_cas.replace(both.keys());
    let roles = r#"extension:teleport-roles={"version":"v1","roles":["access"]}"#;

    // That CA's user certificates work...
    let ok = node.write_key("kg_ok", &new_key(), None);
    node.keygen_sign(&ca, &ok, &["-I", "alice", "-n", "root", "-O", roles]);
    let out = node.ssh(&ok, "root", "true", b"").await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    // ... but not its host certificates (which the OpenSSH client will not even
    // offer as a user's: a russh client does).
    let host_key = new_key();
    let host = node.write_key("kg_host", &host_key, None);
    node.keygen_sign(&ca, &host, &["-h", "-I", "node-2", "-n", "root"]);
    let cert_path = node.dir.path().join("kg_host-cert.pub");
    let cert = Certificate::read_file(&cert_path).unwrap();
    let before = node.audit.events().len();
    assert!(!russh_cert_login(node.addr, "root", host_key, cert).await);
    let events: Vec<serde_json::Value> = node
        .events_since(before)
        .into_iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    assert!(has_error(&events, "not a user certificate"), "{events:#?}");
    assert!(events
        .iter()
        .all(|e| e["event"] == "auth" && e["login"] == "root"));

    // A critical option the node does not know.
    let unknown = node.write_key("kg_unknown", &new_key(), None);
    node.keygen_sign(
        &ca,
        &unknown,
        &[
            "-I",
            "alice",
            "-n",
            "root",
            "-O",
            roles,
            "-O",
            "critical:unknown-option@example.com=yes",
        ],
    );
    let events = refused(&node, &unknown, "root").await;
    assert!(has_error(&events, "unknown critical option"), "{events:#?}");

    // Dropping the CA from the trusted list shuts its users out again.
    node.user_cas
        .replace(TrustedUserCas::from_openssh(&cluster_ca).unwrap().keys());
    let events = refused(&node, &ok, "root").await;
    assert!(has_error(&events, "untrusted authority"), "{events:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_decide_logins_and_nodes() {
    let node = TestNode::start(
        default_roles(),
        BTreeMap::from([("env".to_string(), "dev".to_string())]),
    )
    .await;

    // The certificate names the login, but no role allows it.
    let no_login = node.user("no_login", "bob", &["root"], &["nologin"], |_| {});
    let events = refused(&node, &no_login, "root").await;
    assert!(
        has_error(&events, "is not allowed by any role"),
        "{events:#?}"
    );

    // The role allows the login only on env=prod nodes; this one is env=dev.
    let prod = node.user("prod", "carol", &["root"], &["prod-only"], |_| {});
    let events = refused(&node, &prod, "root").await;
    assert!(has_error(&events, "node_labels"), "{events:#?}");

    // A role the auth server does not know.
    let ghost = node.user("ghost", "dave", &["root"], &["ghost-role"], |_| {});
    let events = refused(&node, &ghost, "root").await;
    assert!(has_error(&events, "ghost-role"), "{events:#?}");

    // Password authentication is not even offered; the attempt is still audited.
    let before = node.audit.events().len();
    let alice = node.alice();
    let mut cmd = node.ssh_command(&alice, "root", &["-o", "PreferredAuthentications=password"]);
    cmd.arg("true");
    let out = crate::harness::run(cmd, b"").await;
    assert_eq!(out.status.code(), Some(255));
    assert!(
        text(&out.stderr).contains("Permission denied (publickey)"),
        "{}",
        text(&out.stderr)
    );
    let mut audited = false;
    for _ in 0..100 {
        audited = node.events_since(before).iter().any(|e| {
            let e = serde_json::to_value(e).unwrap();
            e["event"] == "auth"
                && e["login"] == "root"
                && e["error"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("no certificate was accepted")
        });
        if audited {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(audited, "{:#?}", node.audit.json());
}
