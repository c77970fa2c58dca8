//! Property tests of the SDK: whatever a server sends back, with whatever status, the
//! client never panics and returns a typed error that keeps the status; and every valid
//! request body survives a trip through JSON unchanged.
//!
//! Failures print the smallest input proptest found. Nothing is persisted to the tree:
//! each run explores new cases.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use thena_sdk::types::{
    CreateTicketBody, ErrorResponse, ProactiveChannel, Ticket, TicketResponse, UpdateTicketBody,
};
use thena_sdk::{Client, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

/// Cases per property. Each network case is one or two loopback round trips.
const CASES: u32 = 256;

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Runs `test` on `strategy`; a failure panics with proptest's report (the smallest
/// failing input).
fn check<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    if let Err(failure) = runner().run(&strategy, test) {
        panic!("{failure}");
    }
}

// ---------------------------------------------------------------------------------------
// Strategies

/// Any string: every Unicode scalar value, control characters included.
fn text(max: usize) -> impl Strategy<Value = String> {
    vec(any::<char>(), 0..=max).prop_map(String::from_iter)
}

/// Any JSON value, a few levels deep.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        text(16).prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            json_object(inner).prop_map(Value::Object),
        ]
    })
}

fn json_object(values: impl Strategy<Value = Value>) -> impl Strategy<Value = Map<String, Value>> {
    btree_map(text(12), values, 0..4).prop_map(Map::from_iter)
}

/// The names of `T`'s JSON properties, as the generated types spell them.
fn property_names<T: schemars::JsonSchema>() -> Vec<String> {
    let schema = schemars::schema_for!(T);
    let object = schema.schema.object.expect("an object schema");
    object.properties.into_keys().collect()
}

/// A documented create response (every property set) with a few properties, of the
/// ticket or of the envelope, removed or given another value: often still valid, often
/// broken in one place only.
fn ticket_response_like() -> impl Strategy<Value = Value> {
    let documented: Value =
        serde_json::from_str(include_str!("../fixtures/create-ticket-response.json"))
            .expect("the fixture is JSON");
    // `None` removes the property.
    let replacement = prop_oneof![
        2 => Just(None),
        2 => Just(Some(Value::Null)),
        3 => text(8).prop_map(|s| Some(Value::String(s))),
        1 => any::<bool>().prop_map(|b| Some(Value::Bool(b))),
        1 => any::<i64>().prop_map(|n| Some(Value::from(n))),
    ];
    let ticket_edits = vec(
        (
            proptest::sample::select(property_names::<Ticket>()),
            replacement.clone(),
        ),
        0..4,
    );
    const ENVELOPE: &[&str] = &["status", "message", "timestamp", "data"];
    let envelope_edit =
        proptest::option::weighted(0.2, (proptest::sample::select(ENVELOPE), replacement));
    (ticket_edits, envelope_edit).prop_map(move |(ticket_edits, envelope_edit)| {
        let mut response = documented.clone();
        let edit = |object: &mut Value, name: &str, value: Option<Value>| {
            if let Some(object) = object.as_object_mut() {
                match value {
                    Some(value) => object.insert(name.to_owned(), value),
                    None => object.remove(name),
                };
            }
        };
        for (name, value) in ticket_edits {
            edit(&mut response["data"], &name, value);
        }
        if let Some((name, value)) = envelope_edit {
            edit(&mut response, name, value);
        }
        response
    })
}

/// Any response body: bytes, JSON, or JSON close to what the API sends.
fn response_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => vec(any::<u8>(), 0..512),
        1 => json().prop_map(|v| v.to_string().into_bytes()),
        2 => ticket_response_like().prop_map(|v| v.to_string().into_bytes()),
    ]
}

/// Any status a status line can carry, with the documented and the retried ones often.
fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        1 => 100u16..=999,
        2 => proptest::sample::select(&[200u16, 201][..]),
        1 => proptest::sample::select(&[400u16, 401, 404, 422][..]),
        1 => proptest::sample::select(&[408u16, 429, 500, 502, 503, 504][..]),
    ]
}

