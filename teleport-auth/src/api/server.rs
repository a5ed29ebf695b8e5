//! [`AuthServer`]: the auth API's listener. Each connection is TLS (client certificate
//! optional), then HTTP/1.1; the caller's identity comes from its verified certificate.
//!
//! Refusals by a security check are audited as `auth` (T3007W) events: a TLS handshake
//! that rustls refused (a client certificate from another CA or expired, no common
//! protocol version or ALPN protocol) here, where the rustls error is known, and the
//! routes' 401s and 403s in [`routes`]. Recording never fails the server: an event
//! that cannot be written within [`AUDIT_TIMEOUT`] is logged as a warning and dropped.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use teleport_audit::event::{AuthAttempt, ConnectionMetadata, Status, UserMetadata};
use teleport_audit::sink::AuditSink;
use teleport_audit::{AuditEvent, EventPayload};
use teleport_core::SharedClock;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use super::error::{ApiError, Result};
use super::limiter::RateLimiter;
use super::routes::{self, error_response};
use super::tls;
use crate::ca::{CertAuthority, TlsCertRequest, TlsIdentity, TlsPublicKey, TlsUsage};
use crate::local::Authenticator;
use crate::login::UserCertIssuer;
use crate::presence::Presence;
use crate::resources::ResourceService;
use crate::services::AuthServices;
use crate::tokens::TokenService;
use crate::users::UserService;

/// The largest request body accepted: 1 MiB.
pub const MAX_BODY: usize = 1024 * 1024;

/// How long a client has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client has to send a request's headers, and then its body.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long recording one refusal in the audit log may take before it is given up.
pub(crate) const AUDIT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the auth server's own TLS certificate is valid (re-issued at each start).
const SERVER_CERT_TTL: time::Duration = time::Duration::days(365);

/// What the auth server needs besides its services.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthServerConfig {
    /// Public addresses (`auth.example.com:3025`) and names the server's certificate
    /// must also be valid for, besides `localhost`, `127.0.0.1` and `::1`.
    pub public_addrs: Vec<String>,
    /// The host's name, added to the certificate's names.
    pub hostname: String,
    /// The auth server's host id (the certificate's user name is `<id>.<cluster>`).
    pub host_uuid: String,
}

/// Who is calling, as its TLS client certificate says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Caller {
    /// No client certificate.
    Anonymous,
    /// A certificate from the cluster's CA, with its identity and role.
    Identified {
        /// The identity in the certificate.
        identity: TlsIdentity,
        /// The role it gives.
        role: CallerRole,
    },
    /// A certificate from the cluster's CA that carries no usable identity.
    Invalid(String),
}

/// The role of a caller, from its certificate's system role (none: a user).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallerRole {
    /// The local administrator (`tctl` on the auth host).
    Admin,
    /// Another auth server.
    Auth,
    /// An SSH node.
    Node,
    /// A proxy.
    Proxy,
    /// A user.
    User,
    /// Another system role, which no route admits yet.
    Other(String),
}

impl CallerRole {
    /// The role's name in messages.
    pub fn as_str(&self) -> &str {
        match self {
            CallerRole::Admin => "Admin",
            CallerRole::Auth => "Auth",
            CallerRole::Node => "Node",
            CallerRole::Proxy => "Proxy",
            CallerRole::User => "User",
            CallerRole::Other(name) => name,
        }
    }

    fn of(identity: &TlsIdentity) -> CallerRole {
        match identity.system_role.as_deref() {
            None => CallerRole::User,
            Some("Admin") => CallerRole::Admin,
            Some("Auth") => CallerRole::Auth,
            Some("Node") => CallerRole::Node,
            Some("Proxy") => CallerRole::Proxy,
            Some(other) => CallerRole::Other(other.to_string()),
        }
    }
}

/// What every connection's handler shares.
pub(crate) struct State {
    pub(crate) ca: Arc<dyn CertAuthority>,
    pub(crate) tokens: Arc<TokenService>,
    pub(crate) presence: Arc<Presence>,
    pub(crate) audit: Arc<dyn AuditSink>,
    pub(crate) clock: SharedClock,
    pub(crate) users: Arc<UserService>,
    pub(crate) resources: Arc<ResourceService>,
    pub(crate) authenticator: Arc<dyn Authenticator>,
    pub(crate) issuer: UserCertIssuer,
    pub(crate) limiter: RateLimiter,
}

/// The two ends of a connection, for the audit log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer {
    /// The server's end.
    pub(crate) local: SocketAddr,
    /// The client's end.
    pub(crate) remote: SocketAddr,
}

