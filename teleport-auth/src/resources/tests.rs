#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use teleport_audit::sink::MemorySink;
use teleport_backend::{Backend, MemoryBackend};
use teleport_core::config::CaSignatureAlgo;
use teleport_core::resource::{read_resources, Kind, Resource};
use teleport_core::{FakeClock, SharedClock};

use super::*;
use crate::ca::LocalCertAuthority;
use crate::presence::Presence;
use crate::tokens::TokenService;

struct Fixture {
    backend: Arc<dyn Backend>,
    audit: Arc<MemorySink>,
    service: ResourceService,
}

async fn fixture() -> Fixture {
    let clock: SharedClock = Arc::new(FakeClock::default());
    let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new(clock.clone()));
    let audit = Arc::new(MemorySink::new());
    LocalCertAuthority::load_or_create(
        backend.clone(),
        Some("example.com"),
        CaSignatureAlgo::Ed25519,
        clock.clone(),
    )
    .await
    .unwrap();
    let presence = Arc::new(Presence::new(backend.clone(), clock.clone()));
    let tokens = Arc::new(
        TokenService::new(
            backend.clone(),
            clock.clone(),
            audit.clone(),
            "example.com",
            &[],
        )
        .unwrap(),
    );
    let service = ResourceService::new(
        backend.clone(),
        presence,
        tokens,
        audit.clone(),
        clock,
        "example.com",
    );
    service.ensure_builtin_roles().await.unwrap();
    Fixture {
        backend,
        audit,
        service,
    }
}

fn one(text: &str) -> Resource {
    read_resources(text, "test.yaml").unwrap().remove(0)
}

const ROLE: &str = "kind: role\nversion: v4\nmetadata: {name: dev}\nspec:\n  allow:\n    logins: [dev]\n    node_labels: {env: dev}\n";

const USER: &str = "kind: user\nversion: v2\nmetadata: {name: joe}\nspec:\n  roles: [dev]\n  traits: {logins: [joe]}\n";

#[tokio::test]
async fn create_refuses_an_existing_resource_and_create_f_replaces_it() {
    let f = fixture().await;
    f.service
        .put("admin", one(ROLE), PutMode::Create)
        .await
        .unwrap();
    let err = f
        .service
        .put("admin", one(ROLE), PutMode::Create)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ResourceError::AlreadyExists {
                kind: Kind::Role,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("tctl create -f"), "{err}");

    let changed = ROLE.replace("[dev]", "[dev, ops]");
    f.service
        .put("admin", one(&changed), PutMode::Upsert)
        .await
        .unwrap();
    let got = f.service.get(Kind::Role, "dev").await.unwrap();
    assert_eq!(got, vec![one(&changed)]);
    let events = f.audit.events();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event_type() == "role.created")
            .count(),
        2
    );
}

#[tokio::test]
async fn a_user_needs_existing_roles_and_a_role_in_use_cannot_be_deleted() {
    let f = fixture().await;
    let err = f
        .service
        .put("admin", one(USER), PutMode::Create)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("role \"dev\" is not found"),
        "{err}"
    );
    assert!(matches!(
        f.service.get(Kind::User, "joe").await,
        Err(ResourceError::NotFound { .. })
    ));

    f.service
        .put("admin", one(ROLE), PutMode::Create)
        .await
        .unwrap();
    f.service
        .put("admin", one(USER), PutMode::Create)
        .await
        .unwrap();
    let err = f
        .service
        .delete("admin", Kind::Role, "dev")
        .await
        .unwrap_err();
    assert!(matches!(err, ResourceError::RoleInUse { .. }), "{err}");
    assert!(err.to_string().contains("joe"), "{err}");
    assert!(f.service.get(Kind::Role, "dev").await.is_ok());
}

#[tokio::test]
async fn replacing_a_user_without_secrets_keeps_its_password() {
    let f = fixture().await;
    f.service
        .put("admin", one(ROLE), PutMode::Create)
        .await
        .unwrap();
    let with_secret = format!("{USER}  local_auth:\n    password_hash: c2VjcmV0\n");
    f.service
        .put("admin", one(&with_secret), PutMode::Create)
        .await
        .unwrap();
    let stripped = f.service.get(Kind::User, "joe").await.unwrap()[0].without_secrets();
    f.service
        .put("admin", stripped, PutMode::Upsert)
        .await
        .unwrap();
    let Resource::User(user) = &f.service.get(Kind::User, "joe").await.unwrap()[0] else {
        panic!("not a user")
    };
    let hash = &user.spec.local_auth.as_ref().unwrap().password_hash;
    assert_eq!(hash.expose().as_slice(), b"secret");
}

