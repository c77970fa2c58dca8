//! Rate-limit awareness: the window the server reports, shared by all clones of a client,
//! so that the client waits for the reset instead of collecting 429s.
//!
//! The server counts a request when it arrives; its answer reports what is left
//! (`X-RateLimit-Remaining`) and when the window ends (`X-RateLimit-Reset`). Answers
//! arrive late and out of order, so the client never trusts a report alone: every
//! request it sends counts from the moment it is sent, and the number it may still send
//! is a lower bound of what the server has left:
//!
//! - the lowest `Remaining` reported in the window (it counts every answered request),
//!   less every request still in flight and every one that ended without a report;
//! - or, when the window was opened by the clock, the limit less the requests in flight
//!   then and those sent since.
//!
//! Reports of a window that has ended, and resets further ahead than
//! [`HORIZON`](crate::retry::HORIZON), are ignored.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::headers::RateLimit;
use crate::retry;

/// How often a sender checks again when the window is spent and its reset is not known
/// yet: a report is on its way with the answers to the requests in flight.
const REPORT_POLL: Duration = Duration::from_millis(10);

#[derive(Debug)]
pub(crate) struct RateLimiter {
    enabled: bool,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// `X-RateLimit-Limit`, once reported.
    limit: Option<u64>,
    /// Requests sent and not yet answered.
    in_flight: u64,
    window: Window,
    /// Until when a 429 without a reset asked the client to wait.
    closed_until: Option<SystemTime>,
}

#[derive(Debug, Default)]
struct Window {
    /// When it ends; `None` until a report of this window arrives.
    reset: Option<SystemTime>,
    /// The lowest `Remaining` reported in it.
    lowest: Option<u64>,
    /// Requests of this window that ended without a report: they may have counted.
    unreported: u64,
    /// For a window opened by the clock: the limit less the requests in flight then and
    /// those sent since.
    countdown: Option<u64>,
}

/// Whether to send now.
#[derive(Debug)]
pub(crate) enum Admission {
    /// Send; report the answer through the permit.
    Go(Permit),
    /// The window is spent: ask again after this long.
    Wait(Duration),
}

