//! Auth API scenarios: an in-process auth server on a loopback port, joined by nodes
//! with dynamic tokens and CA pins, and called by tctl's admin identity.

mod access;
mod fixture;
mod joining;
mod login;
mod users;
