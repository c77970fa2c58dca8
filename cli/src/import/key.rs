//! The `deDuplicationKey` each row is sent with: the same on every run of the same
//! input, so that a row sent twice is still one ticket. In order of preference:
//!
//! - the row's own `deDuplicationKey`, as it is;
//! - with `--id-column COL`, `import-i-` and the hex SHA-256 of the column's name and
//!   the row's value in it (the source system's ticket id);
//! - otherwise `import-c-` and the hex SHA-256 of the row's content (its properties,
//!   keys sorted) and its occurrence number among identical rows, so that two identical
//!   rows are two tickets.
//!
//! Every hash is ring's SHA-256 (in the tree already, through rustls), over input
//! prefixed with [`DOMAIN`] and a tag per kind of key, so that no two kinds can meet.
//! Rows are also known by 64-bit fingerprints (the first 8 bytes of a SHA-256): small
//! enough to keep one per row of a million-row input.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use ring::digest::{Context, Digest, SHA256};
use serde_json::{Map, Value};

/// The property that carries a row's own key: its identity, not its content.
pub const KEY_PROPERTY: &str = "deDuplicationKey";
/// What every hash starts with: the key derivation's name and version.
const DOMAIN: &[u8] = b"thena tickets import v1\0";
/// The start of a key derived from a row's content.
pub const CONTENT_PREFIX: &str = "import-c-";
/// The start of a key derived from `--id-column`.
pub const ID_PREFIX: &str = "import-i-";

/// What a row's key comes from.
#[derive(Debug)]
pub enum Basis {
    /// The row's own `deDuplicationKey`.
    Own(String),
    /// The value in the `--id-column` column: the digest of the column's name and it.
    Id(Digest),
    /// The digest of the row's content; the key adds its occurrence number.
    Content(Digest),
}

impl Basis {
    /// The basis of an id: the column's name and the row's value in it.
    pub fn id(column: &str, value: &str) -> Self {
        Self::Id(id_digest(column, value))
    }

    /// The basis of a row's content: its properties, in an encoding where the order of
    /// keys does not count and no two contents meet.
    pub fn content(properties: &Map<String, Value>) -> Self {
        let mut hash = tagged(b"content");
        encode_object(&mut hash, properties);
        Self::Content(hash.finish())
    }

    /// The fingerprint identical rows share: rows whose key is given (own key, id) must
    /// not share one; rows keyed by content are numbered by it.
    fn fingerprint(&self) -> u64 {
        match self {
            Self::Own(key) => fingerprint(key),
            Self::Id(digest) | Self::Content(digest) => prefix(digest),
        }
    }
}

/// The key of the row with this value in the `--id-column` column.
pub fn id_key(column: &str, value: &str) -> String {
    hex(ID_PREFIX, id_digest(column, value).as_ref())
}

fn id_digest(column: &str, value: &str) -> Digest {
    let mut hash = tagged(b"id");
    hash.update(&(column.len() as u64).to_le_bytes());
    hash.update(column.as_bytes());
    hash.update(value.as_bytes());
    hash.finish()
}

/// A row whose own key or id is an earlier row's too: sending it would return that
/// row's ticket instead of creating its own.
#[derive(Debug, PartialEq, Eq)]
pub struct Repeated;

/// Derives the keys of an input's rows, in order.
pub struct Keys {
    occurrences: Occurrences,
}

impl Keys {
    /// For the first pass over the input: every row's fingerprint is counted.
    pub fn first_pass() -> Self {
        Self {
            occurrences: Occurrences::All {
                seen: HashSet::default(),
                again: HashMap::default(),
            },
        }
    }

    /// For a later pass: the same keys again, counting only the rows the first pass saw
    /// more than once.
    pub fn later_pass(&self) -> Self {
        let repeated = match &self.occurrences {
            Occurrences::All { again, .. } => again.keys().map(|&fp| (fp, 0)).collect(),
            Occurrences::Repeated(counts) => counts.keys().map(|&fp| (fp, 0)).collect(),
        };
        Self {
            occurrences: Occurrences::Repeated(repeated),
        }
    }

