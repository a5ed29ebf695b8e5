//! The resource routes behind `tctl get`, `tctl create [-f]` and `tctl rm`.
//!
//! | route | who |
//! |---|---|
//! | `GET /v1/resources/{kind}[?secrets=1]` | Admin, Auth; users whose roles allow `list` |
//! | `GET /v1/resources/{kind}/{name}[?secrets=1]` | Admin, Auth; users whose roles allow `read` |
//! | `POST /v1/resources[?force=1]` | Admin, Auth; users whose roles allow `create` (and `update` with force) |
//! | `DELETE /v1/resources/{kind}/{name}` | Admin, Auth; users whose roles allow `delete` |
//!
//! Nodes and proxies may read roles and certificate authorities (without secrets): a
//! node needs the roles named in a user's certificate. Secrets are sent only to Admin
//! and Auth callers that ask for them (`--with-secrets`).

use std::str::FromStr;

use hyper::StatusCode;
use teleport_core::resource::{read_resources_json, Kind, Resource};

use super::access::authorize;
use super::{json_response, percent_decode, Answer, Reject};
use crate::api::server::{Caller, CallerRole, State};
use crate::rbac::{VERB_CREATE, VERB_DELETE, VERB_LIST, VERB_READ, VERB_UPDATE};
use crate::resources::{PutMode, ResourceError};

/// The answer for a [`ResourceError`].
fn resource_error(err: ResourceError) -> Reject {
    let status = match &err {
        ResourceError::NotFound { .. } => StatusCode::NOT_FOUND,
        ResourceError::AlreadyExists { .. } | ResourceError::RoleInUse { .. } => {
            StatusCode::CONFLICT
        }
        ResourceError::Invalid { .. }
        | ResourceError::ReadOnly { .. }
        | ResourceError::Bootstrap { .. } => StatusCode::BAD_REQUEST,
        ResourceError::Contended { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status.is_server_error() {
        tracing::warn!("resource route failed: {err}");
    }
    Reject::new(status, err.to_string())
}

fn kind_of(text: &str) -> Result<Kind, Reject> {
    Kind::from_str(text).map_err(|err| Reject::new(StatusCode::NOT_FOUND, err.to_string()))
}

/// The system roles that may read resources of `kind`.
fn readers(kind: Kind) -> &'static [CallerRole] {
    match kind {
        Kind::Role | Kind::CertAuthority | Kind::ClusterName => &[
            CallerRole::Admin,
            CallerRole::Auth,
            CallerRole::Node,
            CallerRole::Proxy,
        ],
        _ => &[CallerRole::Admin, CallerRole::Auth],
    }
}

/// Refuses `secrets` to callers other than Admin and Auth (audited).
fn check_secrets(caller: &Caller, secrets: bool, route: &str) -> Result<(), Reject> {
    if !secrets {
        return Ok(());
    }
    match caller {
        Caller::Identified {
            role: CallerRole::Admin | CallerRole::Auth,
            ..
        } => Ok(()),
        Caller::Identified { identity, .. } => Err(Reject::new(
            StatusCode::FORBIDDEN,
            "only administrators may read secrets (--with-secrets)",
        )
        .audited(&identity.username, route)),
        _ => Err(
            Reject::new(StatusCode::UNAUTHORIZED, "a client certificate is needed")
                .audited("", route),
        ),
    }
}

fn resources_answer(mut resources: Vec<Resource>, secrets: bool) -> Answer {
    if !secrets {
        resources.iter_mut().for_each(Resource::strip_secrets);
    }
    json_response(StatusCode::OK, &resources)
}

/// `GET /v1/resources/{kind}`.
pub(super) async fn list(
    state: &State,
    caller: &Caller,
    kind: &str,
    secrets: bool,
    route: &str,
) -> Result<Answer, Reject> {
    let kind = kind_of(kind)?;
    authorize(
        state,
        caller,
        readers(kind),
        kind.as_str(),
        VERB_LIST,
        route,
    )
    .await?;
    check_secrets(caller, secrets, route)?;
    let resources = state.resources.list(kind).await.map_err(resource_error)?;
    Ok(resources_answer(resources, secrets))
}

/// `GET /v1/resources/{kind}/{name}`.
pub(super) async fn get(
    state: &State,
    caller: &Caller,
    kind: &str,
    name: &str,
    secrets: bool,
    route: &str,
) -> Result<Answer, Reject> {
    let kind = kind_of(kind)?;
    let name = percent_decode(name)
        .ok_or_else(|| Reject::new(StatusCode::BAD_REQUEST, "malformed name in the path"))?;
    authorize(
        state,
        caller,
        readers(kind),
        kind.as_str(),
        VERB_READ,
        route,
    )
    .await?;
    check_secrets(caller, secrets, route)?;
    let resources = state
        .resources
        .get(kind, &name)
        .await
        .map_err(resource_error)?;
    Ok(resources_answer(resources, secrets))
}

/// `POST /v1/resources`: one resource as JSON; `force` replaces an existing one.
pub(super) async fn put(
    state: &State,
    caller: &Caller,
    body: &[u8],
    force: bool,
    route: &str,
) -> Result<Answer, Reject> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Reject::new(StatusCode::BAD_REQUEST, "the resource is not UTF-8"))?;
    let mut resources = read_resources_json(text, "the request body")
        .map_err(|err| Reject::new(StatusCode::BAD_REQUEST, err.to_string()))?;
    let resource = match (resources.pop(), resources.is_empty()) {
        (Some(resource), true) => resource,
        _ => {
            return Err(Reject::new(
                StatusCode::BAD_REQUEST,
                "send exactly one resource per request",
            ))
        }
    };
    let system = [CallerRole::Admin, CallerRole::Auth];
    let kind = resource.kind().as_str();
    let identity = authorize(state, caller, &system, kind, VERB_CREATE, route).await?;
    if force {
        authorize(state, caller, &system, kind, VERB_UPDATE, route).await?;
    }
    let mode = if force {
        PutMode::Upsert
    } else {
        PutMode::Create
    };
    let stored = state
        .resources
        .put(&identity.username, resource, mode)
        .await
        .map_err(resource_error)?;
    Ok(resources_answer(vec![stored], false))
}

/// `DELETE /v1/resources/{kind}/{name}`.
pub(super) async fn delete(
    state: &State,
    caller: &Caller,
    kind: &str,
    name: &str,
    route: &str,
) -> Result<Answer, Reject> {
    let kind = kind_of(kind)?;
    let name = percent_decode(name)
        .ok_or_else(|| Reject::new(StatusCode::BAD_REQUEST, "malformed name in the path"))?;
    let system = [CallerRole::Admin, CallerRole::Auth];
    let identity = authorize(state, caller, &system, kind.as_str(), VERB_DELETE, route).await?;
    if kind == Kind::User {
        // Through the user service, which removes the user's tokens and records too.
        state
            .users
            .delete(&identity.username, &name)
            .await
            .map_err(super::users::user_error)?;
    } else {
        state
            .resources
            .delete(&identity.username, kind, &name)
            .await
            .map_err(resource_error)?;
    }
    Ok(json_response(StatusCode::OK, &serde_json::json!({})))
}
