//! The rules on the model, every time passed in; the queue with futures polled by hand.

use super::*;
use reqwest::header::HeaderValue;

const OK: StatusCode = StatusCode::OK;
const MS: Micros = 1_000;

/// An answer's headers: the server's `Date` (UNIX seconds), then `X-RateLimit-Reset` and
/// `X-RateLimit-Remaining` when given.
fn answer(date: Option<i64>, reset: Option<u64>, remaining: Option<u64>) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Some(date) = date {
        let at = chrono::DateTime::from_timestamp(date, 0).expect("a date");
        let text = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        h.insert(DATE, HeaderValue::from_str(&text).expect("ASCII"));
    }
    if let Some(reset) = reset {
        h.insert("x-ratelimit-reset", HeaderValue::from(reset));
    }
    if let Some(remaining) = remaining {
        h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    }
    h
}

/// A server whose clock is `offset` ahead of the limiter's, with fixed 1 s windows
/// aligned to its seconds, as the sandbox keeps them.
struct Server {
    offset: Micros,
}

impl Server {
    /// The headers of an answer stamped at limiter time `at`, reporting `remaining`.
    fn answer(&self, at: Micros, remaining: u64) -> HeaderMap {
        let second = (at + self.offset).div_euclid(SECOND);
        answer(
            Some(second),
            Some(u64::try_from(second + 1).expect("after 1970")),
            Some(remaining),
        )
    }
}

/// A limiter time far from the epoch, as a client's clock is.
const T0: Micros = 1_000 * SECOND;
/// The client's wall clock less the limiter's clock.
const WALL: Micros = 1_700_000_000 * SECOND;

fn sent(m: &mut Model, now: Micros) {
    assert_eq!(m.decide(now), Decision::Go, "at {now}: {m:?}");
    m.sent(now);
}

fn waits(m: &mut Model, now: Micros) -> (Option<Micros>, bool) {
    match m.decide(now) {
        Decision::Go => panic!("admitted at {now}: {m:?}"),
        Decision::Wait { until, sure } => (until, sure),
    }
}

#[test]
fn before_the_first_report_one_request_probes() {
    let mut m = Model::default();
    sent(&mut m, T0);
    assert_eq!(
        waits(&mut m, T0),
        (None, false),
        "the rest wait for its answer"
    );
    let server = Server { offset: WALL };
    m.observe(OK, &server.answer(T0, 9), T0, T0 + MS, WALL);
    sent(&mut m, T0 + MS);
}

#[test]
fn windows_sit_on_the_servers_clock_whatever_the_clients_says() {
    for skew in [-3600 * SECOND, 0, 3600 * SECOND, 86_400 * 3 * SECOND] {
        let server = Server {
            offset: WALL + skew,
        };
        let mut m = Model::default();
        // 0.3 s into the server's second; its window ends 0.7 s later.
        let at = T0 + 300 * MS - (WALL + skew).rem_euclid(SECOND);
        sent(&mut m, at);
        m.observe(OK, &server.answer(at, 0), at, at + MS, WALL);
        let (until, sure) = waits(&mut m, at + MS);
        assert!(sure, "skew {skew}");
        let until = until.expect("a reset");
        // Never early; late by at most the Date's second.
        assert!(
            until >= at + 700 * MS && until <= at + 1_700 * MS,
            "skew {skew}: waits until {until} from {at}"
        );
        assert_eq!(m.spent_until(at + MS), Some(until));
        // Once it has passed, a probe goes.
        sent(&mut m, until);
    }
}

#[test]
fn answers_at_other_moments_narrow_the_servers_clock() {
    let server = Server { offset: WALL };
    let mut m = Model::default();
    // An answer just after the server's second began pins its clock to the millisecond.
    let tick = T0 - WALL.rem_euclid(SECOND) + 10 * SECOND;
    for at in [tick - 400 * MS, tick + MS] {
        sent(&mut m, at);
        m.observe(OK, &server.answer(at, 5), at, at + MS, WALL);
    }
    let lo = m.offset.expect("learned").lo;
    assert!((WALL - 2 * MS..=WALL).contains(&lo), "{lo} against {WALL}");
}

