//! [`authorize`]: the role check of routes that users may call too, deciding from the
//! user's roles ([`RoleSet::check_resource_access`]).

use hyper::StatusCode;

use super::{require, Reject};
use crate::api::server::{Caller, CallerRole, State};
use crate::api::types::ErrorBody;
use crate::ca::TlsIdentity;
use crate::rbac::{RoleSet, Traits};

/// Lets the caller through when its system role is one of `system`, or when it is a
/// user whose roles allow `verb` on `kind`. A refusal is a 401 or 403, audited.
pub(crate) async fn authorize<'a>(
    state: &State,
    caller: &'a Caller,
    system: &[CallerRole],
    kind: &str,
    verb: &str,
    route: &str,
) -> Result<&'a TlsIdentity, Reject> {
    let identity = match caller {
        Caller::Identified {
            identity,
            role: CallerRole::User,
        } if !system.contains(&CallerRole::User) => identity,
        _ => return require(caller, system, route).map(|(identity, _)| identity),
    };
    let refuse = |reason: String| {
        Reject {
            status: StatusCode::FORBIDDEN,
            body: ErrorBody {
                error: format!("access denied to {route}: {reason}"),
                role: None,
                route: None,
            },
            audit: None,
        }
        .audited(&identity.username, route)
    };
    let roles = state
        .resources
        .roles(&identity.roles)
        .await
        .map_err(|err| refuse(err.to_string()))?;
    // Rules hold no trait templates: the user's traits are not needed here.
    let set = RoleSet::new(roles, &Traits::new()).map_err(|err| refuse(err.to_string()))?;
    set.check_resource_access(kind, verb)
        .map_err(|denied| refuse(denied.to_string()))?;
    Ok(identity)
}
