//! An auth server on `127.0.0.1:0` over a memory backend, with a capturing audit sink
//! and a fake clock for token expiry (certificates use the real clock: TLS checks
//! validity against real time).

use std::path::Path;
use std::sync::Arc;

use teleport_audit::event::{AuthAttempt, InstanceJoin};
use teleport_audit::sink::MemorySink;
use teleport_audit::{AuditEvent, EventPayload};
use teleport_auth::api::{
    issue_admin_identity, AuthClient, AuthServer, AuthServerConfig, Identity, RunningServer,
};
use teleport_auth::ca::{CertAuthority, LocalCertAuthority};
use teleport_auth::local::HashParams;
use teleport_auth::services::{AuthServices, LocalSettings};
use teleport_auth::tokens::TokenService;
use teleport_backend::MemoryBackend;
use teleport_core::config::{CaSignatureAlgo, SecondFactor};
use teleport_core::{FakeClock, SharedClock, SystemClock};

pub const CLUSTER: &str = "example.com";

/// The audit log the test server writes to: every event kept in memory.
pub type CaptureSink = MemorySink;

/// What the scenarios read back from the audit log.
pub trait Captured {
    /// The `instance.join` events so far.
    fn joins(&self) -> Vec<InstanceJoin>;

    /// The `auth` events so far: the auth API's refusals.
    fn refusals(&self) -> Vec<AuditEvent>;

    /// Waits up to five seconds for an `auth` event (T3007W, `success: false`) whose
    /// error contains every one of `needles`, and returns it. A TLS refusal is audited
    /// by the server's connection task, which may finish after the client saw it fail.
    async fn wait_for_refusal(&self, needles: &[&str]) -> AuthAttempt;
}

impl Captured for MemorySink {
    fn joins(&self) -> Vec<InstanceJoin> {
        self.events()
            .into_iter()
            .filter_map(|event| match event.payload {
                EventPayload::InstanceJoin(join) => Some(join),
                _ => None,
            })
            .collect()
    }

    fn refusals(&self) -> Vec<AuditEvent> {
        self.events()
            .into_iter()
            .filter(|event| event.event_type() == "auth")
            .collect()
    }

    async fn wait_for_refusal(&self, needles: &[&str]) -> AuthAttempt {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let found = self.refusals().into_iter().find_map(|event| {
                let EventPayload::AuthAttempt(attempt) = &event.payload else {
                    return None;
                };
                (event.common.code == "T3007W"
                    && !attempt.status.success
                    && needles.iter().all(|n| attempt.status.error.contains(n)))
                .then(|| attempt.clone())
            });
            if let Some(attempt) = found {
                return attempt;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no auth event with {needles:?} in {:#?}",
                self.refusals()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

pub struct Cluster {
    pub data_dir: tempfile::TempDir,
    pub backend: Arc<MemoryBackend>,
    pub token_clock: FakeClock,
    pub audit: Arc<CaptureSink>,
    pub ca: Arc<LocalCertAuthority>,
    pub server: Option<RunningServer>,
    pub addr: String,
    pub admin: Identity,
}

pub fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}

async fn start_server(
    backend: &Arc<MemoryBackend>,
    token_clock: &FakeClock,
    audit: &Arc<CaptureSink>,
) -> (Arc<LocalCertAuthority>, RunningServer) {
    let ca = Arc::new(
        LocalCertAuthority::load_or_create(
            backend.clone(),
            Some(CLUSTER),
            CaSignatureAlgo::Ed25519,
            system_clock(),
        )
        .await
        .unwrap(),
    );
    let mut services = AuthServices::local(
        backend.clone(),
        ca.clone(),
        audit.clone(),
        system_clock(),
        &LocalSettings::new(SecondFactor::Otp, Vec::new())
            .with_hash_params(HashParams::INSECURE_FOR_TESTS),
    )
    .await
    .unwrap();
    // Join tokens run on a clock of their own, so tests can expire them.
    services.tokens = Arc::new(
        TokenService::new(
            backend.clone(),
            Arc::new(token_clock.clone()),
            audit.clone(),
            CLUSTER,
            &[],
        )
        .unwrap(),
    );
    let server = AuthServer::new(
        services,
        AuthServerConfig {
            public_addrs: vec!["auth.example.com:3025".into()],
            hostname: "auth".into(),
            host_uuid: "auth-uuid".into(),
        },
    )
    .await
    .unwrap()
    .bind("127.0.0.1:0")
    .await
    .unwrap();
    (ca, server)
}

impl Cluster {
    pub async fn start() -> Cluster {
        let data_dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(MemoryBackend::new(system_clock()));
        let token_clock = FakeClock::new(time::OffsetDateTime::now_utc());
        let audit = Arc::new(CaptureSink::default());
        let (ca, server) = start_server(&backend, &token_clock, &audit).await;
        let admin = issue_admin_identity(ca.as_ref(), data_dir.path(), &SystemClock)
            .await
            .unwrap();
        Cluster {
            data_dir,
            addr: server.local_addr().to_string(),
            backend,
            token_clock,
            audit,
            ca,
            server: Some(server),
            admin,
        }
    }

    /// Stops the server and starts a new one over the same backend.
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        let (ca, server) = start_server(&self.backend, &self.token_clock, &self.audit).await;
        self.ca = ca;
        self.addr = server.local_addr().to_string();
        self.server = Some(server);
    }

    pub async fn admin_client(&self) -> AuthClient {
        AuthClient::connect(&self.addr, Some(&self.admin), self.admin.trust())
            .await
            .unwrap()
    }

    pub async fn client_as(&self, identity: &Identity) -> AuthClient {
        AuthClient::connect(&self.addr, Some(identity), self.ca_trust())
            .await
            .unwrap()
    }

    pub fn ca_trust(&self) -> teleport_auth::api::Trust {
        teleport_auth::api::Trust::CaPem(self.ca.tls_ca_pem().to_string())
    }
}

/// The permission bits of `path`.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}
