//! Rate limiting: the quota the server reports, shared by all clones of a client, spent
//! in arrival order so that the client waits instead of collecting 429s.
//!
//! The rules (the README's "Rate limits" states them too):
//!
//! - **The server's clock.** Every answer's `Date` bounds the server's clock against the
//!   client's monotonic one; a reported `X-RateLimit-Reset` is placed through the lower
//!   bound, so a window never ends early on the client whatever its own clock says.
//!   Without `Date`, the client's wall clock stands in.
//! - **The report is a ceiling.** In a window, what may still go is the lowest
//!   `Remaining` reported in it, less the client's requests in flight and those that
//!   ended without a report, less what other clients sharing the key have likely spent
//!   since (the fall of `Remaining` its own requests do not explain, at the pace it
//!   fell). Nothing the client counts itself ever raises it.
//! - **Spread, not burst.** What may go is spread evenly over the rest of the window (at
//!   most the next second), running at most a quarter of that span ahead: clients
//!   sharing a key see each other's spending before the window runs dry.
//! - **Probe what is not known.** Before the first report, and once the window's reset
//!   has passed, one request goes at a time until a report of the new window arrives.
//!   `X-RateLimit-Limit` is never needed.
//! - **Never stall.** An answer to a probe without a usable report (no `Remaining` and
//!   `Reset`, or a reset the server's own `Date` says has passed) turns the limiter to
//!   free sending with an AIMD cap on requests in flight: halved on each 429, grown by
//!   one per cap's worth of answers. The next usable report ends it.
//! - **First come, first served.** Callers queue in arrival order; only the head may
//!   take room. A wait for a spent quota or a 429's `Retry-After` that would pass the
//!   caller's bounds fails at once; a dropped caller leaves the queue at once.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::{DATE, HeaderMap, HeaderValue};

use crate::retry;

/// Microseconds: since the limiter's creation on its monotonic clock, or, for the
/// server's clock, since the UNIX epoch.
type Micros = i64;

const SECOND: Micros = 1_000_000;
/// The longest span what is left of a window is spread over.
const PACE_SPAN: Micros = SECOND;
/// How far ahead of the even pace sending may run: this fraction of the span.
const SHARE: Micros = 4;
/// The AIMD cap beyond which free sending has no cap at all.
const FREE_CEILING: f64 = 1024.0;

/// The quota a caller would have to wait for past its bounds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QuotaWait {
    /// When the quota resets (or the server's `Retry-After` ends), on the client's clock.
    pub(crate) until: SystemTime,
    /// How long from now.
    pub(crate) wait: Duration,
}

/// Why a caller was not admitted.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Refusal {
    /// The quota would not have room within the caller's bounds.
    Quota(QuotaWait),
    /// The client was told to stop sending.
    Stopped,
}

/// How long a caller accepts to wait for admission.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    /// The longest single wait (`max_retry_wait`).
    pub(crate) max_wait: Duration,
    /// The end of the whole call (`operation_timeout`).
    pub(crate) deadline: Option<Instant>,
}

impl Bounds {
    pub(crate) fn allow(&self, wait: Duration) -> bool {
        wait <= self.max_wait
            && self
                .deadline
                .is_none_or(|d| Instant::now().checked_add(wait).is_some_and(|end| end < d))
    }
}

/// The quota, shared by a client and its clones.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    enabled: bool,
    /// Set by [`Client::stop_sending`](crate::Client::stop_sending), for good.
    stopped: AtomicBool,
    origin: Instant,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    model: Model,
    /// Callers waiting for admission, in arrival order.
    queue: VecDeque<Waiter>,
    next_id: u64,
}

#[derive(Debug)]
struct Waiter {
    id: u64,
    waker: Option<Waker>,
}

impl State {
    /// Lets the head of the queue look again: the quota changed.
    fn wake_head(&mut self) {
        if let Some(waker) = self.queue.front_mut().and_then(|w| w.waker.take()) {
            waker.wake();
        }
    }
}

