//! A node on a loopback port with a fresh CA, an in-memory audit log and recordings in
//! a temporary directory, and the real OpenSSH client to talk to it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use rand::RngCore as _;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::{Certificate, LineEnding, PrivateKey};
use teleport_audit::recording::{FileRecorder, Format};
use teleport_audit::sink::MemorySink;
use teleport_audit::AuditEvent;
use teleport_auth::ca::{
    CertAuthority as _, ExportKind, HostCertRequest, LocalCertAuthority, UserCertRequest,
};
use teleport_backend::MemoryBackend;
use teleport_core::config::CaSignatureAlgo;
use teleport_core::resource::{Role, RoleConditions, RoleOptions, RoleSpec, Strings, SystemRole};
use teleport_core::{Clock, SharedClock, SystemClock};
use teleport_node::{
    recordings_dir, NodeConfig, NodeLabels, NodeServer, RunningNode, SshTuning, StaticRoles,
    TrustedUserCas,
};

pub const CLUSTER: &str = "node.test";
/// An OS user the tests create to prove the switch to the login's user.
pub const TEST_USER: &str = "tpnode-test";

/// Fails (never skips) when a program the tests drive is missing.
pub fn require(tool: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false)
        || Path::new(tool).is_file();
    assert!(
        found,
        "{tool} is missing: install the Debian package {package} (scripts/test.sh does)"
    );
}

/// Creates [`TEST_USER`] with a home directory if it does not exist.
pub fn ensure_test_user() {
    if nix::unistd::User::from_name(TEST_USER).unwrap().is_some() {
        return;
    }
    require("useradd", "passwd");
    let status = std::process::Command::new("useradd")
        .args(["-m", "-s", "/bin/sh", TEST_USER])
        .status()
        .unwrap();
    // Another test binary may have created it meanwhile.
    assert!(
        status.success() || nix::unistd::User::from_name(TEST_USER).unwrap().is_some(),
        "useradd {TEST_USER} failed"
    );
}

pub fn new_key() -> PrivateKey {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    PrivateKey::from(Ed25519Keypair::from_seed(&seed))
}

/// A role allowing `logins` on nodes matching `labels`.
pub fn role(name: &str, logins: &[&str], labels: &[(&str, &str)]) -> Role {
    role_with(name, logins, labels, RoleOptions::default())
}

pub fn role_with(
    name: &str,
    logins: &[&str],
    labels: &[(&str, &str)],
    options: RoleOptions,
) -> Role {
    Role::named(
        name,
        RoleSpec {
            options,
            allow: RoleConditions {
                logins: logins.iter().map(|s| s.to_string()).collect(),
                node_labels: labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), Strings(vec![v.to_string()])))
                    .collect(),
                rules: Vec::new(),
            },
            deny: RoleConditions::default(),
        },
    )
    .unwrap()
}

/// The roles most tests use: `access` allows root and the test users everywhere, with
/// agent forwarding.
pub fn default_roles() -> Vec<Role> {
    let options = RoleOptions {
        forward_agent: true,
        ..RoleOptions::default()
    };
    vec![
        role_with(
            "access",
            &["root", TEST_USER, "nosuchuser-tp"],
            &[("*", "*")],
            options,
        ),
        role("nologin", &["nobody-else"], &[("*", "*")]),
        role("prod-only", &["root"], &[("env", "prod")]),
        role_with(
            "no-forwarding",
            &["root"],
            &[("*", "*")],
            RoleOptions {
                port_forwarding: false,
                forward_agent: false,
                ssh_file_copy: false,
                ..RoleOptions::default()
            },
        ),
    ]
}

/// A running node and what the tests need around it.
pub struct TestNode {
    pub dir: tempfile::TempDir,
    pub backend: Arc<MemoryBackend>,
    pub ca: LocalCertAuthority,
    pub audit: Arc<MemorySink>,
    pub user_cas: TrustedUserCas,
    pub running: RunningNode,
    pub addr: SocketAddr,
    pub host_uuid: String,
    pub known_hosts: PathBuf,
}

/// A user's key and certificate written for `ssh -i`.
pub struct UserKey {
    pub key: PathBuf,
}

impl TestNode {
    pub async fn start(roles: Vec<Role>, labels: BTreeMap<String, String>) -> TestNode {
        Self::start_with(roles, NodeLabels::fixed(labels)).await
    }

