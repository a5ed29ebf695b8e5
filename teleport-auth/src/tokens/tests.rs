//! Tests of [`TokenService`] on a memory backend, a fake clock and a capturing sink.

use std::sync::Arc;
use std::time::Duration;

use teleport_audit::sink::MemorySink as CaptureSink;
use teleport_audit::{AuditEvent, EventPayload};
use teleport_backend::{Backend, Item, MemoryBackend};
use teleport_core::config::StaticToken;
use teleport_core::resource::SystemRole;
use teleport_core::{Clock, FakeClock};

use super::*;

/// The newest audit event.
fn last(sink: &CaptureSink) -> AuditEvent {
    sink.events().pop().expect("an audit event")
}

struct Fixture {
    clock: FakeClock,
    backend: Arc<MemoryBackend>,
    sink: Arc<CaptureSink>,
    tokens: TokenService,
}

fn fixture(statics: &[&str]) -> Fixture {
    let clock = FakeClock::default();
    let backend = Arc::new(MemoryBackend::new(Arc::new(clock.clone())));
    let sink = Arc::new(CaptureSink::default());
    let statics: Vec<StaticToken> = statics.iter().map(|s| s.parse().unwrap()).collect();
    let tokens = TokenService::new(
        backend.clone(),
        Arc::new(clock.clone()),
        sink.clone(),
        "example.com",
        &statics,
    )
    .unwrap();
    Fixture {
        clock,
        backend,
        sink,
        tokens,
    }
}

fn attempt(role: SystemRole) -> JoinAttempt {
    JoinAttempt::new(role, "10.0.0.5:40022").with_host("host-uuid", "node-1")
}

const MINUTES_5: Duration = Duration::from_secs(300);

/// Asserts no event holds `token` in any field.
fn assert_never_logged(sink: &CaptureSink, token: &str) {
    for event in sink.events() {
        let json = serde_json::to_string(&event).unwrap();
        assert!(!json.contains(token), "{json}");
    }
}

fn join_of(event: &AuditEvent) -> &teleport_audit::event::InstanceJoin {
    match &event.payload {
        EventPayload::InstanceJoin(join) => join,
        other => panic!("not instance.join: {other:?}"),
    }
}

#[tokio::test]
async fn generated_tokens_are_32_hex_digits_and_audited() {
    let f = fixture(&[]);
    let created = f
        .tokens
        .add(
            "admin",
            vec![SystemRole::Node, SystemRole::App],
            MINUTES_5,
            None,
        )
        .await
        .unwrap();
    let token = created.name().to_string();
    assert_eq!(token.len(), 32);
    assert!(token
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(created.metadata.expires, Some(f.clock.now() + MINUTES_5));
    assert_eq!(created.spec.roles, [SystemRole::Node, SystemRole::App]);

    let event = last(&f.sink);
    assert_eq!(event.event_type(), "join_token.create");
    assert_eq!(event.common.code, "TJT00I");
    let EventPayload::JoinTokenCreate(create) = &event.payload else {
        panic!("{event:?}");
    };
    assert_eq!(
        create.resource.name,
        teleport_audit::event::mask_token(&token)
    );
    assert_eq!(create.roles, ["Node", "App"]);
    assert_eq!(create.user.user, "admin");
    assert_eq!(create.resource.ttl, "5m0s");
    assert_never_logged(&f.sink, &token);

    let other = f
        .tokens
        .add("admin", vec![SystemRole::Node], MINUTES_5, None)
        .await
        .unwrap();
    assert_ne!(other.name(), token);
}

#[tokio::test]
async fn tokens_are_stored_as_token_resources_with_backend_expiry() {
    let f = fixture(&[]);
    f.tokens
        .add(
            "admin",
            vec![SystemRole::Node],
            MINUTES_5,
            Some("secret-value".into()),
        )
        .await
        .unwrap();
    let item = f.backend.get(b"/tokens/secret-value").await.unwrap();
    let expires = f.clock.now() + MINUTES_5;
    assert_eq!(item.expires, Some(expires + EXPIRED_TOKEN_GRACE));
    let json: serde_json::Value = serde_json::from_slice(&item.value).unwrap();
    assert_eq!(json["kind"], "token");
    assert_eq!(json["version"], "v2");
    assert_eq!(json["spec"]["roles"], serde_json::json!(["Node"]));
}

#[tokio::test]
async fn add_refuses_duplicates_bad_roles_ttls_and_values() {
    let f = fixture(&["proxy,node:static-secret"]);
    let add = |roles: Vec<SystemRole>, ttl: Duration, token: &str| {
        f.tokens.add("admin", roles, ttl, Some(token.to_string()))
    };
    add(vec![SystemRole::Node], MINUTES_5, "dup-token")
        .await
        .unwrap();
    let err = add(vec![SystemRole::Proxy], MINUTES_5, "dup-token")
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::AlreadyExists { .. }), "{err}");
    assert!(!err.to_string().contains("dup-token"), "{err}");
    let err = add(vec![SystemRole::Node], MINUTES_5, "static-secret")
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::AlreadyExists { .. }), "{err}");

    for role in [SystemRole::Admin, SystemRole::Signup, SystemRole::Nop] {
        let err = add(vec![SystemRole::Node, role], MINUTES_5, "x1")
            .await
            .unwrap_err();
        assert!(
            matches!(err, TokenError::BadRole { role: r } if r == role),
            "{err}"
        );
    }
    let err = add(vec![], MINUTES_5, "x1").await.unwrap_err();
    assert!(matches!(err, TokenError::NoRoles), "{err}");
    let err = add(vec![SystemRole::Node], Duration::ZERO, "x1")
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::BadTtl { .. }), "{err}");
    let err = add(vec![SystemRole::Node], Duration::from_secs(u64::MAX), "x1")
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::BadTtl { .. }), "{err}");
    let long = "a".repeat(MAX_TOKEN_LEN + 1);
    for bad in ["", "has space", "a/b", "tab\there", long.as_str()] {
        let err = add(vec![SystemRole::Node], MINUTES_5, bad)
            .await
            .unwrap_err();
        assert!(matches!(err, TokenError::BadToken { .. }), "{bad:?}: {err}");
    }
    // Nothing but the one good token was stored or audited.
    assert_eq!(f.tokens.list().await.unwrap().len(), 2);
    assert_eq!(f.sink.events().len(), 1);
}

