//! Certificate authority scenarios: certificates checked by the real `ssh-keygen` and
//! `openssl`, CAs created once and kept across restarts, renames refused.

mod ssh_certs;
mod storage;
mod tls_certs;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::{HashAlg, PrivateKey, PublicKey};
use teleport_auth::ca::{LocalCertAuthority, UserCertRequest};
use teleport_backend::{Backend, MemoryBackend};
use teleport_core::config::CaSignatureAlgo;
use teleport_core::{FakeClock, SharedClock};

/// The cluster most scenarios use.
const CLUSTER: &str = "example.com";

/// Runs a real tool; fails (never skips) when it is missing.
fn run(program: &str, args: &[&str], dir: &Path) -> String {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("TZ", "UTC")
        .output()
        .unwrap_or_else(|err| {
            panic!("cannot run {program} ({err}): apt-get install openssh-client openssl")
        });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{program} {args:?} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    stdout
}

/// Runs a shell pipeline (for `openssl ... | openssl ... | sha256sum`).
fn shell(script: &str, dir: &Path) -> String {
    run("sh", &["-c", script], dir)
}

fn fake_clock() -> (FakeClock, SharedClock) {
    let clock = FakeClock::default(); // 2021-01-01T00:00:00Z
    (clock.clone(), Arc::new(clock))
}

fn memory_backend(clock: &SharedClock) -> Arc<dyn Backend> {
    Arc::new(MemoryBackend::new(clock.clone()))
}

/// A fresh CA for `CLUSTER` in a memory backend, on a fake clock.
async fn new_ca(algo: CaSignatureAlgo) -> (LocalCertAuthority, FakeClock) {
    let (fake, clock) = fake_clock();
    let ca = LocalCertAuthority::load_or_create(memory_backend(&clock), Some(CLUSTER), algo, clock)
        .await
        .unwrap();
    (ca, fake)
}

/// A new Ed25519 client key.
fn client_key() -> PrivateKey {
    PrivateKey::from(Ed25519Keypair::from_seed(&rand::random()))
}

fn joe_request(public_key: &PublicKey) -> UserCertRequest {
    let mut req = UserCertRequest::new(
        public_key.clone(),
        "joe",
        vec!["root".into(), "joe".into()],
        Duration::from_secs(12 * 3600),
    );
    req.roles = vec!["access".into(), "editor".into()];
    req.traits
        .insert("logins".into(), vec!["root".into(), "joe".into()]);
    req.permit_port_forwarding = true;
    req
}

fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}
