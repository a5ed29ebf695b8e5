//! The auth service: certificate authorities, the auth API and its typed client,
//! join tokens, heartbeats and role-based access control.

pub mod api;
pub mod ca;
pub mod local;
pub mod login;
pub mod presence;
pub mod rbac;
pub mod resources;
pub mod services;
pub mod tokens;
pub mod users;
