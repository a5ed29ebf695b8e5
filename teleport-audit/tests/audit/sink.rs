//! Audit sink scenarios.