#[tokio::test]
async fn roles_are_deduplicated_in_order() {
    let f = fixture(&[]);
    let roles = vec![SystemRole::Proxy, SystemRole::Node, SystemRole::Proxy];
    let token = f.tokens.add("admin", roles, MINUTES_5, None).await.unwrap();
    assert_eq!(token.spec.roles, [SystemRole::Proxy, SystemRole::Node]);
}

#[tokio::test]
async fn list_puts_static_tokens_first_and_hides_expired_ones() {
    let f = fixture(&["proxy,node:static-secret", "auth:other-static"]);
    f.tokens
        .add(
            "admin",
            vec![SystemRole::Node],
            Duration::from_secs(600),
            Some("later".into()),
        )
        .await
        .unwrap();
    f.tokens
        .add(
            "admin",
            vec![SystemRole::Db],
            MINUTES_5,
            Some("sooner".into()),
        )
        .await
        .unwrap();
    let list = f.tokens.list().await.unwrap();
    let names: Vec<&str> = list.iter().map(|t| t.token.as_str()).collect();
    assert_eq!(names, ["static-secret", "other-static", "sooner", "later"]);
    assert!(list[0].is_static && list[0].expires.is_none());
    assert_eq!(list[0].roles, [SystemRole::Proxy, SystemRole::Node]);
    assert!(!list[2].is_static);
    assert_eq!(list[2].expires, Some(f.clock.now() + MINUTES_5));

    f.clock.advance(MINUTES_5);
    let names: Vec<String> = f
        .tokens
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.token)
        .collect();
    assert_eq!(names, ["static-secret", "other-static", "later"]);
    // Debug output masks tokens.
    assert!(!format!("{:?}", f.tokens.list().await.unwrap()).contains("static-secret"));
}

#[tokio::test]
async fn a_token_works_many_times_until_its_ttl() {
    let f = fixture(&[]);
    f.tokens
        .add(
            "admin",
            vec![SystemRole::Node, SystemRole::Proxy],
            MINUTES_5,
            Some("secret-value".into()),
        )
        .await
        .unwrap();
    for role in [SystemRole::Node, SystemRole::Proxy, SystemRole::Node] {
        let ok = f
            .tokens
            .validate("secret-value", &attempt(role))
            .await
            .unwrap();
        assert_eq!(ok.role, role);
        assert!(!ok.is_static);
        assert_eq!(ok.masked, "*********lue");
        let event = last(&f.sink);
        assert_eq!(event.common.code, "TJ002I");
        let join = join_of(&event);
        assert!(join.status.success);
        assert_eq!(join.role, role.as_str());
        assert_eq!(join.token_name, "*********lue");
        assert_eq!(join.connection.remote_addr, "10.0.0.5:40022");
        assert_eq!(
            (join.host_id.as_str(), join.node_name.as_str()),
            ("host-uuid", "node-1")
        );
        assert_eq!(join.method, "token");
    }
    f.clock.advance(MINUTES_5 - Duration::from_secs(1));
    f.tokens
        .validate("secret-value", &attempt(SystemRole::Node))
        .await
        .unwrap();

    f.clock.advance(Duration::from_secs(1));
    let err = f
        .tokens
        .validate("secret-value", &attempt(SystemRole::Node))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::Expired { .. }), "{err}");
    assert!(err.to_string().contains("expired"), "{err}");
    let event = last(&f.sink);
    assert_eq!(event.common.code, "TJ002E");
    assert!(join_of(&event).status.error.contains("expired"));

    // Once the record's grace is over too, the token is simply unknown.
    f.clock.advance(EXPIRED_TOKEN_GRACE);
    let err = f
        .tokens
        .validate("secret-value", &attempt(SystemRole::Node))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::NotFound { .. }), "{err}");
    assert_never_logged(&f.sink, "secret-value");
}

