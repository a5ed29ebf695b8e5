//! Shared helpers for the teleport-rs benchmarks in `benches/`.

use std::future::Future;
use std::time::{Duration, Instant};

/// Runs `iters` calls of `op` spread over `tasks` concurrent Tokio tasks (task `t` runs
/// its share with `op(t, n)` for `n` in `0..share`) and returns the wall-clock time until
/// the last one finished. With `tasks == 1` the calls run in sequence on one task.
///
/// Panics if a task panics: a benchmark stops on the first backend error.
pub async fn run_spread<F, Fut>(iters: u64, tasks: usize, op: F) -> Duration
where
    F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tasks = tasks.max(1);
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|task| {
            let share = share(iters, tasks, task);
            let op = op.clone();
            tokio::spawn(async move {
                for n in 0..share {
                    op(task, n).await;
                }
            })
        })
        .collect();
    for handle in handles {
        if let Err(err) = handle.await {
            std::panic::resume_unwind(err.into_panic());
        }
    }
    start.elapsed()
}

/// How many of `iters` calls task `task` of `tasks` runs: an even split, the first tasks
/// taking one more when it does not divide.
pub fn share(iters: u64, tasks: usize, task: usize) -> u64 {
    let tasks = tasks as u64;
    let task = task as u64;
    iters / tasks + u64::from(task < iters % tasks)
}

/// A value of `len` bytes, like a small JSON resource.
pub fn value(len: usize) -> Vec<u8> {
    (0..len).map(|n| b'a' + (n % 26) as u8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up() {
        for iters in [0, 1, 63, 64, 65, 1000] {
            let total: u64 = (0..64).map(|task| share(iters, 64, task)).sum();
            assert_eq!(total, iters);
        }
    }
}
