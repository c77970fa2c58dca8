//! Tests of `thena-sdk` that need more than the SDK itself: see `tests/`.
//!
//! The repository's README is this crate's documentation too, so that its examples
//! compile as doc tests.
#![doc = include_str!("../../README.md")]