impl RateLimiter {
    pub(crate) fn new(enabled: bool) -> Arc<Self> {
        Arc::new(Self {
            enabled,
            stopped: AtomicBool::new(false),
            origin: Instant::now(),
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the counts half-written: keep using them.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn now(&self) -> Micros {
        micros(self.origin.elapsed())
    }

    /// The wall clock less the monotonic one: the server's clock when it sends no `Date`.
    fn wall_offset(&self, now: Micros) -> Micros {
        let wall = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => micros(since),
            Err(before) => -micros(before.duration()),
        };
        wall.saturating_sub(now)
    }

    /// Waits for room in arrival order, within `bounds`.
    pub(crate) fn admit(self: &Arc<Self>, bounds: Bounds) -> Admit<'_> {
        Admit {
            limiter: self,
            bounds,
            id: None,
            timer: None,
        }
    }

    /// Until when the quota is surely spent (or closed by a 429), if it is.
    fn spent_until(&self) -> Option<SystemTime> {
        if !self.enabled {
            return None;
        }
        let now = self.now();
        let until = self.state().model.spent_until(now)?;
        Some(self.quota_wait(until, now).until)
    }

    /// Refuses every caller waiting and every later one.
    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let mut s = self.state();
        for waiter in &mut s.queue {
            if let Some(waker) = waiter.waker.take() {
                waker.wake();
            }
        }
    }

    fn quota_wait(&self, until: Micros, now: Micros) -> QuotaWait {
        let wait = Duration::from_micros(u64::try_from(until.saturating_sub(now)).unwrap_or(0));
        QuotaWait {
            until: SystemTime::now()
                .checked_add(wait)
                .unwrap_or(SystemTime::now()),
            wait,
        }
    }

    /// What to report when the call's deadline passed while it waited.
    pub(crate) fn deadline_passed(&self) -> QuotaWait {
        let now = self.now();
        let until = self.state().model.spent_until(now).unwrap_or(now);
        self.quota_wait(until, now)
    }
}

impl crate::Client {
    /// Until when the rate-limit quota this client (and its clones) spends is surely
    /// spent, as far as the server's reports tell: the time calls wait for, shown by
    /// progress displays. `None` while the quota has room or is not known.
    pub fn quota_spent_until(&self) -> Option<SystemTime> {
        self.inner.rate_limit.spent_until()
    }

    /// Stops this client and its clones for good: calls waiting for admission, and every
    /// call made later, fail at once with [`Error::Stopped`](crate::Error::Stopped),
    /// nothing sent. Requests already sent finish. For an orderly shutdown (a first
    /// Ctrl-C) that must not send what has not left yet.
    pub fn stop_sending(&self) {
        self.inner.rate_limit.stop();
    }
}

fn micros(d: Duration) -> Micros {
    Micros::try_from(d.as_micros()).unwrap_or(Micros::MAX)
}

/// A caller waiting for admission; dropped, it leaves the queue.
pub(crate) struct Admit<'a> {
    limiter: &'a Arc<RateLimiter>,
    bounds: Bounds,
    /// Its place in the queue, once it has one.
    id: Option<u64>,
    /// The head's timer, and the time it was set for.
    timer: Option<(Micros, Pin<Box<tokio::time::Sleep>>)>,
}

impl Admit<'_> {
    fn enqueue(&mut self, s: &mut State, waker: &Waker) {
        match self.id {
            Some(id) => {
                if let Some(w) = s.queue.iter_mut().find(|w| w.id == id) {
                    w.waker = Some(waker.clone());
                }
            }
            None => {
                let id = s.next_id;
                s.next_id = s.next_id.wrapping_add(1);
                s.queue.push_back(Waiter {
                    id,
                    waker: Some(waker.clone()),
                });
                self.id = Some(id);
            }
        }
    }

    fn leave(&mut self, s: &mut State) {
        if let Some(id) = self.id.take()
            && let Some(at) = s.queue.iter().position(|w| w.id == id)
        {
            s.queue.remove(at);
            if at == 0 {
                s.wake_head();
            }
        }
    }
}