#[test]
fn a_stepped_clock_is_learned_again() {
    let mut m = Model::default();
    for (date, at) in [(1_700_000_000, T0), (1_600_000_000, T0 + SECOND)] {
        sent(&mut m, at);
        m.observe(OK, &answer(Some(date), None, None), at, at, WALL);
        assert!(
            m.offset
                .is_some_and(|o| o.lo == date * SECOND - at && o.hi == (date + 1) * SECOND - at),
            "{m:?}"
        );
    }
}

#[test]
fn without_date_the_clients_wall_clock_places_the_reset() {
    let mut m = Model::default();
    sent(&mut m, T0);
    let second = (T0 + WALL) / SECOND;
    let reset = u64::try_from(second + 2).expect("positive");
    m.observe(OK, &answer(None, Some(reset), Some(0)), T0, T0, WALL);
    assert_eq!(
        waits(&mut m, T0),
        (Some((second + 2) * SECOND - WALL), true)
    );
}

#[test]
fn the_lowest_report_is_a_ceiling_another_client_lowers() {
    let server = Server { offset: WALL };
    let mut m = Model::default();
    let at = T0 - WALL.rem_euclid(SECOND);
    sent(&mut m, at);
    m.observe(OK, &server.answer(at, 40), at, at, WALL);
    sent(&mut m, at);
    // Another client spent the rest: this one's own count knows nothing of it.
    m.observe(OK, &server.answer(at, 0), at, at, WALL);
    assert_eq!(waits(&mut m, at), (Some(at + SECOND), true));
    // Another client spent 39 in no time: this one expects it to go on.
    assert!(matches!(&m.mode, Mode::Window(w) if w.others_since(at + SECOND) == 0));
    // A report answered out of order does not raise it again.
    sent(&mut m, at + SECOND);
    m.observe(OK, &server.answer(at, 30), at, at + SECOND - MS, WALL);
}

#[test]
fn requests_in_flight_and_unreported_ones_count_against_the_report() {
    let server = Server { offset: WALL };
    let mut m = Model::default();
    let at = T0 - WALL.rem_euclid(SECOND);
    sent(&mut m, at);
    m.observe(OK, &server.answer(at, 3), at, at, WALL);
    // Far from the window's end and its pace: only the count holds them back.
    let mut t = at;
    sent(&mut m, t);
    t += 300 * MS;
    sent(&mut m, t);
    m.unanswered();
    t += 300 * MS;
    sent(&mut m, t);
    assert_eq!(waits(&mut m, t), (Some(at + SECOND), false));
    m.observe(OK, &HeaderMap::new(), t, t, WALL);
    assert!(!waits(&mut m, t).1, "one is still in flight");
    m.unanswered();
    assert_eq!(waits(&mut m, t), (Some(at + SECOND), true), "3 spent");
}

#[test]
fn what_is_left_is_spread_over_the_time_left() {
    let server = Server { offset: WALL };
    let mut m = Model::default();
    let at = T0 - WALL.rem_euclid(SECOND);
    sent(&mut m, at);
    m.observe(OK, &server.answer(at, 40), at, at, WALL);
    let mut burst = 0;
    while m.decide(at) == Decision::Go {
        m.sent(at);
        burst += 1;
    }
    // A quarter of the second's pace at once, then one every 1/40 s or so.
    assert!((9..=11).contains(&burst), "{burst}");
    let (until, sure) = waits(&mut m, at);
    assert!(!sure);
    let next = until.expect("a slot");
    assert!(next > at && next <= at + 40 * MS, "{next}");
    sent(&mut m, next);
}

#[test]
fn a_report_of_an_ended_window_changes_nothing() {
    let server = Server { offset: WALL };
    let mut m = Model::default();
    let at = T0 - WALL.rem_euclid(SECOND);
    sent(&mut m, at);
    sent_after_report(&mut m, &server, at);
    // Sent in the last window, answered in this one.
    let late = at + SECOND + 5 * MS;
    assert_eq!(waits(&mut m, late), (None, false));
    m.observe(
        OK,
        &server.answer(at + 999 * MS, 0),
        at + 999 * MS,
        late,
        WALL,
    );
    assert!(matches!(m.mode, Mode::Probe { .. }), "{m:?}");
    sent(&mut m, late);
    m.observe(OK, &server.answer(late, 7), late, late, WALL);
    // An earlier window's report after a later one's is ignored too.
    m.in_flight += 1;
    m.observe(OK, &server.answer(at, 0), at, late, WALL);
    assert!(matches!(&m.mode, Mode::Window(w) if w.lowest == 7), "{m:?}");
}

