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

#[derive(Clone, Copy, Debug)]
struct Window {
    remaining: u64,
    reset: SystemTime,
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
        let mut window = self.window();
        match window.as_mut() {
            Some(w) if w.reset > now && w.remaining == 0 => w.reset.duration_since(now).ok(),
            Some(w) if w.reset > now => {
                w.remaining -= 1;
                None
            }
            // Past its reset, or never seen: the next response tells.
            _ => {
                *window = None;
                None
            }
        }
    }

    /// Learns the window from a response. Responses of one window arrive out of order, so
    /// the lower `remaining` wins; a later reset starts a new window.
    pub(crate) fn observe(&self, status: StatusCode, headers: &HeaderMap, now: SystemTime) {
        if !self.enabled {
            return;
        }
        let mut window = self.window();
        if let Some(reported) = RateLimit::from_headers(headers) {
            match window.as_mut() {
                Some(w) if w.reset == reported.reset => {
                    w.remaining = w.remaining.min(reported.remaining)
                }
                Some(w) if w.reset > reported.reset => {}
                _ => {
                    *window = Some(Window {
                        remaining: reported.remaining,
                        reset: reported.reset,
                    })
                }
            }
        }
        if status == StatusCode::TOO_MANY_REQUESTS
            && let Some(wait) = retry::server_wait(status, headers, now)
        {
            *window = Some(Window {
                remaining: 0,
                reset: now + wait,
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
