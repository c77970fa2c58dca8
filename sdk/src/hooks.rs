//! The hooks every generated call runs through: credentials, then the idempotency key
//! and the attempts, with retries, rate-limit waits and tracing.
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
use crate::response::Attempts;
use crate::runtime::OperationInfo;
use crate::{random, retry};

/// progenitor's name for `createTicket`.
const CREATE_TICKET: &str = "create_ticket";
/// The JSON property that makes a create idempotent.
const DEDUP_KEY: &str = "deDuplicationKey";

pub(crate) trait ClientHooks<Inner> {
    /// Adds the credentials and the user agent.
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
    async fn pre<E>(&self, request: &mut Request, _: &OperationInfo) -> Result<(), Error<E>> {
        let headers = request.headers_mut();
        headers.insert(API_KEY_HEADER, self.inner.api_key.header_value());
        headers
            .entry(USER_AGENT)
            .or_insert(HeaderValue::from_static(crate::config::USER_AGENT));
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
            Ok(response) => (Some(response.status().as_u16()), Attempts::of(response)),
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
        mut request: Request,
        info: &OperationInfo,
    ) -> Result<Response, Error<E>> {
        let settings = &self.inner.settings;
        let deadline = settings.operation_timeout.map(|t| Instant::now() + t);
        let fits = |wait: Duration| {
            wait <= settings.max_retry_wait && deadline.is_none_or(|d| Instant::now() + wait < d)
        };
        let max_attempts = if self.make_repeatable(&mut request, info) {
            settings.max_retries.saturating_add(1)
        } else {
            1
        };
        let mut original = Some(request);

        let mut attempt = 0;
        loop {
            attempt += 1;
            while let Some(wait) = self.inner.rate_limit.reserve(SystemTime::now())
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
                    let (status, headers) = (response.status(), response.headers());
                    span.record("status", status.as_u16());
                    span.record("request_id", crate::response::request_id(headers));
                    self.inner.rate_limit.observe(status, headers, now);
                    retry::is_retryable_status(status).then(|| {
                        retry::server_wait(status, headers, now)
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

    /// Whether the request may be sent more than once. A body that is a stream cannot be
    /// sent twice; a create repeats safely only with a deDuplicationKey, so one without
    /// gets a fresh key here (unless `idempotent_creates` is off), before the first
    /// attempt, and every attempt carries the same key.
    fn make_repeatable(&self, request: &mut Request, info: &OperationInfo) -> bool {
        let Some(body) = request.body() else {
            return true;
        };
        let Some(bytes) = body.as_bytes() else {
            return false;
        };
        if info.operation_id != CREATE_TICKET || body_has_dedup_key(bytes) {
            return true;
        }
        if !self.inner.settings.idempotent_creates {
            return false;
        }
        match insert_dedup_key(bytes, &random::uuid_v4()) {
            Some(with_key) => {
                *request.body_mut() = Some(with_key.into());
                true
            }
            None => false,
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

/// Whether a JSON object body has a non-null top-level `deDuplicationKey`. A byte search
/// answers the common case; only a body that mentions the key is parsed.
fn body_has_dedup_key(body: &[u8]) -> bool {
    memchr::memmem::find(body, br#""deDuplicationKey":"#).is_some()
        && serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
            .is_ok_and(|body| body.get(DEDUP_KEY).is_some_and(|k| !k.is_null()))
}

/// Adds `"deDuplicationKey":"<key>"` to a serialized JSON object, before its closing
/// brace, without parsing it. `None` when the body is not an object.
fn insert_dedup_key(body: &[u8], key: &str) -> Option<Vec<u8>> {
    let close = body
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .filter(|&i| body[i] == b'}')?;
    let head = &body[..close];
    let open = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .filter(|&i| head[i] == b'{')?;
    let empty = head[open + 1..].iter().all(u8::is_ascii_whitespace);
    let mut out = Vec::with_capacity(body.len() + DEDUP_KEY.len() + key.len() + 6);
    out.extend_from_slice(head);
    if !empty {
        out.push(b',');
    }
    out.extend_from_slice(format!(r#""{DEDUP_KEY}":"{key}""#).as_bytes());
    out.extend_from_slice(&body[close..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn a_key_is_inserted_into_any_object_and_stays_valid_json() {
        for body in [
            json!({}),
            json!({ "title": "t", "metadata": { "a": [1, { "b": "}" }] } }),
        ] {
            let bytes = serde_json::to_vec(&body).expect("serializes");
            let with_key = insert_dedup_key(&bytes, "k-1").expect("an object");
            let parsed: Value = serde_json::from_slice(&with_key).expect("still JSON");
            let mut expected = body.clone();
            expected["deDuplicationKey"] = json!("k-1");
            assert_eq!(parsed, expected);
            assert!(body_has_dedup_key(&with_key));
        }
        assert_eq!(insert_dedup_key(b"[1]", "k"), None);
        assert_eq!(insert_dedup_key(b"", "k"), None);
    }

    #[test]
    fn only_a_top_level_non_null_key_counts() {
        let has = |v: Value| body_has_dedup_key(&serde_json::to_vec(&v).expect("serializes"));
        assert!(has(json!({ "deDuplicationKey": "k" })));
        assert!(!has(json!({ "deDuplicationKey": null })));
        assert!(!has(json!({ "metadata": { "deDuplicationKey": "k" } })));
        assert!(!has(
            json!({ "description": "about \"deDuplicationKey\": keys" })
        ));
        assert!(!has(json!({ "title": "t" })));
    }
}
