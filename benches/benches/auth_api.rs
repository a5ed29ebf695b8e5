//! Auth API handshake rates over loopback, with an in-process [`AuthServer`] on
//! `127.0.0.1:0` over a memory backend:
//!
//! - `join`: a full [`teleport_auth::api::join`] with a dynamic token into a fresh
//!   temporary data_dir: new SSH and TLS keys, a TLS handshake checked against the CA
//!   pin, `ping`, `join` (the server validates the token and issues a host SSH and a
//!   TLS certificate) and the identity saved to disk;
//! - `connect_ping`: [`AuthClient::connect`] (a TLS handshake, no client certificate)
//!   and one `ping`.
//!
//! Run with `cargo bench -p benches --bench auth_api`. Every figure is operations per
//! second (criterion's `elem/s`), one at a time from one client.

// A benchmark stops on the first error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use criterion::{criterion_main, Criterion, Throughput};
use teleport_audit::sink::{AuditError, AuditSink, SearchPage, SearchQuery};
use teleport_audit::AuditEvent;
use teleport_auth::api::{AuthClient, AuthServer, AuthServerConfig, JoinParams, Trust};
use teleport_auth::ca::{CertAuthority, LocalCertAuthority};
use teleport_auth::services::{AuthServices, LocalSettings};
use teleport_backend::MemoryBackend;
use teleport_core::config::CaSignatureAlgo;
use teleport_core::resource::SystemRole;
use teleport_core::{SharedClock, SystemClock};

const CLUSTER: &str = "bench.example.com";

/// Drops every event: the benchmark measures the API, not an audit sink.
struct NullSink;

#[async_trait]
impl AuditSink for NullSink {
    async fn emit(&self, _event: AuditEvent) -> Result<(), AuditError> {
        Ok(())
    }

    async fn search(&self, _query: SearchQuery) -> Result<SearchPage, AuditError> {
        Err(AuditError::SearchUnsupported {
            sink: "null".into(),
        })
    }

    async fn close(&self) -> Result<(), AuditError> {
        Ok(())
    }
}

fn auth_api_benches(c: &mut Criterion) {
    // Two workers: the server's tasks run beside the client's.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let clock: SharedClock = Arc::new(SystemClock);
    let backend = Arc::new(MemoryBackend::new(clock.clone()));
    let audit: Arc<dyn AuditSink> = Arc::new(NullSink);
    let (ca, tokens, server) = runtime.block_on(async {
        let ca = Arc::new(
            LocalCertAuthority::load_or_create(
                backend.clone(),
                Some(CLUSTER),
                CaSignatureAlgo::Ed25519,
                clock.clone(),
            )
            .await
            .unwrap(),
        );
        let services = AuthServices::local(
            backend.clone(),
            ca.clone(),
            audit.clone(),
            clock.clone(),
            &LocalSettings::default(),
        )
        .await
        .unwrap();
        let tokens = services.tokens.clone();
        let server = AuthServer::new(
            services,
            AuthServerConfig {
                public_addrs: Vec::new(),
                hostname: "auth".into(),
                host_uuid: "auth-uuid".into(),
            },
        )
        .await
        .unwrap()
        .bind("127.0.0.1:0")
        .await
        .unwrap();
        (ca, tokens, server)
    });
    let addr = server.local_addr().to_string();
    let token = runtime
        .block_on(tokens.add(
            "bench",
            vec![SystemRole::Node],
            Duration::from_secs(3600),
            None,
        ))
        .unwrap()
        .name()
        .to_string();
    let pins = vec![ca.ca_pin()];
    let next_host = AtomicU64::new(0);

    let mut group = c.benchmark_group("auth_api");
    group.throughput(Throughput::Elements(1));
    group.bench_function("join", |b| {
        b.iter(|| {
            let data_dir = tempfile::tempdir().unwrap();
            let host_uuid = format!("node-{}", next_host.fetch_add(1, Ordering::Relaxed));
            let params = JoinParams {
                auth_addr: &addr,
                token: &token,
                role: SystemRole::Node,
                ca_pins: &pins,
                data_dir: data_dir.path(),
                nodename: "bench-node",
                host_uuid: &host_uuid,
                additional_principals: &[],
            };
            runtime.block_on(teleport_auth::api::join(&params)).unwrap()
        })
    });
    group.bench_function("connect_ping", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let client = AuthClient::connect(&addr, None, Trust::Pin(pins.clone()))
                    .await
                    .unwrap();
                client.ping().await.unwrap()
            })
        })
    });
    group.finish();
    runtime.block_on(server.shutdown());
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// The criterion group (in a private module: its generated function has no doc).
mod group {
    criterion::criterion_group! {
        name = benches;
        config = super::config();
        targets = super::auth_api_benches
    }
}

criterion_main!(group::benches);
