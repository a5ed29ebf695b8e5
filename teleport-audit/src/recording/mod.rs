//! Session recordings (filled in by the recording work).