#[tokio::test]
async fn unknown_and_wrong_role_tokens_are_refused_and_audited() {
    let f = fixture(&["proxy,node:static-secret"]);
    f.tokens
        .add(
            "admin",
            vec![SystemRole::Node],
            MINUTES_5,
            Some("dynamic-secret".into()),
        )
        .await
        .unwrap();

    let err = f
        .tokens
        .validate("no-such-token", &attempt(SystemRole::Node))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::NotFound { .. }), "{err}");
    let event = last(&f.sink);
    assert_eq!(event.common.code, "TJ002E");
    assert_eq!(join_of(&event).status.error, err.to_string());

    let err = f
        .tokens
        .validate("dynamic-secret", &attempt(SystemRole::Proxy))
        .await
        .unwrap_err();
    let TokenError::WrongRole {
        allowed, requested, ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(
        (allowed.as_slice(), *requested),
        (&[SystemRole::Node][..], SystemRole::Proxy)
    );
    assert_eq!(last(&f.sink).common.code, "TJ002E");

    let err = f
        .tokens
        .validate("static-secret", &attempt(SystemRole::Auth))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::WrongRole { .. }), "{err}");
    assert_eq!(join_of(&last(&f.sink)).role, "Auth");

    for weird in ["", "a/b/../c", &"x".repeat(10_000)] {
        let err = f
            .tokens
            .validate(weird, &attempt(SystemRole::Node))
            .await
            .unwrap_err();
        assert!(matches!(err, TokenError::NotFound { .. }), "{err}");
    }
    assert!(join_of(&last(&f.sink)).token_name.len() < 32);

    // 1 create + 3 refusals + 3 weird refusals.
    assert_eq!(f.sink.events().len(), 7);
    for secret in ["no-such-token", "dynamic-secret", "static-secret"] {
        assert_never_logged(&f.sink, secret);
    }
}

#[tokio::test]
async fn static_tokens_join_but_cannot_be_deleted() {
    let f = fixture(&["proxy,node:static-secret"]);
    let ok = f
        .tokens
        .validate("static-secret", &attempt(SystemRole::Proxy))
        .await
        .unwrap();
    assert!(ok.is_static && ok.expires.is_none());
    assert_eq!(ok.roles, [SystemRole::Proxy, SystemRole::Node]);
    assert!(f
        .tokens
        .validate("static-secre", &attempt(SystemRole::Proxy))
        .await
        .is_err());
    assert!(f
        .tokens
        .validate("static-secret2", &attempt(SystemRole::Proxy))
        .await
        .is_err());

    let err = f.tokens.delete("admin", "static-secret").await.unwrap_err();
    assert!(matches!(err, TokenError::StaticToken { .. }), "{err}");
    assert!(err.to_string().contains("auth_service.tokens"), "{err}");
    // Static tokens never expire.
    f.clock.advance(Duration::from_secs(10 * 365 * 24 * 3600));
    f.tokens
        .validate("static-secret", &attempt(SystemRole::Node))
        .await
        .unwrap();
    assert_never_logged(&f.sink, "static-secret");
}