/// Takes the probe's report of `remaining` 5, then sends one more that stays in flight
/// across the window's end.
fn sent_after_report(m: &mut Model, server: &Server, at: Micros) {
    m.observe(OK, &server.answer(at, 5), at, at, WALL);
    sent(m, at + 999 * MS);
}

#[test]
fn a_probe_without_a_usable_report_turns_to_free_sending() {
    let server = Server { offset: WALL };
    let second = (T0 + WALL).div_euclid(SECOND);
    let stale = u64::try_from(second - 5).expect("positive");
    for headers in [
        HeaderMap::new(),
        // Remaining without Reset, Reset without Remaining
        answer(Some(second), None, Some(5)),
        answer(Some(second), Some(stale + 10), None),
        // A reset the server's own Date has passed, or has reached
        answer(Some(second), Some(stale), Some(5)),
        answer(Some(second), Some(stale + 5), Some(5)),
        // Beyond a day, or milliseconds sent as seconds
        answer(Some(second), Some(stale + 200_000), Some(5)),
        answer(Some(second), Some(u64::MAX), Some(5)),
    ] {
        let mut m = Model::default();
        sent(&mut m, T0);
        m.observe(OK, &headers, T0, T0, WALL);
        assert_eq!(m.mode, Mode::Free { cap: None }, "{headers:?}");
        for _ in 0..100 {
            sent(&mut m, T0);
        }
        // A report ends it.
        m.observe(OK, &server.answer(T0, 50), T0, T0, WALL);
        assert!(matches!(m.mode, Mode::Window(_)), "{m:?}");
    }
}

#[test]
fn without_a_date_a_clock_ahead_of_the_servers_does_not_stall() {
    // Every reset lies in the client's past: free sending, never one at a time.
    let mut m = Model::default();
    let reset = u64::try_from((T0 + WALL) / SECOND - 3600).expect("positive");
    sent(&mut m, T0);
    m.observe(OK, &answer(None, Some(reset), Some(5)), T0, T0, WALL);
    assert_eq!(m.mode, Mode::Free { cap: None });
    for _ in 0..3 {
        sent(&mut m, T0);
        sent(&mut m, T0);
        m.observe(OK, &answer(None, Some(reset), Some(5)), T0, T0, WALL);
    }
}

#[test]
fn when_reports_stop_the_window_ends_and_free_sending_follows() {
    let server = Server { offset: WALL };
    let mut m = Model::default();
    let at = T0 - WALL.rem_euclid(SECOND);
    sent(&mut m, at);
    m.observe(OK, &server.answer(at, 3), at, at, WALL);
    for t in [at, at + 300 * MS, at + 600 * MS] {
        sent(&mut m, t);
        m.observe(OK, &HeaderMap::new(), t, t, WALL);
    }
    let (until, _) = waits(&mut m, at);
    let end = until.expect("the window's end");
    sent(&mut m, end);
    m.observe(OK, &HeaderMap::new(), end, end, WALL);
    assert_eq!(m.mode, Mode::Free { cap: None });
}

#[test]
fn free_sending_halves_on_a_429_and_grows_by_one_per_cap_of_answers() {
    let mut m = Model {
        mode: Mode::Free { cap: None },
        ..Model::default()
    };
    for _ in 0..9 {
        sent(&mut m, T0);
    }
    m.observe(
        StatusCode::TOO_MANY_REQUESTS,
        &HeaderMap::new(),
        T0,
        T0,
        WALL,
    );
    assert_eq!(m.mode, Mode::Free { cap: Some(4.5) });
    // 8 in flight, over the cap: wait for answers.
    assert_eq!(waits(&mut m, T0), (None, false));
    for _ in 0..4 {
        m.observe(OK, &HeaderMap::new(), T0, T0, WALL);
    }
    let Mode::Free { cap: Some(cap) } = m.mode else {
        panic!("{m:?}")
    };
    assert!((cap - 5.3).abs() < 0.05, "{cap}");
    sent(&mut m, T0);
    // Never below one.
    for _ in 0..10 {
        m.observe(
            StatusCode::TOO_MANY_REQUESTS,
            &HeaderMap::new(),
            T0,
            T0,
            WALL,
        );
    }
    assert_eq!(m.mode, Mode::Free { cap: Some(1.0) });
    // One at a time, then.
    sent(&mut m, T0);
    assert_eq!(waits(&mut m, T0), (None, false));
    m.in_flight = 0;
    // Enough answers lift the cap altogether.
    for _ in 0..600_000 {
        m.in_flight += 1;
        m.observe(OK, &HeaderMap::new(), T0, T0, WALL);
    }
    assert_eq!(m.mode, Mode::Free { cap: None });
}

