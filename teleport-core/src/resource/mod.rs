//! Resources (filled in by the resource work).
