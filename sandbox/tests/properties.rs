//! Property tests of the sandbox: whatever body a client sends, the answer is a 4xx
//! unless the body is valid (then 201 for a create, 200 for an update), never a 5xx nor
//! a dropped connection, and no stored ticket is lost or changed by a refused request.
//!
//! Three kinds of body: arbitrary bytes, arbitrary JSON, and objects built from the
//! spec's own properties, each value drawn valid or invalid for its property, so that
//! the right answer is known by construction. The properties and their types are read
//! from the SDK's generated types (their JSON schema), not from the sandbox's tables.

mod common;

use std::collections::HashSet;
use std::sync::Mutex;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value};
use thena_sandbox::Sandbox;
use thena_sdk::types::{CreateTicketBody, CreateTicketBodyDeDuplicationKey, UpdateTicketBody};
use tokio::runtime::Runtime;

/// Cases per property; each is one loopback round trip.
const CASES: u32 = 256;

fn check<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    if let Err(failure) = TestRunner::new(config).run(&strategy, test) {
        panic!("{failure}");
    }
}

// ---------------------------------------------------------------------------------------
// What the spec says a body may hold

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Create,
    Update,
}

/// What a property must hold.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Text,
    /// A string of this many characters: at least the first, at most the second.
    TextWithin(usize, usize),
    /// An RFC 3339 date-time string.
    DateTime,
    Bool,
    Object,
    Texts,
    Objects,
    /// An array of the `ProactiveChannel` values (`"email"`).
    Channels,
}

/// A property of a request body: its name, its kind, whether it is required, and whether
/// it may be `null` (an optional `T`, which the generated type reads as `None`).
#[derive(Clone, Debug)]
struct Property {
    name: String,
    kind: Kind,
    required: bool,
    nullable: bool,
}

fn properties(op: Op) -> Vec<Property> {
    let schema = match op {
        Op::Create => schemars::schema_for!(CreateTicketBody),
        Op::Update => schemars::schema_for!(UpdateTicketBody),
    };
    let schema = serde_json::to_value(schema).expect("a schema serializes");
    let definitions = &schema["definitions"];
    let required: Vec<&Value> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    schema["properties"]
        .as_object()
        .expect("an object schema")
        .iter()
        .map(|(name, property)| Property {
            name: name.clone(),
            kind: match kind(name, resolve(property, definitions), definitions) {
                Kind::Text if name == KEY.0 => Kind::TextWithin(KEY.1, KEY.2),
                kind => kind,
            },
            required: required.iter().any(|r| *r == name),
            nullable: accepts_null(property),
        })
        .collect()
}

/// The one property with length limits. The generated newtype enforces the spec's
/// `minLength` and `maxLength` when it is built, but its JSON schema does not carry them.
const KEY: (&str, usize, usize) = ("deDuplicationKey", 1, 255);

#[test]
fn the_key_limits_are_the_generated_types() {
    let key = |chars| CreateTicketBodyDeDuplicationKey::try_from("é".repeat(chars));
    assert!(key(KEY.1).is_ok() && key(KEY.1 - 1).is_err());
    assert!(key(KEY.2).is_ok() && key(KEY.2 + 1).is_err());
}

/// Whether a property's schema lets it be `null`: `type: [T, "null"]` or
/// `anyOf: [T, {type: null}]`.
fn accepts_null(schema: &Value) -> bool {
    let null = |s: &Value| match &s["type"] {
        Value::String(one) => one == "null",
        Value::Array(many) => many.iter().any(|m| m == "null"),
        _ => false,
    };
    null(schema)
        || schema["anyOf"]
            .as_array()
            .is_some_and(|options| options.iter().any(null))
}

/// Follows `$ref`s, and the `anyOf: [T, null]` that schemars writes for an `Option<T>`.
fn resolve<'a>(schema: &'a Value, definitions: &'a Value) -> &'a Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/definitions/");
        return resolve(&definitions[name], definitions);
    }
    match schema["anyOf"].as_array() {
        Some(options) => options
            .iter()
            .find(|option| option["type"] != "null")
            .map_or(schema, |option| resolve(option, definitions)),
        None => schema,
    }
}

