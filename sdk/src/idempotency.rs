//! Which requests may be sent more than once, and the `deDuplicationKey` that makes a
//! create one of them.

use std::sync::Arc;

use reqwest::Request;

use crate::random;

/// progenitor's name for `createTicket`.
pub(crate) const CREATE_TICKET: &str = "create_ticket";
/// The JSON property that makes a create idempotent.
const DEDUP_KEY: &str = "deDuplicationKey";

/// What a request may be: sent again, and under which key.
pub(crate) struct Repeatable {
    /// Whether every attempt may send it.
    pub(crate) repeatable: bool,
    /// The `deDuplicationKey` of a create, the caller's or one generated here.
    pub(crate) dedup_key: Option<Arc<str>>,
}

/// Decides whether `request` may be sent more than once. A body that is a stream cannot
/// be sent twice; a create repeats safely only with a deDuplicationKey, so one without
/// gets a fresh key here (unless `generate_keys` is off), before the first attempt, and
/// every attempt carries the same key.
pub(crate) fn prepare(request: &mut Request, operation: &str, generate_keys: bool) -> Repeatable {
    const ONCE: Repeatable = Repeatable {
        repeatable: false,
        dedup_key: None,
    };
    const ANY: Repeatable = Repeatable {
        repeatable: true,
        dedup_key: None,
    };
    let keyed = |key: String| Repeatable {
        repeatable: true,
        dedup_key: Some(key.into()),
    };
    let Some(body) = request.body() else {
        return ANY;
    };
    let Some(bytes) = body.as_bytes() else {
        return ONCE;
    };
    if operation != CREATE_TICKET {
        return ANY;
    }
    if let Some(key) = dedup_key_in(bytes) {
        return keyed(key);
    }
    if !generate_keys {
        return ONCE;
    }
    let key = random::uuid_v4();
    let Some(with_key) = insert_dedup_key(bytes, &key) else {
        return ONCE;
    };
    *request.body_mut() = Some(with_key.into());
    keyed(key)
}

/// The top-level `deDuplicationKey` string of a JSON object body. A byte search answers
/// the common case; only a body that mentions the key is parsed.
fn dedup_key_in(body: &[u8]) -> Option<String> {
    memchr::memmem::find(body, br#""deDuplicationKey":"#)?;
    let body = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body).ok()?;
    match body.get(DEDUP_KEY)? {
        serde_json::Value::String(key) => Some(key.clone()),
        _ => None,
    }
}

/// Adds `"deDuplicationKey":"<key>"` to a serialized JSON object, before its closing
/// brace, without parsing it. `None` when the body is not an object.
fn insert_dedup_key(body: &[u8], key: &str) -> Option<Vec<u8>> {
    let close = body
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .filter(|&i| body[i] == b'}')?;
    let head = &body[..close];
    let open = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .filter(|&i| head[i] == b'{')?;
    let empty = head[open + 1..].iter().all(u8::is_ascii_whitespace);
    let mut out = Vec::with_capacity(body.len() + DEDUP_KEY.len() + key.len() + 6);
    out.extend_from_slice(head);
    if !empty {
        out.push(b',');
    }
    for part in ["\"", DEDUP_KEY, "\":\"", key, "\""] {
        out.extend_from_slice(part.as_bytes());
    }
    out.extend_from_slice(&body[close..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn a_key_is_inserted_into_any_object_and_stays_valid_json() {
        for body in [
            json!({}),
            json!({ "title": "t", "metadata": { "a": [1, { "b": "}" }] } }),
        ] {
            let bytes = serde_json::to_vec(&body).expect("serializes");
            let with_key = insert_dedup_key(&bytes, "k-1").expect("an object");
            let parsed: Value = serde_json::from_slice(&with_key).expect("still JSON");
            let mut expected = body.clone();
            expected["deDuplicationKey"] = json!("k-1");
            assert_eq!(parsed, expected);
            assert_eq!(dedup_key_in(&with_key).as_deref(), Some("k-1"));
        }
        assert_eq!(insert_dedup_key(b"[1]", "k"), None);
        assert_eq!(insert_dedup_key(b"", "k"), None);
        assert_eq!(
            insert_dedup_key(b" { } ", "k").as_deref(),
            Some(&br#" { "deDuplicationKey":"k"} "#[..])
        );
    }

    #[test]
    fn only_a_top_level_string_key_counts() {
        let key = |v: Value| dedup_key_in(&serde_json::to_vec(&v).expect("serializes"));
        assert_eq!(
            key(json!({ "deDuplicationKey": "k" })).as_deref(),
            Some("k")
        );
        assert_eq!(key(json!({ "deDuplicationKey": null })), None);
        assert_eq!(
            key(json!({ "metadata": { "deDuplicationKey": "k" } })),
            None
        );
        assert_eq!(
            key(json!({ "description": "about \"deDuplicationKey\": keys" })),
            None
        );
        assert_eq!(key(json!({ "title": "t" })), None);
    }

    fn request(body: &'static [u8]) -> Request {
        let mut request = Request::new(
            reqwest::Method::POST,
            "http://127.0.0.1/v1/tickets".parse().expect("a URL"),
        );
        *request.body_mut() = Some(body.into());
        request
    }

    #[test]
    fn a_create_without_a_key_gets_one_and_keeps_the_callers() {
        let mut req = request(br#"{"title":"t"}"#);
        let prepared = prepare(&mut req, CREATE_TICKET, true);
        let key = prepared.dedup_key.expect("a generated key");
        assert!(prepared.repeatable);
        let body = req.body().and_then(|b| b.as_bytes()).expect("bytes");
        assert_eq!(dedup_key_in(body).as_deref(), Some(&*key));

        let mut req = request(br#"{"title":"t","deDuplicationKey":"mine"}"#);
        let prepared = prepare(&mut req, CREATE_TICKET, true);
        assert_eq!(prepared.dedup_key.as_deref(), Some("mine"));

        let mut req = request(br#"{"title":"t"}"#);
        let prepared = prepare(&mut req, CREATE_TICKET, false);
        assert!(!prepared.repeatable && prepared.dedup_key.is_none());

        let mut req = request(br#"{"title":"t"}"#);
        let prepared = prepare(&mut req, "update_ticket", true);
        assert!(prepared.repeatable && prepared.dedup_key.is_none());
    }
}
