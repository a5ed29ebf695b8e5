//! Label selectors (filled in by the resource work).
