//! The client runtime against the sandbox's fault injection, over real HTTP: retries,
//! idempotent creates, rate-limit awareness, timeouts and typed errors.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use thena_sandbox::{Fault, OnDuplicate, RateLimit, Route, Sandbox};
use thena_sdk::{Client, ClientBuilder, Error, types};

async fn sandbox() -> Sandbox {
    Sandbox::start().await.expect("the sandbox starts")
}

/// A client for the sandbox with short backoff, so the tests stay quick.
fn builder(sandbox: &Sandbox) -> ClientBuilder {
    Client::builder()
        .base_url(sandbox.url())
        .api_key(sandbox.api_key())
        .backoff(Duration::from_millis(20), Duration::from_millis(100))
}

fn client(sandbox: &Sandbox) -> Client {
    builder(sandbox).build().expect("valid settings")
}

fn ticket(team: &str) -> types::builder::CreateTicketBody {
    types::CreateTicketBody::builder()
        .title("Printer on fire")
        .requestor_email("user@example.com")
        .team_id(team)
}

/// The deDuplicationKey of every create the sandbox received.
fn create_keys(sandbox: &Sandbox) -> Vec<Option<String>> {
    sandbox
        .requests()
        .into_iter()
        .filter(|r| r.route == Some(Route::CreateTicket))
        .map(|r| r.de_duplication_key)
        .collect()
}

#[tokio::test]
async fn two_503s_then_success_is_one_call_three_attempts_one_ticket_one_key() {
    let sandbox = sandbox().await;
    sandbox.inject(Fault::status(503).times(2));

    let created = client(&sandbox)
        .create_ticket()
        .body(ticket("T"))
        .send()
        .await
        .expect("third attempt succeeds");

    assert_eq!(created.head().attempts(), 3);
    assert_eq!(sandbox.tickets().len(), 1);
    let keys = create_keys(&sandbox);
    assert_eq!(keys.len(), 3);
    assert!(keys[0].is_some(), "the SDK generated a key");
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "every attempt carried the same key: {keys:?}"
    );
}

#[tokio::test]
async fn a_callers_key_is_kept_on_every_attempt() {
    let sandbox = sandbox().await;
    sandbox.inject(Fault::status(503).times(2));

    client(&sandbox)
        .create_ticket()
        .body(ticket("T").de_duplication_key("order-4711"))
        .send()
        .await
        .expect("succeeds");

    assert_eq!(
        create_keys(&sandbox),
        vec![Some("order-4711".to_owned()); 3]
    );
}

#[tokio::test]
async fn without_idempotent_creates_a_create_is_sent_once_and_carries_no_key() {
    let sandbox = sandbox().await;
    sandbox.inject(Fault::status(503));
    let client = builder(&sandbox)
        .idempotent_creates(false)
        .build()
        .expect("valid settings");

    let err = client
        .create_ticket()
        .body(ticket("T"))
        .send()
        .await
        .expect_err("503, not retried");

    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.attempts(), 1);
    assert_eq!(create_keys(&sandbox), vec![None]);
}

#[tokio::test]
async fn updates_are_retried() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let created = client
        .create_ticket()
        .body(ticket("T"))
        .send()
        .await
        .expect("created");
    let id = created.data.id.clone().expect("an id");
    sandbox.inject(Fault::status(502).html().on(Route::UpdateTicket));

    let updated = client
        .update_ticket()
        .id(id)
        .body(types::UpdateTicketBody::builder().title("Renamed"))
        .send()
        .await
        .expect("the retry succeeds");

    assert_eq!(updated.head().attempts(), 2);
    assert_eq!(updated.data.title.as_deref(), Some("Renamed"));
}

#[tokio::test]
async fn a_429_with_retry_after_waits_at_least_that_long() {
    let sandbox = sandbox().await;
    sandbox.inject(Fault::status(429).retry_after(1));

    let started = Instant::now();
    let created = client(&sandbox)
        .create_ticket()
        .body(ticket("T"))
        .send()
        .await
        .expect("the retry succeeds");

    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retried after {:?}",
        started.elapsed()
    );
    assert_eq!(created.head().attempts(), 2);
}