fn kind(name: &str, schema: &Value, definitions: &Value) -> Kind {
    let is = |t: &str| match &schema["type"] {
        Value::String(one) => one == t,
        Value::Array(many) => many.iter().any(|m| m == t),
        _ => false,
    };
    if is("boolean") {
        Kind::Bool
    } else if is("object") {
        Kind::Object
    } else if is("array") {
        match kind(name, resolve(&schema["items"], definitions), definitions) {
            Kind::Text if schema["items"]["$ref"].is_string() => Kind::Channels,
            Kind::Text => Kind::Texts,
            Kind::Object => Kind::Objects,
            other => panic!("{name}: arrays of {other:?} are new to this test"),
        }
    } else if is("string") && schema["format"] == "date-time" {
        Kind::DateTime
    } else if is("string") {
        match schema["maxLength"].as_u64() {
            Some(max) => Kind::TextWithin(
                usize::try_from(schema["minLength"].as_u64().unwrap_or(0)).expect("a small limit"),
                usize::try_from(max).expect("a small limit"),
            ),
            None => Kind::Text,
        }
    } else {
        panic!("{name}: the schema {schema} is new to this test")
    }
}

// ---------------------------------------------------------------------------------------
// Strategies

fn text(max: usize) -> impl Strategy<Value = String> {
    vec(any::<char>(), 0..=max).prop_map(String::from_iter)
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        text(12).prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(text(8), inner, 0..4).prop_map(|m| Value::Object(Map::from_iter(m))),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Value> {
    btree_map(text(8), json(), 0..4).prop_map(|m| Value::Object(Map::from_iter(m)))
}

/// JSON of any type but the one `is` accepts.
fn json_except(is: fn(&Value) -> bool) -> impl Strategy<Value = Value> {
    json().prop_filter("of another type", move |v| !is(v))
}

/// An RFC 3339 date-time with any offset in whole minutes, in years RFC 3339 can write.
fn rfc3339() -> impl Strategy<Value = Value> {
    (
        -62_104_060_800i64..=253_370_764_799, // 0002-01-01 to 9998-12-31
        0u32..1_000_000_000,
        -(23 * 60 + 59)..=(23 * 60 + 59),
        proptest::sample::select(
            &[
                SecondsFormat::Secs,
                SecondsFormat::Millis,
                SecondsFormat::Nanos,
            ][..],
        ),
    )
        .prop_map(|(secs, nanos, offset_minutes, format)| {
            let offset = FixedOffset::east_opt(offset_minutes * 60).expect("within a day");
            let at = DateTime::from_timestamp(secs, nanos).expect("in range");
            Value::String(at.with_timezone(&offset).to_rfc3339_opts(format, false))
        })
}

fn valid(kind: Kind) -> BoxedStrategy<Value> {
    match kind {
        Kind::Text => text(24).prop_map(Value::String).boxed(),
        Kind::TextWithin(min, max) => vec(any::<char>(), min..=max)
            .prop_map(|c| Value::String(String::from_iter(c)))
            .boxed(),
        Kind::DateTime => rfc3339().boxed(),
        Kind::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Kind::Object => json_object().boxed(),
        Kind::Texts => vec(text(12).prop_map(Value::String), 0..3)
            .prop_map(Value::Array)
            .boxed(),
        Kind::Objects => vec(json_object(), 0..3).prop_map(Value::Array).boxed(),
        Kind::Channels => vec(Just(Value::from("email")), 0..3)
            .prop_map(Value::Array)
            .boxed(),
    }
}

/// An array with one item of the wrong kind among right ones.
fn array_with_a_bad_item(
    good: impl Strategy<Value = Value> + 'static,
    bad: impl Strategy<Value = Value> + 'static,
) -> BoxedStrategy<Value> {
    (vec(good, 0..3), bad, any::<prop::sample::Index>())
        .prop_map(|(mut items, bad, at)| {
            items.insert(at.index(items.len() + 1), bad);
            Value::Array(items)
        })
        .boxed()
}

fn invalid(kind: Kind) -> BoxedStrategy<Value> {
    let not_a_date = prop_oneof![
        proptest::sample::select(
            &[
                "tomorrow",
                "2024-01-01",
                "2024-01-01 10:00",
                "2024-01-01T10:00:00",
                "2024-13-01T00:00:00Z",
                "2024-01-01T10:00:00+25:00",
            ][..]
        )
        .prop_map(Value::from),
        json_except(Value::is_string),
    ];
    let not_a_channel = prop_oneof![
        text(8)
            .prop_filter("not a channel", |s| s != "email")
            .prop_map(Value::String),
        json_except(Value::is_string),
    ];
    match kind {
        Kind::Text => json_except(Value::is_string).boxed(),
        Kind::TextWithin(min, max) => {
            let chars =
                |range| vec(any::<char>(), range).prop_map(|c| Value::String(String::from_iter(c)));
            let mut bad = vec![
                json_except(Value::is_string).boxed(),
                chars(max + 1..max + 9).boxed(),
            ];
            if min > 0 {
                bad.push(chars(0..min).boxed());
            }
            proptest::strategy::Union::new(bad).boxed()
        }
        Kind::DateTime => not_a_date.boxed(),
        Kind::Bool => json_except(Value::is_boolean).boxed(),
        Kind::Object => json_except(Value::is_object).boxed(),
        Kind::Texts => prop_oneof![
            json_except(Value::is_array),
            array_with_a_bad_item(
                text(8).prop_map(Value::String),
                json_except(Value::is_string)
            ),
        ]
        .boxed(),
        Kind::Objects => prop_oneof![
            json_except(Value::is_array),
            array_with_a_bad_item(json_object(), json_except(Value::is_object)),
        ]
        .boxed(),
        Kind::Channels => prop_oneof![
            json_except(Value::is_array),
            array_with_a_bad_item(Just(Value::from("email")), not_a_channel),
        ]
        .boxed(),
    }
}

/// A body built from `op`'s properties: each present or not (required ones mostly
/// present), each value valid or not, plus properties the spec does not name. Comes
/// with whether the sandbox must accept it.
fn near_the_schema(op: Op) -> impl Strategy<Value = (Value, bool)> {
    let properties = properties(op);
    let names: HashSet<String> = properties.iter().map(|p| p.name.clone()).collect();
    let fields: Vec<_> = properties
        .into_iter()
        .map(|p| {
            // About half the bodies come out valid: the rest break one rule or a few.
            let present = if p.required { 0.95 } else { 0.25 };
            let nullable = p.nullable;
            let invalid = invalid(p.kind)
                .prop_filter("null is valid here", move |v| !(nullable && v.is_null()));
            let value = prop_oneof![
                19 => valid(p.kind).prop_map(|v| (v, true)),
                1 => invalid.prop_map(|v| (v, false)),
            ];
            proptest::option::weighted(present, value)
                .prop_map(move |v| (p.name.clone(), p.required, v))
        })
        .collect();
    let unknown = btree_map(text(12), json(), 0..3);
    (fields, unknown).prop_map(move |(fields, unknown)| {
        let mut body = Map::new();
        let mut accepted = true;
        for (name, required, value) in fields {
            match value {
                Some((value, valid)) => {
                    accepted &= valid;
                    body.insert(name, value);
                }
                None => accepted &= !required,
            }
        }
        for (name, value) in unknown {
            if !names.contains(&name) {
                body.insert(name, value);
            }
        }
        (Value::Object(body), accepted)
    })
}

/// The names of the properties of each body.
struct Known {
    create: HashSet<String>,
    update: HashSet<String>,
}

impl Known {
    fn new() -> Self {
        let names = |op| properties(op).into_iter().map(|p| p.name).collect();
        Self {
            create: names(Op::Create),
            update: names(Op::Update),
        }
    }

    /// Whether an arbitrary body must be accepted, when that follows from its shape
    /// alone: `None` for an object that names a property of the spec (those are
    /// `near_the_schema`'s).
    fn accepted_by_shape(&self, op: Op, body: &[u8]) -> Option<bool> {
        let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
            return Some(false);
        };
        let known = match op {
            Op::Create => &self.create,
            Op::Update => &self.update,
        };
        if object.keys().any(|name| known.contains(name)) {
            return None;
        }
        // Nothing the spec names: a create lacks what it requires, an update changes nothing.
        Some(op == Op::Update)
    }
}

