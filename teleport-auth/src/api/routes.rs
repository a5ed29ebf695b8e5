//! The auth API's routes: one exhaustive match on (method, path), each route checking
//! the caller's role before doing anything.
//!
//! Every refusal by a role check (401 without a usable client certificate, 403 for a
//! role the route does not admit or a host announcing another host) is audited as an
//! `auth` (T3007W) event naming the caller's user when known, its address, the route
//! and the reason. Join refusals are audited by the token service as `instance.join`;
//! ordinary 400s and 404s are not audited.

mod access;
mod login;
mod resources;
mod users;

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{header, Method, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use teleport_audit::AuditEvent;
use teleport_core::resource::SystemRole;

use super::host::{sign_host, HostRequest};
use super::server::{Caller, CallerRole, Peer, State};
use super::types::{
    AddTokenRequest, ErrorBody, ExportResponse, HeartbeatRequest, JoinRequest, JoinResponse,
    PingResponse, StatusResponse, TokenEntry,
};
use crate::ca::{ExportKind, TlsIdentity};
use crate::presence::{PresenceError, ServerKind, DEFAULT_SERVER_TTL};
use crate::rbac::{VERB_CREATE, VERB_DELETE, VERB_LIST, VERB_UPDATE};
use crate::tokens::{JoinAttempt, TokenError, DEFAULT_TOKEN_TTL};

/// The answer type of every route.
pub(crate) type Answer = Response<Full<Bytes>>;

/// The CA rotation state shown while no rotation ever happened.
const NEVER_ROTATED: &str = "never updated";

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Answer {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

/// An error answer with `{"error": message}`.
pub(crate) fn error_response(status: StatusCode, message: impl Into<String>) -> Answer {
    json_response(
        status,
        &ErrorBody {
            error: message.into(),
            role: None,
            route: None,
        },
    )
}

/// A refused request: its status and error body.
pub(crate) struct Reject {
    status: StatusCode,
    body: ErrorBody,
    /// Set when a security check refused: what the audit log records.
    audit: Option<Box<Audited>>,
}

/// What the audit log records of a security check's refusal, besides the addresses.
struct Audited {
    /// The caller's user, empty when unknown.
    user: String,
    /// The route, as `METHOD /path` (with secrets in the path left out).
    route: String,
}

impl Reject {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Reject {
            status,
            body: ErrorBody {
                error: message.into(),
                role: None,
                route: None,
            },
            audit: None,
        }
    }

    /// This refusal, recorded in the audit log as `user`'s refusal on `route`.
    fn audited(mut self, user: &str, route: &str) -> Self {
        self.audit = Some(Box::new(Audited {
            user: user.to_string(),
            route: route.to_string(),
        }));
        self
    }

    /// The audit log's reason: the route, the status and the message.
    fn audit_reason(&self, route: &str) -> String {
        format!("{route}: {}: {}", self.status, self.body.error)
    }

    fn into_answer(self) -> Answer {
        json_response(self.status, &self.body)
    }
}

fn ok<T: Serialize>(value: &T) -> Answer {
    json_response(StatusCode::OK, value)
}

/// Parses a JSON body; malformed JSON is a 400 naming the problem.
fn parse<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, Reject> {
    serde_json::from_slice(body).map_err(|err| {
        Reject::new(
            StatusCode::BAD_REQUEST,
            format!("malformed {what} request body: {err}"),
        )
    })
}

/// Lets the caller through if its role is one of `allowed`: 401 without a usable
/// certificate, 403 naming the role and route otherwise; either refusal is audited.
fn require<'a>(
    caller: &'a Caller,
    allowed: &[CallerRole],
    route: &str,
) -> Result<(&'a TlsIdentity, &'a CallerRole), Reject> {
    match caller {
        Caller::Anonymous => Err(Reject::new(
            StatusCode::UNAUTHORIZED,
            format!("{route} needs a client certificate issued by the cluster's TLS CA"),
        )
        .audited("", route)),
        Caller::Invalid(why) => Err(Reject::new(
            StatusCode::UNAUTHORIZED,
            format!("the client certificate is not usable: {why}"),
        )
        .audited("", route)),
        Caller::Identified { identity, role } if allowed.contains(role) => Ok((identity, role)),
        Caller::Identified { identity, role } => Err(Reject {
            status: StatusCode::FORBIDDEN,
            body: ErrorBody {
                error: format!("role {} may not use {route}", role.as_str()),
                role: Some(role.as_str().to_string()),
                route: Some(route.to_string()),
            },
            audit: None,
        }
        .audited(&identity.username, route)),
    }
}

