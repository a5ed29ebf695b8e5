//! One SSH connection: authentication (user certificates only), the RBAC decision at
//! connect, and the channels the client opens.
//!
//! Every refused authentication is an `auth` audit event (T3007W) naming the user (the
//! certificate's key id, when there was a certificate), the login, the client's
//! address and the reason.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use russh::keys::ssh_key::{Certificate, HashAlg};
use russh::server::{
    Auth, ChannelOpenHandle, Handler, Msg, PublicKeyOffer, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelId, ChannelOpenFailure};
use teleport_audit::event::{
    AuthAttempt, ConnectionMetadata, PortForward, SessionReject, Status, UserMetadata,
};
use teleport_audit::EventPayload;
use teleport_auth::rbac::RoleSet;
use tracing::{debug, info};

use crate::auth::{check_user_certificate, AuthRefusal, CertIdentity};
use crate::shared::NodeShared;

/// What authentication saw on a connection, kept beyond the handler's life so that a
/// connection refused without any refusal reaching our code is still audited.
#[derive(Debug, Default)]
pub(crate) struct AuthTrace {
    inner: Mutex<TraceState>,
}

#[derive(Debug, Default)]
struct TraceState {
    login: Option<String>,
    refusals_audited: usize,
    authenticated: bool,
}

impl AuthTrace {
    /// Whether a client logged in on the connection.
    pub(crate) fn authenticated(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .authenticated
    }

