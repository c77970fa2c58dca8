//! Which requests may be sent more than once, and the `deDuplicationKey` that makes a
//! create one of them.
//!
//! The key is decided on the typed body, before it is serialized: the generated `send`
//! of every operation whose body has a `deDuplicationKey` calls `Client::dedup_key`
//! ([`DedupKey::settle`]), which keeps the caller's key or sets a fresh one on the body. The runtime never looks
//! for the key in the bytes it sends, so a body it could not read back can never go out
//! with a second key.

use std::ops::Deref;
use std::sync::Arc;

use reqwest::Method;

use crate::random;

/// A fresh `deDuplicationKey` (a random UUID v4), for a create whose key must be known
/// before it is sent: set it on the body, and send the same body again, with the same
/// key, after a cancelled or failed call. The platform will not create the ticket twice.
///
/// ```
/// use thena_sdk::{new_dedup_key, types};
/// let key = new_dedup_key();
/// let body = types::CreateTicketBody::builder()
///     .title("Printer on fire")
///     .requestor_email("user@example.com")
///     .team_id("team_12345")
///     .de_duplication_key(key.as_str());
/// # drop(body);
/// assert_eq!(key.len(), 36);
/// ```
pub fn new_dedup_key() -> String {
    random::uuid_v4()
}

/// The `deDuplicationKey` a create is sent with.
#[derive(Clone, Debug)]
pub(crate) struct DedupKey {
    /// The key itself.
    pub(crate) key: Arc<str>,
    /// Whether the caller chose it (and may have sent it before, in another call).
    pub(crate) callers: bool,
}

impl DedupKey {
    /// The key of a create: the caller's, if the body has one; otherwise, when
    /// `generate` is on, a fresh one, set on the body.
    pub(crate) fn settle<T>(generate: bool, slot: &mut Option<T>) -> Option<DedupKey>
    where
        T: TryFrom<String> + Deref,
        T::Target: AsRef<str>,
    {
        if let Some(key) = slot {
            return Some(DedupKey {
                key: key.deref().as_ref().into(),
                callers: true,
            });
        }
        if !generate {
            return None;
        }
        let key = new_dedup_key();
        let shared: Arc<str> = key.as_str().into();
        *slot = Some(T::try_from(key).ok()?);
        Some(DedupKey {
            key: shared,
            callers: false,
        })
    }
}

/// Whether every attempt may send a request: a `POST` (which creates) only under a
/// `deDuplicationKey`; other methods by their meaning (`GET` reads; `PUT`, `PATCH` and
/// `DELETE` assign or remove, and repeating them changes nothing more). Bodies are
/// always bytes (the SDK builds no streamed body), so any request can be sent again.
pub(crate) fn repeatable(method: &Method, dedup_key: Option<&DedupKey>) -> bool {
    method != Method::POST || dedup_key.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_repeats_only_under_a_key() {
        let key = DedupKey {
            key: "k".into(),
            callers: false,
        };
        assert!(repeatable(&Method::POST, Some(&key)));
        assert!(!repeatable(&Method::POST, None));
        for method in [Method::GET, Method::PATCH, Method::PUT, Method::DELETE] {
            assert!(repeatable(&method, None), "{method}");
        }
    }

    #[test]
    fn generated_keys_are_fresh_uuids() {
        let (a, b) = (new_dedup_key(), new_dedup_key());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
    }
}