/// Decodes `%XX` escapes in a path segment.
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// One request, as the router sees it.
pub(crate) struct Request<'a> {
    /// The method.
    pub(crate) method: &'a Method,
    /// The path, without the query.
    pub(crate) path: &'a str,
    /// The query string (empty when none).
    pub(crate) query: &'a str,
    /// The body.
    pub(crate) body: &'a [u8],
}

/// Whether the query string `query` sets `name` to `1` or `true`.
fn query_flag(query: &str, name: &str) -> bool {
    query.split('&').any(|pair| match pair.split_once('=') {
        Some((key, value)) => key == name && matches!(value, "1" | "true" | "yes"),
        None => pair == name,
    })
}

/// Answers one request.
pub(crate) async fn route(state: &State, caller: &Caller, peer: Peer, req: Request<'_>) -> Answer {
    use access::authorize;
    use CallerRole::{Admin, Auth, Node, Proxy};
    let Request {
        method,
        path,
        query,
        body,
    } = req;
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let route = format!("{method} {path}");
    let result = match (method.clone(), segments.as_slice()) {
        (Method::GET, ["v1", "ping"]) => Ok(ping(state)),
        (Method::POST, ["v1", "login"]) => login::login(state, peer, body).await,
        (Method::POST, ["v1", "events"]) => {
            match require(caller, &[Admin, Auth, Node, Proxy], &route) {
                Ok((identity, _)) => emit_event(state, &identity.username, body).await,
                Err(answer) => Err(answer),
            }
        }
        (Method::POST, ["v1", "certs", "user"]) => match require(caller, &[Admin], &route) {
            Ok((identity, _)) => login::sign(state, &identity.username, peer, body).await,
            Err(answer) => Err(answer),
        },
        (Method::GET, ["v1", "resources", kind]) => {
            let secrets = query_flag(query, "secrets");
            resources::list(state, caller, kind, secrets, &route).await
        }
        (Method::GET, ["v1", "resources", kind, name]) => {
            let secrets = query_flag(query, "secrets");
            let route = format!("GET /v1/resources/{kind}/{{name}}");
            resources::get(state, caller, kind, name, secrets, &route).await
        }
        (Method::POST, ["v1", "resources"]) => {
            let force = query_flag(query, "force");
            resources::put(state, caller, body, force, &route).await
        }
        (Method::DELETE, ["v1", "resources", kind, name]) => {
            let route = format!("DELETE /v1/resources/{kind}/{{name}}");
            resources::delete(state, caller, kind, name, &route).await
        }
        (Method::POST, ["v1", "join"]) => join(state, peer.remote, body).await,
        (Method::GET, ["v1", "status"]) => {
            require(caller, &[Admin, Auth], &route).map(|_| status(state))
        }
        (Method::POST, ["v1", "tokens"]) => {
            match authorize(state, caller, &[Admin, Auth], "token", VERB_CREATE, &route).await {
                Ok(identity) => add_token(state, &identity.username, body).await,
                Err(answer) => Err(answer),
            }
        }
        (Method::GET, ["v1", "tokens"]) => {
            match authorize(state, caller, &[Admin, Auth], "token", VERB_LIST, &route).await {
                Ok(_) => list_tokens(state).await,
                Err(answer) => Err(answer),
            }
        }
        (Method::DELETE, ["v1", "tokens", token]) => {
            let route = "DELETE /v1/tokens/{token}";
            match authorize(state, caller, &[Admin, Auth], "token", VERB_DELETE, route).await {
                Ok(identity) => delete_token(state, &identity.username, token).await,
                Err(answer) => Err(answer),
            }
        }
        (Method::POST, ["v1", "presence", "nodes"]) => {
            match require(caller, &[Admin, Auth, Node], &route) {
                Ok((identity, role)) => {
                    heartbeat(state, identity, role, ServerKind::Node, body).await
                }
                Err(answer) => Err(answer),
            }
        }
        (Method::POST, ["v1", "presence", "proxies"]) => {
            match require(caller, &[Admin, Auth, Proxy], &route) {
                Ok((identity, role)) => {
                    heartbeat(state, identity, role, ServerKind::Proxy, body).await
                }
                Err(answer) => Err(answer),
            }
        }
        (Method::GET, ["v1", "presence", kind @ ("nodes" | "proxies")]) => {
            let kind = if *kind == "nodes" {
                ServerKind::Node
            } else {
                ServerKind::Proxy
            };
            let allowed = authorize(
                state,
                caller,
                &[Admin, Auth, Proxy],
                kind.as_str(),
                VERB_LIST,
                &route,
            );
            match allowed.await {
                Ok(_) => list_servers(state, kind).await,
                Err(answer) => Err(answer),
            }
        }
        (Method::GET, ["v1", "authorities", kind, "export"]) => {
            require(caller, &[Admin, Auth], &route).and_then(|_| export(state, kind))
        }
        (Method::POST, ["v1", "users"]) => {
            match authorize(state, caller, &[Admin, Auth], "user", VERB_CREATE, &route).await {
                Ok(identity) => users::add(state, &identity.username, body).await,
                Err(answer) => Err(answer),
            }
        }
        (Method::GET, ["v1", "users"]) => {
            match authorize(state, caller, &[Admin, Auth], "user", VERB_LIST, &route).await {
                Ok(_) => users::list(state).await,
                Err(answer) => Err(answer),
            }
        }
        (Method::PUT, ["v1", "users", name]) => {
            let route = "PUT /v1/users/{name}";
            match authorize(state, caller, &[Admin, Auth], "user", VERB_UPDATE, route).await {
                Ok(identity) => users::update(state, &identity.username, name, body).await,
                Err(answer) => Err(answer),
            }
        }
        (Method::DELETE, ["v1", "users", name]) => {
            let route = "DELETE /v1/users/{name}";
            match authorize(state, caller, &[Admin, Auth], "user", VERB_DELETE, route).await {
                Ok(identity) => users::delete(state, &identity.username, name).await,
                Err(answer) => Err(answer),
            }
        }
        (Method::POST, ["v1", "users", name, "reset"]) => {
            let route = "POST /v1/users/{name}/reset";
            match authorize(state, caller, &[Admin, Auth], "user", VERB_UPDATE, route).await {
                Ok(identity) => users::reset(state, &identity.username, name).await,
                Err(answer) => Err(answer),
            }
        }
        (Method::POST, ["v1", "signup", "begin"]) => match login::limit(state, peer) {
            Ok(()) => users::signup_begin(state, body).await,
            Err(answer) => Err(answer),
        },
        (Method::POST, ["v1", "signup", "complete"]) => match login::limit(state, peer) {
            Ok(()) => users::signup_complete(state, body).await,
            Err(answer) => Err(answer),
        },
        (
            _,
            ["v1", "ping" | "join" | "status" | "tokens" | "users" | "login" | "resources" | "events"]
            | ["v1", "certs", "user"]
            | ["v1", "resources", _]
            | ["v1", "resources", _, _]
            | ["v1", "tokens" | "users", _]
            | ["v1", "users", _, "reset"]
            | ["v1", "signup", "begin" | "complete"]
            | ["v1", "presence", "nodes" | "proxies"]
            | ["v1", "authorities", _, "export"],
        ) => Err(Reject::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{route}: method not allowed"),
        )),
        _ => Err(Reject::new(
            StatusCode::NOT_FOUND,
            format!("no route {route}"),
        )),
    };
    match result {
        Ok(answer) => answer,
        Err(reject) => {
            if let Some(audited) = &reject.audit {
                let reason = reject.audit_reason(&audited.route);
                state.audit_refusal(peer, &audited.user, reason).await;
            }
            reject.into_answer()
        }
    }
}