/// A date-time in the years 1 to 9999 (what RFC 3339 can write), to the nanosecond.
fn date_time() -> impl Strategy<Value = DateTime<Utc>> {
    (-62_135_596_800i64..=253_402_300_799, 0u32..1_000_000_000)
        .prop_map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).expect("in range"))
}

fn channels() -> impl Strategy<Value = Vec<ProactiveChannel>> {
    vec(Just(ProactiveChannel::Email), 0..3)
}

/// Any valid `CreateTicketBody`: every property set or not, any strings, a key of 1 to
/// 255 characters. Built through the builder, as users do, so that a property
/// added to the spec leaves this strategy compiling.
fn create_body() -> impl Strategy<Value = CreateTicketBody> {
    (
        (text(24), text(24), text(24)),
        vec(proptest::option::of(text(24)), 22),
        vec(proptest::option::of(any::<bool>()), 2),
        (
            any::<bool>(),
            proptest::option::of(text(255).prop_filter("not empty", |k| !k.is_empty())),
        ),
        vec(proptest::option::of(date_time()), 2),
        (vec(text(24), 0..3), vec(text(24), 0..3), channels()),
        (
            json_object(json()),
            json_object(json()),
            vec(json_object(json()), 0..3),
        ),
    )
        .prop_map(
            |(required, strings, bools, (proactive, key), dates, lists, maps)| {
                let (title, requestor_email, team_id) = required;
                let mut s = strings.into_iter();
                let mut s = move || s.next().flatten();
                let mut b = bools.into_iter();
                let mut b = move || b.next().flatten();
                let mut d = dates.into_iter();
                let mut d = move || d.next().flatten();
                let (attachment_urls, comment_attachment_ids, proactive_channels) = lists;
                let (metadata, comment_metadata, custom_field_values) = maps;
                CreateTicketBody::try_from(
                    CreateTicketBody::builder()
                        .set_account_id(s())
                        .set_ai_generated_summary(s())
                        .set_ai_generated_title(s())
                        .set_assigned_agent_email(s())
                        .set_assigned_agent_id(s())
                        .attachment_urls(attachment_urls)
                        .set_closed_at(d())
                        .set_closed_by_id(s())
                        .comment_attachment_ids(comment_attachment_ids)
                        .set_comment_content(s())
                        .set_comment_content_html(s())
                        .set_comment_content_json(s())
                        .set_comment_impersonated_user_avatar(s())
                        .set_comment_impersonated_user_email(s())
                        .set_comment_impersonated_user_name(s())
                        .comment_metadata(comment_metadata)
                        .custom_field_values(custom_field_values)
                        .set_de_duplication_key(key)
                        .set_description(s())
                        .set_due_date(d())
                        .set_form_id(s())
                        .set_is_private(b())
                        .is_proactive(proactive)
                        .metadata(metadata)
                        .set_perform_routing(b())
                        .set_priority_id(s())
                        .set_priority_name(s())
                        .proactive_channels(proactive_channels)
                        .requestor_email(requestor_email)
                        .set_sentiment_id(s())
                        .set_source(s())
                        .set_status_id(s())
                        .set_status_name(s())
                        .set_submitter_email(s())
                        .team_id(team_id)
                        .title(title)
                        .set_type_id(s()),
                )
                .expect("every property is valid")
            },
        )
}

