//! The auth API (being written).
