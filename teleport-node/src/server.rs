//! The listener: accepting TCP connections and running each as an SSH connection with
//! the node's current host key and certificate.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};

use russh::keys::ssh_key::certificate::CertType;
use russh::keys::ssh_key::{Algorithm, Certificate, EcdsaCurve, HashAlg, PrivateKey};
use russh::{cipher, MethodKind, MethodSet, Preferred};
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::config::{NodeConfig, SshTuning};
use crate::conn::{AuthTrace, Connection};
use crate::error::NodeError;
use crate::shared::NodeShared;

/// How long a client has to log in (OpenSSH's default `LoginGraceTime`).
const LOGIN_GRACE: std::time::Duration = std::time::Duration::from_secs(120);

/// Host key algorithms the node offers: russh's defaults without SHA-1 `ssh-rsa`.
const HOST_KEY_ALGORITHMS: &[Algorithm] = &[
    Algorithm::Ed25519,
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP256,
    },
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP384,
    },
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP521,
    },
    Algorithm::Rsa {
        hash: Some(HashAlg::Sha512),
    },
    Algorithm::Rsa {
        hash: Some(HashAlg::Sha256),
    },
];

/// Ciphers, AES-256-GCM first (the fastest where AES instructions exist).
const CIPHERS: &[cipher::Name] = &[
    cipher::AES_256_GCM,
    cipher::CHACHA20_POLY1305,
    cipher::AES_256_CTR,
    cipher::AES_192_CTR,
    cipher::AES_128_CTR,
];

/// The certificate-only SSH server of a node.
///
/// ```no_run
/// # async fn demo(config: teleport_node::NodeConfig) -> Result<(), teleport_node::NodeError> {
/// let node = teleport_node::NodeServer::new(config)?;
/// let running = node.bind("0.0.0.0:3022").await?;
/// println!("listening on {}", running.local_addr());
/// running.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct NodeServer {
    shared: Arc<NodeShared>,
    ssh: Arc<RwLock<Arc<russh::server::Config>>>,
}

/// A node server accepting connections. Dropping it stops accepting new connections
/// (running sessions go on); [`RunningNode::shutdown`] also waits for the accept loop.
#[derive(Debug)]
pub struct RunningNode {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    ssh: Arc<RwLock<Arc<russh::server::Config>>>,
    tuning: SshTuning,
}

fn check_host_cert(key: &PrivateKey, cert: &Certificate) -> Result<(), NodeError> {
    if cert.cert_type() != CertType::Host {
        return Err(NodeError::BadHostCertificate(format!(
            "certificate {:?} is not a host certificate",
            cert.key_id()
        )));
    }
    if cert.public_key() != key.public_key().key_data() {
        return Err(NodeError::BadHostCertificate(format!(
            "certificate {:?} certifies another key than the host key",
            cert.key_id()
        )));
    }
    Ok(())
}

fn ssh_config(
    key: PrivateKey,
    cert: Certificate,
    tuning: &SshTuning,
) -> Result<russh::server::Config, NodeError> {
    check_host_cert(&key, &cert)?;
    Ok(russh::server::Config {
        server_id: russh::SshId::Standard(Cow::Borrowed("SSH-2.0-Teleport")),
        methods: MethodSet::from(&[MethodKind::PublicKey][..]),
        auth_rejection_time: tuning.auth_rejection_time,
        // The first "none" attempt only asks which methods exist: answer at once.
        auth_rejection_time_initial: Some(std::time::Duration::ZERO),
        keys: vec![key],
        certificates: vec![cert],
        window_size: tuning.window_size,
        maximum_packet_size: tuning.max_packet_size,
        preferred: Preferred {
            key: Cow::Borrowed(HOST_KEY_ALGORITHMS),
            cipher: Cow::Borrowed(CIPHERS),
            ..Preferred::default()
        },
        // Idle shells are kept; dead peers are found by keepalives.
        inactivity_timeout: None,
        keepalive_interval: Some(tuning.keepalive_interval),
        keepalive_max: tuning.keepalive_count_max,
        nodelay: true,
        ..russh::server::Config::default()
    })
}

impl NodeServer {
    /// A node server for `config`; fails when the host certificate is not a host
    /// certificate for the host key.
    pub fn new(config: NodeConfig) -> Result<Self, NodeError> {
        let ssh = ssh_config(
            config.host_key.clone(),
            config.host_cert.clone(),
            &config.tuning,
        )?;
        Ok(NodeServer {
            shared: Arc::new(NodeShared::new(config)),
            ssh: Arc::new(RwLock::new(Arc::new(ssh))),
        })
    }

