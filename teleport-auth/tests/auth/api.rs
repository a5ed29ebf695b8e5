//! Auth API scenarios.
