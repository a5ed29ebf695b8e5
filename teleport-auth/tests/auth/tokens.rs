//! Join token scenarios: a sled backend and a file audit log in a temporary data_dir,
//! as the auth service runs them.

#[path = "presence.rs"]
mod presence;

use std::sync::Arc;
use std::time::Duration;

use teleport_audit::event::mask_token;
use teleport_audit::sink::{AuditSink, FileSink, SearchQuery};
use teleport_audit::EventPayload;
use teleport_auth::tokens::{format_tokens_table, JoinAttempt, TokenError, TokenService};
use teleport_backend::{Backend, SledBackend};
use teleport_core::resource::SystemRole;
use teleport_core::{Clock, FakeClock, SharedClock};

struct Auth {
    backend: Arc<SledBackend>,
    audit: Arc<FileSink>,
    tokens: TokenService,
}

fn open(dir: &std::path::Path, clock: &FakeClock, statics: &[&str]) -> Auth {
    let shared: SharedClock = Arc::new(clock.clone());
    let backend = Arc::new(SledBackend::open(dir.join("backend"), shared.clone()).unwrap());
    let audit = Arc::new(FileSink::open(dir.join("log"), shared.clone()).unwrap());
    let statics: Vec<_> = statics.iter().map(|s| s.parse().unwrap()).collect();
    let tokens = TokenService::new(
        backend.clone(),
        shared,
        audit.clone(),
        "example.com",
        &statics,
    )
    .unwrap();
    Auth {
        backend,
        audit,
        tokens,
    }
}

async fn close(auth: Auth) {
    auth.backend.close().await.unwrap();
    auth.audit.close().await.unwrap();
}

#[tokio::test]
async fn tokens_survive_a_restart_until_their_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock::default();
    let auth = open(dir.path(), &clock, &["proxy,node:static-secret"]);
    // tctl nodes add --ttl=5m --roles=node,proxy --token=secret-value
    let roles = vec![SystemRole::Node, SystemRole::Proxy];
    let ttl = Duration::from_secs(300);
    auth.tokens
        .add("admin", roles.clone(), ttl, Some("secret-value".into()))
        .await
        .unwrap();
    // tctl nodes add --ttl=5m --roles=node,app
    let generated = auth
        .tokens
        .add("admin", vec![SystemRole::Node, SystemRole::App], ttl, None)
        .await
        .unwrap()
        .name()
        .to_string();
    close(auth).await;

    let auth = open(dir.path(), &clock, &["proxy,node:static-secret"]);
    let attempt = JoinAttempt::new(SystemRole::Proxy, "10.0.0.7:51000");
    auth.tokens
        .validate("secret-value", &attempt)
        .await
        .unwrap();
    let table = format_tokens_table(&auth.tokens.list().await.unwrap(), clock.now());
    let mut generated_first = [
        format!("{generated} Node,App   01 Jan 21 00:05 UTC"),
        "secret-value                     Node,Proxy 01 Jan 21 00:05 UTC".to_string(),
    ];
    if generated.as_str() > "secret-value" {
        generated_first.reverse();
    }
    assert_eq!(
        table,
        format!(
            "Token                            Type       Expiry Time\n\
             -----                            ----       -----------\n\
             static-secret                    Proxy,Node never\n{}\n{}\n",
            generated_first[0], generated_first[1]
        )
    );

    clock.advance(ttl);
    let err = auth
        .tokens
        .validate("secret-value", &attempt)
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::Expired { .. }), "{err}");
    assert_eq!(auth.tokens.list().await.unwrap().len(), 1);
    close(auth).await;
}

#[tokio::test]
async fn refused_joins_are_found_in_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock::default();
    let start = clock.now();
    let auth = open(dir.path(), &clock, &["auth:static-auth-secret"]);
    auth.tokens
        .add(
            "admin",
            vec![SystemRole::Node],
            Duration::from_secs(300),
            Some("node-secret".into()),
        )
        .await
        .unwrap();
    let node = JoinAttempt::new(SystemRole::Node, "10.0.0.5:40022").with_host("uuid-1", "turing");
    auth.tokens.validate("node-secret", &node).await.unwrap();
    let proxy = JoinAttempt::new(SystemRole::Proxy, "10.0.0.6:40022");
    assert!(auth.tokens.validate("node-secret", &proxy).await.is_err());
    assert!(auth.tokens.validate("guessed-secret", &node).await.is_err());
    assert!(auth
        .tokens
        .validate("static-auth-secret", &node)
        .await
        .is_err());
    clock.advance(Duration::from_secs(300));
    assert!(auth.tokens.validate("node-secret", &node).await.is_err());
    auth.tokens.delete("admin", "no-such").await.unwrap_err();

    let query = SearchQuery::new(start, clock.now() + time::Duration::seconds(1))
        .event_types(["instance.join"]);
    let page = auth.audit.search(query).await.unwrap();
    let joins: Vec<(String, bool, String, String)> = page
        .events
        .iter()
        .map(|event| {
            let EventPayload::InstanceJoin(join) = &event.payload else {
                panic!("{event:?}");
            };
            (
                event.common.code.clone(),
                join.status.success,
                join.token_name.clone(),
                join.status.error.clone(),
            )
        })
        .collect();
    assert_eq!(joins.len(), 5, "{joins:?}");
    assert_eq!(joins[0].0, "TJ002I");
    assert!(joins[0].1);
    for (code, success, _, _) in &joins[1..] {
        assert_eq!((code.as_str(), *success), ("TJ002E", false));
    }
    assert_eq!(joins[1].2, mask_token("node-secret"));
    assert!(
        joins[1].3.contains("does not allow joining as Proxy"),
        "{}",
        joins[1].3
    );
    assert!(joins[2].3.contains("not found"), "{}", joins[2].3);
    assert!(
        joins[3].3.contains("does not allow joining as Node"),
        "{}",
        joins[3].3
    );
    assert!(joins[4].3.contains("expired"), "{}", joins[4].3);
    close(auth).await;

    // No whole token is ever written to the audit log.
    for entry in std::fs::read_dir(dir.path().join("log")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for secret in ["node-secret", "guessed-secret", "static-auth-secret"] {
                assert!(!text.contains(secret), "{} holds {secret}", path.display());
            }
        }
    }
}