impl State {
    /// Records that a security check refused `user` (empty when unknown) from `peer`
    /// because of `reason`, as an `auth` (T3007W) event. A sink that fails or takes
    /// longer than [`AUDIT_TIMEOUT`] is logged as a warning; the refusal stands.
    pub(crate) async fn audit_refusal(&self, peer: Peer, user: &str, reason: String) {
        let event = AuditEvent::new(
            EventPayload::AuthAttempt(AuthAttempt {
                user: UserMetadata {
                    user: user.to_string(),
                    login: String::new(),
                },
                connection: ConnectionMetadata {
                    local_addr: peer.local.to_string(),
                    remote_addr: peer.remote.to_string(),
                },
                status: Status::failed(reason),
            }),
            self.ca.cluster_name(),
            self.clock.as_ref(),
        );
        match tokio::time::timeout(AUDIT_TIMEOUT, self.audit.emit(event)).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                tracing::warn!(remote = %peer.remote, "an auth API refusal could not be audited: {err}");
            }
            Err(_) => {
                tracing::warn!(remote = %peer.remote, "an auth API refusal could not be audited in {AUDIT_TIMEOUT:?}");
            }
        }
    }
}

/// The auth API server, ready to serve.
pub struct AuthServer {
    state: Arc<State>,
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for AuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthServer")
            .field("cluster", &self.state.ca.cluster_name())
            .finish_non_exhaustive()
    }
}

/// The names a server certificate is issued for: `localhost`, the loopback
/// addresses, the host name and the public addresses (without their ports).
fn server_names(config: &AuthServerConfig) -> (Vec<String>, Vec<IpAddr>) {
    let mut dns = vec!["localhost".to_string()];
    let mut ips: Vec<IpAddr> = vec![[127, 0, 0, 1].into(), std::net::Ipv6Addr::LOCALHOST.into()];
    let hosts = config
        .public_addrs
        .iter()
        .map(|addr| host_of(addr))
        .chain(std::iter::once(config.hostname.as_str()));
    for host in hosts {
        add_name(host, &mut dns, &mut ips);
    }
    (dns, ips)
}

/// The host part of `host:port`, `[v6]:port`, or a bare host.
pub(crate) fn host_of(addr: &str) -> &str {
    if let Ok(sock) = addr.parse::<SocketAddr>() {
        return match sock {
            SocketAddr::V4(_) => addr.rsplit_once(':').map_or(addr, |(h, _)| h),
            SocketAddr::V6(_) => addr.rsplit_once(':').map_or(addr, |(h, _)| {
                h.trim_start_matches('[').trim_end_matches(']')
            }),
        };
    }
    if addr.parse::<IpAddr>().is_ok() {
        return addr;
    }
    match addr.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => addr,
    }
}

/// Adds `host` to the DNS names or IP addresses, skipping what is neither.
pub(crate) fn add_name(host: &str, dns: &mut Vec<String>, ips: &mut Vec<IpAddr>) {
    if let Ok(ip) = host.parse::<IpAddr>() {
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    } else if !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '*' | '_'))
        && !dns.iter().any(|d| d == host)
    {
        dns.push(host.to_string());
    }
}

impl AuthServer {
    /// An auth server answering with `services`: signing with its CA, checking join
    /// tokens, keeping heartbeats, managing users, resources and logins, and recording
    /// its own refusals (failed TLS handshakes, 401s, 403s) in its audit log. Its own
    /// TLS certificate is issued now by the cluster's TLS CA.
    pub async fn new(services: AuthServices, config: AuthServerConfig) -> Result<Self> {
        let AuthServices {
            ca,
            tokens,
            presence,
            users,
            resources,
            authenticator,
            audit,
            clock,
        } = services;
        let key = rcgen::KeyPair::generate()
            .map_err(|err| ApiError::Invalid(format!("server TLS key: {err}")))?;
        let (dns_names, ip_addrs) = server_names(&config);
        let host = if config.host_uuid.is_empty() {
            "auth".to_string()
        } else {
            config.host_uuid.clone()
        };
        let identity = TlsIdentity {
            username: format!("{host}.{}", ca.cluster_name()),
            roles: Vec::new(),
            system_role: Some("Auth".into()),
            cluster_name: ca.cluster_name().to_string(),
            logins: Vec::new(),
            expires: clock.now() + SERVER_CERT_TTL,
        };
        let cert = ca
            .sign_tls(TlsCertRequest {
                public_key: TlsPublicKey::SpkiPem(key.public_key_pem()),
                identity,
                usage: TlsUsage::Server,
                dns_names,
                ip_addrs,
            })
            .await
            .map_err(|err| ApiError::Invalid(format!("server TLS certificate: {err}")))?;
        let config = tls::server_config(&cert, &key.serialize_pem(), ca.tls_ca_pem())?;
        Ok(AuthServer {
            state: Arc::new(State {
                issuer: UserCertIssuer::new(
                    ca.clone(),
                    resources.clone(),
                    audit.clone(),
                    clock.clone(),
                ),
                ca,
                tokens,
                presence,
                audit,
                clock,
                users,
                resources,
                authenticator,
                limiter: RateLimiter::default(),
            }),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// Binds `addr` (such as `0.0.0.0:3025`, or port 0 in tests) and serves on it.
    pub async fn bind(self, addr: &str) -> Result<RunningServer> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ApiError::Connect {
                addr: addr.to_string(),
                source,
            })?;
        self.serve(listener)
    }

    /// Serves the auth API on `listener` until [`RunningServer::shutdown`].
    pub fn serve(self, listener: TcpListener) -> Result<RunningServer> {
        let addr = listener.local_addr().map_err(|source| ApiError::Connect {
            addr: "listener".into(),
            source,
        })?;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(self, listener, stopped));
        tracing::info!(%addr, "auth API listening");
        Ok(RunningServer {
            addr,
            stop: Some(stop),
            task,
        })
    }
}

