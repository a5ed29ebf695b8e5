//! Certificate authorities (being written).
