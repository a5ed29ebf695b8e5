//! Paging through a search never skips or repeats an event: the pages of any query,
//! concatenated, are exactly the full ordered list, also when events arrive between
//! pages.

use std::collections::HashSet;

use proptest::prelude::*;
use teleport_audit::sink::{AuditSink, FileSink, Order, SearchQuery};
use teleport_audit::AuditEvent;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::support::{event_at, open_file_sink, search_all, uids};

/// The first of the days the generated events fall on.
const DAY0: OffsetDateTime = datetime!(2026-11-20 00:00 UTC);
const DAYS: i64 = 4;

/// An event to emit: its day, second of the day and user.
#[derive(Debug, Clone)]
struct Spec {
    day: i64,
    second: i64,
}

fn spec() -> impl Strategy<Value = Spec> {
    // Few distinct seconds, so that ties at the range's edges are common.
    (
        0..DAYS,
        prop_oneof![Just(0i64), Just(43_200), Just(86_399), 0..86_400i64],
    )
        .prop_map(|(day, second)| Spec { day, second })
}

fn time_of(spec: &Spec) -> OffsetDateTime {
    DAY0 + Duration::days(spec.day) + Duration::seconds(spec.second)
}

#[derive(Debug, Clone)]
struct Case {
    events: Vec<Spec>,
    /// Emitted after the first page.
    late: Vec<Spec>,
    limit: usize,
    order: Order,
    types: Vec<&'static str>,
    /// The range as offsets in seconds from DAY0.
    from: i64,
    len: i64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(spec(), 0..60),
        proptest::collection::vec(spec(), 0..10),
        1usize..12,
        prop_oneof![Just(Order::OldestFirst), Just(Order::NewestFirst)],
        prop_oneof![
            Just(vec![]),
            Just(vec!["session.start"]),
            Just(vec!["session.end"]),
            Just(vec!["user.login", "session.start"]),
        ],
        prop_oneof![Just(0i64), 0..DAYS * 86_400],
        prop_oneof![Just(DAYS * 86_400), 0..DAYS * 86_400],
    )
        .prop_map(|(events, late, limit, order, types, from, len)| Case {
            events,
            late,
            limit,
            order,
            types,
            from,
            len,
        })
}

impl Case {
    fn query(&self) -> SearchQuery {
        let from = DAY0 + Duration::seconds(self.from);
        SearchQuery::new(from, from + Duration::seconds(self.len))
            .event_types(self.types.iter().copied())
            .limit(self.limit)
            .order(self.order)
    }

    /// What the query must return over `emitted` (in emit order), by the model: day file
    /// by day file, and within a day in emit order.
    fn expected(&self, emitted: &[(Spec, AuditEvent)]) -> Vec<AuditEvent> {
        let query = self.query();
        let wanted_type = self.types.is_empty() || self.types.contains(&"session.start");
        let mut list: Vec<(i64, usize, AuditEvent)> = emitted
            .iter()
            .enumerate()
            .filter(|(_, (_, e))| wanted_type && query.from <= e.time() && e.time() < query.to)
            .map(|(n, (spec, e))| (spec.day, n, e.clone()))
            .collect();
        list.sort_by_key(|(day, n, _)| (*day, *n));
        let mut list: Vec<AuditEvent> = list.into_iter().map(|(_, _, e)| e).collect();
        if self.order == Order::NewestFirst {
            list.reverse();
        }
        list
    }
}

async fn emit_all(sink: &FileSink, specs: &[Spec], tag: &str) -> Vec<(Spec, AuditEvent)> {
    let mut emitted = Vec::new();
    for (n, spec) in specs.iter().enumerate() {
        let event = event_at(time_of(spec), &format!("{tag}{n}"));
        sink.emit(event.clone()).await.unwrap();
        emitted.push((spec.clone(), event));
    }
    emitted
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn pages_concatenate_to_the_full_ordered_list(case in case()) {
        runtime().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let sink = open_file_sink(dir.path());
            let emitted = emit_all(&sink, &case.events, "e").await;
            let expected = case.expected(&emitted);
            let paged = search_all(&sink, case.query()).await;
            prop_assert_eq!(uids(&paged), uids(&expected));
            prop_assert_eq!(&paged, &expected);
            // One page holding everything agrees.
            let whole = sink.search(case.query().limit(10_000)).await.unwrap();
            prop_assert_eq!(&whole.events, &expected);
            prop_assert!(whole.next.is_none());
            Ok(())
        })?;
    }

    #[test]
    fn events_arriving_between_pages_are_never_skipped_or_repeated(case in case()) {
        runtime().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let sink = open_file_sink(dir.path());
            let emitted = emit_all(&sink, &case.events, "e").await;
            let expected = case.expected(&emitted);

            let mut query = case.query();
            let mut seen: Vec<AuditEvent> = Vec::new();
            let mut pages = 0;
            let mut late_uids = HashSet::new();
            loop {
                let page = sink.search(query.clone()).await.unwrap();
                seen.extend(page.events);
                pages += 1;
                if pages == 1 {
                    for (_, event) in emit_all(&sink, &case.late, "late").await {
                        late_uids.insert(event.uid().to_string());
                    }
                }
                match page.next {
                    Some(cursor) => query = query.start_after(cursor),
                    None => break,
                }
            }
            // Nothing repeated.
            let mut unique = HashSet::new();
            for uid in uids(&seen) {
                prop_assert!(unique.insert(uid.clone()), "{} returned twice", uid);
            }
            // Every event that existed, in order; the only others are late arrivals.
            let existing: Vec<String> = uids(&seen)
                .into_iter()
                .filter(|uid| !late_uids.contains(uid))
                .collect();
            prop_assert_eq!(existing, uids(&expected));
            Ok(())
        })?;
    }
}