#[tokio::test]
async fn a_wait_beyond_the_cap_returns_the_error_at_once_with_the_wait() {
    let sandbox = sandbox().await;
    sandbox.inject(Fault::status(429).retry_after(120));

    let started = Instant::now();
    let err = client(&sandbox)
        .create_ticket()
        .body(ticket("T"))
        .send()
        .await
        .expect_err("not worth waiting");

    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(err.attempts(), 1);
    let wait = err.retry_after().expect("the wait is carried");
    assert!(wait > Duration::from_secs(100), "{wait:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn client_errors_are_not_retried_and_keep_status_and_message() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);

    // A typed body cannot break the spec; an unnamed property sent through `extra` can.
    let mut extra = serde_json::Map::new();
    extra.insert("isPrivate".into(), serde_json::json!("yes"));
    let created = client
        .create_ticket()
        .body(ticket("T"))
        .send()
        .await
        .expect("created");
    let invalid = client
        .update_ticket()
        .id(created.data.id.clone().expect("an id"))
        .body(types::UpdateTicketBody::builder().extra(extra))
        .send()
        .await;
    let err = invalid.expect_err("400");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(err.attempts(), 1);
    assert!(!err.is_retryable());
    assert!(matches!(err, Error::ErrorResponse(_)), "{err:?}");
    let message = err.server_message().expect("a server message");
    assert!(message.contains("isPrivate"), "{message}");

    let wrong_key = builder(&sandbox)
        .api_key("not-the-key")
        .build()
        .expect("valid settings");
    let err = wrong_key
        .create_ticket()
        .body(ticket("T"))
        .send()
        .await
        .expect_err("401");
    assert_eq!(
        (err.status().map(|s| s.as_u16()), err.attempts()),
        (Some(401), 1)
    );
    assert!(err.server_message().is_some_and(|m| !m.is_empty()), "{err}");

    let err = client
        .update_ticket()
        .id("NO_SUCH_TICKET")
        .body(types::UpdateTicketBody::builder().title("x"))
        .send()
        .await
        .expect_err("404");
    assert_eq!(
        (err.status().map(|s| s.as_u16()), err.attempts()),
        (Some(404), 1)
    );
    assert!(err.to_string().contains("404"), "{err}");
    assert_eq!(
        sandbox.requests().len(),
        4,
        "the create, then one request for each error"
    );
}

#[tokio::test]
async fn an_html_502_every_time_gives_up_after_three_attempts_with_a_snippet() {
    let sandbox = sandbox().await;
    sandbox.inject(Fault::status(502).html().times(10));

    let err = client(&sandbox)
        .create_ticket()
        .body(ticket("T"))
        .send()
        .await
        .expect_err("502 throughout");

    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(err.attempts(), 3);
    assert!(
        matches!(err, Error::InvalidResponsePayload { .. }),
        "{err:?}"
    );
    let snippet = err.server_message().expect("a snippet of the page");
    assert!(snippet.to_ascii_lowercase().contains("<html"), "{snippet}");
    assert!(
        err.to_string().contains("502") && err.to_string().contains("after 3 attempts"),
        "{err}"
    );
    assert_eq!(sandbox.tickets().len(), 0);
}

#[tokio::test]
async fn a_timeout_is_retried_then_reported_as_a_timeout() {
    let sandbox = sandbox().await;
    sandbox.inject(Fault::delay(Duration::from_secs(2)).times(3));
    let client = builder(&sandbox)
        .timeout(Duration::from_millis(200))
        .build()
        .expect("valid settings");

    let err = client
        .create_ticket()
        .body(ticket("T"))
        .send()
        .await
        .expect_err("every attempt times out");

    assert!(err.is_timeout(), "{err:?}");
    assert!(
        matches!(err, Error::CommunicationError { .. }) && err.attempts() == 3,
        "{err:?}"
    );
    assert_eq!(err.status(), None);
    assert!(err.is_retryable());
}

/// A create whose first attempt the server carried out but whose answer was lost: the
/// connection dropped, the body cut short, or the answer too late for the client.
fn lost_answers() -> [(&'static str, Fault); 3] {
    [
        ("dropped", Fault::drop_connection().after_processing()),
        ("cut mid-body", Fault::truncate()),
        (
            "too late",
            Fault::delay(Duration::from_secs(2)).after_processing(),
        ),
    ]
}

#[tokio::test]
async fn a_lost_answer_never_duplicates_a_ticket_under_either_answer_to_a_reused_key() {
    for mode in [OnDuplicate::Replay, OnDuplicate::Conflict] {
        for (what, fault) in lost_answers() {
            let sandbox = Sandbox::builder()
                .on_duplicate(mode)
                .start()
                .await
                .expect("the sandbox starts");
            sandbox.inject(fault);
            let client = builder(&sandbox)
                .timeout(Duration::from_millis(500))
                .build()
                .expect("valid settings");

            let result = client.create_ticket().body(ticket("T")).send().await;

            let tickets = sandbox.tickets();
            assert_eq!(tickets.len(), 1, "{mode:?}, {what}: one ticket");
            let keys = create_keys(&sandbox);
            assert_eq!(keys.len(), 2, "{mode:?}, {what}: one retry");
            assert_eq!(keys[0], keys[1], "{mode:?}, {what}: the same key");
            match (mode, result) {
                (OnDuplicate::Replay, Ok(created)) => {
                    assert_eq!(created.head().attempts(), 2);
                    assert!(created.head().earlier_attempt_may_have_created(), "{what}");
                    assert_eq!(
                        created.data.id, tickets[0].id,
                        "{what}: the replayed ticket"
                    );
                    assert_eq!(created.head().dedup_key(), keys[0].as_deref());
                }
                (OnDuplicate::Conflict, Err(err)) => {
                    assert!(err.is_duplicate(), "{what}: {err:?}");
                    assert!(err.earlier_attempt_may_have_created(), "{what}: {err:?}");
                    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
                    assert_eq!(err.attempts(), 2);
                    assert_eq!(err.dedup_key(), keys[0].as_deref());
                    let shown = err.to_string();
                    assert!(
                        shown.contains("most likely created by an earlier attempt of this call"),
                        "{what}: {shown}"
                    );
                }
                (mode, result) => panic!("{mode:?}, {what}: {result:?}"),
            }
        }
    }
}

#[tokio::test]
async fn a_key_used_by_another_call_is_a_duplicate_of_that_calls_ticket() {
    let sandbox = Sandbox::builder()
        .on_duplicate(OnDuplicate::Conflict)
        .start()
        .await
        .expect("the sandbox starts");
    let client = client(&sandbox);
    let first = client
        .create_ticket()
        .body(ticket("T").de_duplication_key("alert-7"))
        .send()
        .await
        .expect("the first create");
    assert!(!first.head().earlier_attempt_may_have_created());

    let err = client
        .create_ticket()
        .body(ticket("T").de_duplication_key("alert-7"))
        .send()
        .await
        .expect_err("the key was used");

    assert!(err.is_duplicate(), "{err:?}");
    assert!(!err.earlier_attempt_may_have_created());
    assert_eq!(err.attempts(), 1, "a refusal is not retried");
    let shown = err.to_string();
    assert!(
        shown.contains("alert-7") && shown.contains("a ticket with this deDuplicationKey exists"),
        "{shown}"
    );
    assert_eq!(sandbox.tickets().len(), 1);

    // An update's 409 is no duplicate: it carried no key.
    let id = sandbox.tickets()[0].id.clone().expect("an id");
    sandbox.inject(Fault::status(409).on(Route::UpdateTicket));
    let err = client
        .update_ticket()
        .id(id)
        .body(types::UpdateTicketBody::builder())
        .send()
        .await
        .expect_err("409");
    assert!(!err.is_duplicate());
}

#[tokio::test]
async fn a_create_that_finally_fails_carries_the_key_it_was_sent_with() {
    let sandbox = sandbox().await;
    sandbox.inject(Fault::truncate().times(3));

    let err = client(&sandbox)
        .create_ticket()
        .body(ticket("T"))
        .send()
        .await
        .expect_err("cut every time");

    assert!(matches!(err, Error::ResponseBodyError { .. }), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(201));
    assert_eq!(err.attempts(), 3);
    assert!(err.is_retryable());
    let keys = create_keys(&sandbox);
    assert_eq!(err.dedup_key(), keys[0].as_deref());
    assert!(
        err.to_string().contains(err.dedup_key().expect("a key")),
        "{err}"
    );
    assert_eq!(sandbox.tickets().len(), 1, "the first attempt created it");

    // Lost answers after processing, until the retries run out.
    sandbox.inject(Fault::drop_connection().after_processing().times(3));
    let err = client(&sandbox)
        .create_ticket()
        .body(ticket("U"))
        .send()
        .await
        .expect_err("no answer arrives");
    assert!(
        matches!(err, Error::CommunicationError { .. }) && err.attempts() == 3,
        "{err:?}"
    );
    assert_eq!(err.dedup_key(), create_keys(&sandbox)[3].as_deref());

    // Sending again with that key replays the ticket instead of duplicating it.
    let key = err.dedup_key().expect("a key").to_owned();
    let replayed = client(&sandbox)
        .create_ticket()
        .body(ticket("U").de_duplication_key(key))
        .send()
        .await
        .expect("replayed");
    assert_eq!(sandbox.tickets().len(), 2);
    assert_eq!(sandbox.tickets()[1].id, replayed.data.id);
}

#[tokio::test]
async fn an_id_that_would_address_another_url_is_refused_before_sending() {
    let sandbox = sandbox().await;
    for id in ["", ".", ".."] {
        let err = client(&sandbox)
            .update_ticket()
            .id(id)
            .body(types::UpdateTicketBody::builder().title("x"))
            .send()
            .await
            .expect_err(id);
        assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
        assert!(err.to_string().contains("id: must not be empty"), "{err}");
        assert_eq!(err.attempts(), 0);
    }
    assert!(sandbox.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_retry_after_beyond_any_clock_falls_back_to_the_backoff() {
    let sandbox = sandbox().await;
    sandbox.inject(Fault::status(429).retry_after(u64::MAX));

    let created = client(&sandbox)
        .create_ticket()
        .body(ticket("T"))
        .send()
        .await
        .expect("retried after the backoff");

    assert_eq!(created.head().attempts(), 2);
}

#[tokio::test]
async fn settings_at_the_end_of_the_clock_do_not_panic() {
    let sandbox = sandbox().await;
    let unbounded = builder(&sandbox)
        .operation_timeout(Duration::MAX)
        .timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .build()
        .expect("valid settings");
    unbounded
        .create_ticket()
        .body(ticket("T"))
        .send()
        .await
        .expect("no limit is a fine limit");

    // Waits that cannot be slept within the operation's limit end the call at once.
    for (fault, backoff) in [
        (
            Fault::status(429).retry_after(86_400),
            Duration::from_millis(1),
        ),
        (Fault::status(503), Duration::MAX),
    ] {
        sandbox.inject(fault);
        let client = builder(&sandbox)
            .max_retry_wait(Duration::MAX)
            .operation_timeout(Duration::from_secs(2))
            .backoff(backoff, Duration::MAX)
            .build()
            .expect("valid settings");
        let started = Instant::now();
        let err = client
            .create_ticket()
            .body(ticket("T"))
            .send()
            .await
            .expect_err("no time to wait");
        assert_eq!(err.attempts(), 1);
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}

#[tokio::test]
async fn an_operation_timeout_stops_retrying_when_the_next_wait_would_pass_it() {
    let sandbox = sandbox().await;
    sandbox.inject(Fault::status(503).retry_after(2).times(5));
    let client = builder(&sandbox)
        .operation_timeout(Duration::from_secs(1))
        .build()
        .expect("valid settings");

    let started = Instant::now();
    let err = client
        .create_ticket()
        .body(ticket("T"))
        .send()
        .await
        .expect_err("no time to retry");

    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (err.status().map(|s| s.as_u16()), err.attempts()),
        (Some(503), 1)
    );
}

/// 16 tasks create 200 tickets through one client against 20 requests per second.
/// Returns how many 429s the sandbox answered.
async fn load(rate_limit_aware: bool) -> usize {
    let limit = RateLimit::new(20, Duration::from_secs(1)).expect("a valid limit");
    let sandbox = Sandbox::builder()
        .rate_limit(limit)
        .start()
        .await
        .expect("the sandbox starts");
    let client = Arc::new(
        builder(&sandbox)
            .rate_limit_aware(rate_limit_aware)
            // Without awareness the client leans on retries; give it enough of them.
            .max_retries(if rate_limit_aware { 2 } else { 50 })
            .build()
            .expect("valid settings"),
    );
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (client, next) = (client.clone(), next.clone());
            tokio::spawn(async move {
                let mut ids = Vec::new();
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if n >= 200 {
                        return ids;
                    }
                    let body = ticket("LOAD").title(format!("load {n}"));
                    match client.create_ticket().body(body).send().await {
                        Ok(created) => ids.push(created.data.id.clone()),
                        Err(e) => panic!("create {n} failed: {e}"),
                    }
                }
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for task in tasks {
        for id in task.await.expect("the task finishes") {
            assert!(
                ids.insert(id.expect("an id")),
                "a ticket was returned twice"
            );
        }
    }
    assert_eq!(ids.len(), 200);
    let stored: HashSet<_> = sandbox.tickets().into_iter().filter_map(|t| t.id).collect();
    assert_eq!(stored, ids, "every ticket created exactly once");
    sandbox
        .requests()
        .iter()
        .filter(|r| r.status == Some(429))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_rate_limit_every_ticket_is_created_once_and_no_429_is_seen() {
    let aware = load(true).await;
    let unaware = load(false).await;
    eprintln!(
        "429s for 200 creates by 16 tasks at 20 requests/s: {aware} rate-limit aware, {unaware} unaware"
    );
    assert_eq!(aware, 0, "429s with rate-limit awareness");
    assert!(aware < unaware, "awareness must help: {aware} vs {unaware}");
}

/// Creates through one client while the sandbox, in chaos mode, drops, cuts, throttles
/// and refuses requests at random. Returns each call's key and result.
async fn creates_under_chaos(
    mode: OnDuplicate,
) -> (Sandbox, Vec<(Option<String>, Result<(), Error>)>) {
    let chaos = thena_sandbox::Chaos::new(0.25).expect("a rate").seed(2024);
    let sandbox = Sandbox::builder()
        .on_duplicate(mode)
        .chaos(chaos)
        .start()
        .await
        .expect("the sandbox starts");
    let client = Arc::new(
        builder(&sandbox)
            .max_retries(8)
            .backoff(Duration::from_millis(1), Duration::from_millis(5))
            .build()
            .expect("valid settings"),
    );
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let client = Arc::clone(&client);
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                for n in 0..15 {
                    let body = ticket("CHAOS").title(format!("chaos {task}-{n}"));
                    let outcome = match client.create_ticket().body(body).send().await {
                        Ok(created) => (created.head().dedup_key().map(str::to_owned), Ok(())),
                        Err(e) => (e.dedup_key().map(str::to_owned), Err(e)),
                    };
                    outcomes.push(outcome);
                }
                outcomes
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.extend(task.await.expect("the task finishes"));
    }
    (sandbox, outcomes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_chaos_every_create_keeps_one_key_and_makes_at_most_one_ticket() {
    for mode in [OnDuplicate::Replay, OnDuplicate::Conflict] {
        let (sandbox, outcomes) = creates_under_chaos(mode).await;
        assert_eq!(outcomes.len(), 120);
        let call_keys: HashSet<String> = outcomes
            .iter()
            .map(|(key, _)| key.clone().expect("every create has a key"))
            .collect();
        assert_eq!(call_keys.len(), 120, "{mode:?}: one key per call");
        let sent_keys: HashSet<String> = create_keys(&sandbox).into_iter().flatten().collect();
        assert_eq!(
            sent_keys, call_keys,
            "{mode:?}: every attempt carried its call's key, and no other"
        );
        let log = sandbox.requests();
        let struck = log.iter().filter(|r| r.fault.is_some()).count();
        assert!(struck > 20, "{mode:?}: chaos struck {struck} requests");
        // A ticket per key that reached processing, never two.
        let tickets = sandbox.tickets().len();
        assert!(
            tickets <= 120,
            "{mode:?}: {tickets} tickets for 120 creates"
        );
        for (_, result) in &outcomes {
            match (mode, result) {
                (_, Ok(())) => {}
                (OnDuplicate::Conflict, Err(e)) if e.is_duplicate() => {
                    assert!(e.earlier_attempt_may_have_created(), "{e}");
                    assert!(
                        e.to_string()
                            .contains("most likely created by an earlier attempt")
                    );
                }
                (_, Err(e)) => panic!("{mode:?}: a create failed after 9 attempts: {e}"),
            }
        }
        let succeeded = outcomes.iter().filter(|(_, r)| r.is_ok()).count();
        let duplicates = outcomes.len() - succeeded;
        assert_eq!(
            tickets,
            succeeded + duplicates,
            "{mode:?}: every create made exactly one ticket"
        );
        eprintln!(
            "{mode:?}: 120 creates, {struck} requests struck by chaos, {duplicates} answered as duplicates of their own earlier attempt"
        );
    }
}