#[test]
fn a_429s_retry_after_closes_admission() {
    let mut m = Model::default();
    sent(&mut m, T0);
    let mut h = HeaderMap::new();
    h.insert("retry-after", HeaderValue::from(2u64));
    m.observe(StatusCode::TOO_MANY_REQUESTS, &h, T0, T0, WALL);
    assert_eq!(waits(&mut m, T0), (Some(T0 + 2 * SECOND), true));
    assert_eq!(m.spent_until(T0 + SECOND), Some(T0 + 2 * SECOND));
    sent(&mut m, T0 + 2 * SECOND);
}

// The queue, with futures polled by hand: no timer fires in these tests.

fn poll(admit: &mut Pin<Box<Admit<'_>>>) -> Poll<Result<Permit, Refusal>> {
    let mut cx = Context::from_waker(Waker::noop());
    admit.as_mut().poll(&mut cx)
}

const LOOSE: Bounds = Bounds {
    max_wait: Duration::from_secs(3600),
    deadline: None,
};

/// A limiter whose quota holds `left` more requests in a window ending in a minute.
fn limiter_with(left: u64) -> Arc<RateLimiter> {
    let limiter = RateLimiter::new(true);
    let now = limiter.now();
    limiter.state().model.mode = Mode::Window(Window {
        reset: u64::MAX,
        end: now + 60 * SECOND,
        lowest: left,
        lowest_at: now,
        highest: left,
        first_at: now,
        reports: 1,
        unreported: 0,
        next: now - 60 * SECOND,
    });
    limiter
}

#[tokio::test]
async fn callers_are_admitted_in_arrival_order_and_a_dropped_one_leaves() {
    let limiter = limiter_with(1);
    let first = limiter.admit(LOOSE).await.expect("room for one");
    let mut queue: Vec<_> = (0..4).map(|_| Box::pin(limiter.admit(LOOSE))).collect();
    for admit in &mut queue {
        assert!(poll(admit).is_pending());
    }
    // The second caller gives up: it leaves its place at once.
    drop(queue.remove(1));
    assert_eq!(limiter.state().queue.len(), 3);
    // Room for more, in the same window.
    let now = limiter.now();
    if let Mode::Window(w) = &mut limiter.state().model.mode {
        w.lowest = 100;
        w.next = now - 60 * SECOND;
    }
    drop(first);
    // The last caller cannot jump the queue.
    assert!(poll(&mut queue[2]).is_pending());
    assert!(matches!(poll(&mut queue[0]), Poll::Ready(Ok(_))));
    assert!(poll(&mut queue[2]).is_pending());
    assert!(matches!(poll(&mut queue[1]), Poll::Ready(Ok(_))));
}

#[tokio::test]
async fn a_wait_past_the_bounds_fails_at_once_naming_the_reset() {
    let limiter = limiter_with(0);
    let tight = Bounds {
        max_wait: Duration::from_secs(2),
        deadline: None,
    };
    let Poll::Ready(Err(Refusal::Quota(wait))) = poll(&mut Box::pin(limiter.admit(tight))) else {
        panic!("admitted or waiting")
    };
    assert!(wait.wait > Duration::from_secs(59), "{wait:?}");
    let deadline = Bounds {
        max_wait: Duration::from_secs(3600),
        deadline: Some(Instant::now() + Duration::from_secs(10)),
    };
    assert!(matches!(
        poll(&mut Box::pin(limiter.admit(deadline))),
        Poll::Ready(Err(_))
    ));
    // Behind a waiting caller, the same.
    let mut head = Box::pin(limiter.admit(LOOSE));
    assert!(poll(&mut head).is_pending());
    assert!(matches!(
        poll(&mut Box::pin(limiter.admit(tight))),
        Poll::Ready(Err(_))
    ));
    assert!(limiter.spent_until().is_some());
}

#[tokio::test]
async fn disabled_never_waits() {
    let limiter = RateLimiter::new(false);
    let mut permits = Vec::new();
    for _ in 0..3 {
        permits.push(limiter.admit(LOOSE).await.expect("admitted"));
    }
    assert!(limiter.spent_until().is_none());
}