impl Future for Admit<'_> {
    type Output = Result<Permit, Refusal>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let limiter = this.limiter;
        if limiter.stopped.load(Ordering::SeqCst) {
            if this.id.is_some() {
                this.leave(&mut limiter.state());
            }
            return Poll::Ready(Err(Refusal::Stopped));
        }
        if !limiter.enabled {
            return Poll::Ready(Ok(Permit(None)));
        }
        loop {
            let now = limiter.now();
            let mut s = limiter.state();
            let at_head = match this.id {
                None => s.queue.is_empty(),
                Some(id) => s.queue.front().is_some_and(|w| w.id == id),
            };
            let decision = match at_head {
                true => s.model.decide(now),
                false => Decision::Wait {
                    until: s.model.spent_until(now),
                    sure: true,
                },
            };
            let (until, sure) = match decision {
                Decision::Go => {
                    if this.id.take().is_some() {
                        s.queue.pop_front();
                        s.wake_head();
                    }
                    s.model.sent(now);
                    return Poll::Ready(Ok(Permit(Some((Arc::clone(limiter), now)))));
                }
                Decision::Wait { until, sure } => (until, sure),
            };
            if let Some(until) = until.filter(|_| sure) {
                let wait = limiter.quota_wait(until, now);
                if !this.bounds.allow(wait.wait) {
                    this.leave(&mut s);
                    return Poll::Ready(Err(Refusal::Quota(wait)));
                }
            }
            let first = this.id.is_none();
            this.enqueue(&mut s, cx.waker());
            drop(s);
            if first {
                tracing::debug!("waiting for the rate-limit quota");
            }
            let Some(until) = until.filter(|_| at_head) else {
                return Poll::Pending;
            };
            let timer = match &mut this.timer {
                Some((at, timer)) if *at == until => timer,
                slot => {
                    let deadline = limiter
                        .origin
                        .checked_add(Duration::from_micros(u64::try_from(until).unwrap_or(0)))
                        .unwrap_or_else(Instant::now);
                    let timer =
                        slot.insert((until, Box::pin(tokio::time::sleep_until(deadline.into()))));
                    &mut timer.1
                }
            };
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            // The time has come: look again.
        }
    }
}

impl Drop for Admit<'_> {
    fn drop(&mut self) {
        if self.id.is_some() {
            let limiter = self.limiter;
            let mut s = limiter.state();
            self.leave(&mut s);
        }
    }
}

/// One request counted against the quota. Its answer is reported through
/// [`Permit::observe`]; dropped unreported (no answer, or a cancelled call), it counts as
/// a request that may have reached the server.
#[derive(Debug)]
pub(crate) struct Permit(Option<(Arc<RateLimiter>, Micros)>);

impl Permit {
    /// Learns the quota from the answer's headers.
    pub(crate) fn observe(mut self, status: StatusCode, headers: &HeaderMap) {
        if let Some((limiter, sent)) = self.0.take() {
            let now = limiter.now();
            let wall = limiter.wall_offset(now);
            let mut s = limiter.state();
            s.model.observe(status, headers, sent, now, wall);
            s.wake_head();
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some((limiter, _)) = self.0.take() {
            let mut s = limiter.state();
            s.model.unanswered();
            s.wake_head();
        }
    }
}

/// What the head of the queue may do.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Go,
    /// Wait for a report, a request's end, or `until` (limiter time).
    Wait {
        until: Option<Micros>,
        /// Whether nothing can admit a request before `until`.
        sure: bool,
    },
}

/// The rules, on plain numbers: every time is passed in.
#[derive(Debug)]
struct Model {
    /// Bounds of the server's clock less the limiter's, from `Date` headers.
    offset: Option<Offset>,
    mode: Mode,
    /// Requests sent and not yet ended.
    in_flight: u64,
    /// Until when a 429's `Retry-After` closed admission.
    closed_until: Option<Micros>,
    /// The last `Date` seen and its value, so that it is parsed once a second.
    last_date: Option<(HeaderValue, Micros)>,
}

