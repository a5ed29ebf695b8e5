//! Test helpers every crate's tests share, kept in one place (DESIGN.md: never copied
//! per crate). A dev-dependency only: nothing here ships in a library.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod child;