    /// Whether a later pass must see every row to number them alike: some fingerprint
    /// came more than once.
    pub fn repeats(&self) -> bool {
        match &self.occurrences {
            Occurrences::All { again, .. } => !again.is_empty(),
            Occurrences::Repeated(counts) => !counts.is_empty(),
        }
    }

    /// The key of the next row with this basis.
    pub fn key(&mut self, basis: &Basis) -> Result<String, Repeated> {
        let occurrence = self.occurrences.next(basis.fingerprint());
        match basis {
            _ if occurrence > 0 && !matches!(basis, Basis::Content(_)) => Err(Repeated),
            Basis::Own(key) => Ok(key.clone()),
            Basis::Id(digest) => Ok(hex(ID_PREFIX, digest.as_ref())),
            Basis::Content(digest) => {
                let mut hash = tagged(b"occurrence");
                hash.update(digest.as_ref());
                hash.update(&occurrence.to_le_bytes());
                Ok(hex(CONTENT_PREFIX, hash.finish().as_ref()))
            }
        }
    }
}

/// How many rows of each fingerprint came before.
enum Occurrences {
    /// Every fingerprint seen, and how often the repeated ones came again.
    All {
        seen: HashSet<u64, Identity>,
        again: HashMap<u64, u64, Identity>,
    },
    /// Only the fingerprints known to repeat, and how often each was met so far.
    Repeated(HashMap<u64, u64, Identity>),
}

impl Occurrences {
    /// The occurrence number (0 for the first) of the next row with this fingerprint.
    fn next(&mut self, fp: u64) -> u64 {
        match self {
            Self::All { seen, again } => {
                if seen.insert(fp) {
                    0
                } else {
                    let count = again.entry(fp).or_insert(0);
                    *count += 1;
                    *count
                }
            }
            Self::Repeated(counts) => counts.get_mut(&fp).map_or(0, |count| {
                let n = *count;
                *count += 1;
                n
            }),
        }
    }
}

/// The fingerprint of a key, as the journal knows it.
pub fn fingerprint(key: &str) -> u64 {
    prefix(&ring::digest::digest(&SHA256, key.as_bytes()))
}

pub(super) fn prefix(digest: &Digest) -> u64 {
    let mut first = [0; 8];
    first.copy_from_slice(&digest.as_ref()[..8]);
    u64::from_be_bytes(first)
}

pub(super) fn tagged(tag: &[u8]) -> Context {
    let mut hash = Context::new(&SHA256);
    hash.update(DOMAIN);
    hash.update(tag);
    hash.update(b"\0");
    hash
}

/// `prefix` and `bytes` in lowercase hex.
fn hex(prefix: &str, bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(prefix.len() + 2 * bytes.len());
    text.push_str(prefix);
    for &b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    text
}

/// Each value is its kind, then its length where it has one, then its content; object
/// keys in sorted order. Two different values never encode alike.
pub(super) fn encode(hash: &mut Context, value: &Value) {
    match value {
        Value::Null => hash.update(b"z"),
        Value::Bool(true) => hash.update(b"t"),
        Value::Bool(false) => hash.update(b"f"),
        Value::Number(n) => {
            let text = n.to_string();
            hash.update(b"n");
            encode_str(hash, &text);
        }
        Value::String(s) => {
            hash.update(b"s");
            encode_str(hash, s);
        }
        Value::Array(items) => {
            hash.update(b"a");
            hash.update(&(items.len() as u64).to_le_bytes());
            for item in items {
                encode(hash, item);
            }
        }
        Value::Object(properties) => encode_object(hash, properties),
    }
}

fn encode_object(hash: &mut Context, properties: &Map<String, Value>) {
    let mut entries: Vec<(&String, &Value)> = properties.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    hash.update(b"o");
    hash.update(&(entries.len() as u64).to_le_bytes());
    for (name, value) in entries {
        encode_str(hash, name);
        encode(hash, value);
    }
}