// ---------------------------------------------------------------------------------------
// The sandbox under test

struct Harness {
    runtime: Runtime,
    sandbox: Sandbox,
    http: reqwest::Client,
    /// Created before the run and never sent an update: must never change.
    keeper: Value,
    /// The ticket every update goes to.
    target: String,
    /// Ticket ids in creation order, as the last case left them.
    ids: Mutex<Vec<String>>,
    /// `deDuplicationKey`s of accepted creates: a create that repeats one is a replay.
    keys: Mutex<HashSet<String>>,
}

impl Harness {
    fn start() -> Self {
        let runtime = Runtime::new().expect("a tokio runtime");
        let sandbox = runtime
            .block_on(Sandbox::start())
            .expect("the sandbox starts");
        let http = common::http();
        let mut harness = Self {
            runtime,
            sandbox,
            http,
            keeper: Value::Null,
            target: String::new(),
            ids: Mutex::default(),
            keys: Mutex::default(),
        };
        for team in ["keeper", "target"] {
            let body = common::ticket(team).to_string().into_bytes();
            let (status, _) = harness.send(Op::Create, body);
            assert_eq!(status, 201, "a valid create");
        }
        let tickets = harness.tickets();
        harness.keeper = tickets[0].clone();
        harness.target = tickets[1]["id"].as_str().expect("an id").to_owned();
        *harness.ids.get_mut().expect("not poisoned") = ids(&tickets);
        harness
    }

