//! End to end: the SDK against the sandbox over real HTTP on loopback.
//!
//! By default each test starts its own in-process sandbox. `cargo xtask test` also runs
//! this suite through Stoplight Prism, a proxy that validates every request and response
//! against spec/thena.yaml: it sets `THENA_TEST_BASE_URL` (Prism),
//! `THENA_TEST_SANDBOX_URL` (the sandbox behind it) and `THENA_TEST_API_KEY`, and the
//! tests share that one sandbox, so each scopes its data by a team id of its own. The few
//! requests that break the spec on purpose go straight to the sandbox; see [`target`].

mod concurrency;
mod create;
mod errors;
mod rate_limit;
mod target;
mod update;
