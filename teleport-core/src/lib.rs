//! Shared foundations of teleport-rs: the resource model in the YAML shapes of the
//! Teleport admin manual, the `teleport.yaml` configuration file, Go-style durations,
//! label selectors and an injectable clock.
//!
//! Every other crate of the workspace depends on this one and on nothing above it.

pub mod clock;
pub mod config;
pub mod duration;
pub mod labels;
pub mod resource;
pub mod table;

pub use clock::{Clock, FakeClock, SharedClock, SystemClock};
pub use duration::{Duration, DurationError};
