//! What `generated.rs` runs on. codegen points the generated code's imports here instead
//! of at `progenitor_client`: the SDK's own [`Error`], [`ResponseValue`] and hooks keep
//! every fact about a call (status, server message, request id, attempts), which
//! progenitor's types have no room for. The few other items the generated code names
//! are defined here too, so that the SDK does not depend on progenitor-client (and the
//! reqwest features it turns on: streams, query strings) at all; codegen drops the
//! imports the generated code does not use.

pub use crate::error::Error;
pub(crate) use crate::hooks::{ClientHooks, OperationInfo};
pub use crate::response::ResponseValue;
pub use crate::state::Runtime;

/// A query parameter, as the generated code adds it to a request
/// (`.query(&QueryParam::new("limit", &limit))`): one `name=value` pair for a value, one
/// per item for a list, none for `None`. Today's spec has no query parameter, so nothing
/// names it but the contract proof's SDKs (xtask's `diff::proof`), built from specs that
/// have some.
#[allow(dead_code)]
pub struct QueryParam<'a, T> {
    name: &'a str,
    value: &'a T,
}

#[allow(dead_code)]
impl<'a, T> QueryParam<'a, T> {
    pub fn new(name: &'a str, value: &'a T) -> Self {
        Self { name, value }
    }
}

impl<T: serde::Serialize> serde::Serialize for QueryParam<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        use serde_json::Value;
        let text = |v: &Value| match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        };
        let value = serde_json::to_value(self.value).map_err(S::Error::custom)?;
        let values: Vec<String> = match &value {
            Value::Array(items) => items.iter().filter_map(text).collect(),
            Value::Object(_) => {
                return Err(S::Error::custom(format!(
                    "{}: an object cannot be sent in the query string",
                    self.name
                )));
            }
            scalar => text(scalar).into_iter().collect(),
        };
        let pairs: Vec<(&str, &str)> = values.iter().map(|v| (self.name, v.as_str())).collect();
        pairs.serialize(serializer)
    }
}

/// What the generated code reads off a [`Client`](crate::Client).
pub trait ClientInfo<Inner> {
    /// The version of the API the client was generated from (`info.version` of the spec).
    fn api_version() -> &'static str;
    /// The base URL requests go to, without a trailing slash.
    fn baseurl(&self) -> &str;
    /// The HTTP client requests go through.
    fn client(&self) -> &reqwest::Client;
    /// The hand-written state the client carries.
    fn inner(&self) -> &Inner;
}

/// The characters percent-encoded in a path segment: those the URL standard's path
/// percent-encode set names, and `/` and `%`, which would change the path.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// A path parameter, percent-encoded as one segment. codegen routes every path parameter
/// through here: an empty value, `.` or `..` would be resolved by the URL parser into
/// another path (`PATCH /v1/tickets/..` is `PATCH /v1/`), so they are refused before
/// anything is sent.
pub(crate) fn path_segment(name: &str, value: &str) -> Result<String, String> {
    if matches!(value, "" | "." | "..") {
        return Err(format!(
            "{name}: must not be empty, \".\" or \"..\", which would address another URL \
             (got {value:?})"
        ));
    }
    Ok(percent_encoding::utf8_percent_encode(value, PATH_SEGMENT).to_string())
}

#[cfg(test)]
mod tests {
    use super::{QueryParam, path_segment};

    #[test]
    fn query_parameters_are_pairs_one_per_value() {
        let query = |name, value: serde_json::Value| {
            serde_urlencoded::to_string(QueryParam::new(name, &value)).map_err(|e| e.to_string())
        };
        use serde_json::json;
        assert_eq!(query("limit", json!(5)).as_deref(), Ok("limit=5"));
        assert_eq!(query("q", json!("a b&c")).as_deref(), Ok("q=a+b%26c"));
        assert_eq!(
            query("tags", json!(["x", "y"])).as_deref(),
            Ok("tags=x&tags=y")
        );
        assert_eq!(query("after", json!(null)).as_deref(), Ok(""));
        assert_eq!(query("flag", json!(true)).as_deref(), Ok("flag=true"));
        let err = query("o", json!({"a": 1})).expect_err("an object");
        assert!(err.contains("o: an object cannot be sent"), "{err}");
    }

    #[test]
    fn dot_segments_and_empty_values_are_refused() {
        for bad in ["", ".", ".."] {
            let err = path_segment("id", bad).expect_err(bad);
            assert!(err.starts_with("id: must not be empty"), "{err}");
        }
        for (value, encoded) in [
            ("abc", "abc"),
            ("...", "..."),
            ("a/..", "a%2F.."),
            ("a b?c#d", "a%20b%3Fc%23d"),
            ("%2e%2e", "%252e%252e"),
            (".hidden", ".hidden"),
        ] {
            assert_eq!(path_segment("id", value).as_deref(), Ok(encoded));
        }
    }
}
