//! Rate-limit awareness: the window the server reports, shared by all clones of a client,
//! so that the client waits for the reset instead of collecting 429s.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::response::RateLimit;
use crate::retry;

#[derive(Debug)]
pub(crate) struct RateLimiter {
    enabled: bool,
    window: Mutex<Option<Window>>,
}

/// What the client knows of the server's current window. `remaining` counts down with
/// every request this client sends, so that requests in flight are accounted for before
/// the server's answer to them arrives.
#[derive(Clone, Copy, Debug)]
struct Window {
    limit: Option<u64>,
    remaining: u64,
    /// `None` once the reset has passed and no response of the new window has come back.
    reset: Option<SystemTime>,
}

impl RateLimiter {
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            enabled,
            window: Mutex::new(None),
        }
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Option<Window>> {
        // A panic elsewhere cannot leave a window half-written: keep using it.
        self.window
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes one request from the current window. Returns how long to wait first when
    /// the window is spent; `None` to send now.
    pub(crate) fn reserve(&self, now: SystemTime) -> Option<Duration> {
        if !self.enabled {
            return None;
        }
        let mut guard = self.window();
        let w = guard.as_mut()?;
        if w.reset.is_some_and(|reset| reset <= now) {
            // A new window: the full limit, counted down until the server reports.
            w.remaining = w.limit.unwrap_or(u64::MAX);
            w.reset = None;
        }
        match (w.remaining, w.reset) {
            (0, Some(reset)) => reset.duration_since(now).ok(),
            // Spent, with no reset known: let the server say how long.
            (0, None) => None,
            _ => {
                w.remaining -= 1;
                None
            }
        }
    }

    /// Learns the window from a response. Reports of one window arrive out of order and
    /// lag the requests in flight, so the lower of the local count and the report wins.
    pub(crate) fn observe(&self, status: StatusCode, headers: &HeaderMap, now: SystemTime) {
        if !self.enabled {
            return;
        }
        let mut window = self.window();
        if let Some(reported) = RateLimit::from_headers(headers) {
            match window.as_mut() {
                // A report of a window already over.
                Some(w) if w.reset.is_some_and(|reset| reset > reported.reset) => {}
                Some(w) if w.reset.is_none_or(|reset| reset == reported.reset) => {
                    w.remaining = w.remaining.min(reported.remaining);
                    w.reset = Some(reported.reset);
                    w.limit = reported.limit.or(w.limit);
                }
                _ => {
                    *window = Some(Window {
                        limit: reported.limit,
                        remaining: reported.remaining,
                        reset: Some(reported.reset),
                    });
                }
            }
        }
        if status == StatusCode::TOO_MANY_REQUESTS
            && let Some(wait) = retry::server_wait(status, headers, now)
        {
            let limit = window.as_ref().and_then(|w| w.limit);
            *window = Some(Window {
                limit,
                remaining: 0,
                reset: Some(now + wait),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn report(remaining: u64, reset: u64) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from(20u64));
        h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
        h.insert("x-ratelimit-reset", HeaderValue::from(reset));
        h
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn waits_for_the_reset_once_the_window_is_spent() {
        let limiter = RateLimiter::new(true);
        assert_eq!(limiter.reserve(at(100)), None, "nothing known yet");
        limiter.observe(StatusCode::OK, &report(2, 105), at(100));
        assert_eq!(limiter.reserve(at(100)), None);
        assert_eq!(limiter.reserve(at(100)), None);
        assert_eq!(limiter.reserve(at(101)), Some(Duration::from_secs(4)));
        assert_eq!(limiter.reserve(at(105)), None, "a new window");
    }

    #[test]
    fn a_new_window_counts_down_from_the_limit_before_any_report() {
        let limiter = RateLimiter::new(true);
        limiter.observe(StatusCode::OK, &report(0, 105), at(100));
        for _ in 0..20 {
            assert_eq!(limiter.reserve(at(105)), None);
        }
        assert_eq!(
            limiter.reserve(at(105)),
            None,
            "spent, but no reset known: the server decides"
        );
        // The first report of the new window lags the 20 requests in flight.
        limiter.observe(StatusCode::OK, &report(19, 106), at(105));
        assert_eq!(limiter.reserve(at(105)), Some(Duration::from_secs(1)));
    }

    #[test]
    fn out_of_order_reports_keep_the_lowest_remaining() {
        let limiter = RateLimiter::new(true);
        limiter.observe(StatusCode::OK, &report(0, 105), at(100));
        limiter.observe(StatusCode::OK, &report(5, 105), at(100));
        limiter.observe(StatusCode::OK, &report(9, 101), at(100));
        assert_eq!(limiter.reserve(at(100)), Some(Duration::from_secs(5)));
    }

    #[test]
    fn a_429_closes_the_window_for_its_retry_after() {
        let limiter = RateLimiter::new(true);
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from(2u64));
        limiter.observe(StatusCode::TOO_MANY_REQUESTS, &h, at(100));
        assert_eq!(limiter.reserve(at(100)), Some(Duration::from_secs(2)));
    }

    #[test]
    fn disabled_never_waits() {
        let limiter = RateLimiter::new(false);
        limiter.observe(StatusCode::OK, &report(0, 105), at(100));
        assert_eq!(limiter.reserve(at(100)), None);
    }
}