/// Any valid `UpdateTicketBody`. Its unknown properties (`extra`) may not reuse a known
/// property's name: that would write the name twice, which no JSON reader accepts.
fn update_body() -> impl Strategy<Value = UpdateTicketBody> {
    let known = property_names::<UpdateTicketBody>();
    (
        vec(proptest::option::of(text(24)), 18),
        vec(proptest::option::of(any::<bool>()), 2),
        vec(proptest::option::of(date_time()), 2),
        (vec(text(24), 0..3), channels()),
        (
            json_object(json()),
            vec(json_object(json()), 0..3),
            json_object(json()),
        ),
    )
        .prop_map(move |(strings, bools, dates, lists, maps)| {
            let mut s = strings.into_iter();
            let mut s = move || s.next().flatten();
            let mut b = bools.into_iter();
            let mut b = move || b.next().flatten();
            let mut d = dates.into_iter();
            let mut d = move || d.next().flatten();
            let (attachment_urls, proactive_channels) = lists;
            let (metadata, custom_field_values, mut extra) = maps;
            extra.retain(|name, _| !known.contains(name));
            UpdateTicketBody::try_from(
                UpdateTicketBody::builder()
                    .set_account_id(s())
                    .set_ai_generated_summary(s())
                    .set_ai_generated_title(s())
                    .set_assigned_agent_email(s())
                    .set_assigned_agent_id(s())
                    .attachment_urls(attachment_urls)
                    .set_closed_at(d())
                    .set_closed_by_id(s())
                    .custom_field_values(custom_field_values)
                    .set_description(s())
                    .set_due_date(d())
                    .set_form_id(s())
                    .set_is_private(b())
                    .set_is_proactive(b())
                    .metadata(metadata)
                    .set_priority_id(s())
                    .set_priority_name(s())
                    .proactive_channels(proactive_channels)
                    .set_sentiment_id(s())
                    .set_source(s())
                    .set_status_id(s())
                    .set_status_name(s())
                    .set_sub_team_id(s())
                    .set_submitter_email(s())
                    .set_title(s())
                    .set_type_id(s())
                    .extra(extra),
            )
            .expect("every property is valid")
        })
}

// ---------------------------------------------------------------------------------------
// Round trips

/// Serialize, deserialize, serialize: the same bytes both times.
fn round_trips<T: Serialize + DeserializeOwned>(body: &T) -> Result<(), TestCaseError> {
    let first = serde_json::to_vec(body).map_err(fail)?;
    let decoded: T = serde_json::from_slice(&first).map_err(fail)?;
    let second = serde_json::to_vec(&decoded).map_err(fail)?;
    prop_assert_eq!(
        String::from_utf8_lossy(&first),
        String::from_utf8_lossy(&second)
    );
    Ok(())
}

fn fail(e: serde_json::Error) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

#[test]
fn valid_create_bodies_round_trip_through_json() {
    check(create_body(), |body| round_trips(&body));
}

#[test]
fn valid_update_bodies_round_trip_through_json() {
    check(update_body(), |body| round_trips(&body));
}

// ---------------------------------------------------------------------------------------
// Arbitrary responses

/// What [`Canned`] answers: a status, extra headers and a body.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// A server that answers every request with the status, headers and body it is told to,
/// written byte for byte: no HTTP library in between to refuse an odd status or mend a
/// body.
struct Canned {
    url: String,
    answer: Arc<Mutex<Answer>>,
}

impl Canned {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let answer = Arc::new(Mutex::new((200, Vec::new(), Vec::new())));
        let current = Arc::clone(&answer);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let answer = current
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                tokio::spawn(answer_once(stream, answer));
            }
        });
        Self { url, answer }
    }

    fn set(&self, status: u16, headers: Vec<(String, String)>, body: Vec<u8>) {
        *self.answer.lock().unwrap_or_else(PoisonError::into_inner) = (status, headers, body);
    }
}