    pub async fn start_with(roles: Vec<Role>, labels: NodeLabels) -> TestNode {
        require("ssh", "openssh-client");
        let dir = tempfile::tempdir().unwrap();
        let clock: SharedClock = Arc::new(SystemClock);
        let backend = Arc::new(MemoryBackend::new(clock.clone()));
        let ca = LocalCertAuthority::load_or_create(
            backend.clone(),
            Some(CLUSTER),
            CaSignatureAlgo::Ed25519,
            clock.clone(),
        )
        .await
        .unwrap();
        let host_uuid = uuid::Uuid::new_v4().to_string();
        let host_key = new_key();
        let host_cert = ca
            .sign_host_ssh_sync(&HostCertRequest {
                public_key: host_key.public_key().clone(),
                host_uuid: host_uuid.clone(),
                nodename: "node-1".into(),
                role: SystemRole::Node,
                additional_principals: Vec::new(),
                ttl: None,
            })
            .unwrap();
        let known_hosts = dir.path().join("known_hosts");
        std::fs::write(&known_hosts, ca.export(ExportKind::Host)).unwrap();
        let user_cas =
            TrustedUserCas::from_openssh(&ca.export(ExportKind::UserTrustedCaKeys)).unwrap();
        let audit = Arc::new(MemorySink::new());
        let config = NodeConfig {
            cluster_name: CLUSTER.into(),
            server_id: host_uuid.clone(),
            nodename: "node-1".into(),
            advertise_addr: String::new(),
            host_key,
            host_cert,
            user_cas: user_cas.clone(),
            labels,
            roles: Arc::new(StaticRoles::new(roles)),
            audit: audit.clone(),
            recorder: Arc::new(FileRecorder::new(recordings_dir(dir.path()), Format::Plain)),
            clock,
            tuning: SshTuning::default().with_auth_rejection_time(Duration::from_millis(50)),
        };
        let running = NodeServer::new(config)
            .unwrap()
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = running.local_addr();
        TestNode {
            dir,
            backend,
            ca,
            audit,
            user_cas,
            running,
            addr,
            host_uuid,
            known_hosts,
        }
    }

    pub fn recordings(&self) -> PathBuf {
        recordings_dir(self.dir.path())
    }

    /// Writes a fresh key and `cert` for it (when given) as `<name>` and
    /// `<name>-cert.pub`.
    pub fn write_key(&self, name: &str, key: &PrivateKey, cert: Option<&Certificate>) -> UserKey {
        let path = self.dir.path().join(name);
        std::fs::write(&path, key.to_openssh(LineEnding::LF).unwrap().as_bytes()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        if let Some(cert) = cert {
            let cert_path = self.dir.path().join(format!("{name}-cert.pub"));
            std::fs::write(cert_path, format!("{}\n", cert.to_openssh().unwrap())).unwrap();
        }
        UserKey { key: path }
    }

    /// A key with a certificate from the cluster's user CA, shaped by `edit`.
    pub fn user(
        &self,
        name: &str,
        user: &str,
        logins: &[&str],
        roles: &[&str],
        edit: impl FnOnce(&mut UserCertRequest),
    ) -> UserKey {
        let key = new_key();
        let mut req = UserCertRequest::new(
            key.public_key().clone(),
            user,
            logins.iter().map(|s| s.to_string()).collect(),
            Duration::from_secs(3600),
        );
        req.roles = roles.iter().map(|s| s.to_string()).collect();
        req.permit_port_forwarding = true;
        req.permit_agent_forwarding = true;
        edit(&mut req);
        let cert = self.ca.sign_user_ssh_sync(&req).unwrap();
        self.write_key(name, &key, Some(&cert))
    }

    /// The usual user: `alice`, logins root and the test users, role `access`.
    pub fn alice(&self) -> UserKey {
        self.user(
            "alice",
            "alice",
            &["root", TEST_USER, "nosuchuser-tp"],
            &["access"],
            |_| {},
        )
    }

    /// `ssh` with the options every test uses, then `args`.
    pub fn ssh_command(
        &self,
        key: &UserKey,
        login: &str,
        args: &[&str],
    ) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new("ssh");
        cmd.args(self.ssh_options(key))
            .arg("-p")
            .arg(self.addr.port().to_string())
            .args(args)
            .arg(format!("{login}@127.0.0.1"));
        cmd.kill_on_drop(true);
        cmd
    }

