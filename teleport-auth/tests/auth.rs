//! Integration tests of teleport-auth: real OpenSSH and OpenSSL tools check what the
//! auth service issues.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth {
    mod api;
    mod ca;
    mod tokens;
}
