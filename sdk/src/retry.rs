//! When to try again, and how long to wait first.
//!
//! Every time the server states (`Retry-After`, `X-RateLimit-Reset`) is checked
//! arithmetic: a value that lies further ahead than [`HORIZON`], or that no clock can
//! represent, is treated as absent, never as a reason to panic or to sleep for ever.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::headers::RateLimit;

/// The furthest ahead a server's wait or reset is believed. Rate-limit windows are
/// minutes or hours; anything beyond a day is a misconfigured proxy or milliseconds sent
/// as seconds, and is ignored.
pub(crate) const HORIZON: Duration = Duration::from_secs(24 * 60 * 60);

/// Why a call that failed made no further attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stop {
    /// No further attempt could help or was allowed: the failure is final (a 4xx other
    /// than 408 and 429, a certificate the client refuses, an answer that does not
    /// decode), or the request may be sent only once (a create without a key).
    NotRetryable,
    /// Every attempt [`max_retries`](crate::ClientBuilder::max_retries) allows was made.
    RetriesExhausted,
    /// The call's [`operation_timeout`](crate::ClientBuilder::operation_timeout) ran
    /// out: the last attempt was cut short by it, or the next one would have started
    /// past it.
    OperationTimeout,
    /// The wait before the next attempt (the server's, or the backoff) was longer than
    /// [`max_retry_wait`](crate::ClientBuilder::max_retry_wait).
    WaitTooLong(Duration),
}

/// Statuses that say "not now" rather than "not this": the request may succeed later.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Statuses after which the server may have carried the request out: an earlier attempt
/// answered with one of these may have created the ticket. (408 and 429 are refusals.)
pub(crate) fn may_have_processed(status: StatusCode) -> bool {
    status.is_server_error()
}

/// The wait the server asked for: `Retry-After` (seconds or an HTTP date), or, on a 429
/// without it, the time until `X-RateLimit-Reset`. `None` when neither is present and
/// believable.
pub(crate) fn server_wait(
    status: StatusCode,
    headers: &HeaderMap,
    now: SystemTime,
) -> Option<Duration> {
    let retry_after = retry_after(headers, now);
    if retry_after.is_some() {
        return retry_after;
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return until(RateLimit::from_headers(headers)?.reset?, now);
    }
    None
}

/// `Retry-After` alone, when present and believable.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now))
}

/// The time from `now` until `at`: zero when `at` has passed, `None` beyond [`HORIZON`].
pub(crate) fn until(at: SystemTime, now: SystemTime) -> Option<Duration> {
    let wait = at.duration_since(now).unwrap_or_default();
    (wait <= HORIZON).then_some(wait)
}

/// `Retry-After`: delay-seconds, or an HTTP date in any of the three formats RFC 9110
/// requires a recipient to accept (IMF-fixdate, RFC 850, asctime).
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than a u64 holds is as absurd as any value past the horizon.
        let secs = value.parse::<u64>().ok()?;
        return Some(Duration::from_secs(secs)).filter(|wait| *wait <= HORIZON);
    }
    until(http_date(value)?, now)
}

/// An HTTP date as a point in time; `None` when it is none of the three formats or
/// lies outside what the clock can represent.
pub(crate) fn http_date(value: &str) -> Option<SystemTime> {
    use chrono::NaiveDateTime;
    let parsed = chrono::DateTime::parse_from_rfc2822(value)
        .map(|d| d.naive_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%A, %d-%b-%y %H:%M:%S GMT"))
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%a %b %e %H:%M:%S %Y"))
        .ok()?;
    let secs = parsed.and_utc().timestamp();
    match u64::try_from(secs) {
        Ok(secs) => SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs)),
        // Before 1970: long past, so no wait at all.
        Err(_) => Some(SystemTime::UNIX_EPOCH),
    }
}