    fn update(&self, f: impl FnOnce(&mut TraceState)) {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// After a connection ends: a client that asked for a login, was never let in and got
/// no refusal from our code (russh refuses expired and not-yet-valid certificates and
/// bad signatures itself) is audited here, so that no failed login goes unrecorded.
pub(crate) async fn audit_silent_failure(
    node: &NodeShared,
    trace: &AuthTrace,
    peer: SocketAddr,
    local: SocketAddr,
) {
    let login = {
        let state = trace.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if state.authenticated || state.refusals_audited > 0 {
            return;
        }
        match &state.login {
            Some(login) => login.clone(),
            None => return,
        }
    };
    let reason = "no certificate was accepted: the client offered none, or only \
                  certificates that are expired, not yet valid or wrongly signed";
    emit_auth_failure(node, "", &login, peer, local, reason).await;
}

async fn emit_auth_failure(
    node: &NodeShared,
    user: &str,
    login: &str,
    peer: SocketAddr,
    local: SocketAddr,
    reason: &str,
) {
    info!(user, login, peer = %peer, reason, "refused an SSH login");
    node.emit(EventPayload::AuthAttempt(AuthAttempt {
        user: NodeShared::user_meta(user, login),
        connection: connection_meta(peer, local),
        status: Status::failed(reason),
    }))
    .await;
}

fn connection_meta(peer: SocketAddr, local: SocketAddr) -> ConnectionMetadata {
    ConnectionMetadata {
        local_addr: local.to_string(),
        remote_addr: peer.to_string(),
    }
}

/// An authenticated connection: who is logged in as whom, and what they may do.
#[derive(Debug)]
pub(crate) struct ConnContext {
    pub(crate) node: Arc<NodeShared>,
    /// The Teleport user.
    pub(crate) user: String,
    /// The OS login.
    pub(crate) login: String,
    pub(crate) peer: SocketAddr,
    pub(crate) local: SocketAddr,
    /// Whether the roles allow `direct-tcpip`.
    pub(crate) can_port_forward: bool,
    /// Whether the roles allow agent forwarding.
    pub(crate) can_forward_agent: bool,
    /// Whether the roles allow scp and sftp.
    pub(crate) can_copy_files: bool,
    /// Whether the certificate allows a terminal (`permit-pty`).
    pub(crate) permit_pty: bool,
}

impl ConnContext {
    pub(crate) fn user_meta(&self) -> UserMetadata {
        NodeShared::user_meta(&self.user, &self.login)
    }

    pub(crate) fn conn_meta(&self) -> ConnectionMetadata {
        connection_meta(self.peer, self.local)
    }

    pub(crate) fn server_meta(&self) -> teleport_audit::event::ServerMetadata {
        self.node.server_meta(&self.local.to_string())
    }

    /// Audits a refused request that has no event type of its own (agent forwarding,
    /// X11, remote forwarding) as `session.rejected` with `reason`.
    pub(crate) async fn audit_rejected(&self, reason: &str) {
        info!(user = %self.user, login = %self.login, reason, "refused a request");
        self.node
            .emit(EventPayload::SessionReject(SessionReject {
                user: self.user_meta(),
                server: self.server_meta(),
                connection: self.conn_meta(),
                reason: reason.to_string(),
                maximum: 0,
            }))
            .await;
    }
}

/// The russh handler of one connection.
pub(crate) struct Connection {
    node: Arc<NodeShared>,
    peer: SocketAddr,
    local: SocketAddr,
    trace: Arc<AuthTrace>,
    ctx: Option<Arc<ConnContext>>,
}

impl Connection {
    pub(crate) fn new(
        node: Arc<NodeShared>,
        peer: SocketAddr,
        local: SocketAddr,
        trace: Arc<AuthTrace>,
    ) -> Self {
        Connection {
            node,
            peer,
            local,
            trace,
            ctx: None,
        }
    }

    async fn refuse(&self, user: &str, login: &str, refusal: &AuthRefusal) -> Auth {
        self.trace.update(|t| t.refusals_audited += 1);
        emit_auth_failure(
            &self.node,
            user,
            login,
            self.peer,
            self.local,
            &refusal.to_string(),
        )
        .await;
        Auth::reject()
    }

    /// The certificate checks, then the roles' decision for this login on this node.
    async fn admit(&self, login: &str, cert: &Certificate) -> Result<ConnContext, AuthRefusal> {
        let now = u64::try_from(self.node.clock.now().unix_timestamp()).unwrap_or(0);
        let identity: CertIdentity = check_user_certificate(
            cert,
            login,
            self.peer.ip(),
            &self.node.user_cas.fingerprints(),
            now,
        )?;
        let roles = self
            .node
            .roles
            .roles(&identity.roles)
            .await
            .map_err(|err| AuthRefusal::Roles(err.to_string()))?;
        let roles = RoleSet::new(roles, &identity.traits)
            .map_err(|err| AuthRefusal::Roles(err.to_string()))?;
        roles.check_node_access(login, &self.node.labels.all())?;
        Ok(ConnContext {
            node: Arc::clone(&self.node),
            user: identity.user,
            login: login.to_string(),
            peer: self.peer,
            local: self.local,
            can_port_forward: roles.can_port_forward(),
            can_forward_agent: roles.can_forward_agent(),
            can_copy_files: roles.can_copy_files(),
            permit_pty: identity.permit_pty,
        })
    }
}

impl Handler for Connection {
    type Error = russh::Error;

    async fn auth_none(&mut self, user: &str) -> Result<Auth, Self::Error> {
        let login = user.to_string();
        self.trace.update(|t| t.login = Some(login));
        Ok(Auth::reject())
    }

    async fn auth_password(&mut self, user: &str, _password: &str) -> Result<Auth, Self::Error> {
        let refusal = AuthRefusal::MethodNotAccepted { method: "password" };
        Ok(self.refuse("", user, &refusal).await)
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        _response: Option<russh::server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        let refusal = AuthRefusal::MethodNotAccepted {
            method: "keyboard-interactive",
        };
        Ok(self.refuse("", user, &refusal).await)
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        _offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        // russh gives a certificate's key here too, without the certificate: the
        // decision waits for the signed request (auth_publickey or
        // auth_openssh_certificate).
        let login = user.to_string();
        self.trace.update(|t| t.login = Some(login));
        Ok(Auth::Accept)
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let refusal = AuthRefusal::NotACertificate {
            fingerprint: key.public_key.fingerprint(HashAlg::Sha256).to_string(),
        };
        Ok(self.refuse("", user, &refusal).await)
    }

    async fn auth_openssh_certificate(
        &mut self,
        user: &str,
        certificate: &Certificate,
    ) -> Result<Auth, Self::Error> {
        match self.admit(user, certificate).await {
            Ok(ctx) => {
                info!(user = %ctx.user, login = %ctx.login, peer = %self.peer, "accepted an SSH login");
                self.trace.update(|t| t.authenticated = true);
                self.ctx = Some(Arc::new(ctx));
                Ok(Auth::Accept)
            }
            Err(refusal) => Ok(self.refuse(certificate.key_id(), user, &refusal).await),
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(ctx) = self.ctx.clone() else {
            reply
                .reject(ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return Ok(());
        };
        reply.accept().await;
        tokio::spawn(crate::session::run(ctx, channel, session.handle()));
        Ok(())
    }

    async fn channel_open_direct_tcpip(
        &mut self,
        channel: Channel<Msg>,
        host_to_connect: &str,
        port_to_connect: u32,
        _originator_address: &str,
        _originator_port: u32,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(ctx) = self.ctx.clone() else {
            reply
                .reject(ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return Ok(());
        };
        let addr = format!("{host_to_connect}:{port_to_connect}");
        if !ctx.can_port_forward {
            reply
                .reject(ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            audit_port_forward(
                &ctx,
                &addr,
                Err("port forwarding is not allowed by the user's roles"),
            )
            .await;
            return Ok(());
        }
        tokio::spawn(crate::forward::direct_tcpip(ctx, channel, addr, reply));
        Ok(())
    }

    async fn channel_open_x11(
        &mut self,
        _channel: Channel<Msg>,
        _originator_address: &str,
        _originator_port: u32,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply
            .reject(ChannelOpenFailure::AdministrativelyProhibited)
            .await;
        Ok(())
    }

    async fn channel_open_direct_streamlocal(
        &mut self,
        _channel: Channel<Msg>,
        socket_path: &str,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply
            .reject(ChannelOpenFailure::AdministrativelyProhibited)
            .await;
        if let Some(ctx) = &self.ctx {
            ctx.audit_rejected(&format!(
                "forwarding to unix socket {socket_path:?} is not supported"
            ))
            .await;
        }
        Ok(())
    }

    async fn agent_request(
        &mut self,
        _channel: ChannelId,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        let Some(ctx) = &self.ctx else {
            return Ok(false);
        };
        if !ctx.can_forward_agent {
            ctx.audit_rejected("agent forwarding is not allowed by the user's roles")
                .await;
        }
        Ok(ctx.can_forward_agent)
    }

    async fn tcpip_forward(
        &mut self,
        address: &str,
        port: &mut u32,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        if let Some(ctx) = &self.ctx {
            ctx.audit_rejected(&format!(
                "remote port forwarding ({address}:{port}) is not supported"
            ))
            .await;
        }
        Ok(false)
    }

    async fn streamlocal_forward(
        &mut self,
        socket_path: &str,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        debug!(socket_path, "refused remote unix socket forwarding");
        Ok(false)
    }
}

/// Audits a `direct-tcpip` request: allowed and connected, or why not.
pub(crate) async fn audit_port_forward(ctx: &ConnContext, addr: &str, outcome: Result<(), &str>) {
    let status = match outcome {
        Ok(()) => Status::succeeded(),
        Err(reason) => {
            info!(user = %ctx.user, addr, reason, "refused a port forward");
            Status::failed(reason)
        }
    };
    ctx.node
        .emit(EventPayload::PortForward(PortForward {
            user: ctx.user_meta(),
            connection: ctx.conn_meta(),
            status,
            addr: addr.to_string(),
        }))
        .await;
}