pub(super) fn encode_str(hash: &mut Context, s: &str) {
    hash.update(&(s.len() as u64).to_le_bytes());
    hash.update(s.as_bytes());
}

/// Hashes a `u64` that is a fingerprint already (uniformly spread) as itself.
#[derive(Clone, Copy, Default)]
struct IdentityHasher(u64);

type Identity = BuildHasherDefault<IdentityHasher>;

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    fn content(value: Value) -> Basis {
        Basis::content(&object(value))
    }

    #[test]
    fn content_keys_ignore_key_order_and_number_identical_rows() {
        let mut keys = Keys::first_pass();
        let a = keys.key(&content(json!({"title": "A", "teamId": "t"})));
        let b = keys.key(&content(json!({"teamId": "t", "title": "A"})));
        let c = keys.key(&content(json!({"teamId": "t", "title": "B"})));
        let (a, b, c) = (a.expect("a key"), b.expect("a key"), c.expect("a key"));
        assert!(a.starts_with(CONTENT_PREFIX) && a.len() == CONTENT_PREFIX.len() + 64);
        assert_ne!(a, b, "the second identical row is another ticket");
        assert_ne!(a, c);

        // Every pass derives the same keys.
        let mut again = keys.later_pass();
        assert_eq!(
            again.key(&content(json!({"title": "A", "teamId": "t"}))),
            Ok(a)
        );
        assert_eq!(
            again.key(&content(json!({"title": "A", "teamId": "t"}))),
            Ok(b)
        );
        assert_eq!(
            again.key(&content(json!({"title": "B", "teamId": "t"}))),
            Ok(c)
        );
    }

    #[test]
    fn no_two_contents_encode_alike() {
        let pairs = [
            (json!({"a": "bc"}), json!({"ab": "c"})),
            (json!({"a": ["b", "c"]}), json!({"a": ["bc"]})),
            (json!({"a": 1}), json!({"a": "1"})),
            (json!({"a": 1}), json!({"a": 1.0})),
            (json!({"a": null}), json!({})),
            (json!({"a": {"b": "c"}}), json!({"a": [["b", "c"]]})),
        ];
        for (one, other) in pairs {
            assert_ne!(
                content(one.clone()).fingerprint(),
                content(other.clone()).fingerprint(),
                "{one} and {other}"
            );
        }
    }

    #[test]
    fn ids_and_own_keys_may_not_repeat() {
        let mut keys = Keys::first_pass();
        let first = keys.key(&Basis::id("zendesk_id", "8812")).expect("a key");
        assert!(first.starts_with(ID_PREFIX), "{first}");
        assert_eq!(keys.key(&Basis::id("zendesk_id", "8812")), Err(Repeated));
        assert_ne!(keys.key(&Basis::id("jira_id", "8812")), Ok(first));
        assert_eq!(
            keys.key(&Basis::Own("alert-7".into())),
            Ok("alert-7".to_owned())
        );
        assert_eq!(keys.key(&Basis::Own("alert-7".into())), Err(Repeated));
    }

    #[test]
    fn keys_are_stable_across_versions() {
        // A change here re-keys every journal: it needs a new DOMAIN.
        let mut keys = Keys::first_pass();
        let key = keys
            .key(&content(json!({"title": "A", "teamId": "t"})))
            .expect("a key");
        assert_eq!(
            key,
            "import-c-513ae0fd150bbcbd9b2419b8b2664af886bbbde9341e6573392c803f5547e8c3"
        );
        let id = keys.key(&Basis::id("zendesk_id", "8812")).expect("a key");
        assert_eq!(
            id,
            "import-i-ed87561eb37ea21c6f11ad0191d9f0c7cafdd1e3e2053e5e11a9824f8702a036"
        );
        assert_eq!(fingerprint("alert-7"), 9_957_908_563_923_143_528);
    }
}