    /// Listens on `addr` (such as `0.0.0.0:3022`, or `127.0.0.1:0` for any free port).
    pub async fn bind(
        self,
        addr: impl ToSocketAddrs + std::fmt::Display,
    ) -> Result<RunningNode, NodeError> {
        let shown = addr.to_string();
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| NodeError::Bind {
                addr: shown,
                source,
            })?;
        self.serve(listener)
    }

    /// Serves connections accepted on `listener`.
    pub fn serve(self, listener: TcpListener) -> Result<RunningNode, NodeError> {
        let local_addr = listener.local_addr().map_err(|source| NodeError::Bind {
            addr: "listener".into(),
            source,
        })?;
        let (stop, mut stopped) = watch::channel(false);
        let shared = self.shared;
        let ssh = Arc::clone(&self.ssh);
        let tuning = shared.tuning.clone();
        info!(addr = %local_addr, node = %shared.nodename, "node SSH service listening");
        let task = tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = stopped.changed() => return,
                    accepted = listener.accept() => accepted,
                };
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(err) => {
                        warn!(error = %err, "accepting a connection failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let local = stream.local_addr().unwrap_or(local_addr);
                let config = Arc::clone(&ssh.read().unwrap_or_else(PoisonError::into_inner));
                tokio::spawn(serve_connection(
                    Arc::clone(&shared),
                    config,
                    stream,
                    peer,
                    local,
                ));
            }
        });
        Ok(RunningNode {
            local_addr,
            stop,
            task: Some(task),
            ssh: self.ssh,
            tuning,
        })
    }
}

async fn serve_connection(
    shared: Arc<NodeShared>,
    config: Arc<russh::server::Config>,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
) {
    let trace = Arc::new(AuthTrace::default());
    let handler = Connection::new(Arc::clone(&shared), peer, local, Arc::clone(&trace));
    let setup = tokio::time::timeout(
        LOGIN_GRACE,
        russh::server::run_stream(config, stream, handler),
    );
    match setup.await {
        Ok(Ok(mut session)) => {
            // A client that has not logged in within the grace time is dropped, as
            // OpenSSH's LoginGraceTime does; idle sessions after login are kept.
            let result = match tokio::time::timeout(LOGIN_GRACE, &mut session).await {
                Ok(result) => result,
                Err(_) if !trace.authenticated() => {
                    let _ = session
                        .handle()
                        .disconnect(
                            russh::Disconnect::ByApplication,
                            "login grace time exceeded".into(),
                            String::new(),
                        )
                        .await;
                    session.await
                }
                Err(_) => session.await,
            };
            if let Err(err) = result {
                debug!(peer = %peer, error = %err, "SSH connection ended with an error");
            }
        }
        Ok(Err(err)) => debug!(peer = %peer, error = %err, "SSH connection setup failed"),
        Err(_) => debug!(peer = %peer, "SSH connection setup timed out"),
    }
    crate::conn::audit_silent_failure(&shared, &trace, peer, local).await;
}

impl RunningNode {
    /// The address the node listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Presents `cert` (for `key`) to connections accepted from now on, such as a host
    /// certificate renewed after a CA rotation.
    pub fn set_host_certificate(
        &self,
        key: PrivateKey,
        cert: Certificate,
    ) -> Result<(), NodeError> {
        let config = ssh_config(key, cert, &self.tuning)?;
        *self.ssh.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(config);
        Ok(())
    }

    /// Stops accepting connections and waits for the accept loop to end. Sessions
    /// already running go on until their clients leave.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore as _;
    use russh::keys::ssh_key::certificate::Builder;
    use russh::keys::ssh_key::private::Ed25519Keypair;

    fn key() -> PrivateKey {
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        PrivateKey::from(Ed25519Keypair::from_seed(&seed))
    }

    fn cert(ca: &PrivateKey, subject: &PrivateKey, cert_type: CertType) -> Certificate {
        let mut b = Builder::new(
            vec![0u8; 32],
            subject.public_key().key_data().clone(),
            0,
            u64::MAX,
        )
        .unwrap();
        b.cert_type(cert_type).unwrap();
        b.key_id("node").unwrap();
        b.valid_principal("node").unwrap();
        b.sign(ca).unwrap()
    }

    #[test]
    fn the_host_certificate_must_be_a_host_certificate_for_the_host_key() {
        let (ca, host, other) = (key(), key(), key());
        let tuning = SshTuning::default();
        ssh_config(host.clone(), cert(&ca, &host, CertType::Host), &tuning).unwrap();
        let err = ssh_config(host.clone(), cert(&ca, &other, CertType::Host), &tuning).unwrap_err();
        assert!(err.to_string().contains("another key"), "{err}");
        let err = ssh_config(host.clone(), cert(&ca, &host, CertType::User), &tuning).unwrap_err();
        assert!(err.to_string().contains("not a host certificate"), "{err}");
        let config = ssh_config(host.clone(), cert(&ca, &host, CertType::Host), &tuning).unwrap();
        assert_eq!(config.window_size, 16 * 1024 * 1024);
        assert_eq!(config.preferred.cipher[0], cipher::AES_256_GCM);
        assert!(!config
            .preferred
            .key
            .contains(&Algorithm::Rsa { hash: None }));
    }
}
