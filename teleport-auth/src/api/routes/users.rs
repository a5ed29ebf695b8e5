//! The user routes: `tctl users add|ls|update|rm|reset` (Admin and Auth only) and the
//! anonymous signup routes the proxy's invite page calls with a signup or reset token.
//!
//! [`UserError`]s become 400 (invalid input), 404 (unknown user or token), 409 (an
//! existing user, a token being completed concurrently) or 500; their messages never
//! hold a whole token or a password.

use hyper::StatusCode;

use super::{ok, parse, percent_decode, Answer, Reject};
use crate::api::server::State;
use crate::api::types::{
    AddUserRequest, AddUserResponse, SignupBeginRequest, SignupBeginResponse,
    SignupCompleteRequest, SignupCompleteResponse, UpdateUserRequest, UserTokenResponse,
};
use crate::local::Password;
use crate::users::UserError;

/// The HTTP answer for a [`UserError`].
pub(crate) fn user_error(err: UserError) -> Reject {
    let status = match &err {
        UserError::BadName { .. }
        | UserError::BadLogin { .. }
        | UserError::NoRoles
        | UserError::UnknownRole { .. }
        | UserError::NothingToUpdate
        | UserError::Password(_)
        | UserError::OtpRequired
        | UserError::Otp(_)
        | UserError::NoPendingDevice { .. } => StatusCode::BAD_REQUEST,
        UserError::NotFound { .. } | UserError::TokenNotFound { .. } => StatusCode::NOT_FOUND,
        UserError::AlreadyExists { .. } | UserError::TokenInUse { .. } => StatusCode::CONFLICT,
        UserError::Contended { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status.is_server_error() {
        tracing::warn!("user route failed: {err}");
    }
    Reject::new(status, err.to_string())
}

/// The user name in a path segment, percent-decoded.
fn name_of(segment: &str) -> Result<String, Reject> {
    percent_decode(segment)
        .ok_or_else(|| Reject::new(StatusCode::BAD_REQUEST, "malformed user name in the path"))
}

/// `POST /v1/users`: creates a user and its signup token.
pub(super) async fn add(state: &State, by: &str, body: &[u8]) -> Result<Answer, Reject> {
    let req: AddUserRequest = parse(body, "user")?;
    let (user, token) = state
        .users
        .add(by, &req.name, req.logins, req.roles)
        .await
        .map_err(user_error)?;
    Ok(ok(&AddUserResponse {
        user,
        token: token.token().to_string(),
        expires: token.expires(),
    }))
}

/// `GET /v1/users`: every user, secrets stripped.
pub(super) async fn list(state: &State) -> Result<Answer, Reject> {
    let users = state.users.list().await.map_err(user_error)?;
    Ok(ok(&users))
}

/// `PUT /v1/users/{name}`: replaces the roles and/or the logins.
pub(super) async fn update(
    state: &State,
    by: &str,
    name: &str,
    body: &[u8],
) -> Result<Answer, Reject> {
    let name = name_of(name)?;
    let req: UpdateUserRequest = parse(body, "user update")?;
    let user = state
        .users
        .update(by, &name, req.set_roles, req.set_logins)
        .await
        .map_err(user_error)?;
    Ok(ok(&user))
}

/// `DELETE /v1/users/{name}`: deletes the user and its tokens.
pub(super) async fn delete(state: &State, by: &str, name: &str) -> Result<Answer, Reject> {
    let name = name_of(name)?;
    state.users.delete(by, &name).await.map_err(user_error)?;
    Ok(ok(&serde_json::json!({})))
}

/// `POST /v1/users/{name}/reset`: a reset token.
pub(super) async fn reset(state: &State, by: &str, name: &str) -> Result<Answer, Reject> {
    let name = name_of(name)?;
    let token = state.users.reset(by, &name).await.map_err(user_error)?;
    Ok(ok(&UserTokenResponse {
        token: token.token().to_string(),
        expires: token.expires(),
    }))
}

/// `POST /v1/signup/begin`: checks the token and, when required, starts a TOTP
/// registration.
pub(super) async fn signup_begin(state: &State, body: &[u8]) -> Result<Answer, Reject> {
    let req: SignupBeginRequest = parse(body, "signup")?;
    let info = state.users.begin(&req.token).await.map_err(user_error)?;
    let (totp_uri, totp_secret) = match &info.totp {
        Some(totp) => (
            Some(totp.uri().expose().clone()),
            Some(totp.secret().expose().clone()),
        ),
        None => (None, None),
    };
    Ok(ok(&SignupBeginResponse {
        user: info.user,
        needs_totp: info.needs_totp,
        totp_uri,
        totp_secret,
    }))
}

/// `POST /v1/signup/complete`: sets the password (and TOTP device); the token works
/// once.
pub(super) async fn signup_complete(state: &State, body: &[u8]) -> Result<Answer, Reject> {
    let req: SignupCompleteRequest = parse(body, "signup")?;
    let mut user = state
        .users
        .complete(&req.token, Password::new(req.password), req.otp_code)
        .await
        .map_err(user_error)?;
    user.strip_secrets();
    Ok(ok(&SignupCompleteResponse { user }))
}
