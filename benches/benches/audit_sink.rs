//! Audit file sink: durable emits from 64 concurrent emitters, and the first page of a
//! search over a day of 1,000,000 events.
//!
//! Run with `cargo bench -p benches --bench audit_sink`; results and their reading are in
//! `docs/benchmarks.md`. Targets: emit >= 100,000 durable events/s with 64 emitters; a
//! first page of 100 in < 50 ms.
//!
//! - `audit_emit_durable`: events per second (criterion's `elem/s`); each `emit` returns
//!   only once its line is written and `fdatasync`ed. The files live under Cargo's target
//!   tmp dir (a real disk, not tmpfs).
//! - `audit_search_first_page`: the time of one `search` returning 100 events, over a
//!   day file of 1,000,000 events (~480 MB, generated once before measuring, so read
//!   from the page cache). "all" has no type filter; "1-in-10" asks for `session.start`
//!   in a day where one event in ten is one; "from noon"/"to noon" are ranges starting
//!   or ending mid-day, which use the day's time index. The first search of each case
//!   (which builds that index when the case needs one) is timed apart and printed as
//!   `first search`. "absent type" is the worst case: no event matches, so the whole
//!   day is read (rejected line by line by a substring test, unparsed).

// A benchmark stops on the first sink error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use benches::run_spread;
use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use teleport_audit::event::{
    ConnectionMetadata, ServerMetadata, SessionMetadata, SessionStart, UserMetadata,
};
use teleport_audit::sink::{AuditSink, FileSink, Order, SearchQuery, StdoutSink};
use teleport_audit::{AuditEvent, EventPayload};
use teleport_core::{Clock, FakeClock, SystemClock};
use tokio::runtime::Runtime;

/// Concurrent emitters in the main emit case.
const MANY: usize = 64;
/// Events in each generated day.
const DAY_EVENTS: u64 = 1_000_000;
/// The page size of the search cases.
const PAGE: usize = 100;
const DAY: Duration = Duration::from_secs(86_400);

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A `session.start` as a node sends it (user, node, addresses, session id, labels),
/// stamped with `clock`'s time: about 480 bytes of JSON.
fn sample_event(clock: &dyn Clock) -> AuditEvent {
    AuditEvent::new(
        EventPayload::SessionStart(SessionStart {
            user: UserMetadata {
                user: "alice@example.com".into(),
                login: "root".into(),
            },
            server: ServerMetadata {
                namespace: "default".into(),
                server_id: "f84f7386-5e22-45ff-8f7d-b8079742e63f".into(),
                server_hostname: "db-01".into(),
                server_addr: "10.0.1.15:3022".into(),
                server_labels: [("env".to_string(), "prod".to_string())]
                    .into_iter()
                    .collect(),
            },
            connection: ConnectionMetadata {
                local_addr: "10.0.1.15:3022".into(),
                remote_addr: "192.0.2.7:51234".into(),
            },
            session: SessionMetadata {
                sid: "8d3895b6-e9dd-11e6-94de-40167e68e931".into(),
            },
            size: "80:25".into(),
        }),
        "example.com",
        clock,
    )
}

