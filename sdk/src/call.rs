//! One call: its attempts, the waits between them, and the answer's body, read whole
//! (within the size limit) inside the attempt, so that a body cut short is retried like
//! any other failure that can heal. The generated code gets the answer as a
//! `ResponseValue<Bytes>` and decodes it.

use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::HeaderMap;
use reqwest::{Request, Response, StatusCode};
use tracing::{Instrument, Level, field};

use crate::Client;
use crate::dry_run::PreparedRequest;
use crate::error::Error;
use crate::hooks::{OperationInfo, elapsed_ms};
use crate::idempotency;
use crate::random;
use crate::rate_limit::{Bounds, Permit, Refusal};
use crate::response::{self, CallFacts, ResponseHead, ResponseValue};
use crate::retry::{self, Stop};
use crate::transport::{self, Cause, Timeout};

/// How much of a body a trace event shows.
const TRACE_BODY: usize = 4096;

/// How one attempt ended.
enum Outcome {
    /// A whole answer.
    Answered {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
    /// No answer at all.
    NoResponse(reqwest::Error),
    /// An answer whose body broke off.
    BodyFailed {
        status: StatusCode,
        headers: HeaderMap,
        source: reqwest::Error,
    },
    /// An answer whose body is over the limit; not read further.
    TooLarge {
        status: StatusCode,
        headers: HeaderMap,
    },
}

impl Client {
    /// The retry loop: one attempt, then retries while the failure can heal, the
    /// request is safe to repeat, and the wait fits the limits.
    pub(crate) async fn call<E>(
        &self,
        request: Request,
        info: &OperationInfo,
    ) -> Result<ResponseValue<Bytes>, Error<E>> {
        let settings = &self.inner.settings;
        // A limit past the end of the clock is no limit.
        let deadline = settings
            .operation_timeout
            .and_then(|t| Instant::now().checked_add(t));
        let bounds = Bounds {
            max_wait: settings.max_retry_wait,
            deadline,
        };
        let max_attempts = match idempotency::repeatable(request.method(), info.dedup_key.as_ref())
        {
            true => settings.max_retries.saturating_add(1),
            false => 1,
        };
        let mut facts = CallFacts {
            attempts: 0,
            dedup_key: info.dedup_key.clone(),
            earlier_attempt_uncertain: false,
            stop: None,
            succeeded_earlier: false,
            redactor: self.inner.redactor.clone(),
        };
        let mut original = Some(request);
        // The last attempt's end, while a retry waits for the quota.
        let mut last: Option<(Outcome, Timeout)> = None;

        let (outcome, timeout, stop) = loop {
            let permit = match self.admit(bounds).await {
                Ok(permit) => permit,
                Err(refusal) => {
                    let stop = match refusal {
                        Refusal::Quota(quota) if quota.wait > settings.max_retry_wait => {
                            Stop::WaitTooLong(quota.wait)
                        }
                        Refusal::Quota(_) => Stop::OperationTimeout,
                        Refusal::Stopped => Stop::NotRetryable,
                    };
                    // A retry refused: the last attempt's failure is the call's.
                    if let Some((outcome, timeout)) = last {
                        break (outcome, timeout, stop);
                    }
                    facts.stop = Some(stop);
                    return Err(match refusal {
                        Refusal::Quota(quota) => Error::QuotaExhausted {
                            until: quota.until,
                            wait: quota.wait,
                            facts,
                        },
                        Refusal::Stopped => Error::Stopped { facts },
                    });
                }
            };
            facts.attempts += 1;
            let attempt = facts.attempts;

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
            let timeout = match deadline.map(|d| d.saturating_duration_since(Instant::now())) {
                Some(left) if left < settings.timeout => Timeout::Operation(left),
                _ => Timeout::Attempt(settings.timeout),
            };
            *this.timeout_mut() = Some(timeout.limit());

            let span = tracing::debug_span!(
                "thena.attempt",
                attempt,
                status = field::Empty,
                request_id = field::Empty,
                duration_ms = field::Empty,
            );
            let sent = Instant::now();
            let outcome = self
                .attempt(this, permit, &span)
                .instrument(span.clone())
                .await;
            span.record("duration_ms", elapsed_ms(sent));

            let retry_wait = match &outcome {
                Outcome::Answered {
                    status, headers, ..
                } => retry::is_retryable_status(*status).then(|| {
                    let server = retry::server_wait(*status, headers, SystemTime::now());
                    server.unwrap_or_default().max(self.backoff(attempt))
                }),
                Outcome::NoResponse(e) => transport::is_transient(e).then(|| self.backoff(attempt)),
                Outcome::BodyFailed { .. } => Some(self.backoff(attempt)),
                Outcome::TooLarge { .. } => None,
            };
            let stop = match retry_wait {
                None => Stop::NotRetryable,
                Some(_) if max_attempts == 1 => Stop::NotRetryable,
                Some(_) if attempt >= max_attempts => Stop::RetriesExhausted,
                Some(wait) if wait > settings.max_retry_wait => Stop::WaitTooLong(wait),
                Some(wait) if !bounds.allow(wait) => Stop::OperationTimeout,
                Some(wait) => {
                    facts.earlier_attempt_uncertain |= match &outcome {
                        Outcome::Answered { status, .. } => retry::may_have_processed(*status),
                        // A connection that was never made carried nothing.
                        Outcome::NoResponse(e) => !e.is_connect(),
                        _ => true,
                    };
                    facts.succeeded_earlier |= matches!(
                        &outcome,
                        Outcome::BodyFailed { status, .. } if status.is_success()
                    );
                    tracing::debug!(
                        attempt,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "transient failure; retrying"
                    );
                    tokio::time::sleep(wait).await;
                    last = Some((outcome, timeout));
                    continue;
                }
            };
            break (outcome, timeout, stop);
        };
        // Which limit a timed-out attempt hit: connecting has a limit of its own.
        let timed_out = |e: &reqwest::Error| {
            (Cause::of(e) == Cause::TimedOut).then(|| match e.is_connect() {
                true => Timeout::Connect(settings.connect_timeout),
                false => timeout,
            })
        };
        // An attempt cut short by what was left of the operation's limit ended the call.
        let cut_by_deadline = matches!(timeout, Timeout::Operation(_))
            && match &outcome {
                Outcome::NoResponse(e) | Outcome::BodyFailed { source: e, .. } => {
                    timed_out(e) == Some(timeout)
                }
                _ => false,
            };
        facts.stop = Some(if cut_by_deadline {
            Stop::OperationTimeout
        } else {
            stop
        });
        match outcome {
            Outcome::Answered {
                status,
                headers,
                body,
            } => Ok(ResponseValue::new(
                ResponseHead::new(status, headers, facts),
                body,
            )),
            Outcome::NoResponse(source) => Err(Error::CommunicationError {
                timeout: timed_out(&source),
                source,
                facts,
            }),
            Outcome::BodyFailed {
                status,
                headers,
                source,
            } => Err(Error::ResponseBodyError {
                timeout: timed_out(&source),
                head: ResponseHead::new(status, headers, facts),
                source,
            }),
            Outcome::TooLarge { status, headers } => Err(Error::ResponseTooLarge {
                head: ResponseHead::new(status, headers, facts),
                limit: settings.max_response_bytes,
            }),
        }
    }

