//! Certificate authority scenarios.
