//! The two real [`RoleSource`]s: the auth server's own resources, for a node running
//! in the auth server's process, and the auth API, for a node that joined over the
//! network (a Node identity may read roles).

use std::sync::Arc;

use async_trait::async_trait;
use teleport_auth::api::{ApiError, AuthClient};
use teleport_auth::resources::{ResourceError, ResourceService};
use teleport_core::resource::{Kind, Resource, Role};

use crate::config::{RoleSource, RoleSourceError};

/// Roles read from the auth server's [`ResourceService`] in this process.
#[derive(Debug, Clone)]
pub struct LocalRoles(pub Arc<ResourceService>);

#[async_trait]
impl RoleSource for LocalRoles {
    async fn roles(&self, names: &[String]) -> Result<Vec<Role>, RoleSourceError> {
        let mut roles = Vec::with_capacity(names.len());
        for name in names {
            match self.0.get(Kind::Role, name).await {
                Ok(found) => roles.extend(found.into_iter().filter_map(role_of)),
                Err(ResourceError::NotFound { .. }) => {
                    return Err(RoleSourceError::UnknownRole { name: name.clone() })
                }
                Err(err) => return Err(RoleSourceError::Unavailable(err.to_string())),
            }
        }
        Ok(roles)
    }
}

#[async_trait]
impl RoleSource for AuthClient {
    async fn roles(&self, names: &[String]) -> Result<Vec<Role>, RoleSourceError> {
        let mut roles = Vec::with_capacity(names.len());
        for name in names {
            match self.get_resource(Kind::Role, name, false).await {
                Ok(found) => roles.extend(found.into_iter().filter_map(role_of)),
                Err(ApiError::NotFound { .. }) => {
                    return Err(RoleSourceError::UnknownRole { name: name.clone() })
                }
                Err(err) => return Err(RoleSourceError::Unavailable(err.to_string())),
            }
        }
        Ok(roles)
    }
}

fn role_of(resource: Resource) -> Option<Role> {
    match resource {
        Resource::Role(role) => Some(role),
        _ => None,
    }
}
