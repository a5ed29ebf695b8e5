//! Heartbeats: nodes, proxies and auth servers announce themselves (name, id, address,
//! labels) with a TTL, and `tctl nodes ls` reads what is live.
//!
//! Each announcement is a `node` resource ([`Server`]) stored with a backend expiry of
//! now + TTL ([`DEFAULT_SERVER_TTL`], 10 minutes, unless the caller says otherwise), so a
//! server that stops announcing disappears on its own:
//!
//! | what | key |
//! |---|---|
//! | SSH nodes | `/nodes/default/<uuid>` |
//! | proxies | `/proxies/<uuid>` |
//! | auth servers | `/authservers/<uuid>` |
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use teleport_auth::presence::{format_nodes_table, Presence, DEFAULT_SERVER_TTL};
//! use teleport_backend::MemoryBackend;
//! use teleport_core::resource::{Server, ServerSpec};
//! use teleport_core::{FakeClock, SharedClock};
//!
//! let clock: SharedClock = Arc::new(FakeClock::default());
//! let presence = Presence::new(Arc::new(MemoryBackend::new(clock.clone())), clock);
//! let spec = ServerSpec { hostname: "turing".into(), addr: "10.0.0.5:3022".into(), ..ServerSpec::default() };
//! let mut node = Server::named("d52527f9-b260-41d0-bb5a-e23b0cfe0f8f", spec)?;
//! node.metadata.labels.insert("distro".into(), "ubuntu".into());
//! presence.upsert_node(node, DEFAULT_SERVER_TTL).await?;
//! assert!(format_nodes_table(&presence.list_nodes().await?).contains("distro=ubuntu"));
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```

mod format;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use teleport_backend::{Backend, BackendError, Item, KeyRange, NO_LIMIT};
use teleport_core::resource::Server;
use teleport_core::SharedClock;

pub use format::format_nodes_table;

/// How long an announcement lives when a server does not say: 10 minutes, Teleport's
/// server announce TTL.
pub const DEFAULT_SERVER_TTL: Duration = Duration::from_secs(10 * 60);

/// The namespace every node is in.
const NAMESPACE: &str = "default";

/// The longest heartbeat TTL accepted: a day.
const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// What kind of server announced itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerKind {
    /// An SSH node.
    Node,
    /// A proxy.
    Proxy,
    /// An auth server.
    Auth,
}

impl ServerKind {
    /// The kind's name in messages: `node`, `proxy` or `auth server`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ServerKind::Node => "node",
            ServerKind::Proxy => "proxy",
            ServerKind::Auth => "auth server",
        }
    }

    /// The backend prefix of this kind's announcements.
    fn prefix(self) -> String {
        match self {
            ServerKind::Node => format!("/nodes/{NAMESPACE}/"),
            ServerKind::Proxy => "/proxies/".to_string(),
            ServerKind::Auth => "/authservers/".to_string(),
        }
    }
}

impl fmt::Display for ServerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a heartbeat could not be stored or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PresenceError {
    /// No live announcement has this name: the server never announced itself, was
    /// deleted, or stopped announcing and its TTL ran out.
    #[error("{kind} {name:?} is not found (it is unknown or its heartbeat expired)")]
    NotFound {
        /// The kind of server.
        kind: ServerKind,
        /// The name asked for.
        name: String,
    },

    /// The server's name cannot be a backend key: it holds `/` or control characters.
    #[error("invalid {kind} name {name:?}: a server name must not hold '/' or control characters")]
    BadName {
        /// The kind of server.
        kind: ServerKind,
        /// The name given.
        name: String,
    },

    /// The heartbeat TTL is zero or longer than a day.
    #[error("invalid heartbeat TTL {ttl:?}: it must be positive and at most a day")]
    BadTtl {
        /// The TTL given.
        ttl: Duration,
    },

    /// A stored announcement could not be read back.
    #[error("stored {kind} {name:?} is corrupt: {source}")]
    Corrupt {
        /// The kind of server.
        kind: ServerKind,
        /// The name under which it is stored.
        name: String,
        /// What the decoder reported.
        source: serde_json::Error,
    },

    /// The announcement could not be encoded.
    #[error("cannot encode {kind} {name:?}: {source}")]
    Encode {
        /// The kind of server.
        kind: ServerKind,
        /// Its name.
        name: String,
        /// What the encoder reported.
        source: serde_json::Error,
    },

    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// The live servers of a cluster, kept up by their heartbeats.
///
/// Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Presence {
    backend: Arc<dyn Backend>,
    clock: SharedClock,
}

impl fmt::Debug for Presence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Presence").finish_non_exhaustive()
    }
}

impl Presence {
    /// Heartbeats kept in `backend`, their expiry judged by `clock`.
    pub fn new(backend: Arc<dyn Backend>, clock: SharedClock) -> Self {
        Presence { backend, clock }
    }

    /// Stores a node's heartbeat, live for `ttl` from now; returns it as stored (with
    /// `metadata.expires` set). A later heartbeat of the same name replaces it.
    pub async fn upsert_node(
        &self,
        server: Server,
        ttl: Duration,
    ) -> Result<Server, PresenceError> {
        self.upsert(ServerKind::Node, server, ttl).await
    }

    /// The live nodes, by name.
    pub async fn list_nodes(&self) -> Result<Vec<Server>, PresenceError> {
        self.list(ServerKind::Node).await
    }

    /// The live node named `name` (its UUID).
    pub async fn get_node(&self, name: &str) -> Result<Server, PresenceError> {
        self.get(ServerKind::Node, name).await
    }

    /// Removes a node's heartbeat now, rather than when its TTL runs out.
    pub async fn delete_node(&self, name: &str) -> Result<(), PresenceError> {
        self.delete(ServerKind::Node, name).await
    }

    /// Stores a proxy's heartbeat, live for `ttl` from now.
    pub async fn upsert_proxy(
        &self,
        server: Server,
        ttl: Duration,
    ) -> Result<Server, PresenceError> {
        self.upsert(ServerKind::Proxy, server, ttl).await
    }

    /// The live proxies, by name.
    pub async fn list_proxies(&self) -> Result<Vec<Server>, PresenceError> {
        self.list(ServerKind::Proxy).await
    }

    /// Removes a proxy's heartbeat now.
    pub async fn delete_proxy(&self, name: &str) -> Result<(), PresenceError> {
        self.delete(ServerKind::Proxy, name).await
    }

    /// Stores an auth server's heartbeat, live for `ttl` from now.
    pub async fn upsert_auth_server(
        &self,
        server: Server,
        ttl: Duration,
    ) -> Result<Server, PresenceError> {
        self.upsert(ServerKind::Auth, server, ttl).await
    }

    /// The live auth servers, by name.
    pub async fn list_auth_servers(&self) -> Result<Vec<Server>, PresenceError> {
        self.list(ServerKind::Auth).await
    }

    /// Stores a heartbeat of any kind.
    pub async fn upsert(
        &self,
        kind: ServerKind,
        mut server: Server,
        ttl: Duration,
    ) -> Result<Server, PresenceError> {
        if ttl.is_zero() || ttl > MAX_TTL {
            return Err(PresenceError::BadTtl { ttl });
        }
        let key = key(kind, server.name())?;
        let expires = self.clock.now() + ttl;
        server.metadata.expires = Some(expires);
        if kind == ServerKind::Node {
            server.metadata.namespace = Some(NAMESPACE.to_string());
        }
        let value = serde_json::to_vec(&server).map_err(|source| PresenceError::Encode {
            kind,
            name: server.name().to_string(),
            source,
        })?;
        self.backend
            .put(Item::new(key, value).with_expiry(expires))
            .await?;
        tracing::debug!(%kind, name = server.name(), %expires, "heartbeat");
        Ok(server)
    }

    /// The live servers of `kind`, sorted by name (their UUID).
    pub async fn list(&self, kind: ServerKind) -> Result<Vec<Server>, PresenceError> {
        let prefix = kind.prefix();
        let items = self
            .backend
            .get_range(KeyRange::prefix(prefix.as_str()), NO_LIMIT)
            .await?;
        items
            .iter()
            .map(|item| {
                let name = String::from_utf8_lossy(&item.key[prefix.len()..]);
                decode(kind, &name, item)
            })
            .collect()
    }

    /// The live server of `kind` named `name`.
    pub async fn get(&self, kind: ServerKind, name: &str) -> Result<Server, PresenceError> {
        match self.backend.get(&key(kind, name)?).await {
            Ok(item) => decode(kind, name, &item),
            Err(BackendError::NotFound { .. }) => Err(not_found(kind, name)),
            Err(err) => Err(err.into()),
        }
    }

    /// Removes the heartbeat of the server of `kind` named `name`.
    pub async fn delete(&self, kind: ServerKind, name: &str) -> Result<(), PresenceError> {
        match self.backend.delete(&key(kind, name)?).await {
            Ok(()) => Ok(()),
            Err(BackendError::NotFound { .. }) => Err(not_found(kind, name)),
            Err(err) => Err(err.into()),
        }
    }
}

fn not_found(kind: ServerKind, name: &str) -> PresenceError {
    PresenceError::NotFound {
        kind,
        name: name.to_string(),
    }
}

fn key(kind: ServerKind, name: &str) -> Result<Vec<u8>, PresenceError> {
    if name.is_empty() || name.contains('/') || name.chars().any(char::is_control) {
        return Err(PresenceError::BadName {
            kind,
            name: name.to_string(),
        });
    }
    Ok(format!("{}{name}", kind.prefix()).into_bytes())
}

fn decode(kind: ServerKind, name: &str, item: &Item) -> Result<Server, PresenceError> {
    serde_json::from_slice(&item.value).map_err(|source| PresenceError::Corrupt {
        kind,
        name: name.to_string(),
        source,
    })
}