    /// Waits in arrival order for room in the quota. A wait for a spent quota past the
    /// call's bounds fails at once; the waits of all its attempts end at its deadline.
    async fn admit(&self, bounds: Bounds) -> Result<Permit, Refusal> {
        let limiter = &self.inner.rate_limit;
        let admit = limiter.admit(bounds);
        match bounds.deadline {
            Some(deadline) => tokio::time::timeout_at(deadline.into(), admit)
                .await
                .unwrap_or_else(|_| Err(Refusal::Quota(limiter.deadline_passed()))),
            None => admit.await,
        }
    }

    /// Sends once and reads the answer to its end or to the size limit.
    async fn attempt(&self, request: Request, permit: Permit, span: &tracing::Span) -> Outcome {
        let redactor = &self.inner.redactor;
        if tracing::enabled!(Level::TRACE) {
            let shown = PreparedRequest::of(&request, redactor);
            tracing::trace!(
                method = %shown.method(),
                url = %shown.url(),
                headers = ?shown.headers(),
                body = %redactor.excerpt(shown.body().unwrap_or_default(), TRACE_BODY),
                "request"
            );
        }
        let mut response = match self.client.execute(request).await {
            Ok(response) => response,
            Err(e) => return Outcome::NoResponse(e),
        };
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        if !span.is_disabled() {
            span.record("status", status.as_u16());
            span.record(
                "request_id",
                response::request_id(&headers, &self.inner.redactor),
            );
        }
        permit.observe(status, &headers);
        if tracing::enabled!(Level::TRACE) {
            let headers = redactor.headers(&headers);
            tracing::trace!(status = status.as_u16(), headers = ?headers, "response");
        }

        let limit = self.inner.settings.max_response_bytes;
        if response.content_length().is_some_and(|n| n > limit) {
            return Outcome::TooLarge { status, headers };
        }
        match read_body(&mut response, limit).await {
            Ok(Some(body)) => {
                tracing::trace!(body = %redactor.excerpt(&body, TRACE_BODY), "response body");
                Outcome::Answered {
                    status,
                    headers,
                    body,
                }
            }
            Ok(None) => Outcome::TooLarge { status, headers },
            Err(source) => Outcome::BodyFailed {
                status,
                headers,
                source,
            },
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

/// The body, or `None` once it passes `limit` bytes. A body in one chunk is not copied.
async fn read_body(response: &mut Response, limit: u64) -> Result<Option<Bytes>, reqwest::Error> {
    let fits = |len: usize| u64::try_from(len).is_ok_and(|len| len <= limit);
    let Some(first) = response.chunk().await? else {
        return Ok(Some(Bytes::new()));
    };
    if !fits(first.len()) {
        return Ok(None);
    }
    let Some(second) = response.chunk().await? else {
        return Ok(Some(first));
    };
    let mut body = BytesMut::from(first);
    let mut next = Some(second);
    while let Some(chunk) = next {
        if !fits(body.len().saturating_add(chunk.len())) {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
        next = response.chunk().await?;
    }
    Ok(Some(body.freeze()))
}