/// Reads one request (head and `Content-Length` body, so that closing cannot reset the
/// connection under the client), writes the answer and closes.
async fn answer_once(mut stream: TcpStream, (status, headers, body): Answer) {
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut wanted = None;
    while wanted.is_none_or(|len| request.len() < len) {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
        if wanted.is_none()
            && let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n")
        {
            wanted = Some(end + 4 + content_length(&request[..end]));
        }
    }
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let head = format!(
        "HTTP/1.1 {status} Canned\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n{extra}\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0)
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Create,
    Update,
}

/// What the client must make of a status and a body.
#[derive(Debug, PartialEq)]
enum Expected {
    /// The decoded ticket response.
    Ok,
    /// `Error::ErrorResponse`: an error status with a body that decodes as one.
    ErrorBody,
    /// `Error::InvalidResponsePayload`: a documented status, a body that does not decode.
    Undecodable,
    /// `Error::UnexpectedResponse`: a status the spec does not document.
    Unexpected,
    /// 1xx: informational, not an answer. hyper reads on for the real one, finds the
    /// body's bytes or the end of the connection, and reports no response (or, for 101,
    /// hands the switch of protocols back as an undocumented status).
    Informational,
}

fn expected(op: Op, status: u16, body: &[u8]) -> Expected {
    let decodes = |ok: bool| {
        if ok {
            Expected::Ok
        } else {
            Expected::Undecodable
        }
    };
    let success = match op {
        Op::Create => matches!(status, 200 | 201),
        Op::Update => status == 200,
    };
    match status {
        100..=199 => Expected::Informational,
        _ if success => decodes(serde_json::from_slice::<TicketResponse>(body).is_ok()),
        400..=599 => match serde_json::from_slice::<ErrorResponse>(body) {
            Ok(_) => Expected::ErrorBody,
            Err(_) => Expected::Undecodable,
        },
        _ => Expected::Unexpected,
    }
}

fn outcome(result: &Result<thena_sdk::ResponseValue<TicketResponse>, Error>) -> Expected {
    match result {
        Ok(_) => Expected::Ok,
        Err(Error::ErrorResponse(_)) => Expected::ErrorBody,
        Err(Error::InvalidResponsePayload { .. }) => Expected::Undecodable,
        Err(Error::UnexpectedResponse(_)) => Expected::Unexpected,
        Err(_) => Expected::Informational,
    }
}

#[test]
fn arbitrary_responses_never_panic_and_come_back_typed() {
    let runtime = Runtime::new().expect("a tokio runtime");
    let server = runtime.block_on(Canned::start());
    // One retry with a short backoff: the retry path sees the same arbitrary answers.
    let client = Client::builder()
        .base_url(&server.url)
        .api_key("tk_test_properties")
        .max_retries(1)
        .backoff(Duration::from_millis(1), Duration::from_millis(1))
        .timeout(Duration::from_secs(5))
        .build()
        .expect("valid settings");
    let op = prop_oneof![Just(Op::Create), Just(Op::Update)];

    check((op, status(), response_body()), |(op, status, body)| {
        server.set(status, Vec::new(), body.clone());
        let result = runtime.block_on(async {
            match op {
                Op::Create => {
                    let body = CreateTicketBody::builder()
                        .title("t")
                        .requestor_email("r@example.com")
                        .team_id("T");
                    client.create_ticket().body(body).send().await
                }
                Op::Update => client.update_ticket().id("T1").send().await,
            }
        });
        let want = expected(op, status, &body);
        let got = outcome(&result);
        match want {
            Expected::Informational => prop_assert!(
                matches!(&result, Err(Error::CommunicationError { .. }))
                    || (status == 101 && got == Expected::Unexpected),
                "status {status}: {result:?}"
            ),
            _ => prop_assert_eq!(&got, &want, "status {}: {:?}", status, result),
        }
        match &result {
            Ok(response) => prop_assert_eq!(response.status().as_u16(), status),
            Err(e) => {
                if want != Expected::Informational {
                    prop_assert_eq!(e.status().map(|s| s.as_u16()), Some(status));
                }
                let retried = [408, 429, 500, 502, 503, 504].contains(&status);
                if want != Expected::Informational && want != Expected::Unexpected {
                    prop_assert_eq!(e.attempts(), if retried { 2 } else { 1 });
                }
                // Everything a caller may ask of an error answers without panicking.
                let _ = (e.to_string(), e.server_message(), e.request_id());
                let _ = (e.is_retryable(), e.retry_after(), e.rate_limit());
            }
        }
        Ok(())
    });
}

/// A value for a header that speaks of time: small and absurd numbers, negative ones,
/// HTTP dates of any year in each of the three formats, and printable garbage.
fn time_header() -> impl Strategy<Value = String> {
    let date = (-62_135_596_800i64..=253_402_300_799).prop_flat_map(|secs| {
        let at = DateTime::from_timestamp(secs, 0).unwrap_or_default();
        proptest::sample::select(vec![
            at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            at.format("%A, %d-%b-%y %H:%M:%S GMT").to_string(),
            at.format("%a %b %e %H:%M:%S %Y").to_string(),
        ])
    });
    prop_oneof![
        (0u64..3).prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[0-9]{20,40}",
        date,
        "[ -~]{0,40}",
    ]
}

/// Any subset of `Retry-After` and the `X-RateLimit-*` headers, with [`time_header`]
/// values.
fn time_headers() -> impl Strategy<Value = Vec<(String, String)>> {
    const NAMES: [&str; 4] = [
        "retry-after",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ];
    vec((proptest::sample::select(&NAMES[..]), time_header()), 0..=4).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.trim().to_owned()))
            .collect()
    })
}

