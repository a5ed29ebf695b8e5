//! The `stdout://` sink: each event as one JSON line on standard output.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

use super::{AuditError, AuditSink, SearchPage, SearchQuery};
use crate::AuditEvent;

/// Prints every event as one JSON line (the same line the [`FileSink`](super::FileSink)
/// stores) to standard output, or to any writer given to [`StdoutSink::with_writer`]. It
/// keeps nothing, so it cannot search: list it after a searchable sink in
/// `audit_events_uri`.
///
/// Each line is written and flushed on Tokio's blocking pool, whole lines at a time, so a
/// slow reader of the output slows emitters down instead of a runtime thread.
#[derive(Debug)]
pub struct StdoutSink<W = io::Stdout> {
    out: Arc<Mutex<W>>,
    name: String,
}

impl StdoutSink {
    /// A sink printing to this process's standard output.
    pub fn new() -> Self {
        StdoutSink::with_writer(io::stdout())
    }
}

impl Default for StdoutSink {
    fn default() -> Self {
        StdoutSink::new()
    }
}

impl<W: Write + Send + 'static> StdoutSink<W> {
    /// A sink printing to `out` (a pipe, a buffer in a test, ...).
    pub fn with_writer(out: W) -> Self {
        StdoutSink {
            out: Arc::new(Mutex::new(out)),
            name: "stdout://".into(),
        }
    }

    /// Runs `f` on the writer (to read back a test buffer, say).
    pub fn with_output<R>(&self, f: impl FnOnce(&mut W) -> R) -> R {
        f(&mut self.out.lock().unwrap_or_else(PoisonError::into_inner))
    }

    async fn write(&self, line: Option<Vec<u8>>) -> Result<(), AuditError> {
        let out = Arc::clone(&self.out);
        let result = tokio::task::spawn_blocking(move || {
            let mut out = out.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(line) = line {
                out.write_all(&line)?;
            }
            out.flush()
        })
        .await
        .map_err(|e| AuditError::Interrupted {
            task: "stdout write",
            reason: e.to_string(),
        })?;
        result.map_err(|source| AuditError::Output {
            sink: self.name.clone(),
            source,
        })
    }
}

#[async_trait]
impl<W: Write + Send + 'static> AuditSink for StdoutSink<W> {
    async fn emit(&self, event: AuditEvent) -> Result<(), AuditError> {
        let (_, line) = super::encode_line(&event)?;
        self.write(Some(line)).await
    }

    async fn search(&self, _query: SearchQuery) -> Result<SearchPage, AuditError> {
        Err(AuditError::SearchUnsupported {
            sink: self.name.clone(),
        })
    }

    async fn close(&self) -> Result<(), AuditError> {
        self.write(None).await
    }
}

#[cfg(test)]
mod tests {
    use teleport_core::FakeClock;
    use time::macros::datetime;

    use super::*;
    use crate::event::SessionStart;
    use crate::EventPayload;

    #[tokio::test]
    async fn prints_one_json_line_per_event_and_cannot_search() {
        let sink = StdoutSink::with_writer(Vec::new());
        let clock = FakeClock::default();
        let event = AuditEvent::new(
            EventPayload::SessionStart(SessionStart::default()),
            "example.com",
            &clock,
        );
        sink.emit(event.clone()).await.unwrap();
        sink.emit(event.clone()).await.unwrap();
        sink.close().await.unwrap();
        let text = sink.with_output(|out| String::from_utf8(out.clone()).unwrap());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let back: AuditEvent = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(back, event);
        let err = sink
            .search(SearchQuery::new(
                datetime!(2021-01-01 00:00 UTC),
                datetime!(2021-01-02 00:00 UTC),
            ))
            .await
            .unwrap_err();
        assert!(
            matches!(err, AuditError::SearchUnsupported { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("stdout://"), "{err}");
    }

    #[tokio::test]
    async fn write_errors_name_the_sink() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let sink = StdoutSink::with_writer(Broken);
        let event = AuditEvent::new(
            EventPayload::SessionStart(SessionStart::default()),
            "",
            &FakeClock::default(),
        );
        let err = sink.emit(event).await.unwrap_err();
        assert!(
            matches!(&err, AuditError::Output { sink, .. } if sink == "stdout://"),
            "{err:?}"
        );
    }
}
