//! Teleport's defaults for what `teleport.yaml` leaves out.

use crate::duration::Duration;

/// Where the daemon looks for its configuration file.
pub const CONFIG_PATH: &str = "/etc/teleport.yaml";
/// `teleport.data_dir`.
pub const DATA_DIR: &str = "/var/lib/teleport";
/// The directory under `data_dir` of the `dir` storage.
pub const BACKEND_DIR: &str = "backend";
/// The address every service listens on unless told otherwise.
pub const BIND_HOST: &str = "0.0.0.0";
/// `auth_service.listen_addr` port (the auth API).
pub const AUTH_PORT: u16 = 3025;
/// `ssh_service.listen_addr` port (nodes).
pub const SSH_PORT: u16 = 3022;
/// `proxy_service.listen_addr` port (the proxy's SSH side).
pub const PROXY_SSH_PORT: u16 = 3023;
/// `proxy_service.tunnel_listen_addr` port (reverse tunnels).
pub const PROXY_TUNNEL_PORT: u16 = 3024;
/// `proxy_service.web_listen_addr` port (HTTPS and the web UI).
pub const PROXY_WEB_PORT: u16 = 3080;
/// `proxy_service.kube_listen_addr` port (the Kubernetes proxy).
pub const PROXY_KUBE_PORT: u16 = 3026;
/// `teleport.connection_limits.max_connections`.
pub const MAX_CONNECTIONS: u64 = 15_000;
/// `teleport.connection_limits.max_users`.
pub const MAX_USERS: u32 = 250;
/// `teleport.cache.ttl`.
pub const CACHE_TTL: Duration = Duration::from_hours(20);
/// The shortest `period` of a label command ("this value cannot be less than one minute").
pub const MIN_LABEL_COMMAND_PERIOD: Duration = Duration::from_mins(1);
