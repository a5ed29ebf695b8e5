//! Join tokens (being written).