    /// Sends `body`, reads the whole answer: its status and its JSON body.
    fn send(&self, op: Op, body: Vec<u8>) -> (u16, Value) {
        let request = match op {
            Op::Create => self.http.post(format!("{}/v1/tickets", self.sandbox.url())),
            Op::Update => {
                let url = format!("{}/v1/tickets/{}", self.sandbox.url(), self.target);
                self.http.patch(url)
            }
        };
        let request = request
            .header("x-api-key", self.sandbox.api_key())
            .header("content-type", "application/json")
            .body(body);
        self.runtime.block_on(async {
            let response = request
                .send()
                .await
                .expect("an answer, not a dropped connection");
            let status = response.status().as_u16();
            let bytes = response.bytes().await.expect("the whole body");
            (status, serde_json::from_slice(&bytes).expect("a JSON body"))
        })
    }

    fn tickets(&self) -> Vec<Value> {
        self.sandbox
            .tickets()
            .iter()
            .map(|t| serde_json::to_value(t).expect("a ticket serializes"))
            .collect()
    }

    /// Sends `body` and checks the answer against `accepted` (`None`: either, judged by
    /// the store) and the store against the answer.
    fn check(&self, op: Op, body: Vec<u8>, accepted: Option<bool>) -> Result<(), TestCaseError> {
        let key = (op == Op::Create)
            .then(|| serde_json::from_slice::<Value>(&body).ok())
            .flatten()
            .and_then(|v| v["deDuplicationKey"].as_str().map(str::to_owned));
        let target_before = self.ticket(&self.target);
        let (status, answer) = self.send(op, body);
        prop_assert!(status < 500, "a server error: {} {}", status, answer);
        let ok = match op {
            Op::Create => 201,
            Op::Update => 200,
        };
        prop_assert!(
            status == ok || (400..500).contains(&status),
            "{} {}",
            status,
            answer
        );
        if let Some(accepted) = accepted {
            prop_assert_eq!(status == ok, accepted, "{} {}", status, answer);
        }

        let tickets = self.tickets();
        let now = ids(&tickets);
        let mut before = self.ids.lock().expect("not poisoned");
        prop_assert_eq!(
            &now[..before.len().min(now.len())],
            &before[..],
            "a ticket was lost"
        );
        prop_assert_eq!(&tickets[0], &self.keeper, "the keeper changed");
        let grew = now.len() - before.len();
        if status == ok && op == Op::Create {
            let replay = key.is_some_and(|k| !self.keys.lock().expect("not poisoned").insert(k));
            prop_assert_eq!(
                grew,
                usize::from(!replay),
                "one new ticket, none for a replay"
            );
            prop_assert!(now.iter().any(|id| answer["data"]["id"] == *id));
        } else {
            prop_assert_eq!(grew, 0, "a refused create added a ticket");
        }
        if status != ok {
            prop_assert_eq!(answer["statusCode"].as_u64(), Some(u64::from(status)));
            prop_assert_eq!(
                self.ticket(&self.target),
                target_before,
                "a refused update changed the ticket"
            );
        }
        *before = now;
        Ok(())
    }

    fn ticket(&self, id: &str) -> Option<Value> {
        self.tickets().into_iter().find(|t| t["id"] == id)
    }
}

fn ids(tickets: &[Value]) -> Vec<String> {
    tickets
        .iter()
        .map(|t| t["id"].as_str().expect("an id").to_owned())
        .collect()
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![Just(Op::Create), Just(Op::Update)]
}

// ---------------------------------------------------------------------------------------
// Properties

#[test]
fn arbitrary_bytes_are_answered_without_harm() {
    let harness = Harness::start();
    let known = Known::new();
    check((op(), vec(any::<u8>(), 0..512)), |(op, body)| {
        let accepted = known.accepted_by_shape(op, &body);
        harness.check(op, body, accepted)
    });
}

#[test]
fn arbitrary_json_is_answered_without_harm() {
    let harness = Harness::start();
    let known = Known::new();
    check((op(), json()), |(op, body)| {
        let body = body.to_string().into_bytes();
        let accepted = known.accepted_by_shape(op, &body);
        harness.check(op, body, accepted)
    });
}

#[test]
fn bodies_near_the_schema_get_the_answer_their_fields_call_for() {
    let harness = Harness::start();
    let create = near_the_schema(Op::Create).prop_map(|b| (Op::Create, b));
    let update = near_the_schema(Op::Update).prop_map(|b| (Op::Update, b));
    check(prop_oneof![create, update], |(op, (body, accepted))| {
        harness.check(op, body.to_string().into_bytes(), Some(accepted))
    });
}