fn ping(state: &State) -> Answer {
    ok(&PingResponse {
        cluster_name: state.ca.cluster_name().to_string(),
        server_version: env!("CARGO_PKG_VERSION").to_string(),
        ca_pin: state.ca.ca_pin(),
    })
}

fn status(state: &State) -> Answer {
    ok(&StatusResponse {
        cluster_name: state.ca.cluster_name().to_string(),
        ca_pin: state.ca.ca_pin(),
        user_ca_rotation: NEVER_ROTATED.to_string(),
        host_ca_rotation: NEVER_ROTATED.to_string(),
    })
}

fn token_error(err: TokenError) -> Reject {
    let status = match &err {
        TokenError::NotFound { .. } => StatusCode::NOT_FOUND,
        TokenError::AlreadyExists { .. } => StatusCode::CONFLICT,
        TokenError::StaticToken { .. }
        | TokenError::BadRole { .. }
        | TokenError::NoRoles
        | TokenError::BadToken { .. }
        | TokenError::BadTtl { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Reject::new(status, err.to_string())
}

fn is_host_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 128
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

async fn join(state: &State, remote: SocketAddr, body: &[u8]) -> Result<Answer, Reject> {
    let req: JoinRequest = parse(body, "join")?;
    let bad = |message: String| Reject::new(StatusCode::BAD_REQUEST, message);
    if !is_host_id(&req.host_uuid) {
        return Err(bad(format!("invalid host id {:?}", req.host_uuid)));
    }
    let attempt = JoinAttempt::new(req.role, remote.to_string())
        .with_host(req.host_uuid.clone(), req.nodename.clone());
    // Every attempt is checked, and audited, before anything else is looked at.
    if let Err(err) = state.tokens.validate(&req.token, &attempt).await {
        return Err(match err {
            TokenError::NotFound { .. }
            | TokenError::Expired { .. }
            | TokenError::WrongRole { .. } => Reject::new(StatusCode::FORBIDDEN, err.to_string()),
            other => token_error(other),
        });
    }
    if !matches!(
        req.role,
        SystemRole::Node | SystemRole::Proxy | SystemRole::Auth
    ) {
        return Err(bad(format!(
            "joining as {} is not supported yet: only Node, Proxy and Auth",
            req.role
        )));
    }
    let host = HostRequest {
        host_uuid: &req.host_uuid,
        nodename: &req.nodename,
        role: req.role,
        additional_principals: &req.additional_principals,
        ssh_public_key: &req.ssh_public_key,
        tls_public_key: &req.tls_public_key,
    };
    let (ssh_cert, tls_cert) = sign_host(state.ca.as_ref(), state.clock.as_ref(), &host)
        .await
        .map_err(|err| bad(err.to_string()))?;
    let cluster = state.ca.cluster_name().to_string();
    tracing::info!(host_uuid = %req.host_uuid, role = %req.role, %remote, "host joined");
    Ok(ok(&JoinResponse {
        cluster_name: cluster,
        ssh_cert,
        tls_cert,
        tls_ca: state.ca.tls_ca_pem().to_string(),
        ssh_host_ca: state.ca.export(ExportKind::Host),
        ssh_user_ca: state.ca.export(ExportKind::UserTrustedCaKeys),
    }))
}

/// `POST /v1/events`: an event a node or proxy recorded, written to the cluster's
/// audit log under this cluster's name.
async fn emit_event(state: &State, by: &str, body: &[u8]) -> Result<Answer, Reject> {
    let mut event: AuditEvent = parse(body, "audit event")?;
    event.common.cluster_name = state.ca.cluster_name().to_string();
    state.audit.emit(event).await.map_err(|err| {
        tracing::warn!(from = by, "cannot write a forwarded audit event: {err}");
        Reject::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the audit log cannot write the event: {err}"),
        )
    })?;
    Ok(ok(&serde_json::json!({})))
}

async fn add_token(state: &State, by: &str, body: &[u8]) -> Result<Answer, Reject> {
    let req: AddTokenRequest = parse(body, "token")?;
    let ttl = req.ttl_secs.map_or(DEFAULT_TOKEN_TTL, Duration::from_secs);
    let token = state
        .tokens
        .add(by, req.roles, ttl, req.token)
        .await
        .map_err(token_error)?;
    Ok(ok(&TokenEntry {
        token: token.name().to_string(),
        roles: token.spec.roles.clone(),
        expires: token.metadata.expires,
        is_static: false,
    }))
}

async fn list_tokens(state: &State) -> Result<Answer, Reject> {
    let tokens = state.tokens.list().await.map_err(token_error)?;
    let entries: Vec<TokenEntry> = tokens
        .into_iter()
        .map(|info| TokenEntry {
            token: info.token,
            roles: info.roles,
            expires: info.expires,
            is_static: info.is_static,
        })
        .collect();
    Ok(ok(&entries))
}

async fn delete_token(state: &State, by: &str, token: &str) -> Result<Answer, Reject> {
    let token = percent_decode(token)
        .ok_or_else(|| Reject::new(StatusCode::BAD_REQUEST, "malformed token in the path"))?;
    state.tokens.delete(by, &token).await.map_err(token_error)?;
    Ok(ok(&serde_json::json!({})))
}

async fn heartbeat(
    state: &State,
    identity: &TlsIdentity,
    role: &CallerRole,
    kind: ServerKind,
    body: &[u8],
) -> Result<Answer, Reject> {
    let req: HeartbeatRequest = parse(body, "heartbeat")?;
    let name = req.server.name().to_string();
    if matches!(role, CallerRole::Node | CallerRole::Proxy) {
        let own = identity
            .username
            .strip_suffix(&format!(".{}", identity.cluster_name))
            .unwrap_or(&identity.username);
        if own != name {
            let route = format!(
                "POST /v1/presence/{}",
                if kind == ServerKind::Node {
                    "nodes"
                } else {
                    "proxies"
                }
            );
            return Err(Reject {
                status: StatusCode::FORBIDDEN,
                body: ErrorBody {
                    error: format!(
                        "{} {own} may only announce itself, not {name:?}",
                        role.as_str()
                    ),
                    role: Some(role.as_str().to_string()),
                    route: Some(route.clone()),
                },
                audit: None,
            }
            .audited(&identity.username, &route));
        }
    }
    let ttl = req.ttl_secs.map_or(DEFAULT_SERVER_TTL, Duration::from_secs);
    let stored = state
        .presence
        .upsert(kind, req.server, ttl)
        .await
        .map_err(|err| {
            let status = match &err {
                PresenceError::BadName { .. } | PresenceError::BadTtl { .. } => {
                    StatusCode::BAD_REQUEST
                }
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            Reject::new(status, err.to_string())
        })?;
    Ok(ok(&stored))
}

async fn list_servers(state: &State, kind: ServerKind) -> Result<Answer, Reject> {
    let servers = state
        .presence
        .list(kind)
        .await
        .map_err(|err| Reject::new(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()))?;
    Ok(ok(&servers))
}

fn export(state: &State, kind: &str) -> Result<Answer, Reject> {
    let kind = ExportKind::from_type_flag(kind).ok_or_else(|| {
        Reject::new(
            StatusCode::NOT_FOUND,
            format!("no CA export of type {kind:?}: expected host, user, user-ca-keys or tls"),
        )
    })?;
    Ok(ok(&ExportResponse {
        text: state.ca.export(kind),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("ab%2Fc").as_deref(), Some("ab/c"));
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        assert_eq!(percent_decode("bad%2"), None);
        assert_eq!(percent_decode("bad%zz"), None);
    }
}
