//! The hooks every generated call runs through: credentials and the idempotency key
//! before the first attempt, then attempts with retries, rate-limit waits and tracing.
//!
//! Shaped like progenitor's `ClientHooks` (the generated code calls `pre`, `exec` and
//! `post`), but `exec` returns the SDK's [`Error`], so that a call that fails without a
//! response still reports how many attempts it made.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderValue, USER_AGENT};
use reqwest::{Request, Response};
use tracing::{Instrument, field};

use crate::Client;
use crate::auth::API_KEY_HEADER;
use crate::error::Error;
use crate::response::{Attempts, ResponseHead};
use crate::runtime::OperationInfo;
use crate::{random, retry};

/// progenitor's name for `createTicket`.
const CREATE_TICKET: &str = "create_ticket";
/// The JSON property that makes a create idempotent.
const DEDUP_KEY: &str = "deDuplicationKey";

pub(crate) trait ClientHooks<Inner> {
    /// Prepares the request once, before the first attempt.
    async fn pre<E>(&self, request: &mut Request, info: &OperationInfo) -> Result<(), Error<E>>;
    /// Sends the request, retrying what is safe to retry.
    async fn exec<E>(&self, request: Request, info: &OperationInfo) -> Result<Response, Error<E>>;
    /// Runs after `exec`; nothing to do, the generated code calls it.
    async fn post<E>(
        &self,
        result: &Result<Response, Error<E>>,
        info: &OperationInfo,
    ) -> Result<(), Error<E>>;
}

impl ClientHooks<crate::runtime::Runtime> for Client {
    async fn pre<E>(&self, request: &mut Request, info: &OperationInfo) -> Result<(), Error<E>> {
        let headers = request.headers_mut();
        headers.insert(API_KEY_HEADER, self.inner.api_key.header_value());
        headers
            .entry(USER_AGENT)
            .or_insert(HeaderValue::from_static(crate::config::USER_AGENT));
        if info.operation_id == CREATE_TICKET && self.inner.settings.idempotent_creates {
            ensure_dedup_key(request);
        }
        Ok(())
    }

    async fn exec<E>(&self, request: Request, info: &OperationInfo) -> Result<Response, Error<E>> {
        let span = tracing::info_span!(
            "thena.call",
            operation = info.operation_id,
            method = %request.method(),
            path = request.url().path(),
            status = field::Empty,
            attempts = field::Empty,
            duration_ms = field::Empty,
        );
        let started = Instant::now();
        let result = self.attempts(request, info).instrument(span.clone()).await;
        let (status, attempts) = match &result {
            Ok(response) => (
                Some(response.status().as_u16()),
                ResponseHead::of(response).attempts(),
            ),
            Err(e) => (None, e.attempts()),
        };
        span.record("status", status);
        span.record("attempts", attempts);
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        result
    }

    async fn post<E>(
        &self,
        _: &Result<Response, Error<E>>,
        _: &OperationInfo,
    ) -> Result<(), Error<E>> {
        Ok(())
    }
}

impl Client {
    /// The retry loop: one attempt, then retries while the failure is transient, the
    /// request is safe to repeat, and the wait fits the limits.
    async fn attempts<E>(
        &self,
        request: Request,
        info: &OperationInfo,
    ) -> Result<Response, Error<E>> {
        let settings = &self.inner.settings;
        let deadline = settings.operation_timeout.map(|t| Instant::now() + t);
        let fits = |wait: Duration| {
            wait <= settings.max_retry_wait && deadline.is_none_or(|d| Instant::now() + wait < d)
        };
        // A create repeats safely only with a deDuplicationKey; a body that cannot be
        // cloned (a stream) cannot be sent twice.
        let repeatable = request.try_clone().is_some()
            && (info.operation_id != CREATE_TICKET || has_dedup_key(&request));
        let max_attempts = if repeatable {
            settings.max_retries.saturating_add(1)
        } else {
            1
        };
        let mut original = Some(request);

        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(wait) = self.inner.rate_limit.reserve(SystemTime::now())
                && fits(wait)
            {
                tracing::debug!(
                    wait_ms = wait.as_millis() as u64,
                    "rate-limit window spent; waiting for its reset"
                );
                tokio::time::sleep(wait).await;
            }

            // Clones while more attempts may follow; the last attempt sends the original.
            let next = match attempt < max_attempts {
                true => original.as_ref().and_then(Request::try_clone),
                false => None,
            };
            let Some(mut this) = next.or_else(|| original.take()) else {
                return Err(Error::InvalidRequest(
                    "the request body cannot be sent twice".into(),
                ));
            };
            *this.timeout_mut() = Some(match deadline {
                Some(d) => settings
                    .timeout
                    .min(d.saturating_duration_since(Instant::now())),
                None => settings.timeout,
            });

            let span = tracing::debug_span!(
                "thena.attempt",
                attempt,
                status = field::Empty,
                request_id = field::Empty,
                duration_ms = field::Empty,
            );
            let sent = Instant::now();
            let result = self.client.execute(this).instrument(span.clone()).await;
            span.record("duration_ms", sent.elapsed().as_millis() as u64);

            let now = SystemTime::now();
            let retry_wait = match &result {
                Ok(response) => {
                    let head = ResponseHead::of(response);
                    span.record("status", head.status().as_u16());
                    span.record("request_id", head.request_id());
                    self.inner
                        .rate_limit
                        .observe(head.status(), head.headers(), now);
                    retry::is_retryable_status(head.status()).then(|| {
                        retry::server_wait(head.status(), head.headers(), now)
                            .unwrap_or_else(|| self.backoff(attempt))
                    })
                }
                Err(e) => retry::is_transient(e).then(|| self.backoff(attempt)),
            };
            match retry_wait {
                Some(wait) if attempt < max_attempts && fits(wait) => {
                    tracing::debug!(
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "transient failure; retrying"
                    );
                    tokio::time::sleep(wait).await;
                }
                _ => {
                    return match result {
                        Ok(mut response) => {
                            response.extensions_mut().insert(Attempts(attempt));
                            Ok(response)
                        }
                        Err(source) => Err(Error::CommunicationError {
                            source,
                            attempts: attempt,
                        }),
                    };
                }
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let settings = &self.inner.settings;
        retry::backoff(
            attempt,
            settings.backoff_base,
            settings.backoff_cap,
            random::u64(),
        )
    }
}

fn json_body(request: &Request) -> Option<serde_json::Map<String, serde_json::Value>> {
    serde_json::from_slice(request.body()?.as_bytes()?).ok()
}

fn has_dedup_key(request: &Request) -> bool {
    json_body(request).is_some_and(|body| body.get(DEDUP_KEY).is_some_and(|k| !k.is_null()))
}

/// Gives a create without a deDuplicationKey a fresh one, so that every attempt of this
/// call carries the same key and the server creates the ticket at most once.
fn ensure_dedup_key(request: &mut Request) {
    let Some(mut body) = json_body(request) else {
        return;
    };
    if body.get(DEDUP_KEY).is_some_and(|k| !k.is_null()) {
        return;
    }
    body.insert(DEDUP_KEY.into(), random::uuid_v4().into());
    if let Ok(bytes) = serde_json::to_vec(&body) {
        *request.body_mut() = Some(bytes.into());
    }
}
