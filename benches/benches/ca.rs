//! Certificate issuance rates of the cluster's CAs, single-threaded: user SSH
//! certificates from an Ed25519 CA (target: at least 20,000 per second per core) and an
//! RSA-2048 CA (rsa-sha2-512), host SSH certificates, and TLS client certificates.
//!
//! Run with `cargo bench -p benches --bench ca`. Every figure is certificates per
//! second (criterion's `elem/s`).

// A benchmark stops on the first error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_main, Criterion, Throughput};
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::PrivateKey;
use teleport_auth::ca::{
    HostCertRequest, LocalCertAuthority, TlsCertRequest, TlsIdentity, TlsPublicKey, TlsUsage,
    UserCertRequest,
};
use teleport_backend::MemoryBackend;
use teleport_core::config::CaSignatureAlgo;
use teleport_core::resource::SystemRole;
use teleport_core::{SharedClock, SystemClock};
use tokio::runtime::Runtime;

fn new_ca(runtime: &Runtime, algo: CaSignatureAlgo) -> LocalCertAuthority {
    let clock: SharedClock = Arc::new(SystemClock);
    runtime
        .block_on(LocalCertAuthority::load_or_create(
            Arc::new(MemoryBackend::new(clock.clone())),
            Some("bench.example.com"),
            algo,
            clock,
        ))
        .unwrap()
}

fn user_request() -> UserCertRequest {
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&[7; 32]));
    let mut req = UserCertRequest::new(
        key.public_key().clone(),
        "joe",
        vec!["root".into(), "joe".into()],
        Duration::from_secs(12 * 3600),
    );
    req.roles = vec!["access".into()];
    req.traits.insert("logins".into(), vec!["root".into()]);
    req.permit_port_forwarding = true;
    req
}

fn ca_benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let ed25519 = new_ca(&runtime, CaSignatureAlgo::Ed25519);
    let rsa = new_ca(&runtime, CaSignatureAlgo::RsaSha2_512);
    let user = user_request();

    let mut group = c.benchmark_group("ca");
    group.throughput(Throughput::Elements(1));
    group.bench_function("user_ssh_cert/ed25519", |b| {
        b.iter(|| ed25519.sign_user_ssh_sync(&user).unwrap())
    });
    group.bench_function("user_ssh_cert/rsa2048_sha512", |b| {
        b.iter(|| rsa.sign_user_ssh_sync(&user).unwrap())
    });
    let host = HostCertRequest {
        public_key: user.public_key.clone(),
        host_uuid: "5a1b".into(),
        nodename: "web".into(),
        role: SystemRole::Node,
        additional_principals: vec!["10.0.0.1".into()],
        ttl: None,
    };
    group.bench_function("host_ssh_cert/ed25519", |b| {
        b.iter(|| ed25519.sign_host_ssh_sync(&host).unwrap())
    });
    let subject = rcgen::KeyPair::generate().unwrap();
    let tls = TlsCertRequest {
        public_key: TlsPublicKey::SpkiPem(subject.public_key_pem()),
        identity: TlsIdentity {
            username: "joe".into(),
            roles: vec!["access".into()],
            system_role: None,
            cluster_name: "bench.example.com".into(),
            logins: vec!["root".into()],
            expires: time::OffsetDateTime::now_utc() + time::Duration::hours(12),
        },
        usage: TlsUsage::Client,
        dns_names: vec![],
        ip_addrs: vec![],
    };
    group.bench_function("tls_client_cert/ecdsa_p256", |b| {
        b.iter(|| ed25519.sign_tls_sync(&tls).unwrap())
    });
    group.finish();
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
        targets = super::ca_benches
    }
}

criterion_main!(group::benches);