/// Exponential backoff with jitter for retry number `retry` (1 for the first retry):
/// `base * 2^(retry-1)`, capped, then drawn from its upper half so that clients that
/// failed together do not retry together. Saturates instead of overflowing.
pub(crate) fn backoff(retry: u32, base: Duration, cap: Duration, random: u64) -> Duration {
    let factor = 1u32
        .checked_shl(retry.saturating_sub(1))
        .unwrap_or(u32::MAX);
    let exp = base.saturating_mul(factor).min(cap);
    let half = exp / 2;
    let spread = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    let jitter = match spread.checked_add(1) {
        Some(range) => random % range,
        None => random,
    };
    half.saturating_add(Duration::from_nanos(jitter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("valid header"));
        }
        h
    }

    // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT
    const NOW: u64 = 1_700_000_000;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(NOW)
    }

    fn wait(status: u16, pairs: &[(&'static str, &str)]) -> Option<Duration> {
        let status = StatusCode::from_u16(status).expect("a status");
        server_wait(status, &headers(pairs), now())
    }

    #[test]
    fn retry_after_in_seconds_and_as_a_date_in_all_three_formats() {
        assert_eq!(
            wait(503, &[("retry-after", "3")]),
            Some(Duration::from_secs(3))
        );
        for date in [
            "Tue, 14 Nov 2023 22:13:25 GMT",
            "Tuesday, 14-Nov-23 22:13:25 GMT",
            "Tue Nov 14 22:13:25 2023",
        ] {
            assert_eq!(
                wait(503, &[("retry-after", date)]),
                Some(Duration::from_secs(5)),
                "{date}"
            );
        }
        assert_eq!(
            wait(503, &[("retry-after", "Sun Nov  6 08:49:37 1994")]),
            Some(Duration::ZERO),
            "asctime pads the day with a space; a past date means now"
        );
        assert_eq!(
            wait(503, &[("retry-after", "Tue, 14 Nov 2023 22:13:00 GMT")]),
            Some(Duration::ZERO)
        );
        for nonsense in ["soon", "-5", "1.5", "", "0x10"] {
            assert_eq!(wait(503, &[("retry-after", nonsense)]), None, "{nonsense}");
        }
    }

    #[test]
    fn absurd_waits_are_treated_as_absent() {
        for absurd in [
            "18446744073709551615",
            "99999999999999999999999",
            "86401",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(wait(429, &[("retry-after", absurd)]), None, "{absurd}");
        }
        assert_eq!(
            wait(429, &[("retry-after", "86400")]),
            Some(HORIZON),
            "a day is still believed"
        );
        assert_eq!(
            wait(
                429,
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "18446744073709551615")
                ]
            ),
            None
        );
        // Milliseconds sent as seconds.
        assert_eq!(wait(429, &[("x-ratelimit-reset", "1700000007000")]), None);
    }

    #[test]
    fn the_rate_limit_reset_counts_for_a_429_even_without_remaining() {
        let reset = [("x-ratelimit-reset", "1700000007")];
        assert_eq!(wait(429, &reset), Some(Duration::from_secs(7)));
        let both = [
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1700000007"),
        ];
        assert_eq!(wait(429, &both), Some(Duration::from_secs(7)));
        assert_eq!(wait(503, &both), None, "only a 429 means the window");
        assert_eq!(
            wait(429, &[("x-ratelimit-reset", "1699999999")]),
            Some(Duration::ZERO)
        );
        assert_eq!(
            wait(
                429,
                &[("retry-after", "2"), ("x-ratelimit-reset", "1700000007")]
            ),
            Some(Duration::from_secs(2)),
            "Retry-After comes first"
        );
    }

    #[test]
    fn backoff_grows_caps_and_jitters_within_the_upper_half() {
        let (base, cap) = (Duration::from_millis(500), Duration::from_secs(8));
        assert_eq!(backoff(1, base, cap, 0), Duration::from_millis(250));
        assert_eq!(
            backoff(1, base, cap, u64::MAX),
            Duration::from_millis(250) + Duration::from_nanos(u64::MAX % 250_000_001)
        );
        assert_eq!(backoff(2, base, cap, 0), Duration::from_millis(500));
        assert_eq!(backoff(3, base, cap, 0), Duration::from_secs(1));
        assert_eq!(backoff(10, base, cap, 0), Duration::from_secs(4));
        assert_eq!(backoff(40, base, cap, 0), Duration::from_secs(4));
        for r in [1u64, 12345, u64::MAX / 3] {
            let d = backoff(2, base, cap, r);
            assert!(
                d >= Duration::from_millis(500) && d <= Duration::from_secs(1),
                "{d:?}"
            );
        }
    }

    #[test]
    fn absurd_backoff_settings_saturate() {
        for (base, cap) in [
            (Duration::MAX, Duration::MAX),
            (Duration::from_secs(u64::MAX / 2), Duration::MAX),
            (Duration::from_nanos(1), Duration::ZERO),
        ] {
            for retry in [0, 1, 2, 33, u32::MAX] {
                for random in [0, 1, u64::MAX] {
                    let d = backoff(retry, base, cap, random);
                    assert!(d <= cap, "{d:?}");
                }
            }
        }
        assert_eq!(
            backoff(1, Duration::from_nanos(1), Duration::ZERO, u64::MAX),
            Duration::ZERO
        );
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(
                is_retryable_status(StatusCode::from_u16(s).expect("status")),
                "{s}"
            );
        }
        for s in [300, 301, 400, 401, 403, 404, 409, 413, 422, 501] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(s).expect("status")),
                "{s}"
            );
        }
    }
}