#[tokio::test]
async fn static_tokens_are_read_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokenfile");
    std::fs::write(&path, "  file-secret\n").unwrap();
    let line = format!("auth:{}", path.display());
    let f = fixture(&[line.as_str()]);
    let ok = f
        .tokens
        .validate("file-secret", &attempt(SystemRole::Auth))
        .await
        .unwrap();
    assert!(ok.is_static);
    assert_eq!(f.tokens.list().await.unwrap()[0].token, "file-secret");

    let clock: SharedClockFixture = Arc::new(FakeClock::default());
    let new = |line: String| {
        TokenService::new(
            Arc::new(MemoryBackend::new(clock.clone())),
            clock.clone(),
            Arc::new(CaptureSink::default()),
            "example.com",
            &[line.parse().unwrap()],
        )
    };
    let missing = dir.path().join("missing");
    let err = new(format!("auth:{}", missing.display())).unwrap_err();
    assert!(matches!(err, TokenError::TokenFile { .. }), "{err}");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );

    std::fs::write(&path, " \n\t\n").unwrap();
    let err = new(format!("auth:{}", path.display())).unwrap_err();
    assert!(matches!(err, TokenError::EmptyTokenFile { .. }), "{err}");
    assert!(err.to_string().contains("tokenfile"), "{err}");
}

type SharedClockFixture = teleport_core::SharedClock;

#[tokio::test]
async fn delete_revokes_and_audits() {
    let f = fixture(&[]);
    let token = f
        .tokens
        .add("admin", vec![SystemRole::Node], MINUTES_5, None)
        .await
        .unwrap();
    let token = token.name().to_string();
    f.tokens.delete("alice", &token).await.unwrap();
    let event = last(&f.sink);
    assert_eq!(
        (event.event_type(), event.common.code.as_str()),
        ("join_token.delete", "TJT01I")
    );
    let EventPayload::JoinTokenDelete(change) = &event.payload else {
        panic!("{event:?}");
    };
    assert_eq!(change.user.user, "alice");
    assert_eq!(
        change.resource.name,
        teleport_audit::event::mask_token(&token)
    );

    assert!(f.tokens.list().await.unwrap().is_empty());
    let err = f
        .tokens
        .validate(&token, &attempt(SystemRole::Node))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::NotFound { .. }), "{err}");
    let err = f.tokens.delete("alice", &token).await.unwrap_err();
    assert!(matches!(err, TokenError::NotFound { .. }), "{err}");
    assert!(!err.to_string().contains(&token));
    assert_never_logged(&f.sink, &token);
}

#[tokio::test]
async fn expired_tokens_can_be_replaced_and_their_records_deleted() {
    let f = fixture(&[]);
    let add = || {
        f.tokens.add(
            "admin",
            vec![SystemRole::Node],
            MINUTES_5,
            Some("reused".into()),
        )
    };
    add().await.unwrap();
    f.clock.advance(MINUTES_5);
    // The expired record is still kept (grace), yet the value may be used again.
    assert!(f.backend.get(b"/tokens/reused").await.is_ok());
    add().await.unwrap();
    f.tokens
        .validate("reused", &attempt(SystemRole::Node))
        .await
        .unwrap();

    f.clock.advance(MINUTES_5);
    let err = f.tokens.delete("admin", "reused").await.unwrap_err();
    assert!(matches!(err, TokenError::Expired { .. }), "{err}");
    assert!(f.backend.get(b"/tokens/reused").await.is_err());
}

#[tokio::test]
async fn a_join_that_cannot_be_audited_is_refused() {
    let f = fixture(&["node:static-secret"]);
    f.sink.set_failing(true);
    let err = f
        .tokens
        .validate("static-secret", &attempt(SystemRole::Node))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::Audit { .. }), "{err}");
    assert!(!err.to_string().contains("static-secret"), "{err}");
    // A refusal keeps its own reason.
    let err = f
        .tokens
        .validate("nope", &attempt(SystemRole::Node))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::NotFound { .. }), "{err}");
    // A token change that cannot be audited says so.
    let err = f
        .tokens
        .add(
            "admin",
            vec![SystemRole::Node],
            MINUTES_5,
            Some("made".into()),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::Audit { .. }), "{err}");
    assert!(err.to_string().contains("was created"), "{err}");
}

#[tokio::test]
async fn corrupt_records_name_the_token_masked() {
    let f = fixture(&[]);
    f.backend
        .put(Item::new("/tokens/broken-secret", "{not json"))
        .await
        .unwrap();
    let err = f
        .tokens
        .validate("broken-secret", &attempt(SystemRole::Node))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::Corrupt { .. }), "{err}");
    assert!(!err.to_string().contains("broken-secret"), "{err}");
    assert!(f.tokens.list().await.is_err());
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TokenService>();
    assert_send_sync::<TokenError>();
    assert_send_sync::<TokenInfo>();
    assert_send_sync::<JoinAttempt>();
    assert_send_sync::<ValidatedToken>();
}

#[test]
fn debug_of_the_service_shows_no_token() {
    let f = fixture(&["node:static-secret"]);
    let text = format!("{:?}", f.tokens);
    assert!(
        !text.contains("static-secret") && text.contains("example.com"),
        "{text}"
    );
}
