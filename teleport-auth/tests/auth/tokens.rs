//! Join token scenarios.
