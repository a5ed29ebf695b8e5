//! The fan-out sink: one event, several sinks.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use async_trait::async_trait;

use super::{AuditError, AuditSink, SearchPage, SearchQuery};
use crate::AuditEvent;

/// Sends every event to several sinks at once and searches the first, as
/// `audit_events_uri: ['dynamodb://events', 'file:///var/lib/teleport/audit/events',
/// 'stdout://']` asks (the manual: list the high-availability store first, it is the one
/// the web UI reads).
///
/// [`emit`](AuditSink::emit) hands the event to all sinks concurrently and returns once
/// every one has answered: `Ok` when all kept it, otherwise the error of the first sink
/// (in list order) that failed. The others still keep it: a fan-out is not atomic.
/// [`close`](AuditSink::close) closes them all.
#[derive(Clone)]
pub struct MultiSink {
    sinks: Vec<Arc<dyn AuditSink>>,
}

impl std::fmt::Debug for MultiSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiSink")
            .field("sinks", &self.sinks.len())
            .finish()
    }
}

impl MultiSink {
    /// A fan-out over `sinks`, of which the first answers searches. `None` when `sinks`
    /// is empty.
    pub fn new(sinks: Vec<Arc<dyn AuditSink>>) -> Option<Self> {
        (!sinks.is_empty()).then_some(MultiSink { sinks })
    }

    /// The sinks, in order.
    pub fn sinks(&self) -> &[Arc<dyn AuditSink>] {
        &self.sinks
    }
}

type Pending<'a> = Pin<Box<dyn Future<Output = Result<(), AuditError>> + Send + 'a>>;

/// Runs `futures` concurrently and returns the first error in list order, once all are
/// done.
async fn all(futures: Vec<Pending<'_>>) -> Result<(), AuditError> {
    let mut slots: Vec<Option<Pending<'_>>> = futures.into_iter().map(Some).collect();
    let mut results: Vec<Option<Result<(), AuditError>>> = slots.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, result) in slots.iter_mut().zip(results.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(outcome) => {
                        *result = Some(outcome);
                        *slot = None;
                    }
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

#[async_trait]
impl AuditSink for MultiSink {
    async fn emit(&self, event: AuditEvent) -> Result<(), AuditError> {
        let mut futures: Vec<Pending<'_>> = Vec::with_capacity(self.sinks.len());
        if let Some((last, rest)) = self.sinks.split_last() {
            for sink in rest {
                futures.push(sink.emit(event.clone()));
            }
            futures.push(last.emit(event));
        }
        all(futures).await
    }

    async fn search(&self, query: SearchQuery) -> Result<SearchPage, AuditError> {
        match self.sinks.first() {
            Some(first) => first.search(query).await,
            None => Err(AuditError::Closed),
        }
    }

    async fn close(&self) -> Result<(), AuditError> {
        all(self.sinks.iter().map(|sink| sink.close()).collect()).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use teleport_core::FakeClock;
    use time::macros::datetime;

    use super::*;
    use crate::event::SessionStart;
    use crate::EventPayload;

    /// Counts emits; fails them when told to.
    #[derive(Default)]
    struct Counting {
        emitted: Mutex<Vec<String>>,
        fail: bool,
        closed: Mutex<bool>,
    }

    #[async_trait]
    impl AuditSink for Counting {
        async fn emit(&self, event: AuditEvent) -> Result<(), AuditError> {
            tokio::task::yield_now().await;
            if self.fail {
                return Err(AuditError::Closed);
            }
            self.emitted.lock().unwrap().push(event.uid().to_string());
            Ok(())
        }
        async fn search(&self, _: SearchQuery) -> Result<SearchPage, AuditError> {
            Ok(SearchPage {
                events: Vec::new(),
                next: Some(crate::sink::Cursor::new(format!("fail={}", self.fail))),
            })
        }
        async fn close(&self) -> Result<(), AuditError> {
            *self.closed.lock().unwrap() = true;
            Ok(())
        }
    }

    fn event() -> AuditEvent {
        AuditEvent::new(
            EventPayload::SessionStart(SessionStart::default()),
            "",
            &FakeClock::default(),
        )
    }

    #[tokio::test]
    async fn emits_to_all_searches_the_first_and_reports_failures() {
        let ok = Arc::new(Counting::default());
        let broken = Arc::new(Counting {
            fail: true,
            ..Counting::default()
        });
        let multi = MultiSink::new(vec![ok.clone(), broken.clone()]).unwrap();
        let event = event();
        let err = multi.emit(event.clone()).await.unwrap_err();
        assert!(matches!(err, AuditError::Closed));
        assert_eq!(*ok.emitted.lock().unwrap(), vec![event.uid().to_string()]);

        let page = multi
            .search(SearchQuery::new(
                datetime!(2021-01-01 00:00 UTC),
                datetime!(2021-01-02 00:00 UTC),
            ))
            .await
            .unwrap();
        assert_eq!(page.next.unwrap().as_str(), "fail=false");
        multi.close().await.unwrap();
        assert!(*ok.closed.lock().unwrap() && *broken.closed.lock().unwrap());
        assert!(MultiSink::new(Vec::new()).is_none());
    }
}
