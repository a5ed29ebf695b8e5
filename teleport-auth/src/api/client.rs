//! [`AuthClient`]: the one typed client of the auth API, used by tctl, nodes and
//! proxies.

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{header, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use serde::de::DeserializeOwned;
use serde::Serialize;
use teleport_audit::AuditEvent;
use teleport_core::config::CaPin;
use teleport_core::resource::{read_resources_json, Kind, Resource, Server, SystemRole, User};
use tokio_rustls::TlsConnector;

use super::error::{ApiError, Result};
use super::identity::Identity;
use super::server::host_of;
use super::tls::{self, SeenSlot, Trust};
use super::types::{
    AddTokenRequest, AddUserRequest, AddUserResponse, ErrorBody, ExportResponse, HeartbeatRequest,
    JoinRequest, JoinResponse, LoginRequest, PingResponse, SignUserRequest, SignupBeginRequest,
    SignupBeginResponse, SignupCompleteRequest, SignupCompleteResponse, StatusResponse, TokenEntry,
    UpdateUserRequest, UserCertsResponse, UserTokenResponse,
};
use crate::ca::{ca_pin_of, ExportKind};

/// How long dialing the auth server may take.
const DIAL_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest answer accepted: 16 MiB.
const MAX_ANSWER: usize = 16 * 1024 * 1024;

/// A client of one auth server. Requests share one connection, redialed when it
/// closes; every (re)dial checks the server against the client's [`Trust`].
pub struct AuthClient {
    addr: String,
    server_name: ServerName<'static>,
    connector: TlsConnector,
    trust: Trust,
    seen: SeenSlot,
    conn: tokio::sync::Mutex<Option<SendRequest<Full<Bytes>>>>,
}

impl std::fmt::Debug for AuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthClient")
            .field("addr", &self.addr)
            .field("trust", &self.trust)
            .finish_non_exhaustive()
    }
}

fn tls_error(addr: &str, err: impl std::fmt::Display) -> ApiError {
    ApiError::Tls {
        addr: addr.to_string(),
        message: err.to_string(),
    }
}

impl AuthClient {
    /// Connects to the auth server at `addr` (`host:port`), presenting `identity`'s
    /// certificate when given and trusting the server as `trust` says. The TLS
    /// handshake happens now: with [`Trust::Pin`], a server whose CA matches no pin
    /// fails here with [`ApiError::PinMismatch`] before anything is sent.
    pub async fn connect(addr: &str, identity: Option<&Identity>, trust: Trust) -> Result<Self> {
        let host = host_of(addr);
        let server_name = ServerName::try_from(host.to_string())
            .map_err(|err| ApiError::Invalid(format!("auth server address {addr:?}: {err}")))?;
        let seen = SeenSlot::default();
        let client = identity.map(|id| (id.tls_cert.as_str(), id.tls_private_key.as_str()));
        let config = tls::client_config(&trust, client, seen.clone())?;
        let client = AuthClient {
            addr: addr.to_string(),
            server_name,
            connector: TlsConnector::from(Arc::new(config)),
            trust,
            seen,
            conn: tokio::sync::Mutex::new(None),
        };
        let sender = client.dial().await?;
        *client.conn.lock().await = Some(sender);
        Ok(client)
    }

    /// The address this client dials.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The pin of the CA the server presented at the last handshake.
    pub fn server_ca_pin(&self) -> Option<CaPin> {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.ca_der.as_deref().and_then(|der| ca_pin_of(der).ok())
    }

