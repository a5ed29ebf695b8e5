//! Backend throughput: put, get, get_range and compare_and_swap on the memory and sled
//! backends, from one task and from 64 concurrent tasks.
//!
//! Run with `cargo bench -p benches --bench backend`; results and their reading are in
//! `docs/benchmarks.md`. Every figure is operations per second (criterion's `elem/s`);
//! a get_range operation reads 100 items.
//!
//! The sled database lives under Cargo's target tmp dir (a real disk, not tmpfs), and
//! every sled write is durable (flushed with `fsync`) before it returns.

// A benchmark stops on the first backend error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use benches::{run_spread, value};
use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use teleport_backend::{Backend, Item, KeyRange, MemoryBackend, SledBackend};
use teleport_core::SystemClock;
use tokio::runtime::Runtime;

/// Concurrent tasks in the "64 writers" cases.
const MANY: usize = 64;
/// Bytes per value: about one small resource.
const VALUE_LEN: usize = 256;
/// Keys read by the get cases.
const KEYS: u64 = 10_000;
/// Keys per get_range call (the range holds exactly this many).
const RANGE_LEN: u64 = 100;

/// A backend under test; `_dir` keeps the sled directory alive.
struct Subject {
    name: &'static str,
    backend: Arc<dyn Backend>,
    _dir: Option<tempfile::TempDir>,
}

fn subjects() -> Vec<Subject> {
    let dir = tempfile::Builder::new()
        .prefix("backend-bench-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let sled = SledBackend::open(dir.path().join("backend"), Arc::new(SystemClock)).unwrap();
    vec![
        Subject {
            name: "memory",
            backend: Arc::new(MemoryBackend::new(Arc::new(SystemClock))),
            _dir: None,
        },
        Subject {
            name: "sled",
            backend: Arc::new(sled),
            _dir: Some(dir),
        },
    ]
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn concurrency(tasks: usize) -> &'static str {
    if tasks == 1 {
        "1 task"
    } else {
        "64 tasks"
    }
}

fn backend_benches(c: &mut Criterion) {
    let rt = runtime();
    for subject in subjects() {
        let backend = &subject.backend;
        rt.block_on(fill(backend.as_ref()));

        let mut group = c.benchmark_group("put");
        group.throughput(Throughput::Elements(1));
        for tasks in [1, MANY] {
            let id = BenchmarkId::new(subject.name, concurrency(tasks));
            group.bench_function(id, |b| {
                b.to_async(&rt).iter_custom(|iters| {
                    let backend = Arc::clone(backend);
                    run_spread(iters, tasks, move |task, n| {
                        let backend = Arc::clone(&backend);
                        async move {
                            let key = format!("/bench/put/{task:02}/{:05}", n % 1000);
                            backend.put(Item::new(key, value(VALUE_LEN))).await.unwrap();
                        }
                    })
                })
            });
        }
        group.finish();

        let mut group = c.benchmark_group("get");
        group.throughput(Throughput::Elements(1));
        for tasks in [1, MANY] {
            let id = BenchmarkId::new(subject.name, concurrency(tasks));
            group.bench_function(id, |b| {
                b.to_async(&rt).iter_custom(|iters| {
                    let backend = Arc::clone(backend);
                    run_spread(iters, tasks, move |task, n| {
                        let backend = Arc::clone(&backend);
                        async move {
                            let key = get_key((n * 7919 + task as u64 * 131) % KEYS);
                            backend.get(key.as_bytes()).await.unwrap();
                        }
                    })
                })
            });
        }
        group.finish();

        let mut group = c.benchmark_group("get_range_100");
        group.throughput(Throughput::Elements(1));
        for tasks in [1, MANY] {
            let id = BenchmarkId::new(subject.name, concurrency(tasks));
            group.bench_function(id, |b| {
                b.to_async(&rt).iter_custom(|iters| {
                    let backend = Arc::clone(backend);
                    run_spread(iters, tasks, move |task, n| {
                        let backend = Arc::clone(&backend);
                        async move {
                            let range = (n + task as u64) % (KEYS / RANGE_LEN);
                            let prefix = format!("/bench/get/{range:03}/");
                            let items = backend
                                .get_range(KeyRange::prefix(prefix), 0)
                                .await
                                .unwrap();
                            assert_eq!(items.len() as u64, RANGE_LEN);
                        }
                    })
                })
            });
        }
        group.finish();

        let mut group = c.benchmark_group("compare_and_swap");
        group.throughput(Throughput::Elements(1));
        for tasks in [1, MANY] {
            let id = BenchmarkId::new(subject.name, concurrency(tasks));
            group.bench_function(id, |b| {
                b.to_async(&rt).iter_custom(|iters| {
                    let backend = Arc::clone(backend);
                    async move {
                        // Each task swaps its own counter key: no compare ever fails.
                        let start: Vec<u64> = {
                            let mut start = Vec::with_capacity(tasks);
                            for task in 0..tasks {
                                let item = backend.get(cas_key(task).as_bytes()).await.unwrap();
                                start.push(String::from_utf8(item.value).unwrap().parse().unwrap());
                            }
                            start
                        };
                        let start = Arc::new(start);
                        run_spread(iters, tasks, move |task, n| {
                            let backend = Arc::clone(&backend);
                            let current = start[task] + n;
                            async move {
                                backend
                                    .compare_and_swap(
                                        current.to_string().as_bytes(),
                                        Item::new(cas_key(task), (current + 1).to_string()),
                                    )
                                    .await
                                    .unwrap();
                            }
                        })
                        .await
                    }
                })
            });
        }
        group.finish();

        rt.block_on(subject.backend.close()).unwrap();
    }
}

fn get_key(n: u64) -> String {
    format!("/bench/get/{:03}/{:05}", n / RANGE_LEN, n)
}

fn cas_key(task: usize) -> String {
    format!("/bench/cas/{task:02}")
}

/// The keys the read and compare-and-swap cases expect.
async fn fill(backend: &dyn Backend) {
    for n in 0..KEYS {
        backend
            .put(Item::new(get_key(n), value(VALUE_LEN)))
            .await
            .unwrap();
    }
    for task in 0..MANY {
        backend.put(Item::new(cas_key(task), "0")).await.unwrap();
    }
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
        targets = super::backend_benches
    }
}
criterion_main!(group::benches);
