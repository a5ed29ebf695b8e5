//! The conformance suite every [`Backend`] implementation must pass.
//!
//! Each case is a public `async fn(Env)` that panics when the backend misbehaves. Run them
//! from an implementation's tests with [`backend_conformance_tests!`](crate::backend_conformance_tests),
//! which writes one `#[tokio::test]` per case, given an expression that evaluates to a
//! constructor `Fn(SharedClock) -> impl Future<Output = impl Backend>` called once per case:
//!
//! ```no_run
//! mod memory {
//!     teleport_backend::backend_conformance_tests!(|clock| async move {
//!         teleport_backend::MemoryBackend::new(clock)
//!     });
//! }
//! ```
//!
//! The constructor expression is evaluated afresh in each test, so it may own per-test
//! resources such as a temporary directory that every backend it opens lives in.
//! [`run_all`] runs every case in sequence instead (one test, less precise reports).
//!
//! Time: each case hands the constructor a [`FakeClock`] and moves it forward to pass
//! expiries; nothing sleeps. Waiting for a watch event is bounded by [`EVENT_TIMEOUT`].

// A failed step is a failed test: panicking with a message is this module's job.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

pub mod crud;
pub mod range;
pub mod ttl;
pub mod watch;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use teleport_core::{Clock, FakeClock, SharedClock};
use time::OffsetDateTime;

use crate::{Backend, Event, Watcher};

/// How long a case waits for a watch event before failing.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a case gets: a fresh, empty backend and the fake clock it reads.
#[derive(Clone)]
pub struct Env {
    /// The backend under test.
    pub backend: Arc<dyn Backend>,
    /// The clock the backend was built with; move it to pass expiries.
    pub clock: FakeClock,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Env {
    /// The fake clock's time plus `seconds`.
    pub fn in_seconds(&self, seconds: i64) -> OffsetDateTime {
        self.clock.now() + time::Duration::seconds(seconds)
    }

    /// Moves the fake clock forward by `seconds`.
    pub fn advance(&self, seconds: u64) {
        self.clock.advance(Duration::from_secs(seconds));
    }
}

/// A boxed case future.
pub type CaseFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// One named case of the suite.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// The case's function name, for example `create_fails_if_present`.
    pub name: &'static str,
    /// Runs the case.
    pub run: fn(Env) -> CaseFuture,
}

/// Every case, in the order [`run_all`] runs them.
pub const CASES: &[Case] = crate::__backend_conformance_cases!(list);

/// Builds a backend with `make` on a fresh [`FakeClock`] and runs `case` on it.
pub async fn run_case<F, Fut, B, C, CFut>(make: &F, case: C)
where
    F: Fn(SharedClock) -> Fut,
    Fut: Future<Output = B>,
    B: Backend + 'static,
    C: FnOnce(Env) -> CFut,
    CFut: Future<Output = ()>,
{
    let clock = FakeClock::default();
    let backend = make(Arc::new(clock.clone())).await;
    case(Env {
        backend: Arc::new(backend),
        clock,
    })
    .await;
}

/// Runs every case in [`CASES`], each on a fresh backend from `make`, printing each
/// case's name as it starts.
pub async fn run_all<F, Fut, B>(make: F)
where
    F: Fn(SharedClock) -> Fut,
    Fut: Future<Output = B>,
    B: Backend + 'static,
{
    for case in CASES {
        println!("backend conformance: {}", case.name);
        run_case(&make, case.run).await;
    }
}

/// The next event of `watcher`, failing the case if none comes within [`EVENT_TIMEOUT`]
/// or the watcher ends.
pub async fn next_event(watcher: &mut Watcher) -> Event {
    match tokio::time::timeout(EVENT_TIMEOUT, watcher.recv()).await {
        Ok(Some(Ok(event))) => event,
        Ok(Some(Err(err))) => panic!("the watcher failed: {err}"),
        Ok(None) => panic!("the watcher ended"),
        Err(_) => panic!("no watch event within {EVENT_TIMEOUT:?}"),
    }
}

/// Generates one `#[tokio::test]` per conformance case, each building its backend with
/// the constructor that `$make` evaluates to. See [`conformance`](crate::conformance).
#[macro_export]
macro_rules! backend_conformance_tests {
    ($make:expr) => {
        $crate::__backend_conformance_cases!(tests $make);
    };
}

/// The one list of cases, expanded as tests or as [`CASES`]. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_conformance_cases {
    ($($mode:tt)*) => {
        $crate::__backend_conformance_expand! { ($($mode)*)
            crud::get_missing_key_is_not_found,
            crud::put_then_get_returns_value_and_revision,
            crud::put_replaces_value,
            crud::create_fails_if_present,
            crud::update_fails_if_absent,
            crud::delete_removes_item,
            crud::delete_missing_key_is_not_found,
            crud::empty_key_is_refused,
            crud::binary_keys_and_empty_values_round_trip,
            crud::compare_and_swap_replaces_matching_value,
            crud::compare_and_swap_fails_on_other_value,
            crud::compare_and_swap_fails_if_absent,
            crud::compare_and_swap_is_atomic,
            crud::revisions_strictly_increase,
            crud::close_refuses_later_calls,
            range::prefix_range_is_in_key_order,
            range::prefix_match_is_bytewise,
            range::prefix_with_high_bytes,
            range::between_range_is_half_open,
            range::reversed_range_is_empty,
            range::limit_caps_the_result,
            range::delete_range_counts_and_spares_the_rest,
            range::delete_range_by_prefix,
            ttl::expired_item_is_invisible,
            ttl::expiry_round_trips,
            ttl::create_replaces_expired_item,
            ttl::update_and_delete_treat_expired_as_absent,
            ttl::compare_and_swap_fails_if_expired,
            ttl::put_without_expiry_clears_it,
            ttl::remove_expired_removes_only_expired,
            ttl::limit_counts_only_live_items,
            watch::watch_starts_with_init,
            watch::watch_reports_puts_and_deletes_in_order,
            watch::watch_filters_by_prefix,
            watch::every_watcher_sees_every_event,
            watch::watch_reports_expiry_as_delete,
            watch::watch_reports_each_key_of_delete_range,
            watch::failed_writes_send_no_events,
            watch::close_ends_watchers,
        }
    };
}

/// Expands the case list. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_conformance_expand {
    ((tests $make:expr) $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let make = $make;
                $crate::conformance::run_case(&make, $crate::conformance::$module::$case).await;
            }
        )*
    };
    ((list) $($module:ident :: $case:ident),* $(,)?) => {
        &[
            $(
                $crate::conformance::Case {
                    name: ::core::stringify!($case),
                    run: |env| ::std::boxed::Box::pin($crate::conformance::$module::$case(env)),
                },
            )*
        ]
    };
}
