//! The `X-RateLimit-*` headers, read through the SDK's `ResponseValue`.

use reqwest::header::HeaderMap;
use thena_sdk::types::UpdateTicketBody;

use crate::target::{Target, refusal, ticket, unique};

/// The three headers as numbers: limit, remaining, reset (UNIX seconds).
fn rate_limit(headers: &HeaderMap) -> (u64, u64, i64) {
    let number = |name: &str| -> i64 {
        headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
            .to_str()
            .expect("ASCII")
            .parse()
            .expect("a number")
    };
    let (limit, remaining) = (number("x-ratelimit-limit"), number("x-ratelimit-remaining"));
    (
        limit.unsigned_abs(),
        remaining.unsigned_abs(),
        number("x-ratelimit-reset"),
    )
}

#[tokio::test]
async fn every_answer_carries_the_rate_limit_headers() {
    let target = Target::new().await;
    let client = target.client();
    let created = client
        .create_ticket()
        .body(ticket(&unique("team")))
        .send()
        .await
        .expect("created");
    let now = chrono::Utc::now().timestamp();
    let (limit, remaining, reset) = rate_limit(created.headers());
    assert!(limit > 0 && remaining < limit, "{remaining} of {limit}");
    assert!(reset >= now, "reset {reset} is in the past (now {now})");
    assert!(
        reset <= now + 3600,
        "reset {reset} is more than a window away"
    );

    let id = created.into_inner().data.id.expect("an id");
    let updated = client
        .update_ticket()
        .id(id)
        .body(UpdateTicketBody::builder().title("t"))
        .send()
        .await
        .expect("updated");
    let (same_limit, _, _) = rate_limit(updated.headers());
    assert_eq!(same_limit, limit);

    let err = target
        .client_with_key("not-the-key")
        .create_ticket()
        .body(ticket(&unique("team")))
        .send()
        .await
        .expect_err("refused");
    let refusal = refusal(err);
    assert_eq!(
        rate_limit(&refusal.headers).0,
        limit,
        "error answers carry them too"
    );
}
