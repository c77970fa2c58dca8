//! A fixed-window rate limit over all API requests, and the `X-RateLimit-*` headers.
//!
//! Windows are aligned to UNIX time (a `1m` window runs from one whole minute to the
//! next), so `X-RateLimit-Reset` is simply the end of the current window, in UNIX seconds.

use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How many API requests the sandbox answers per fixed window; the excess gets 429.
/// Written `N/WINDOW`, WINDOW a whole number of seconds, minutes or hours: `5/10s`,
/// `100/1m`, `5000/1h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    requests: u32,
    window_secs: u64,
}

impl RateLimit {
    /// The limit a sandbox has when none is set: generous enough never to get in a test's
    /// way, while every response still carries the headers.
    pub const DEFAULT: RateLimit = RateLimit {
        requests: 100_000,
        window_secs: 60,
    };

    /// `requests` per `window`; `None` if either is zero or the window is not a whole
    /// number of seconds.
    pub fn new(requests: u32, window: Duration) -> Option<Self> {
        let whole_seconds = window.subsec_nanos() == 0 && window.as_secs() > 0;
        (requests > 0 && whole_seconds).then_some(Self {
            requests,
            window_secs: window.as_secs(),
        })
    }

    /// Requests allowed per window.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The window's length.
    pub fn window(&self) -> Duration {
        Duration::from_secs(self.window_secs)
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match self.window_secs {
            s if s % 3600 == 0 => (s / 3600, "h"),
            s if s % 60 == 0 => (s / 60, "m"),
            s => (s, "s"),
        };
        write!(f, "{}/{n}{unit}", self.requests)
    }
}

/// Why a `N/WINDOW` string is not a rate limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseRateLimitError(String);

impl fmt::Display for ParseRateLimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rate limit {:?}: expected N/WINDOW with N > 0 and WINDOW like 1s, 10s, 1m, 1h",
            self.0
        )
    }
}

impl std::error::Error for ParseRateLimitError {}

impl FromStr for RateLimit {
    type Err = ParseRateLimitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || ParseRateLimitError(s.to_owned());
        let (requests, window) = s.trim().split_once('/').ok_or_else(invalid)?;
        let requests: u32 = requests.parse().map_err(|_| invalid())?;
        // The unit is the last character, whatever its width.
        let (unit_at, _) = window.char_indices().last().ok_or_else(invalid)?;
        let (count, unit) = window.split_at(unit_at);
        let count: u64 = count.parse().map_err(|_| invalid())?;
        let seconds = match unit {
            "s" => Some(count),
            "m" => count.checked_mul(60),
            "h" => count.checked_mul(3600),
            _ => None,
        }
        .ok_or_else(invalid)?;
        Self::new(requests, Duration::from_secs(seconds)).ok_or_else(invalid)
    }
}

/// Which `X-RateLimit-*` headers the answers carry, as servers and proxies differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RateLimitHeaders {
    /// `Limit`, `Remaining` and `Reset` (the default).
    #[default]
    All,
    /// `Remaining` and `Reset` only.
    Some,
    /// None of them (a 429 still carries `Retry-After`).
    None,
}

impl FromStr for RateLimitHeaders {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(Self::All),
            "some" => Ok(Self::Some),
            "none" => Ok(Self::None),
            other => Err(format!("{other:?}: expected all, some or none")),
        }
    }
}

/// Where one request stands against the limit: what the headers say.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Quota {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// The end of the current window, in UNIX seconds on the sandbox's clock.
    pub(crate) reset: u64,
    /// Set when the request is over the limit: seconds until the window ends, at least 1.
    pub(crate) retry_after: Option<u64>,
    /// The sandbox's clock, in UNIX seconds, when its clock is shifted: the `Date` to send.
    pub(crate) date: Option<u64>,
    pub(crate) headers: RateLimitHeaders,
}

pub(crate) struct Limiter {
    limit: RateLimit,
    /// Seconds the sandbox's clock runs ahead of the machine's (behind when negative).
    clock_shift: i64,
    headers: RateLimitHeaders,
    /// The current window's index since the epoch, and the requests answered in it.
    window: Mutex<(u64, u32)>,
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit, clock_shift: i64, headers: RateLimitHeaders) -> Self {
        Self {
            limit,
            clock_shift,
            headers,
            window: Mutex::new((0, 0)),
        }
    }

    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Counts one request; requests over the limit are not counted.
    pub(crate) fn hit(&self) -> Quota {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let shifted = now_ms.saturating_add(self.clock_shift.saturating_mul(1000));
        let mut quota = self.hit_at(u64::try_from(shifted).unwrap_or(0));
        quota.headers = self.headers;
        if self.clock_shift != 0 {
            quota.date = Some(u64::try_from(shifted / 1000).unwrap_or(0));
        }
        quota
    }

    fn hit_at(&self, now_ms: u64) -> Quota {
        let window_ms = self.limit.window_secs.saturating_mul(1000);
        let index = now_ms / window_ms;
        let reset_ms = index.saturating_add(1).saturating_mul(window_ms);
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        if window.0 != index {
            *window = (index, 0);
        }
        let allowed = window.1 < self.limit.requests;
        if allowed {
            window.1 += 1;
        }
        Quota {
            limit: self.limit.requests,
            remaining: self.limit.requests - window.1,
            reset: reset_ms.div_ceil(1000),
            retry_after: (!allowed).then(|| (reset_ms - now_ms).div_ceil(1000).max(1)),
            date: None,
            headers: RateLimitHeaders::All,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_and_print() {
        for (text, requests, secs) in [("5/10s", 5, 10), ("100/1m", 100, 60), ("7/2h", 7, 7200)] {
            let limit: RateLimit = text.parse().expect(text);
            assert_eq!(
                (limit.requests(), limit.window().as_secs()),
                (requests, secs)
            );
            assert_eq!(limit.to_string(), text);
        }
        for bad in [
            "", "5", "5/", "0/1s", "5/0s", "5/1d", "x/1s", "5/s", "-1/1s", "5/1é", "5/é", "5/1ss",
        ] {
            let err = bad.parse::<RateLimit>().expect_err(bad);
            assert!(err.to_string().contains("N/WINDOW"), "{err}");
        }
    }

    #[test]
    fn the_excess_waits_for_the_next_window() {
        let limiter = Limiter::new("2/10s".parse().expect("valid"), 0, RateLimitHeaders::All);
        let start = 1_700_000_003_500; // 3.5 s into a 10 s window
        let first = limiter.hit_at(start);
        assert_eq!(
            (first.remaining, first.reset, first.retry_after),
            (1, 1_700_000_010, None)
        );
        assert_eq!(limiter.hit_at(start + 1).remaining, 0);
        let over = limiter.hit_at(start + 2);
        assert_eq!((over.remaining, over.retry_after), (0, Some(7)));
        let next = limiter.hit_at(1_700_000_010_000);
        assert_eq!(
            (next.remaining, next.reset, next.retry_after),
            (1, 1_700_000_020, None)
        );
    }
}