    /// The `-o` options: no config file, strict host checking against the host CA,
    /// only the given key, no agent, batch mode.
    pub fn ssh_options(&self, key: &UserKey) -> Vec<String> {
        vec![
            "-F".into(),
            "/dev/null".into(),
            "-o".into(),
            "BatchMode=yes".into(),
            "-o".into(),
            "StrictHostKeyChecking=yes".into(),
            "-o".into(),
            format!("UserKnownHostsFile={}", self.known_hosts.display()),
            "-o".into(),
            "GlobalKnownHostsFile=/dev/null".into(),
            "-o".into(),
            format!("HostKeyAlias={}.{CLUSTER}", self.host_uuid),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
            "-o".into(),
            "IdentityAgent=none".into(),
            "-o".into(),
            "ConnectTimeout=20".into(),
            "-i".into(),
            key.key.display().to_string(),
        ]
    }

    /// Runs `ssh login@node command` with `stdin` and returns its output.
    pub async fn ssh(&self, key: &UserKey, login: &str, command: &str, stdin: &[u8]) -> Output {
        let mut cmd = self.ssh_command(key, login, &[]);
        cmd.arg(command);
        run(cmd, stdin).await
    }

    /// Events emitted since `from` (an index into the sink's events).
    pub fn events_since(&self, from: usize) -> Vec<AuditEvent> {
        self.audit.events().into_iter().skip(from).collect()
    }

    /// JSON of the events of type `kind`.
    pub fn json_of(&self, kind: &str) -> Vec<serde_json::Value> {
        self.audit
            .json()
            .into_iter()
            .filter(|e| e["event"] == kind)
            .collect()
    }

    /// Waits until an event matching `pred` was emitted (session events are emitted
    /// just after the client sees the session end).
    pub async fn wait_for_event(
        &self,
        what: &str,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        for _ in 0..200 {
            if let Some(event) = self.audit.json().into_iter().find(|e| pred(e)) {
                return event;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no {what} event; events: {:#?}", self.audit.json());
    }

    /// A certificate authority the node does not trust (yet), made by ssh-keygen.
    pub fn keygen_ca(&self, name: &str) -> PathBuf {
        require("ssh-keygen", "openssh-client");
        let path = self.dir.path().join(name);
        let status = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        path
    }

    /// Signs `key`'s public half with the ssh-keygen CA at `ca`, with `extra` options.
    pub fn keygen_sign(&self, ca: &Path, key: &UserKey, extra: &[&str]) {
        let public = self.dir.path().join(format!(
            "{}.pub",
            key.key.file_name().unwrap().to_string_lossy()
        ));
        let private = PrivateKey::from_openssh(std::fs::read(&key.key).unwrap()).unwrap();
        std::fs::write(&public, private.public_key().to_openssh().unwrap()).unwrap();
        let output = std::process::Command::new("ssh-keygen")
            .arg("-s")
            .arg(ca)
            .args(extra)
            .arg(&public)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The system clock's now, for comparisons.
    pub fn now(&self) -> time::OffsetDateTime {
        SystemClock.now()
    }
}

/// Runs `cmd` with `stdin`, with a timeout.
pub async fn run(mut cmd: tokio::process::Command, stdin: &[u8]) -> Output {
    use tokio::io::AsyncWriteExt as _;
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    tokio::spawn(async move {
        let _ = input.write_all(&stdin).await;
        drop(input);
    });
    tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("ssh did not finish within two minutes")
        .unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A russh client that trusts any host key: for certificates the OpenSSH client will
/// not present (it skips host certificates among a user's identities).
struct AnyHost;

impl russh::client::Handler for AnyHost {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// Whether the node lets `login` in with `key` and `cert`, asked by a russh client.
pub async fn russh_cert_login(
    addr: SocketAddr,
    login: &str,
    key: PrivateKey,
    cert: Certificate,
) -> bool {
    let config = Arc::new(russh::client::Config::default());
    let mut handle = russh::client::connect(config, addr, AnyHost).await.unwrap();
    let result = handle
        .authenticate_openssh_cert(login, Arc::new(key), cert)
        .await
        .unwrap();
    result.success()
}