#[tokio::test]
async fn stopping_refuses_the_waiting_and_the_later_callers_not_the_sent() {
    for enabled in [true, false] {
        let limiter = RateLimiter::new(enabled);
        let sent = limiter.admit(LOOSE).await.expect("the probe");
        let mut waiting = Box::pin(limiter.admit(LOOSE));
        assert_eq!(poll(&mut waiting).is_pending(), enabled);
        limiter.stop();
        if enabled {
            assert!(matches!(
                poll(&mut waiting),
                Poll::Ready(Err(Refusal::Stopped))
            ));
            assert!(limiter.state().queue.is_empty());
        }
        assert!(matches!(
            poll(&mut Box::pin(limiter.admit(LOOSE))),
            Poll::Ready(Err(Refusal::Stopped))
        ));
        sent.observe(OK, &HeaderMap::new());
    }
}

#[test]
fn what_others_spend_is_projected_forward() {
    let server = Server { offset: WALL };
    let mut m = Model::default();
    let at = T0 - WALL.rem_euclid(SECOND);
    sent(&mut m, at);
    m.observe(OK, &server.answer(at, 40), at, at, WALL);
    // 100 ms later this client's second request finds 30 left: 9 went to others.
    let t = at + 100 * MS;
    sent(&mut m, t);
    m.observe(OK, &server.answer(t, 30), t, t, WALL);
    let Mode::Window(w) = &m.mode else {
        panic!("{m:?}")
    };
    assert_eq!(w.others_since(t), 0);
    assert_eq!(w.others_since(t + 100 * MS), 9);
    assert_eq!(w.others_since(t + 300 * MS), 27);
    // By then the 30 left are likely gone: wait for the window's end, unsure.
    assert_eq!(waits(&mut m, t + 340 * MS), (Some(at + SECOND), false));
    // A client alone on its key projects nothing, whatever the order of its answers.
    let mut alone = Model::default();
    sent(&mut alone, at);
    alone.observe(OK, &server.answer(at, 40), at, at, WALL);
    for (i, remaining) in [37, 39, 38].into_iter().enumerate() {
        let t = at + (i as Micros + 1) * 100 * MS;
        sent(&mut alone, t);
        alone.observe(OK, &server.answer(t, remaining), t, t, WALL);
    }
    let Mode::Window(w) = &alone.mode else {
        panic!("{alone:?}")
    };
    assert_eq!(w.others_since(at + 900 * MS), 0);
}

/// A waker that counts its wakes.
struct Counter(std::sync::atomic::AtomicUsize);

