#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The hand-written runtime, in layers: a file names only files of its own layer or of
// those below it (`tests/layers.rs` checks every `crate::` path, and that no circle forms
// inside a layer). `generated.rs` sits on top, and every layer may name what it serves:
// the generated `Client` and the `types`.
//
// 1. Facts of the wire, read without trusting them: `random`, `body` (a request body's
//    top-level members), `transport` (what ended an attempt, which timeout), `tls`,
//    `headers` (rate-limit window, request id), `settings` (what a client is configured
//    with, and `ConfigError`).
// 2. Keys: `auth` (the API key and the redactor), `idempotency` (the `deDuplicationKey`
//    and which requests repeat).
// 3. Policy: `retry` (when to try again, how long to wait, why a call stopped),
//    `rate_limit` (the quota shared by a client's clones).
// 4. Answers: `response` (a response's head and the call's facts), `error` (every way a
//    call fails), `decode` (bytes into the spec's values, or an error), `dry_run` (a
//    request built and not sent).
// 5. State: `state` (what every clone of a client shares).
// 6. The call: `hooks` (credentials, the span around a call), `call` (its attempts),
//    `config` (the builder), `runtime` (what the generated code imports), `raw` (a
//    request to any path, through the same hooks).

mod auth;
mod body;
mod call;
mod config;
mod decode;
mod dry_run;
mod error;
// Written by `cargo xtask generate` (prettyplease-formatted, so rustfmt keeps off it).
#[allow(missing_docs, clippy::all)]
#[rustfmt::skip]
mod generated;
mod headers;
mod hooks;
mod idempotency;
mod random;
mod rate_limit;
mod raw;
mod response;
mod retry;
mod runtime;
mod settings;
mod state;
mod tls;
mod transport;

pub use config::{ClientBuilder, DEFAULT_BASE_URL};
pub use dry_run::PreparedRequest;
pub use generated::*;
pub use headers::RateLimit;
pub use idempotency::new_dedup_key;
pub use raw::RawRequest;
/// The method of a [`Client::request`], re-exported so that callers need not name reqwest.
pub use reqwest::Method;
pub use response::{CallFacts, ResponseHead};
pub use retry::Stop;
pub use settings::ConfigError;
pub use transport::{Cause, Timeout};
