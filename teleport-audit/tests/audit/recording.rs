//! Session recording scenarios: a session recorded to files (plain and gzip) reads back
//! byte for byte, replays with scaled delays, survives a recorder killed mid-write, and
//! keeps memory bounded however long it runs.

mod concurrent;
mod damaged;
mod files;
mod killed;
mod memory;
mod playback;
mod roundtrip;
mod support;