impl Default for Model {
    fn default() -> Self {
        Self {
            offset: None,
            mode: Mode::Probe { since: Micros::MIN },
            in_flight: 0,
            closed_until: None,
            last_date: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Offset {
    lo: Micros,
    hi: Micros,
}

#[derive(Debug, PartialEq)]
enum Mode {
    /// Nothing known of the current window: one request at a time. Requests sent before
    /// `since` belong to the window that ended.
    Probe { since: Micros },
    /// A window the server reported.
    Window(Window),
    /// Reports stopped or lie: an AIMD cap on requests in flight (`None`: no cap).
    Free { cap: Option<f64> },
}

#[derive(Debug, PartialEq)]
struct Window {
    /// Its `X-RateLimit-Reset`, UNIX seconds on the server's clock.
    reset: u64,
    /// Its end on the limiter's clock, as late as the server's clock allows.
    end: Micros,
    /// The lowest `Remaining` reported in it, and when.
    lowest: u64,
    lowest_at: Micros,
    /// The highest `Remaining` reported in it.
    highest: u64,
    /// When its first report came, and how many came.
    first_at: Micros,
    reports: u64,
    /// Requests of this window that ended without a report: they may have counted.
    unreported: u64,
    /// The even pace's next slot.
    next: Micros,
}

impl Window {
    fn left(&self) -> u64 {
        self.lowest.saturating_sub(self.unreported)
    }

    /// What other clients sharing the key have likely spent since the lowest report: the
    /// fall of `Remaining` that this client's own reported requests do not explain, at
    /// the pace it fell. Always 0 for a client alone on its key.
    fn others_since(&self, now: Micros) -> u64 {
        let others = self
            .highest
            .saturating_sub(self.lowest)
            .saturating_sub(self.reports.saturating_sub(1));
        let over = self.lowest_at.saturating_sub(self.first_at);
        if others == 0 || over <= 0 {
            return 0;
        }
        let since = u64::try_from(now.saturating_sub(self.lowest_at)).unwrap_or(0);
        let over = u64::try_from(over).unwrap_or(u64::MAX);
        u64::try_from(u128::from(others) * u128::from(since) / u128::from(over)).unwrap_or(u64::MAX)
    }
}

impl Model {
    fn decide(&mut self, now: Micros) -> Decision {
        let wait = |until: Option<Micros>, sure| Decision::Wait {
            until: until.map(|u| u.max(now.saturating_add(1))),
            sure,
        };
        if let Some(until) = self.closed_until {
            if now < until {
                return wait(Some(until), true);
            }
            self.closed_until = None;
        }
        if let Mode::Window(w) = &self.mode
            && now >= w.end
        {
            self.mode = Mode::Probe { since: now };
        }
        match &self.mode {
            Mode::Probe { .. } if self.in_flight == 0 => Decision::Go,
            Mode::Probe { .. } => wait(None, false),
            Mode::Free { cap } if cap.is_none_or(|c| (self.in_flight as f64) < c) => Decision::Go,
            Mode::Free { .. } => wait(None, false),
            Mode::Window(w) if w.left() == 0 => wait(Some(w.end), true),
            Mode::Window(w) if w.left().saturating_sub(w.others_since(now)) <= self.in_flight => {
                wait(Some(w.end), false)
            }
            Mode::Window(w) => {
                // Send when next - now <= min(end - now, PACE_SPAN) / SHARE.
                let ahead = w.next.saturating_sub(now);
                let span = w.end.saturating_sub(now).min(PACE_SPAN);
                if ahead <= span / SHARE {
                    return Decision::Go;
                }
                let by_span = w.next.saturating_sub(PACE_SPAN / SHARE);
                let by_end = (w.next.saturating_mul(SHARE).saturating_sub(w.end))
                    .saturating_add(SHARE - 2)
                    / (SHARE - 1);
                wait(Some(by_span.max(by_end)), false)
            }
        }
    }

    /// Counts a request sent now.
    fn sent(&mut self, now: Micros) {
        if let Mode::Window(w) = &mut self.mode {
            let free = w.left().saturating_sub(self.in_flight).max(1);
            let span = w.end.saturating_sub(now).clamp(0, PACE_SPAN);
            let step = span / Micros::try_from(free).unwrap_or(Micros::MAX);
            w.next = w.next.max(now).saturating_add(step);
        }
        self.in_flight += 1;
    }

    /// A request ended without an answer.
    fn unanswered(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Mode::Window(w) = &mut self.mode {
            w.unreported += 1;
        }
    }

    /// Until when nothing may go whatever happens, if so.
    fn spent_until(&self, now: Micros) -> Option<Micros> {
        let closed = self.closed_until.filter(|&until| until > now);
        let spent = match &self.mode {
            Mode::Window(w) if w.left() == 0 && w.end > now => Some(w.end),
            _ => None,
        };
        closed.max(spent)
    }

    /// The server's `Date`, in UNIX seconds.
    fn date(&mut self, headers: &HeaderMap) -> Option<Micros> {
        let value = headers.get(DATE)?;
        if let Some((last, secs)) = &self.last_date
            && last == value
        {
            return Some(*secs);
        }
        let at = retry::http_date(value.to_str().ok()?)?;
        let secs = Micros::try_from(at.duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
        self.last_date = Some((value.clone(), secs));
        Some(secs)
    }

    fn observe(
        &mut self,
        status: StatusCode,
        headers: &HeaderMap,
        sent: Micros,
        now: Micros,
        wall: Micros,
    ) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let date = self.date(headers);
        if let Some(date) = date {
            // The server stamped its Date, a whole second, between sending and now.
            let seen = Offset {
                lo: date.saturating_mul(SECOND).saturating_sub(now),
                hi: date
                    .saturating_add(1)
                    .saturating_mul(SECOND)
                    .saturating_sub(sent),
            };
            self.offset = Some(match self.offset {
                Some(o) if seen.lo <= o.hi && seen.hi >= o.lo => Offset {
                    lo: o.lo.max(seen.lo),
                    hi: o.hi.min(seen.hi),
                },
                // A clock stepped: start again from this answer.
                _ => seen,
            });
        }
        let lo = self.offset.map_or(wall, |o| o.lo);
        let server_now = date.map_or(now.saturating_add(lo) / SECOND, |d| d);
        let report = report(headers).filter(|&(reset, _)| {
            Micros::try_from(reset).is_ok_and(|r| {
                r > server_now
                    && r.saturating_sub(server_now)
                        <= Micros::try_from(retry::HORIZON.as_secs()).unwrap_or(Micros::MAX)
            })
        });
        match report {
            Some((reset, remaining)) => {
                let end = Micros::try_from(reset)
                    .unwrap_or(Micros::MAX)
                    .saturating_mul(SECOND)
                    .saturating_sub(lo);
                match &mut self.mode {
                    // Counted in a window that has ended: it says nothing of this one.
                    _ if end <= now => {}
                    Mode::Window(w) if w.reset == reset => {
                        w.reports += 1;
                        w.highest = w.highest.max(remaining);
                        if remaining < w.lowest {
                            w.lowest = remaining;
                            w.lowest_at = now;
                        }
                    }
                    Mode::Window(w) if w.reset > reset => {}
                    mode => {
                        if matches!(mode, Mode::Free { .. }) {
                            tracing::debug!("rate-limit reports are back; spending the quota");
                        }
                        *mode = Mode::Window(Window {
                            reset,
                            end,
                            lowest: remaining,
                            lowest_at: now,
                            highest: remaining,
                            first_at: now,
                            reports: 1,
                            unreported: 0,
                            next: now,
                        });
                    }
                }
            }
            None => match &mut self.mode {
                Mode::Window(w) => w.unreported += 1,
                // Sent before the window ended, answered after: it belonged to that one.
                Mode::Probe { since } if sent < *since => {}
                Mode::Probe { .. } => {
                    tracing::debug!(
                        "no usable rate-limit report (X-RateLimit-Remaining and \
                         X-RateLimit-Reset in the server's future); sending freely, \
                         halving the requests in flight on each 429"
                    );
                    self.mode = Mode::Free { cap: None };
                }
                Mode::Free { .. } => {}
            },
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            if let Some(wait) = retry::retry_after(headers, SystemTime::now()) {
                let until = now.saturating_add(micros(wait));
                self.closed_until = Some(self.closed_until.map_or(until, |c| c.max(until)));
            }
            if let Mode::Free { cap } = &mut self.mode {
                let in_flight = self.in_flight as f64 + 1.0;
                *cap = Some((cap.unwrap_or(in_flight).min(in_flight) / 2.0).max(1.0));
            }
        } else if let Mode::Free { cap: Some(c) } = &mut self.mode {
            *c += 1.0 / *c;
            if *c >= FREE_CEILING {
                self.mode = Mode::Free { cap: None };
            }
        }
    }
}

/// `X-RateLimit-Reset` (UNIX seconds) and `X-RateLimit-Remaining`, when both are readable.
fn report(headers: &HeaderMap) -> Option<(u64, u64)> {
    let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
    Some((
        number("x-ratelimit-reset")?,
        number("x-ratelimit-remaining")?,
    ))
}

#[cfg(test)]
mod tests;