/// A serving auth API: its address and its off switch. Dropping it stops it too.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, closes every open connection and waits until it is done.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(server: AuthServer, listener: TcpListener, mut stop: oneshot::Receiver<()>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let state = server.state.clone();
                    let acceptor = server.acceptor.clone();
                    conns.spawn(serve_connection(state, acceptor, stream, remote));
                }
                Err(err) => {
                    tracing::warn!("auth API accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    conns.shutdown().await;
}

fn caller_of(conn: &rustls::ServerConnection, cluster: &str) -> Caller {
    let Some(cert) = conn.peer_certificates().and_then(|certs| certs.first()) else {
        return Caller::Anonymous;
    };
    match TlsIdentity::from_certificate(cert) {
        Ok(identity) if identity.cluster_name == cluster => {
            let role = CallerRole::of(&identity);
            Caller::Identified { identity, role }
        }
        Ok(identity) => Caller::Invalid(format!(
            "the client certificate is for cluster {:?}, not {cluster:?}",
            identity.cluster_name
        )),
        Err(err) => Caller::Invalid(err.to_string()),
    }
}

async fn serve_connection(
    state: Arc<State>,
    acceptor: TlsAcceptor,
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
) {
    // The local address is only for the audit log: a socket that lost it still serves.
    let local = stream
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let peer = Peer { local, remote };
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(err)) => {
            tracing::info!(%remote, "auth API TLS handshake refused: {err}");
            // Only what this server's rustls refused is a security check's refusal; a
            // connection closed or reset mid-handshake (port probes, health checks) is
            // not, nor is a client's alert (the client refused this server, such as a
            // joining host whose CA pin does not match).
            if let Some(refused) = err
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .filter(|refused| !matches!(refused, rustls::Error::AlertReceived(_)))
            {
                state
                    .audit_refusal(peer, "", format!("TLS handshake refused: {refused}"))
                    .await;
            }
            return;
        }
        Err(_) => {
            tracing::info!(%remote, "auth API TLS handshake timed out");
            return;
        }
    };
    let caller = Arc::new(caller_of(tls.get_ref().1, state.ca.cluster_name()));
    let service = hyper::service::service_fn(move |req| {
        let state = state.clone();
        let caller = caller.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(&state, &caller, peer, req).await) }
    });
    if let Err(err) = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(REQUEST_TIMEOUT)
        .serve_connection(TokioIo::new(tls), service)
        .await
    {
        tracing::debug!(%remote, "auth API connection ended: {err}");
    }
}

async fn handle(
    state: &State,
    caller: &Caller,
    peer: Peer,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let collected = tokio::time::timeout(REQUEST_TIMEOUT, Limited::new(body, MAX_BODY).collect());
    let body = match collected.await {
        Err(_) => {
            return error_response(
                StatusCode::REQUEST_TIMEOUT,
                "the request body was not sent in time",
            )
        }
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(err)) => {
            if err
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return error_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the request body is larger than {MAX_BODY} bytes"),
                );
            }
            return error_response(
                StatusCode::BAD_REQUEST,
                format!("cannot read the request body: {err}"),
            );
        }
    };
    let request = routes::Request {
        method: &parts.method,
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        body: &body,
    };
    routes::route(state, caller, peer, request).await
}