    async fn dial(&self) -> Result<SendRequest<Full<Bytes>>> {
        let tcp = tokio::time::timeout(DIAL_TIMEOUT, tokio::net::TcpStream::connect(&self.addr))
            .await
            .map_err(|_| ApiError::Connect {
                addr: self.addr.clone(),
                source: std::io::Error::new(std::io::ErrorKind::TimedOut, "dial timed out"),
            })?
            .map_err(|source| ApiError::Connect {
                addr: self.addr.clone(),
                source,
            })?;
        let tls = match self.connector.connect(self.server_name.clone(), tcp).await {
            Ok(tls) => tls,
            Err(err) => {
                let mismatch = self
                    .seen
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .mismatch
                    .take();
                return Err(match (mismatch, &self.trust) {
                    (Some(got), Trust::Pin(expected)) => ApiError::PinMismatch {
                        expected: expected.clone(),
                        got,
                    },
                    _ => tls_error(&self.addr, err),
                });
            }
        };
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|err| tls_error(&self.addr, err))?;
        tokio::spawn(async move {
            if let Err(err) = conn.await {
                tracing::debug!("auth API client connection ended: {err}");
            }
        });
        Ok(sender)
    }

    /// Sends one request and decodes the JSON answer.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T> {
        let bytes = self.call_bytes(method, path, body).await?;
        serde_json::from_slice(&bytes).map_err(|err| ApiError::Decode(err.to_string()))
    }

    /// Sends one request and returns the body of a successful answer.
    async fn call_bytes(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Result<Bytes> {
        let mut guard = self.conn.lock().await;
        let mut sender = match guard.take() {
            Some(sender) if !sender.is_closed() => sender,
            _ => self.dial().await?,
        };
        if sender.ready().await.is_err() {
            sender = self.dial().await?;
        }
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.addr.as_str());
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|err| ApiError::Invalid(err.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|err| tls_error(&self.addr, err))?;
        *guard = Some(sender);
        drop(guard);
        let status = response.status();
        let bytes = Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|err| tls_error(&self.addr, err))?
            .to_bytes();
        if status.is_success() {
            return Ok(bytes);
        }
        Err(error_of(status, &bytes))
    }

    async fn call_json<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let bytes = serde_json::to_vec(body).map_err(|err| ApiError::Invalid(err.to_string()))?;
        self.call(method, path, Some(bytes)).await
    }

    /// `GET /v1/ping`: the cluster's name, the server's version and the CA pin.
    pub async fn ping(&self) -> Result<PingResponse> {
        self.call(Method::GET, "/v1/ping", None).await
    }

    /// `POST /v1/join`: trades a join token for the host's certificates.
    pub async fn join(&self, req: &JoinRequest) -> Result<JoinResponse> {
        self.call_json(Method::POST, "/v1/join", req).await
    }

    /// `GET /v1/status` (Admin): what `tctl status` prints.
    pub async fn status(&self) -> Result<StatusResponse> {
        self.call(Method::GET, "/v1/status", None).await
    }

    /// `POST /v1/tokens` (Admin): makes a join token for `roles`, valid for `ttl`
    /// (default 30 minutes), random unless `token` is given.
    pub async fn add_token(
        &self,
        roles: Vec<SystemRole>,
        ttl: Option<Duration>,
        token: Option<String>,
    ) -> Result<TokenEntry> {
        let req = AddTokenRequest {
            roles,
            ttl_secs: ttl.map(|ttl| ttl.as_secs()),
            token,
        };
        self.call_json(Method::POST, "/v1/tokens", &req).await
    }

    /// `GET /v1/tokens` (Admin): every usable token.
    pub async fn list_tokens(&self) -> Result<Vec<TokenEntry>> {
        self.call(Method::GET, "/v1/tokens", None).await
    }

    /// `DELETE /v1/tokens/{token}` (Admin): revokes a dynamic token.
    pub async fn delete_token(&self, token: &str) -> Result<()> {
        let path = format!("/v1/tokens/{}", percent_encode(token));
        let _: serde_json::Value = self.call(Method::DELETE, &path, None).await?;
        Ok(())
    }

    /// `POST /v1/presence/nodes`: announces a node (a node may announce only itself);
    /// returns it as stored.
    pub async fn heartbeat_node(&self, server: Server, ttl: Option<Duration>) -> Result<Server> {
        let req = HeartbeatRequest {
            server,
            ttl_secs: ttl.map(|ttl| ttl.as_secs()),
        };
        self.call_json(Method::POST, "/v1/presence/nodes", &req)
            .await
    }

    /// `POST /v1/presence/proxies`: announces a proxy (a proxy may announce only
    /// itself).
    pub async fn heartbeat_proxy(&self, server: Server, ttl: Option<Duration>) -> Result<Server> {
        let req = HeartbeatRequest {
            server,
            ttl_secs: ttl.map(|ttl| ttl.as_secs()),
        };
        self.call_json(Method::POST, "/v1/presence/proxies", &req)
            .await
    }

    /// `GET /v1/presence/nodes` (Admin, Proxy): the live nodes.
    pub async fn list_nodes(&self) -> Result<Vec<Server>> {
        self.call(Method::GET, "/v1/presence/nodes", None).await
    }

    /// `GET /v1/presence/proxies` (Admin, Proxy): the live proxies.
    pub async fn list_proxies(&self) -> Result<Vec<Server>> {
        self.call(Method::GET, "/v1/presence/proxies", None).await
    }

    /// `GET /v1/authorities/{kind}/export` (Admin): the CA keys as `tctl auth export`
    /// prints them.
    pub async fn export(&self, kind: ExportKind) -> Result<String> {
        let flag = match kind {
            ExportKind::Host => "host",
            ExportKind::User => "user",
            ExportKind::UserTrustedCaKeys => "user-ca-keys",
            ExportKind::Tls => "tls",
        };
        let path = format!("/v1/authorities/{flag}/export");
        let answer: ExportResponse = self.call(Method::GET, &path, None).await?;
        Ok(answer.text)
    }

    /// `POST /v1/users` (Admin): `tctl users add`; the user and its signup token.
    /// Without `logins` the only login is the user name.
    pub async fn add_user(
        &self,
        name: &str,
        logins: Option<Vec<String>>,
        roles: Vec<String>,
    ) -> Result<AddUserResponse> {
        let req = AddUserRequest {
            name: name.to_string(),
            logins,
            roles,
        };
        self.call_json(Method::POST, "/v1/users", &req).await
    }

    /// `GET /v1/users` (Admin): every user, sorted by name, without secrets.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        self.call(Method::GET, "/v1/users", None).await
    }

    /// `PUT /v1/users/{name}` (Admin): replaces the roles and/or the logins; returns
    /// the user as stored.
    pub async fn update_user(
        &self,
        name: &str,
        set_roles: Option<Vec<String>>,
        set_logins: Option<Vec<String>>,
    ) -> Result<User> {
        let path = format!("/v1/users/{}", percent_encode(name));
        let req = UpdateUserRequest {
            set_roles,
            set_logins,
        };
        self.call_json(Method::PUT, &path, &req).await
    }

    /// `DELETE /v1/users/{name}` (Admin): deletes the user and its tokens.
    pub async fn delete_user(&self, name: &str) -> Result<()> {
        let path = format!("/v1/users/{}", percent_encode(name));
        let _: serde_json::Value = self.call(Method::DELETE, &path, None).await?;
        Ok(())
    }

    /// `POST /v1/users/{name}/reset` (Admin): a password reset token for the user.
    pub async fn reset_user(&self, name: &str) -> Result<UserTokenResponse> {
        let path = format!("/v1/users/{}/reset", percent_encode(name));
        self.call(Method::POST, &path, Some(b"{}".to_vec())).await
    }

    /// `POST /v1/signup/begin` (no certificate needed): checks a signup or reset token
    /// and, when the cluster requires it, returns a new TOTP key to register.
    pub async fn signup_begin(&self, token: &str) -> Result<SignupBeginResponse> {
        let req = SignupBeginRequest {
            token: token.to_string(),
        };
        self.call_json(Method::POST, "/v1/signup/begin", &req).await
    }

    /// `POST /v1/signup/complete` (no certificate needed): sets the password and,
    /// when `begin` said so, confirms the TOTP device with `otp_code`. A token works
    /// once.
    pub async fn signup_complete(
        &self,
        token: &str,
        password: &str,
        otp_code: Option<String>,
    ) -> Result<User> {
        let req = SignupCompleteRequest {
            token: token.to_string(),
            password: password.to_string(),
            otp_code,
        };
        let answer: SignupCompleteResponse = self
            .call_json(Method::POST, "/v1/signup/complete", &req)
            .await?;
        Ok(answer.user)
    }

    /// `POST /v1/events` (Node, Proxy): writes `event` to the cluster's audit log.
    pub async fn emit_event(&self, event: &AuditEvent) -> Result<()> {
        let _: serde_json::Value = self.call_json(Method::POST, "/v1/events", event).await?;
        Ok(())
    }

    /// `POST /v1/login` (no certificate needed): a user's password (and one-time code)
    /// for certificates of the given public keys.
    pub async fn login(&self, req: &LoginRequest) -> Result<UserCertsResponse> {
        self.call_json(Method::POST, "/v1/login", req).await
    }

    /// `POST /v1/certs/user` (Admin): `tctl auth sign --user`, certificates without a
    /// password.
    pub async fn sign_user(&self, req: &SignUserRequest) -> Result<UserCertsResponse> {
        self.call_json(Method::POST, "/v1/certs/user", req).await
    }

    /// `GET /v1/resources/{kind}`: every resource of `kind`; with `secrets` (Admin
    /// only) private keys, password hashes and client secrets included.
    pub async fn list_resources(&self, kind: Kind, secrets: bool) -> Result<Vec<Resource>> {
        let path = format!("/v1/resources/{}{}", kind.as_str(), secrets_query(secrets));
        self.resources(Method::GET, &path, None).await
    }

    /// `GET /v1/resources/{kind}/{name}`: the resource (for `cert_authority`, both the
    /// user and the host CA of that cluster).
    pub async fn get_resource(
        &self,
        kind: Kind,
        name: &str,
        secrets: bool,
    ) -> Result<Vec<Resource>> {
        let path = format!(
            "/v1/resources/{}/{}{}",
            kind.as_str(),
            percent_encode(name),
            secrets_query(secrets)
        );
        self.resources(Method::GET, &path, None).await
    }

    /// `POST /v1/resources`: `tctl create` (`force`: `tctl create -f`, replacing an
    /// existing resource). Returns the resource as stored, without secrets.
    pub async fn put_resource(&self, resource: &Resource, force: bool) -> Result<Resource> {
        let body =
            serde_json::to_vec(resource).map_err(|err| ApiError::Invalid(err.to_string()))?;
        let path = if force {
            "/v1/resources?force=1"
        } else {
            "/v1/resources"
        };
        let mut stored = self.resources(Method::POST, path, Some(body)).await?;
        stored
            .pop()
            .ok_or_else(|| ApiError::Decode("the server returned no resource".into()))
    }

    /// `DELETE /v1/resources/{kind}/{name}`: `tctl rm kind/name`.
    pub async fn delete_resource(&self, kind: Kind, name: &str) -> Result<()> {
        let path = format!("/v1/resources/{}/{}", kind.as_str(), percent_encode(name));
        let _: serde_json::Value = self.call(Method::DELETE, &path, None).await?;
        Ok(())
    }

    async fn resources(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<Resource>> {
        let bytes = self.call_bytes(method, path, body).await?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| ApiError::Decode("the resources are not UTF-8".into()))?;
        read_resources_json(text, "the auth server's answer")
            .map_err(|err| ApiError::Decode(err.to_string()))
    }

    /// Sends `body` as is to `path` (for tests of malformed requests); the answer is
    /// returned as JSON.
    #[doc(hidden)]
    pub async fn raw_post(&self, path: &str, body: Vec<u8>) -> Result<serde_json::Value> {
        self.call(Method::POST, path, Some(body)).await
    }
}

/// The error an error answer stands for.
fn error_of(status: StatusCode, bytes: &[u8]) -> ApiError {
    let body: Option<ErrorBody> = serde_json::from_slice(bytes).ok();
    let message = body
        .as_ref()
        .map(|b| b.error.clone())
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).into_owned());
    match status {
        StatusCode::UNAUTHORIZED => ApiError::Unauthorized { message },
        StatusCode::FORBIDDEN => match body.and_then(|b| b.role.zip(b.route)) {
            Some((role, route)) => ApiError::Forbidden { role, route },
            None => ApiError::AccessDenied { message },
        },
        StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE => ApiError::BadRequest { message },
        StatusCode::NOT_FOUND => ApiError::NotFound { message },
        StatusCode::CONFLICT => ApiError::Conflict { message },
        other => ApiError::Server {
            status: other.as_u16(),
            message,
        },
    }
}

fn secrets_query(secrets: bool) -> &'static str {
    if secrets {
        "?secrets=1"
    } else {
        ""
    }
}

/// Escapes what is not an unreserved URL character.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
