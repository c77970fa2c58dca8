#![doc = include_str!("../README.md")]
//!
//! The steps every request goes through are listed in the source of its `api` module.
#![deny(missing_docs)]

mod api;
mod chaos;
mod control;
mod faults;
mod ids;
mod rate_limit;
mod reply;
mod requests;
mod server;
mod state;
mod store;
mod ticket;
mod validate;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use thena_sdk::types::Ticket;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use chaos::{Chaos, InvalidChaos};
pub use faults::{Fault, FaultBody, FaultKind, Route};
pub use rate_limit::{ParseRateLimitError, RateLimit, RateLimitHeaders};
pub use requests::{ApiKeyCheck, RequestRecord};

use state::Shared;

/// The API key a sandbox accepts unless told otherwise. Obviously not a real key.
pub const DEFAULT_API_KEY: &str = "sandbox-api-key";

/// A running sandbox. Dropping it stops the server; [`Sandbox::shutdown`] also waits
/// for requests in flight.
pub struct Sandbox {
    url: String,
    api_key: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts a sandbox on a port the OS chooses, with [`DEFAULT_API_KEY`] and
    /// [`RateLimit::DEFAULT`]. Must be called inside a tokio runtime.
    pub async fn start() -> io::Result<Self> {
        Self::builder().start().await
    }

    /// Settings for a sandbox: port, API key, rate limit.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The API key clients must send in `x-api-key`.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// Queues a fault for the next matching API requests; see [`Fault`].
    pub fn inject(&self, fault: Fault) {
        self.shared.faults.push(fault);
    }

    /// The faults still to apply, in order, with their remaining counts.
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.faults.pending()
    }

    /// Removes every fault still to apply.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Turns chaos mode on (see [`Chaos`]), changes it, or with `None` turns it off.
    pub fn set_chaos(&self, chaos: Option<Chaos>) {
        self.shared.chaos.set(chaos);
    }

    /// The chaos in force, if any.
    pub fn chaos(&self) -> Option<Chaos> {
        self.shared.chaos.get()
    }

    /// Every ticket, in creation order, as the last create or update left it.
    pub fn tickets(&self) -> Vec<Ticket> {
        self.shared.store.list(None)
    }

    /// The API requests received so far, oldest first: the most recent ones, as many as
    /// [`SandboxBuilder::request_log`] allows (10,000 by default).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.log.all()
    }

    /// How many requests the log has forgotten to stay within its capacity, since it
    /// was last emptied.
    pub fn requests_dropped(&self) -> u64 {
        self.shared.log.dropped()
    }

    /// Empties the request log, and the count of requests it forgot.
    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// Stops accepting connections and waits (up to 5 seconds) for requests in flight.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// What the sandbox answers to a create whose `deDuplicationKey` it has seen. Thena's
/// documentation says only that the key prevents duplicates; these are the two answers
/// an API of its kind gives, so that clients can be tested against both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnDuplicate {
    /// The original ticket, with the original create's status (201).
    #[default]
    Replay,
    /// `409 Conflict` with an `ErrorResponse` naming the key, and no ticket.
    Conflict,
}

impl FromStr for OnDuplicate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "replay" => Ok(Self::Replay),
            "conflict" => Ok(Self::Conflict),
            other => Err(format!("{other:?}: expected replay or conflict")),
        }
    }
}

/// Settings for a [`Sandbox`], from [`Sandbox::builder`].
#[derive(Clone, Debug)]
pub struct SandboxBuilder {
    port: u16,
    api_key: String,
    rate_limit: RateLimit,
    clock_shift: i64,
    rate_limit_headers: RateLimitHeaders,
    on_duplicate: OnDuplicate,
    chaos: Option<Chaos>,
    request_log: usize,
    keys_only: bool,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            port: 0,
            api_key: DEFAULT_API_KEY.to_owned(),
            rate_limit: RateLimit::DEFAULT,
            clock_shift: 0,
            rate_limit_headers: RateLimitHeaders::All,
            on_duplicate: OnDuplicate::Replay,
            chaos: None,
            request_log: requests::DEFAULT_CAPACITY,
            keys_only: false,
        }
    }
}

impl SandboxBuilder {
    /// The port on 127.0.0.1; 0 (the default) lets the OS choose a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The API key clients must send (default [`DEFAULT_API_KEY`]).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    /// The rate limit (default [`RateLimit::DEFAULT`]).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = limit;
        self
    }

    /// Runs the sandbox's clock `seconds` ahead of the machine's (behind when negative):
    /// its rate-limit windows, `X-RateLimit-Reset` and `Date` all follow it, as a server
    /// whose clock differs from its clients' does (default 0).
    pub fn clock_shift(mut self, seconds: i64) -> Self {
        self.clock_shift = seconds;
        self
    }

    /// Which `X-RateLimit-*` headers the answers carry (default all three).
    pub fn rate_limit_headers(mut self, headers: RateLimitHeaders) -> Self {
        self.rate_limit_headers = headers;
        self
    }

    /// What a create with a `deDuplicationKey` already seen gets (default
    /// [`OnDuplicate::Replay`]).
    pub fn on_duplicate(mut self, mode: OnDuplicate) -> Self {
        self.on_duplicate = mode;
        self
    }

    /// How many requests the log keeps, the most recent (default 10,000; 0 keeps
    /// none). Older ones are forgotten and counted ([`Sandbox::requests_dropped`]), so
    /// that a long soak stays within a bound.
    pub fn request_log(mut self, capacity: usize) -> Self {
        self.request_log = capacity;
        self
    }

    /// Keeps of each ticket only what deduplication needs (its key's 64-bit fingerprint,
    /// its id and `ticketIdentifier`: about 70 bytes), for a rehearsal of a large
    /// import. A reused key is answered with a ticket of those fields only; the tickets
    /// cannot be listed ([`Sandbox::tickets`] is empty) or updated (404).
    pub fn keys_only(mut self) -> Self {
        self.keys_only = true;
        self
    }

    /// Starts in chaos mode: each API request meets a random fault with the chaos's
    /// probability (default: no chaos).
    pub fn chaos(mut self, chaos: Chaos) -> Self {
        self.chaos = Some(chaos);
        self
    }

    /// Binds the port and starts serving in a task of the current tokio runtime. Fails
    /// if the port is taken or the API key is empty.
    pub async fn start(self) -> io::Result<Sandbox> {
        if self.api_key.trim().is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the API key must not be empty",
            ));
        }
        let listener =
            TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let limiter =
            rate_limit::Limiter::new(self.rate_limit, self.clock_shift, self.rate_limit_headers);
        let shared = Arc::new(Shared::new(
            self.api_key.clone(),
            limiter,
            self.on_duplicate,
            state::Memory {
                request_log: self.request_log,
                keys_only: self.keys_only,
            },
        ));
        shared.chaos.set(self.chaos);
        let (stop, stopped) = oneshot::channel();
        let server = tokio::spawn(server::serve(listener, app(Arc::clone(&shared)), stopped));
        Ok(Sandbox {
            url,
            api_key: self.api_key,
            shared,
            stop: Some(stop),
            server: Some(server),
        })
    }
}

fn app(shared: Arc<Shared>) -> Router {
    api::routes()
        .merge(control::routes())
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .with_state(shared)
}
