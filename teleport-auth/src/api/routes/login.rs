//! The certificate routes: `POST /v1/login` (password + OTP, no client certificate
//! needed, rate limited per address) and `POST /v1/certs/user` (`tctl auth sign`,
//! Admin only).

use std::time::Instant;

use hyper::StatusCode;
use russh::keys::ssh_key::PublicKey;
use teleport_core::resource::{Kind, Resource, User};

use super::{ok, parse, Answer, Reject};
use crate::api::server::{Peer, State};
use crate::api::types::{LoginRequest, SignUserRequest, UserCertsResponse};
use crate::ca::ExportKind;
use crate::local::{AuthError, Credentials, Password};
use crate::login::{LoginError, UserCerts, UserCertsRequest};
use crate::resources::ResourceError;

/// Takes one request from the caller's rate limit; a 429 when it is used up.
pub(super) fn limit(state: &State, peer: Peer) -> Result<(), Reject> {
    state
        .limiter
        .check(peer.remote.ip(), Instant::now())
        .map_err(|wait| {
            tracing::info!(remote = %peer.remote, "rate limited");
            Reject::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "too many requests from {}: retry in {} ms",
                    peer.remote.ip(),
                    wait.as_millis().max(1)
                ),
            )
        })
}

fn bad_request(message: String) -> Reject {
    Reject::new(StatusCode::BAD_REQUEST, message)
}

fn public_key(text: &str) -> Result<PublicKey, Reject> {
    PublicKey::from_openssh(text.trim())
        .map_err(|err| bad_request(format!("invalid SSH public key: {err}")))
}

fn ttl(secs: Option<u64>) -> Option<teleport_core::Duration> {
    secs.filter(|secs| *secs > 0)
        .map(|secs| std::time::Duration::from_secs(secs).into())
}

/// `POST /v1/login`: checks the password and code, then issues certificates.
pub(super) async fn login(state: &State, peer: Peer, body: &[u8]) -> Result<Answer, Reject> {
    limit(state, peer)?;
    let req: LoginRequest = parse(body, "login")?;
    let ssh_public_key = public_key(&req.ssh_public_key)?;
    let creds = Credentials {
        username: req.username.clone(),
        password: Password::new(req.password),
        otp: req.otp,
    };
    let remote = peer.remote.to_string();
    state
        .authenticator
        .authenticate(creds, &remote)
        .await
        .map_err(auth_error)?;
    let user = load_user(state, &req.username).await?;
    let certs = issue(
        state,
        &user,
        peer,
        ssh_public_key,
        req.tls_public_key,
        req.ttl_secs,
    )
    .await?;
    answer(state, user.name(), certs)
}

/// `POST /v1/certs/user` (Admin): issues a user's certificates without a password;
/// `by` is the administrator.
pub(super) async fn sign(
    state: &State,
    by: &str,
    peer: Peer,
    body: &[u8],
) -> Result<Answer, Reject> {
    let req: SignUserRequest = parse(body, "certificate")?;
    let ssh_public_key = public_key(&req.ssh_public_key)?;
    let user = load_user(state, &req.username).await?;
    let certs = issue(
        state,
        &user,
        peer,
        ssh_public_key,
        req.tls_public_key,
        req.ttl_secs,
    )
    .await?;
    tracing::info!(
        user = user.name(),
        by,
        "user certificates signed for an administrator"
    );
    answer(state, user.name(), certs)
}

/// Issues `user`'s certificates for the keys a login or a sign request sent.
async fn issue(
    state: &State,
    user: &User,
    peer: Peer,
    ssh_public_key: PublicKey,
    tls_public_key: Option<String>,
    ttl_secs: Option<u64>,
) -> Result<UserCerts, Reject> {
    let req = UserCertsRequest {
        ssh_public_key,
        tls_public_key,
        ttl: ttl(ttl_secs),
        client_ip: peer.remote.ip().to_string(),
    };
    state.issuer.issue(user, req).await.map_err(login_error)
}

async fn load_user(state: &State, name: &str) -> Result<User, Reject> {
    match state.resources.get(Kind::User, name).await {
        Ok(found) => match found.into_iter().next() {
            Some(Resource::User(user)) => Ok(user),
            _ => Err(Reject::new(
                StatusCode::NOT_FOUND,
                format!("user {name:?} not found"),
            )),
        },
        Err(ResourceError::NotFound { .. }) => Err(Reject::new(
            StatusCode::NOT_FOUND,
            format!("user {name:?} not found"),
        )),
        Err(err) => Err(Reject::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            err.to_string(),
        )),
    }
}

fn answer(state: &State, username: &str, certs: UserCerts) -> Result<Answer, Reject> {
    let ssh_cert = certs
        .ssh_cert
        .to_openssh()
        .map_err(|err| Reject::new(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()))?;
    Ok(ok(&UserCertsResponse {
        username: username.to_string(),
        ssh_cert,
        tls_cert: certs.tls_cert,
        logins: certs.logins,
        expires: certs.expires,
        tls_ca: state.ca.tls_ca_pem().to_string(),
        ssh_host_ca: state.ca.export(ExportKind::Host),
    }))
}

/// A refused login: 401 for wrong credentials or a locked user (the authenticator
/// has audited it), 500 when the storage failed.
fn auth_error(err: AuthError) -> Reject {
    let status = match &err {
        AuthError::InvalidCredentials
        | AuthError::OtpRequired
        | AuthError::NoOtpDevice { .. }
        | AuthError::Totp(_)
        | AuthError::Locked { .. } => StatusCode::UNAUTHORIZED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Reject::new(status, err.to_string())
}

fn login_error(err: LoginError) -> Reject {
    let status = match &err {
        LoginError::UserExpired { .. } => StatusCode::FORBIDDEN,
        LoginError::Ca(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Reject::new(status, err.to_string())
}