/// Settings from the ordinary to the end of the clock. A call may only sleep as long as
/// `max_retry_wait` or the operation's limit allows, so an unbounded one comes with a
/// short operation limit: every case ends quickly or the client slept where it must not.
fn settings() -> impl Strategy<Value = (Duration, Option<Duration>, Duration, Duration, u32)> {
    let ms = Duration::from_millis;
    let waits = prop_oneof![
        (
            proptest::sample::select(vec![Duration::ZERO, ms(5)]),
            proptest::sample::select(vec![None, Some(Duration::MAX), Some(ms(300))]),
        ),
        Just((Duration::MAX, Some(ms(300)))),
    ];
    (
        proptest::sample::select(vec![ms(2000), Duration::MAX]),
        waits,
        proptest::sample::select(vec![Duration::ZERO, ms(1), Duration::MAX]),
        0u32..=2,
    )
        .prop_map(|(timeout, (max_wait, operation), backoff, retries)| {
            (timeout, operation, max_wait, backoff, retries)
        })
}

#[test]
fn absurd_time_headers_and_settings_never_panic_or_hang() {
    let runtime = Runtime::new().expect("a tokio runtime");
    let server = runtime.block_on(Canned::start());
    let status = proptest::sample::select(vec![200u16, 201, 429, 503]);

    check(
        (status, time_headers(), settings()),
        |(status, headers, (timeout, operation, max_wait, backoff, retries))| {
            server.set(status, headers, b"{}".to_vec());
            let mut builder = Client::builder()
                .base_url(&server.url)
                .api_key("tk_test_properties")
                .timeout(timeout)
                .max_retry_wait(max_wait)
                .backoff(backoff, backoff)
                .max_retries(retries);
            if let Some(operation) = operation {
                builder = builder.operation_timeout(operation);
            }
            let client = builder.build().expect("valid settings");
            let started = std::time::Instant::now();
            let result = runtime.block_on(async {
                // Twice, so that the second call meets what the first taught the
                // rate limiter.
                let _ = client.update_ticket().id("T1").send().await;
                client.update_ticket().id("T1").send().await
            });
            prop_assert!(
                started.elapsed() < Duration::from_secs(5),
                "the calls took {:?}",
                started.elapsed()
            );
            let e = result.expect_err("{} is no ticket");
            match &e {
                // What the first call taught: the quota is spent past the bounds.
                Error::QuotaExhausted { .. } => prop_assert_eq!(e.attempts(), 0),
                _ => prop_assert_eq!(e.status().map(|s| s.as_u16()), Some(status)),
            }
            let _ = (
                e.to_string(),
                format!("{e:?}"),
                e.retry_after(),
                e.rate_limit(),
            );
            let _ = e.head().map(|h| (h.retry_after(), h.rate_limit()));
            Ok(())
        },
    );
}
