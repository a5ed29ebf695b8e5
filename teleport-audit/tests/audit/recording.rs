//! Session recording scenarios.
