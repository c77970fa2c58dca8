//! What a row's properties were when they were sent: a 64-bit hash of each (over the
//! keys' encoding, in which no two values meet), kept in the journal so that `--sync`
//! can tell which properties of a row changed since, and send only those.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::import::key;

/// A row's properties, each by its hash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sent(BTreeMap<String, u64>);

impl Sent {
    /// The hashes of a row's properties (its key aside; null is absent, as for the
    /// spec's check).
    pub fn of(properties: &Map<String, Value>) -> Self {
        Self(
            properties
                .iter()
                .filter(|(name, value)| *name != key::KEY_PROPERTY && !value.is_null())
                .map(|(name, value)| {
                    let mut hash = key::tagged(b"value");
                    key::encode(&mut hash, value);
                    (name.clone(), key::prefix(&hash.finish()))
                })
                .collect(),
        )
    }

    /// One hash of them all: equal for rows whose properties are all equal. Never 0,
    /// which the journal's readers take for "not known".
    pub fn content(&self) -> u64 {
        let mut hash = key::tagged(b"sent");
        for (name, value) in &self.0 {
            key::encode_str(&mut hash, name);
            hash.update(&value.to_le_bytes());
        }
        key::prefix(&hash.finish()).max(1)
    }

    /// The properties whose hash is not `earlier`'s, or that only one of the two has,
    /// in order.
    pub fn changed<'a>(&'a self, earlier: &'a Self) -> Vec<&'a str> {
        let mut names: Vec<&str> = self
            .0
            .iter()
            .filter(|(name, hash)| earlier.0.get(*name) != Some(hash))
            .map(|(name, _)| name.as_str())
            .chain(
                earlier
                    .0
                    .keys()
                    .filter(|name| !self.0.contains_key(*name))
                    .map(String::as_str),
            )
            .collect();
        names.sort_unstable();
        names
    }

    /// This without `property`: its value is not known.
    pub fn forget(&mut self, property: &str) {
        self.0.remove(property);
    }

    /// Its properties' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// This with `property` as `other` has it (or without it, if `other` has none).
    pub fn take(&mut self, property: &str, other: &Self) {
        match other.0.get(property) {
            Some(&hash) => self.0.insert(property.to_owned(), hash),
            None => self.0.remove(property),
        };
    }
}

impl Serialize for Sent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, &hash)| (name, hex(hash))))
    }
}

impl<'de> Deserialize<'de> for Sent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let hex = BTreeMap::<String, String>::deserialize(deserializer)?;
        hex.into_iter()
            .map(|(name, hash)| match parse_hex(&hash) {
                Some(value) => Ok((name, value)),
                None => Err(serde::de::Error::custom(format!(
                    "{name}: {hash:?} is not a hash of 16 hex digits"
                ))),
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// A content hash as the journal writes it.
pub fn hex(content: u64) -> String {
    format!("{content:016x}")
}

/// A content hash the journal wrote; `None` if it is not one.
pub fn parse_hex(text: &str) -> Option<u64> {
    let digits = text.len() == 16 && text.bytes().all(|b| b.is_ascii_hexdigit());
    digits.then(|| u64::from_str_radix(text, 16).ok())?
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sent(value: Value) -> Sent {
        match value {
            Value::Object(map) => Sent::of(&map),
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn only_changed_properties_differ_and_the_key_is_no_content() {
        let before = sent(
            json!({"title": "A", "priorityName": "High", "metadata": {"a": 1, "b": 2}, "deDuplicationKey": "k1"}),
        );
        let after = sent(
            json!({"title": "B", "priorityName": "High", "metadata": {"b": 2, "a": 1}, "statusName": "Open", "deDuplicationKey": "k2"}),
        );
        assert_eq!(after.changed(&before), ["statusName", "title"]);
        assert_ne!(after.content(), before.content());
        let cleared = sent(json!({"priorityName": "High", "metadata": {"a": 1, "b": 2}}));
        assert_eq!(cleared.changed(&before), ["title"]);
        let same =
            sent(json!({"title": "A", "priorityName": "High", "metadata": {"a": 1, "b": 2}}));
        assert_eq!(same.content(), before.content());
        assert!(same.changed(&before).is_empty());
        // A string is not the number it spells.
        assert_ne!(
            sent(json!({"x": "1"})).content(),
            sent(json!({"x": 1})).content()
        );
    }

    #[test]
    fn the_journal_form_round_trips_and_refuses_what_is_not_a_hash() {
        let before = sent(json!({"title": "A", "isPrivate": true}));
        let text = serde_json::to_string(&before).expect("JSON");
        assert_eq!(serde_json::from_str::<Sent>(&text).expect("parses"), before);
        assert!(serde_json::from_str::<Sent>(r#"{"title": "xyz"}"#).is_err());
        assert_eq!(parse_hex(&hex(before.content())), Some(before.content()));
        assert_eq!(parse_hex("12"), None);

        let mut merged = before.clone();
        let after = sent(json!({"title": "B"}));
        merged.take("title", &after);
        merged.take("isPrivate", &after);
        assert_eq!(merged, after);
    }
}
