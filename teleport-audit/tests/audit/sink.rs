//! Audit sink scenarios: the file sink's files, durability and searches, paging through
//! them, surviving `kill -9`, and the sinks `audit_events_uri` builds.

mod crash;
mod file;
mod pagination;
mod support;
mod uri;
