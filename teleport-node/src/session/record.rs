//! A session's recording, shared between the task that copies the terminal's output
//! and the one that handles resizes and the session's end.

use std::sync::Arc;

use teleport_audit::recording::{Recording, RecordingError, RecordingMetadata};
use teleport_audit::AuditEvent;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::warn;

use crate::conn::ConnContext;

/// One session's open recording.
pub(crate) struct SessionRecording {
    recording: Mutex<Option<Box<dyn Recording>>>,
    started: Instant,
    sid: String,
}

impl SessionRecording {
    /// Opens the recording of session `sid` with the recorder of `ctx`'s node.
    pub(crate) async fn open(
        ctx: &ConnContext,
        sid: &str,
        cols: u16,
        rows: u16,
    ) -> Result<Arc<Self>, RecordingError> {
        let node = &ctx.node;
        let meta = RecordingMetadata {
            sid: sid.to_string(),
            user: ctx.user.clone(),
            login: ctx.login.clone(),
            server_id: node.server_id.clone(),
            server_hostname: node.nodename.clone(),
            server_addr: ctx.server_meta().server_addr,
            cluster_name: node.cluster_name.clone(),
            cols,
            rows,
            started: node.clock.now(),
        };
        let recording = node.recorder.open(meta).await?;
        Ok(Arc::new(SessionRecording {
            recording: Mutex::new(Some(recording)),
            started: Instant::now(),
            sid: sid.to_string(),
        }))
    }

    /// Records output printed now.
    pub(crate) async fn output(&self, bytes: &[u8]) -> Result<(), RecordingError> {
        let at = self.started.elapsed();
        match self.recording.lock().await.as_mut() {
            Some(recording) => recording.write_output(at, bytes).await,
            None => Err(RecordingError::Failed {
                sid: self.sid.clone(),
            }),
        }
    }

    /// Records a resize now.
    pub(crate) async fn resize(&self, cols: u16, rows: u16) -> Result<(), RecordingError> {
        let at = self.started.elapsed();
        match self.recording.lock().await.as_mut() {
            Some(recording) => recording.resize(at, cols, rows).await,
            None => Err(RecordingError::Failed {
                sid: self.sid.clone(),
            }),
        }
    }

    /// Records a copy of a session event.
    pub(crate) async fn event(&self, event: AuditEvent) {
        if let Some(recording) = self.recording.lock().await.as_mut() {
            if let Err(err) = recording.event(event).await {
                warn!(error = %err, "could not record a session event");
            }
        }
    }

    /// Finishes the recording.
    pub(crate) async fn close(&self) {
        let recording = self.recording.lock().await.take();
        if let Some(recording) = recording {
            if let Err(err) = recording.close().await {
                warn!(error = %err, "could not finish a session recording");
            }
        }
    }
}
