//! Heartbeats of nodes and proxies (being written).
