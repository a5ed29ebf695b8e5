//! Audit sinks (filled in by the sink work).