fn emit_benches(c: &mut Criterion, rt: &Runtime) {
    let dir = tempfile::Builder::new()
        .prefix("audit-emit-bench-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let sink = Arc::new(FileSink::open(dir.path(), Arc::new(SystemClock)).unwrap());
    let event = Arc::new(sample_event(&SystemClock));
    let mut group = c.benchmark_group("audit_emit_durable");
    group.throughput(Throughput::Elements(1));
    for tasks in [1, MANY] {
        let name = if tasks == 1 {
            "1 emitter"
        } else {
            "64 emitters"
        };
        group.bench_function(BenchmarkId::new("file", name), |b| {
            b.to_async(rt).iter_custom(|iters| {
                let sink = Arc::clone(&sink);
                let event = Arc::clone(&event);
                run_spread(iters, tasks, move |_, _| {
                    let sink = Arc::clone(&sink);
                    let event = AuditEvent::clone(&event);
                    async move { sink.emit(event).await.unwrap() }
                })
            })
        });
    }
    group.finish();
    rt.block_on(sink.close()).unwrap();
}

/// The JSON line of `event` as the sinks write it, without its newline.
fn json_line(rt: &Runtime, event: &AuditEvent) -> String {
    let out = StdoutSink::with_writer(Vec::new());
    rt.block_on(out.emit(event.clone())).unwrap();
    let line = out.with_output(|bytes| String::from_utf8(bytes.clone()).unwrap());
    line.trim_end().to_string()
}

/// Writes the day file of `day`'s date holding `DAY_EVENTS` events spread evenly over the
/// day, each with its own uid and time; one in `one_in` is a `session.start`, the others
/// carry other type names. The lines are the sample event's line with those fields
/// swapped, which is what the sink would write for them, at a fraction of the cost.
fn write_day(rt: &Runtime, dir: &Path, day: &FakeClock, one_in: u64) {
    let start = day.now();
    let template = sample_event(day);
    let line = json_line(rt, &template);
    let uid = format!("\"uid\":\"{}\"", template.uid());
    let time = "\"time\":\"";
    let (head, rest) = line.split_once(&uid).unwrap();
    let (middle, tail) = rest.split_once(time).unwrap();
    let (_, tail) = tail.split_once('"').unwrap();
    let other_tail = tail
        .replace("\"event\":\"session.start\"", "\"event\":\"exec\"")
        .replace("\"code\":\"T2000I\"", "\"code\":\"T3002I\"");
    let other_head = head.replace("\"code\":\"T2000I\"", "\"code\":\"T3002I\"");
    let other_middle = middle.replace("\"code\":\"T2000I\"", "\"code\":\"T3002I\"");
    assert_ne!(
        (&other_head, &other_middle, &other_tail),
        (&head.to_string(), &middle.to_string(), &tail.to_string()),
        "the template must change for other types"
    );
    let name = format!(
        "{:04}-{:02}-{:02}.00:00:00.log",
        start.year(),
        u8::from(start.month()),
        start.day()
    );
    let file = std::fs::File::create(dir.join(&name)).unwrap();
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let step = DAY / DAY_EVENTS as u32;
    for n in 0..DAY_EVENTS {
        let t = start + step * n as u32;
        let (head, middle, tail) = if n % one_in == 0 {
            (head, middle, tail)
        } else {
            (
                other_head.as_str(),
                other_middle.as_str(),
                other_tail.as_str(),
            )
        };
        writeln!(
            out,
            "{head}\"uid\":\"00000000-0000-4000-8000-{n:012x}\"{middle}{time}{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z\"{tail}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond()
        )
        .unwrap();
    }
    let file = out.into_inner().unwrap();
    file.sync_all().unwrap();
    println!(
        "generated {DAY_EVENTS} events ({} MB) for {name}",
        file.metadata().unwrap().len() / 1_000_000
    );
}

fn search_benches(c: &mut Criterion, rt: &Runtime) {
    let dir = tempfile::Builder::new()
        .prefix("audit-search-bench-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    // 2021-01-01: every event a session.start; 2021-01-02: one in ten.
    let plain_day = FakeClock::default();
    let mixed_day = FakeClock::new(plain_day.now() + DAY);
    write_day(rt, dir.path(), &plain_day, 1);
    write_day(rt, dir.path(), &mixed_day, 10);
    let sink = FileSink::open(dir.path(), Arc::new(SystemClock)).unwrap();
    let whole = |day: &FakeClock| SearchQuery::new(day.now(), day.now() + DAY).limit(PAGE);
    let noon = plain_day.now() + DAY / 2;
    let cases = [
        (
            "newest first, all",
            whole(&plain_day).order(Order::NewestFirst),
        ),
        (
            "oldest first, all",
            whole(&plain_day).order(Order::OldestFirst),
        ),
        (
            "newest first, 1-in-10 type",
            whole(&mixed_day)
                .event_types(["session.start"])
                .order(Order::NewestFirst),
        ),
        (
            "oldest first, 1-in-10 type",
            whole(&mixed_day)
                .event_types(["session.start"])
                .order(Order::OldestFirst),
        ),
        (
            "newest first, to noon",
            SearchQuery::new(plain_day.now(), noon)
                .limit(PAGE)
                .order(Order::NewestFirst),
        ),
        (
            "oldest first, from noon",
            SearchQuery::new(noon, plain_day.now() + DAY)
                .limit(PAGE)
                .order(Order::OldestFirst),
        ),
    ];
    // The worst case, apart: a type that no event has, so the whole day is read.
    let absent = (
        "newest first, absent type (whole file read)",
        whole(&mixed_day)
            .event_types(["no.such.type"])
            .order(Order::NewestFirst),
    );
    let cases = cases
        .into_iter()
        .map(|case| (case, PAGE))
        .chain([(absent, 0)]);
    let mut group = c.benchmark_group("audit_search_first_page");
    for ((name, query), expected) in cases {
        // Every case must really return its page, with the events it asked for. The first
        // search of part of a day also builds that day's time index: timed here, apart.
        let first = std::time::Instant::now();
        let page = rt.block_on(sink.search(query.clone())).unwrap();
        println!(
            "{name}: first search {:.1} ms",
            first.elapsed().as_secs_f64() * 1e3
        );
        assert_eq!(page.events.len(), expected, "{name}");
        assert!(page
            .events
            .iter()
            .all(|e| query.from <= e.time() && e.time() < query.to));
        group.bench_function(BenchmarkId::new("1M events/day", name), |b| {
            b.to_async(rt).iter(|| {
                let query = query.clone();
                let sink = &sink;
                async move {
                    let page = sink.search(query).await.unwrap();
                    assert_eq!(page.events.len(), expected);
                }
            })
        });
    }
    group.finish();
    rt.block_on(sink.close()).unwrap();
}

fn audit_sink_benches(c: &mut Criterion) {
    let rt = runtime();
    emit_benches(c, &rt);
    search_benches(c, &rt);
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// The criterion group (in a private module: its generated function has no doc).
mod group {
    criterion::criterion_group! {
        name = benches;
        config = super::config();
        targets = super::audit_sink_benches
    }
}
criterion_main!(group::benches);