impl std::task::Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn the_next_caller_is_woken_when_the_head_leaves() {
    let limiter = limiter_with(1);
    let _sent = limiter.admit(LOOSE).await.expect("room for one");
    let mut head = Box::pin(limiter.admit(LOOSE));
    assert!(poll(&mut head).is_pending());
    let counter = Arc::new(Counter(std::sync::atomic::AtomicUsize::new(0)));
    let waker = Waker::from(Arc::clone(&counter));
    let mut next = Box::pin(limiter.admit(LOOSE));
    assert!(
        next.as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    // One behind the head leaving wakes nobody; the head leaving wakes the next.
    let mut last = Box::pin(limiter.admit(LOOSE));
    assert!(poll(&mut last).is_pending());
    drop(last);
    assert_eq!(counter.0.load(Ordering::SeqCst), 0);
    drop(head);
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
}

#[test]
fn without_date_the_wall_clock_stands_in_for_the_servers() {
    let limiter = RateLimiter::new(true);
    let now = limiter.now();
    let wall = micros(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970"),
    );
    let offset = limiter.wall_offset(now);
    assert!(
        (offset + now - wall).abs() < SECOND,
        "{offset} {now} {wall}"
    );
}

#[tokio::test]
async fn the_head_resets_its_timer_when_its_time_moves() {
    // One left and one in flight: the head waits for the window's end, a minute away.
    let limiter = limiter_with(1);
    let sent = limiter.admit(LOOSE).await.expect("room for one");
    let mut head = Box::pin(limiter.admit(LOOSE));
    assert!(poll(&mut head).is_pending());
    // A report makes room; the pace lets the head go within a second.
    {
        let mut s = limiter.state();
        if let Mode::Window(w) = &mut s.model.mode {
            w.lowest = 100;
        }
        s.wake_head();
    }
    // Only the head's own timer may wake it: the late one of a minute, or the new one.
    tokio::select! {
        biased;
        () = tokio::time::sleep(Duration::from_secs(5)) => panic!("still waiting for the old time"),
        admitted = &mut head => assert!(admitted.is_ok()),
    }
    drop(sent);
}

/// A model in a window ending at `T0 + end`, with `left` requests left of it, and the
/// pace's next slot at `T0 + next`.
fn in_window(end: Micros, next: Micros, left: u64) -> Model {
    Model {
        mode: Mode::Window(Window {
            reset: 0,
            end: T0 + end,
            lowest: left,
            lowest_at: T0,
            highest: left,
            first_at: T0,
            reports: 1,
            unreported: 0,
            next: T0 + next,
        }),
        ..Model::default()
    }
}

/// The pace's wake-up time: the first instant at which `decide` admits, whichever of
/// the span (far from the window's end) or the end (near it) binds.
#[test]
fn a_paced_wait_ends_at_the_first_instant_admitted() {
    let window = |end, next| in_window(end, next, 100);
    // The end 10 s away: the span binds, a quarter of a second ahead of `next`.
    // The end 0.8 s away: it binds, at ceil((4 × 300 ms − 800 ms) / 3) = 133,334 µs.
    for (end, next, first) in [
        (10 * SECOND, SECOND, 750 * MS),
        (800 * MS, 300 * MS, 133_334),
    ] {
        let mut m = window(end, next);
        assert_eq!(waits(&mut m, T0), (Some(T0 + first), false), "end {end}");
        assert_eq!(waits(&mut m, T0 + first - 1), (Some(T0 + first), false));
        sent(&mut m, T0 + first);
    }
}

/// The quota is spent while a window with nothing left lasts, or a `Retry-After` holds,
/// up to (not including) its end.
#[test]
fn the_quota_is_spent_only_while_nothing_is_left_or_admission_is_closed() {
    let end = SECOND;
    assert_eq!(in_window(end, 0, 0).spent_until(T0), Some(T0 + end));
    assert_eq!(
        in_window(end, 0, 0).spent_until(T0 + end - 1),
        Some(T0 + end)
    );
    assert_eq!(
        in_window(end, 0, 0).spent_until(T0 + end),
        None,
        "the window is over"
    );
    assert_eq!(
        in_window(end, 0, 3).spent_until(T0),
        None,
        "requests are left"
    );
    assert_eq!(Model::default().spent_until(T0), None);

    let closed = Model {
        closed_until: Some(T0 + 5 * MS),
        ..Model::default()
    };
    assert_eq!(closed.spent_until(T0), Some(T0 + 5 * MS));
    assert_eq!(closed.spent_until(T0 + 5 * MS), None, "the wait is over");
    // The later of the two.
    let both = Model {
        closed_until: Some(T0 + 5 * MS),
        ..in_window(end, 0, 0)
    };
    assert_eq!(both.spent_until(T0), Some(T0 + end));
}

/// Within a window: the lowest `Remaining` and when it was first seen stay (a report of
/// the same number later is not a new low), and a late answer from an earlier window
/// changes nothing.
#[test]
fn a_window_keeps_its_first_lowest_report_and_ignores_an_earlier_windows() {
    let second = (T0 + WALL).div_euclid(SECOND);
    let reset = |ahead: i64| Some(u64::try_from(second + ahead).expect("positive"));
    let mut m = Model::default();
    for (at, remaining) in [(0, 10), (10 * MS, 5), (20 * MS, 5)] {
        let headers = answer(Some(second), reset(5), Some(remaining));
        m.observe(OK, &headers, T0 + at, T0 + at, WALL);
    }
    let window = |m: &Model| match &m.mode {
        Mode::Window(w) => (w.reset, w.lowest, w.lowest_at, w.reports),
        other => panic!("{other:?}"),
    };
    let expected = (reset(5).expect("a reset"), 5, T0 + 10 * MS, 3);
    assert_eq!(window(&m), expected);
    m.observe(
        OK,
        &answer(Some(second), reset(2), Some(1)),
        T0,
        T0 + 30 * MS,
        WALL,
    );
    assert_eq!(
        window(&m),
        expected,
        "an earlier window's report is ignored"
    );
}
