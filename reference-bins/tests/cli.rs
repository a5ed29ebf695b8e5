//! The reference binaries as an operator runs them: real processes, real files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "cli/backup.rs"]
mod backup;
#[path = "cli/configure.rs"]
mod configure;
#[path = "cli/join.rs"]
mod join;
#[path = "cli/node.rs"]
mod node;
#[path = "cli/resources.rs"]
mod resources;
#[path = "cli/sign.rs"]
mod sign;
#[path = "cli/start.rs"]
mod start;
#[path = "cli/support.rs"]
mod support;
#[path = "cli/tctl.rs"]
mod tctl;
#[path = "cli/tsh.rs"]
mod tsh;
#[path = "cli/users.rs"]
mod users;
