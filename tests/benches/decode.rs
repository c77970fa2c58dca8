//! Decoding a fully populated `TicketResponse` into the generated types, against parsing
//! the same bytes into a `serde_json::Value` (the floor for any JSON decode that keeps
//! every field).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use thena_sdk::types::{Ticket, TicketComment, TicketResponse};

/// A create response with every property of `Ticket` and `TicketComment` set.
const BODY: &[u8] = include_bytes!("ticket-response.json");

/// Fails if the fixture leaves out a property, so that "fully populated" stays true when
/// the spec grows.
fn assert_fully_populated() {
    let body: Value = serde_json::from_slice(BODY).expect("the fixture is JSON");
    let missing = |value: &Value, schema: schemars::schema::RootSchema| -> Vec<String> {
        let properties = schema.schema.object.expect("an object schema").properties;
        properties
            .into_keys()
            .filter(|name| value.get(name).is_none_or(Value::is_null))
            .collect()
    };
    let missing_in_ticket = missing(&body["data"], schemars::schema_for!(Ticket));
    let missing_in_comment = missing(
        &body["data"]["comment"],
        schemars::schema_for!(TicketComment),
    );
    assert!(
        missing_in_ticket.is_empty() && missing_in_comment.is_empty(),
        "ticket-response.json lacks Ticket {missing_in_ticket:?} and TicketComment \
         {missing_in_comment:?}"
    );
}

fn decode(c: &mut Criterion) {
    assert_fully_populated();
    let mut group = c.benchmark_group("decode_ticket_response");
    group.throughput(Throughput::Bytes(BODY.len() as u64));
    group.bench_function("typed", |b| {
        b.iter(|| serde_json::from_slice::<TicketResponse>(black_box(BODY)).expect("decodes"));
    });
    group.bench_function("value", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(BODY)).expect("parses"));
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
