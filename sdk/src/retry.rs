//! When to try again, and how long to wait first.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::response::RateLimit;

/// Statuses that say "not now" rather than "not this": the request may succeed later.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Transport failures worth another attempt: no connection, a timeout, or a connection
/// that broke before the response arrived.
pub(crate) fn is_transient(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_timeout() || e.is_request()
}

/// The wait the server asked for: `Retry-After` (seconds or an HTTP date), or, on a 429
/// without it, the time until `X-RateLimit-Reset`.
pub(crate) fn server_wait(
    status: StatusCode,
    headers: &HeaderMap,
    now: SystemTime,
) -> Option<Duration> {
    if let Some(value) = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()) {
        let value = value.trim();
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(date) = chrono::DateTime::parse_from_rfc2822(value) {
            let at = SystemTime::from(date);
            return Some(at.duration_since(now).unwrap_or_default());
        }
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        let reset = RateLimit::from_headers(headers)?.reset;
        return Some(reset.duration_since(now).unwrap_or_default());
    }
    None
}

/// Exponential backoff with jitter for retry number `retry` (1 for the first retry):
/// `base * 2^(retry-1)`, capped, then drawn from its upper half so that clients that
/// failed together do not retry together.
pub(crate) fn backoff(retry: u32, base: Duration, cap: Duration, random: u64) -> Duration {
    let exp = base
        .saturating_mul(
            1u32.checked_shl(retry.saturating_sub(1))
                .unwrap_or(u32::MAX),
        )
        .min(cap);
    let half = exp / 2;
    let spread = half.as_nanos() as u64;
    half + Duration::from_nanos(if spread == 0 {
        0
    } else {
        random % (spread + 1)
    })
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

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let ok = StatusCode::SERVICE_UNAVAILABLE;
        assert_eq!(
            server_wait(ok, &headers(&[("retry-after", "3")]), now),
            Some(Duration::from_secs(3))
        );
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT
        let date = headers(&[("retry-after", "Tue, 14 Nov 2023 22:13:25 GMT")]);
        assert_eq!(server_wait(ok, &date, now), Some(Duration::from_secs(5)));
        let past = headers(&[("retry-after", "Tue, 14 Nov 2023 22:13:00 GMT")]);
        assert_eq!(server_wait(ok, &past, now), Some(Duration::ZERO));
        assert_eq!(
            server_wait(ok, &headers(&[("retry-after", "soon")]), now),
            None
        );
    }

    #[test]
    fn rate_limit_reset_counts_only_for_429() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1700000007"),
        ]);
        assert_eq!(
            server_wait(StatusCode::TOO_MANY_REQUESTS, &h, now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(server_wait(StatusCode::SERVICE_UNAVAILABLE, &h, now), None);
    }

    #[test]
    fn backoff_grows_caps_and_jitters_within_the_upper_half() {
        let (base, cap) = (Duration::from_millis(500), Duration::from_secs(8));
        assert_eq!(backoff(1, base, cap, 0), Duration::from_millis(250));
        assert_eq!(
            backoff(1, base, cap, u64::MAX),
            Duration::from_millis(250) + Duration::from_nanos(u64::MAX % 250_000_001)
        );
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
    fn only_transient_statuses_are_retried() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(
                is_retryable_status(StatusCode::from_u16(s).expect("status")),
                "{s}"
            );
        }
        for s in [400, 401, 403, 404, 409, 413, 422, 501] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(s).expect("status")),
                "{s}"
            );
        }
    }
}