impl RateLimiter {
    pub(crate) fn new(enabled: bool) -> Arc<Self> {
        Arc::new(Self {
            enabled,
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the counts half-written: keep using them.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes one request from the current window, or says how long to wait first.
    pub(crate) fn admit(self: &Arc<Self>, now: SystemTime) -> Admission {
        if !self.enabled {
            return Admission::Go(Permit(None));
        }
        let mut s = self.state();
        if let Some(until) = s.closed_until {
            match until.duration_since(now) {
                Ok(wait) if !wait.is_zero() => return Admission::Wait(wait),
                _ => s.closed_until = None,
            }
        }
        if s.window.reset.is_some_and(|reset| reset <= now) {
            // A new window, by the clock; requests in flight may still land in it.
            s.window = Window {
                countdown: s.limit.map(|limit| limit.saturating_sub(s.in_flight)),
                ..Window::default()
            };
        }
        if s.available() == Some(0) {
            match s.window.reset {
                Some(reset) => {
                    return Admission::Wait(reset.duration_since(now).unwrap_or_default());
                }
                None if s.in_flight > 0 => return Admission::Wait(REPORT_POLL),
                // Spent, nothing known and nothing in flight: let the server decide.
                None => {}
            }
        }
        drop(s);
        Admission::Go(self.send_anyway())
    }

    /// Counts a request sent whatever the window says (its wait was too long to accept).
    pub(crate) fn send_anyway(self: &Arc<Self>) -> Permit {
        if !self.enabled {
            return Permit(None);
        }
        let mut s = self.state();
        s.in_flight += 1;
        if let Some(countdown) = &mut s.window.countdown {
            *countdown = countdown.saturating_sub(1);
        }
        Permit(Some(Arc::clone(self)))
    }
}

impl State {
    /// How many more requests the window surely has room for; `None` when unknown.
    fn available(&self) -> Option<u64> {
        let reported = self.window.lowest.map(|lowest| {
            lowest
                .saturating_sub(self.in_flight)
                .saturating_sub(self.window.unreported)
        });
        match (reported, self.window.countdown) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    fn learn(&mut self, status: StatusCode, headers: &HeaderMap, now: SystemTime) {
        let reported = RateLimit::from_headers(headers);
        if let Some(limit) = reported.and_then(|r| r.limit) {
            self.limit = Some(limit);
        }
        let lowest = |window: &Window, remaining: u64| {
            Some(window.lowest.map_or(remaining, |l| l.min(remaining)))
        };
        match reported.and_then(|r| Some((r.reset?, r.remaining?))) {
            // A report of a window that has ended: it says nothing of this one.
            Some((reset, _)) if reset <= now => {}
            Some((reset, _)) if self.window.reset.is_some_and(|current| reset < current) => {}
            Some((reset, remaining)) if retry::until(reset, now).is_some() => {
                match self.window.reset {
                    Some(current) if current == reset => {
                        self.window.lowest = lowest(&self.window, remaining);
                    }
                    // The first report of the window the clock opened.
                    None => {
                        self.window.reset = Some(reset);
                        self.window.lowest = lowest(&self.window, remaining);
                    }
                    // The server has moved on to a later window than the client knew of.
                    Some(_) => {
                        self.window = Window {
                            reset: Some(reset),
                            lowest: Some(remaining),
                            ..Window::default()
                        };
                    }
                }
            }
            // No report, or an absurd one: the request may have counted.
            _ => self.window.unreported += 1,
        }
        if status == StatusCode::TOO_MANY_REQUESTS
            && let Some(until) =
                retry::server_wait(status, headers, now).and_then(|wait| now.checked_add(wait))
        {
            self.closed_until = Some(self.closed_until.map_or(until, |c| c.max(until)));
        }
    }
}

/// One request counted against the window. Its answer is reported through
/// [`Permit::observe`]; dropped unreported (no answer, or a cancelled call), it counts as
/// a request that may have reached the server.
#[derive(Debug)]
pub(crate) struct Permit(Option<Arc<RateLimiter>>);

impl Permit {
    /// Learns the window from the answer's headers.
    pub(crate) fn observe(mut self, status: StatusCode, headers: &HeaderMap, now: SystemTime) {
        if let Some(limiter) = self.0.take() {
            let mut s = limiter.state();
            s.in_flight = s.in_flight.saturating_sub(1);
            s.learn(status, headers, now);
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(limiter) = self.0.take() {
            let mut s = limiter.state();
            s.in_flight = s.in_flight.saturating_sub(1);
            s.window.unreported += 1;
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

    fn go(limiter: &Arc<RateLimiter>, now: SystemTime) -> Permit {
        match limiter.admit(now) {
            Admission::Go(permit) => permit,
            Admission::Wait(wait) => panic!("told to wait {wait:?}"),
        }
    }

    fn wait(limiter: &Arc<RateLimiter>, now: SystemTime) -> Option<Duration> {
        match limiter.admit(now) {
            Admission::Go(_) => None,
            Admission::Wait(wait) => Some(wait),
        }
    }

    const OK: StatusCode = StatusCode::OK;

    #[test]
    fn waits_for_the_reset_once_the_window_is_spent() {
        let limiter = RateLimiter::new(true);
        go(&limiter, at(100)).observe(OK, &report(2, 105), at(100));
        let (a, b) = (go(&limiter, at(100)), go(&limiter, at(100)));
        assert_eq!(wait(&limiter, at(101)), Some(Duration::from_secs(4)));
        a.observe(OK, &report(1, 105), at(101));
        b.observe(OK, &report(0, 105), at(101));
        assert_eq!(wait(&limiter, at(101)), Some(Duration::from_secs(4)));
        go(&limiter, at(105));
    }

    #[test]
    fn requests_sent_before_the_first_report_count() {
        let limiter = RateLimiter::new(true);
        // 16 requests go out before anything is known; the server counts them all.
        let mut permits: Vec<Permit> = (0..16).map(|_| go(&limiter, at(100))).collect();
        // The first answer reports the first request counted: 19 left, but 15 more are
        // in flight, so only 4 may follow.
        permits
            .pop()
            .expect("a permit")
            .observe(OK, &report(19, 101), at(100));
        let more: Vec<Permit> = (0..4).map(|_| go(&limiter, at(100))).collect();
        assert_eq!(wait(&limiter, at(100)), Some(Duration::from_secs(1)));
        // The other answers arrive in any order; the window stays spent.
        for (p, remaining) in permits.into_iter().chain(more).zip((0..19).rev()) {
            p.observe(OK, &report(remaining, 101), at(100));
            assert_eq!(wait(&limiter, at(100)), Some(Duration::from_secs(1)));
        }
    }

    #[test]
    fn the_clock_opens_the_next_window_counting_what_is_in_flight() {
        let limiter = RateLimiter::new(true);
        go(&limiter, at(100)).observe(OK, &report(5, 101), at(100));
        let late: Vec<Permit> = (0..5).map(|_| go(&limiter, at(100))).collect();
        // Sent at the end of the window, these may be counted in the next one.
        let sent: Vec<Permit> = (0..15).map(|_| go(&limiter, at(101))).collect();
        assert_eq!(
            wait(&limiter, at(101)),
            Some(REPORT_POLL),
            "20 of 20 may be taken; the reset comes with the next report"
        );
        // A late report of the old window does not reopen the new one.
        for p in late {
            p.observe(OK, &report(0, 101), at(101));
        }
        assert_eq!(wait(&limiter, at(101)), Some(REPORT_POLL));
        let mut sent = sent.into_iter();
        sent.next()
            .expect("a permit")
            .observe(OK, &report(5, 102), at(101));
        assert_eq!(wait(&limiter, at(101)), Some(Duration::from_secs(1)));
    }

    #[test]
    fn a_later_window_reported_by_the_server_replaces_the_current_one() {
        let limiter = RateLimiter::new(true);
        go(&limiter, at(100)).observe(OK, &report(0, 101), at(100));
        assert_eq!(wait(&limiter, at(100)), Some(Duration::from_secs(1)));
        // The server's clock is ahead: its next window has begun.
        limiter.send_anyway().observe(OK, &report(19, 102), at(100));
        go(&limiter, at(100));
    }

    #[test]
    fn answers_without_a_report_count_as_spent() {
        let limiter = RateLimiter::new(true);
        go(&limiter, at(100)).observe(OK, &report(2, 105), at(100));
        drop(go(&limiter, at(100)));
        go(&limiter, at(100)).observe(OK, &HeaderMap::new(), at(100));
        assert_eq!(wait(&limiter, at(100)), Some(Duration::from_secs(5)));
    }

    #[test]
    fn absurd_resets_are_ignored() {
        let limiter = RateLimiter::new(true);
        // Milliseconds sent as seconds, and beyond any clock.
        for reset in [1_700_000_000_000, u64::MAX] {
            go(&limiter, at(100)).observe(OK, &report(0, reset), at(100));
            go(&limiter, at(100));
        }
        // A normal report still works afterwards.
        go(&limiter, at(100)).observe(OK, &report(0, 103), at(100));
        assert_eq!(wait(&limiter, at(100)), Some(Duration::from_secs(3)));
    }

    #[test]
    fn a_429_closes_the_window_for_its_retry_after() {
        let limiter = RateLimiter::new(true);
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from(2u64));
        go(&limiter, at(100)).observe(StatusCode::TOO_MANY_REQUESTS, &h, at(100));
        assert_eq!(wait(&limiter, at(100)), Some(Duration::from_secs(2)));
        assert_eq!(wait(&limiter, at(101)), Some(Duration::from_secs(1)));
        go(&limiter, at(102));
    }

    #[test]
    fn disabled_never_waits() {
        let limiter = RateLimiter::new(false);
        go(&limiter, at(100)).observe(OK, &report(0, 105), at(100));
        go(&limiter, at(100));
    }

    #[test]
    fn a_report_of_an_earlier_window_changes_nothing() {
        let limiter = RateLimiter::new(true);
        go(&limiter, at(100)).observe(OK, &report(0, 105), at(100));
        // Sent late in window 103, answered now: it says nothing of window 105.
        limiter.send_anyway().observe(OK, &report(15, 103), at(100));
        assert_eq!(wait(&limiter, at(100)), Some(Duration::from_secs(5)));
    }

    #[test]
    fn a_window_keeps_its_lowest_report_whatever_the_order() {
        let limiter = RateLimiter::new(true);
        go(&limiter, at(100)).observe(OK, &report(1, 105), at(100));
        let late = go(&limiter, at(100));
        // Counted before the other, answered after it.
        late.observe(OK, &report(7, 105), at(100));
        let _last = go(&limiter, at(100));
        assert_eq!(wait(&limiter, at(100)), Some(Duration::from_secs(5)));
    }

    #[test]
    fn the_servers_later_window_brings_its_own_count_and_reset() {
        let limiter = RateLimiter::new(true);
        go(&limiter, at(100)).observe(OK, &report(9, 101), at(100));
        limiter.send_anyway().observe(OK, &report(0, 102), at(100));
        assert_eq!(wait(&limiter, at(100)), Some(Duration::from_secs(2)));
    }

    #[test]
    fn spent_with_no_reset_and_nothing_in_flight_the_server_decides() {
        let limiter = RateLimiter::new(true);
        go(&limiter, at(100)).observe(OK, &report(1, 101), at(100));
        // The clock opens the next window: the limit, 20, less nothing in flight.
        for _ in 0..20 {
            go(&limiter, at(101)).observe(OK, &HeaderMap::new(), at(101));
        }
        // Spent, no report of this window, none to come: send, the server decides.
        go(&limiter, at(101));
    }

    #[test]
    fn a_request_that_ended_without_an_answer_is_no_longer_in_flight() {
        let limiter = RateLimiter::new(true);
        let mut limit_one = report(1, 101);
        limit_one.insert("x-ratelimit-limit", HeaderValue::from(1u64));
        go(&limiter, at(100)).observe(OK, &limit_one, at(100));
        // A request goes out and is dropped (no answer, or a cancelled call).
        drop(go(&limiter, at(100)));
        // The next window starts with nothing in flight: its one request may go.
        go(&limiter, at(101));
    }
}