#[tokio::test]
async fn cas_are_read_only_but_an_unchanged_copy_is_accepted() {
    let f = fixture().await;
    let cas = f
        .service
        .get(Kind::CertAuthority, "example.com")
        .await
        .unwrap();
    assert_eq!(cas.len(), 2);
    for ca in &cas {
        // The stripped copy `tctl get` prints, given back unchanged: accepted.
        f.service
            .put("admin", ca.without_secrets(), PutMode::Upsert)
            .await
            .unwrap();
    }
    let Resource::CertAuthority(mut other) = cas[0].clone() else {
        panic!("not a CA")
    };
    other.spec.active_keys.ssh.clear();
    let err = f
        .service
        .put("admin", Resource::CertAuthority(other), PutMode::Upsert)
        .await
        .unwrap_err();
    assert!(matches!(err, ResourceError::ReadOnly { .. }), "{err}");
    let err = f
        .service
        .delete("admin", Kind::CertAuthority, "example.com")
        .await
        .unwrap_err();
    assert!(matches!(err, ResourceError::ReadOnly { .. }), "{err}");
    assert_eq!(
        f.service
            .get(Kind::CertAuthority, "example.com")
            .await
            .unwrap(),
        cas
    );
}

#[tokio::test]
async fn bootstrap_imports_once_keeps_the_cas_and_refuses_another_cluster_name() {
    let old = fixture().await;
    old.service
        .put("admin", one(ROLE), PutMode::Create)
        .await
        .unwrap();
    old.service
        .put("admin", one(USER), PutMode::Create)
        .await
        .unwrap();
    let mut state = Vec::new();
    for kind in BACKUP_KINDS {
        state.extend(old.service.list(*kind).await.unwrap());
    }

    let clock: SharedClock = Arc::new(FakeClock::default());
    let fresh: Arc<dyn Backend> = Arc::new(MemoryBackend::new(clock.clone()));
    let err = bootstrap(
        fresh.as_ref(),
        state.clone(),
        "state.yaml",
        Some("other.org"),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("\"example.com\""), "{err}");
    assert!(err.to_string().contains("state.yaml"), "{err}");

    let stripped: Vec<Resource> = state.iter().map(Resource::without_secrets).collect();
    let err = bootstrap(fresh.as_ref(), stripped, "state.yaml", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--with-secrets"), "{err}");

    // A user whose role the state does not hold: refused before anything is written.
    let mut orphan = state.clone();
    orphan.retain(|r| r.kind() != Kind::Role || r.name() != "dev");
    let err = bootstrap(fresh.as_ref(), orphan, "state.yaml", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("role \"dev\""), "{err}");
    let left = fresh
        .get_range(
            teleport_backend::KeyRange::all(),
            teleport_backend::NO_LIMIT,
        )
        .await
        .unwrap();
    assert!(
        left.is_empty(),
        "a refused bootstrap wrote {} records",
        left.len()
    );

    let outcome = bootstrap(fresh.as_ref(), state.clone(), "state.yaml", None)
        .await
        .unwrap();
    assert!(
        matches!(outcome, BootstrapOutcome::Imported { ref cluster_name, .. } if cluster_name == "example.com")
    );
    let again = bootstrap(fresh.as_ref(), state, "state.yaml", Some("other.org"))
        .await
        .unwrap();
    assert_eq!(again, BootstrapOutcome::AlreadyInitialized);

    let before = LocalCertAuthority::load_or_create(
        old.backend.clone(),
        None,
        CaSignatureAlgo::Ed25519,
        clock.clone(),
    )
    .await
    .unwrap();
    let after = LocalCertAuthority::load_or_create(fresh, None, CaSignatureAlgo::Ed25519, clock)
        .await
        .unwrap();
    use crate::ca::CertAuthority as _;
    assert_eq!(after.cluster_name(), "example.com");
    assert_eq!(after.ca_pin(), before.ca_pin());
    assert_eq!(
        after.user_ca().public_key_openssh(),
        before.user_ca().public_key_openssh()
    );
}
