//! The auth API: HTTP + JSON over TLS with client certificates (rustls), on
//! `auth_service.listen_addr` (default `0.0.0.0:3025`).
//!
//! A caller's identity and role (Admin, Node, Proxy, User) come from its TLS client
//! certificate, which must be issued by the cluster's TLS CA and valid: a certificate
//! from another CA or an expired one fails the handshake. Only `ping`, `join` and
//! the signup routes answer without a certificate (others: 401); every other route
//! checks the role (403 naming the role and the route).
//!
//! | route | who |
//! |---|---|
//! | `GET /v1/ping` | anyone |
//! | `POST /v1/join` | anyone with a join token |
//! | `GET /v1/status` | Admin |
//! | `POST /v1/tokens`, `GET /v1/tokens`, `DELETE /v1/tokens/{token}` | Admin |
//! | `POST /v1/presence/nodes` | Node (itself only), Admin |
//! | `POST /v1/presence/proxies` | Proxy (itself only), Admin |
//! | `GET /v1/presence/nodes`, `GET /v1/presence/proxies` | Admin, Proxy |
//! | `GET /v1/authorities/{host,user,user-ca-keys,tls}/export` | Admin |
//! | `POST /v1/users`, `GET /v1/users`, `PUT /v1/users/{name}`, `DELETE /v1/users/{name}`, `POST /v1/users/{name}/reset` | Admin |
//! | `POST /v1/signup/begin`, `POST /v1/signup/complete` | anyone with a signup or reset token |
//! | `POST /v1/events` | Node, Proxy, Auth, Admin: an audit event to write |
//! | `POST /v1/login` | anyone with a password (and TOTP code) |
//! | `POST /v1/certs/user` | Admin |
//! | `/v1/resources/...` | see the resource routes |
//!
//! Auth servers (system role Auth) may do what Admin does. Bodies are capped at
//! [`MAX_BODY`]; malformed JSON is a 400 naming the problem.
//!
//! Every refusal by a security check is recorded in the audit log given to
//! [`AuthServer::new`] as an `auth` event (code T3007W, `success: false`) with the
//! client's address (`addr.remote`, `addr.local`), the caller's user when its
//! certificate names one, and in `error` the route and the reason: a TLS handshake
//! that rustls refused (a certificate from another CA, an expired one, no common
//! protocol), a 401 and a 403. Join refusals are recorded by the token service as
//! `instance.join`; ordinary 400s and 404s are not recorded. A sink that fails only
//! costs a warning in the log: the refusal stands and the server keeps serving.
//!
//! [`AuthClient`] is the one typed client; [`join`] is how hosts join, checking the
//! CA pin before the token is sent, and storing an [`Identity`] so later starts need
//! no token.

mod client;
mod error;
mod host;
mod identity;
mod join;
mod limiter;
mod remote_audit;
mod routes;
mod server;
mod tls;
mod types;

pub use client::AuthClient;
pub use error::{ApiError, Result};
pub use host::{issue_host_identity, HOST_TLS_TTL};
pub use identity::{issue_admin_identity, Identity, ADMIN_IDENTITY_TTL, ADMIN_USER};
pub use join::{join, JoinParams, NO_PIN_WARNING};
pub use limiter::RateLimiter;
pub use remote_audit::RemoteAuditSink;
pub use server::{AuthServer, AuthServerConfig, Caller, CallerRole, RunningServer, MAX_BODY};
pub use tls::Trust;
pub use types::{
    AddTokenRequest, AddUserRequest, AddUserResponse, ErrorBody, ExportResponse, HeartbeatRequest,
    JoinRequest, JoinResponse, LoginRequest, PingResponse, SignUserRequest, SignupBeginRequest,
    SignupBeginResponse, SignupCompleteRequest, SignupCompleteResponse, StatusResponse, TokenEntry,
    UpdateUserRequest, UserCertsResponse, UserTokenResponse,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<AuthClient>();
        assert_send_sync::<AuthServer>();
        assert_send_sync::<RunningServer>();
        assert_send_sync::<ApiError>();
        assert_send_sync::<Identity>();
    }

    #[test]
    fn debug_hides_secrets() {
        let req = JoinRequest {
            token: "supersecrettoken1234".into(),
            role: teleport_core::resource::SystemRole::Node,
            host_uuid: "u".into(),
            nodename: "n".into(),
            ssh_public_key: String::new(),
            tls_public_key: String::new(),
            additional_principals: Vec::new(),
        };
        assert!(!format!("{req:?}").contains("supersecret"));
        let identity = Identity {
            host_uuid: "u".into(),
            nodename: "n".into(),
            role: teleport_core::resource::SystemRole::Node,
            cluster_name: "c".into(),
            ssh_private_key: Some("PRIVATE-SSH".into()),
            ssh_cert: None,
            tls_private_key: "PRIVATE-TLS".into(),
            tls_cert: String::new(),
            tls_ca: String::new(),
            ssh_host_ca: String::new(),
            ssh_user_ca: String::new(),
        };
        let shown = format!("{identity:?}");
        assert!(!shown.contains("PRIVATE"), "{shown}");
    }
}
