//! [`RemoteAuditSink`]: the audit log of a node or proxy that joined over the network,
//! which sends its events to the auth server (`POST /v1/events`) to be written in the
//! cluster's audit log.

use async_trait::async_trait;
use teleport_audit::sink::{AuditError, AuditSink, SearchPage, SearchQuery};
use teleport_audit::AuditEvent;

use super::client::AuthClient;

/// An [`AuditSink`] that hands every event to the auth server. An event is
/// acknowledged once the auth server's sink has written it; searching is done on the
/// auth server.
#[derive(Debug)]
pub struct RemoteAuditSink {
    client: AuthClient,
}

impl RemoteAuditSink {
    /// Sends events through `client` (a node's or proxy's identity).
    pub fn new(client: AuthClient) -> Self {
        RemoteAuditSink { client }
    }
}

#[async_trait]
impl AuditSink for RemoteAuditSink {
    async fn emit(&self, event: AuditEvent) -> Result<(), AuditError> {
        self.client
            .emit_event(&event)
            .await
            .map_err(|err| AuditError::Output {
                sink: format!("the auth server at {}", self.client.addr()),
                source: std::io::Error::other(err.to_string()),
            })
    }

    async fn search(&self, _query: SearchQuery) -> Result<SearchPage, AuditError> {
        Err(AuditError::SearchUnsupported {
            sink: format!("remote (the auth server at {})", self.client.addr()),
        })
    }

    async fn close(&self) -> Result<(), AuditError> {
        Ok(())
    }
}
