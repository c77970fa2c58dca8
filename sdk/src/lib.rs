#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod call;
mod config;
mod error;
// Written by `cargo xtask generate` (prettyplease-formatted, so rustfmt keeps off it).
#[allow(missing_docs, clippy::all)]
#[rustfmt::skip]
mod generated;
mod hooks;
mod idempotency;
mod random;
mod rate_limit;
mod response;
mod retry;
mod runtime;
mod tls;
mod transport;

pub use config::{ClientBuilder, ConfigError, DEFAULT_BASE_URL};
pub use generated::*;
pub use idempotency::new_dedup_key;
pub use response::{CallFacts, RateLimit, ResponseHead};
pub use retry::Stop;
pub use transport::{Cause, Timeout};
