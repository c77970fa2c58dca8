//! The API key: sent as a sensitive header, kept out of every `Debug` and `Display`, and
//! cut out of anything a server sends back.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};

use crate::settings::ConfigError;

/// The header Thena reads the key from.
pub(crate) const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// What stands in for the key wherever a server echoed it.
pub(crate) const REDACTED: &str = "[redacted]";

/// A checked API key, held as the header value it is sent as. The value is marked
/// sensitive, so reqwest and hyper never print it; this type's `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct ApiKey(HeaderValue);

impl ApiKey {
    /// A key is visible ASCII. Whitespace around it (an env file's trailing space or
    /// newline) is not part of it and is dropped: servers trim it, and would echo the
    /// trimmed key where the redactor looked for the untrimmed one. Anything else that
    /// is not visible ASCII, inside the key, is refused.
    pub(crate) fn parse(key: &str) -> Result<Self, ConfigError> {
        let key = key.trim();
        if key.is_empty() {
            return Err(ConfigError::MissingApiKey);
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::InvalidApiKey);
        }
        let mut value = HeaderValue::from_str(key).map_err(|_| ConfigError::InvalidApiKey)?;
        value.set_sensitive(true);
        Ok(Self(value))
    }

    pub(crate) fn header_value(&self) -> HeaderValue {
        self.0.clone()
    }

    /// What finds the key in a server's answer.
    pub(crate) fn redactor(&self) -> Redactor {
        let key = self.0.as_bytes();
        let mut forms = vec![key.to_vec()];
        // An echo inside a JSON string or an HTML page is escaped; look for those too.
        for escaped in [json_escaped(key), html_escaped(key)] {
            if !forms.contains(&escaped) {
                forms.push(escaped);
            }
        }
        Redactor(Some(forms.into()))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Replaces every occurrence of the API key (as sent, JSON-escaped or HTML-escaped) with
/// [`REDACTED`]. The default one knows no key and changes nothing.
#[derive(Clone, Default)]
pub(crate) struct Redactor(Option<Arc<[Vec<u8>]>>);

impl Redactor {
    /// Knows no key.
    pub(crate) const NONE: Redactor = Redactor(None);

    /// Writes `value`'s `Debug` (plain or `{:#?}`) with the key cut out.
    pub(crate) fn debug(&self, f: &mut fmt::Formatter<'_>, value: &dyn fmt::Debug) -> fmt::Result {
        let text = if f.alternate() {
            format!("{value:#?}")
        } else {
            format!("{value:?}")
        };
        f.write_str(&self.text(&text))
    }

    /// `bytes` with the key cut out; borrowed when it holds none.
    pub(crate) fn bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let Some(forms) = &self.0 else {
            return Cow::Borrowed(bytes);
        };
        let mut out = Cow::Borrowed(bytes);
        // An empty form would be found everywhere; a key is never empty.
        for form in forms.iter().filter(|f| !f.is_empty()) {
            if memchr::memmem::find(&out, form).is_some() {
                out = Cow::Owned(replace_all(&out, form));
            }
        }
        out
    }

    /// `text` with the key cut out.
    pub(crate) fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // Only ASCII was replaced by ASCII, so the text is still UTF-8.
            Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }

    /// `value` with the key cut out of every string in it, keys of objects included: a
    /// decoded body holds the key as the server meant it, whatever escapes (`\/`,
    /// `\u0041`) hid it from the byte search.
    pub(crate) fn json(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        if self.0.is_none() {
            return;
        }
        match value {
            Value::String(text) => {
                if let Cow::Owned(cut) = self.text(text) {
                    *text = cut;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.json(item)),
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (name, mut item) in entries {
                    self.json(&mut item);
                    map.insert(self.text(&name).into_owned(), item);
                }
            }
            _ => {}
        }
    }

    /// Whether a decoded JSON value holds the key in one of its strings or names.
    pub(crate) fn finds_in_json(&self, value: &serde_json::Value) -> bool {
        use serde_json::Value;
        match value {
            Value::String(text) => self.finds(text.as_bytes()),
            Value::Array(items) => items.iter().any(|item| self.finds_in_json(item)),
            Value::Object(map) => map
                .iter()
                .any(|(name, item)| self.finds(name.as_bytes()) || self.finds_in_json(item)),
            _ => false,
        }
    }

    /// Whether `bytes` hold the key in any of its forms.
    pub(crate) fn finds(&self, bytes: &[u8]) -> bool {
        matches!(self.bytes(bytes), Cow::Owned(_))
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redactor(<redacted>)")
    }
}

fn replace_all(haystack: &[u8], needle: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = memchr::memmem::find(rest, needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(REDACTED.as_bytes());
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// The key as it appears inside a JSON string. A header value is visible ASCII (or
/// obs-text), so only `"` and `\` need escaping.
fn json_escaped(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len());
    for &b in key {
        if matches!(b, b'"' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// The key as an HTML page shows it.
fn html_escaped(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len());
    for &b in key {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\'' => out.extend_from_slice(b"&#39;"),
            _ => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(key: &str) -> Redactor {
        ApiKey::parse(key).expect("a valid key").redactor()
    }

    #[test]
    fn every_echo_of_the_key_is_replaced() {
        let r = redactor("tk_1");
        assert_eq!(
            r.text("x-api-key: tk_1, again tk_1."),
            "x-api-key: [redacted], again [redacted]."
        );
        assert!(matches!(r.text("nothing here"), Cow::Borrowed(_)));
        assert!(r.finds(b"..tk_1"));
        assert!(!r.finds(b"tk_"));
    }

    #[test]
    fn escaped_echoes_are_found_too() {
        let r = redactor(r#"a"b\c<d>&'"#);
        for echo in [
            r#"{"k":"a\"b\\c<d>&'"}"#,
            "<td>a&quot;b\\c&lt;d&gt;&amp;&#39;</td>",
            r#"a"b\c<d>&'"#,
        ] {
            let shown = r.text(echo);
            assert!(
                shown.contains(REDACTED) && !shown.contains("b\\"),
                "{shown}"
            );
        }
    }

    #[test]
    fn decoded_strings_and_names_are_cut_too() {
        let r = redactor("tk/1");
        let mut value: serde_json::Value =
            serde_json::from_str(r#"{"message":["key tk\/1 bad"],"tk\u002f1":{"n":1}}"#)
                .expect("JSON");
        r.json(&mut value);
        assert_eq!(
            value,
            serde_json::json!({ "message": ["key [redacted] bad"], "[redacted]": { "n": 1 } })
        );
    }

    #[test]
    fn a_key_is_trimmed_and_must_be_visible_ascii() {
        let key = ApiKey::parse(" tk_live_X \n").expect("trimmed");
        assert_eq!(key.header_value(), "tk_live_X");
        assert!(key.redactor().finds(b"Invalid API key: tk_live_X"));
        for bad in ["tk_\u{e9}", "tk live", "tk\tX", "tk\u{7f}"] {
            assert_eq!(
                ApiKey::parse(bad).err(),
                Some(ConfigError::InvalidApiKey),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_default_changes_nothing() {
        assert_eq!(Redactor::default().text("tk_1"), "tk_1");
        assert_eq!(Redactor::NONE.text("tk_1"), "tk_1");
    }

    #[test]
    fn debug_output_names_the_type_and_never_the_key() {
        let key = ApiKey::parse("tk_1").expect("a valid key");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert_eq!(format!("{:?}", key.redactor()), "Redactor(<redacted>)");
    }

    #[test]
    fn redacted_debug_keeps_the_format_asked_for() {
        struct Echo<'a>(&'a Redactor);
        impl fmt::Debug for Echo<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.debug(f, &vec!["tk_1", "other"])
            }
        }
        let r = redactor("tk_1");
        assert_eq!(format!("{:?}", Echo(&r)), r#"["[redacted]", "other"]"#);
        assert_eq!(
            format!("{:#?}", Echo(&r)),
            "[\n    \"[redacted]\",\n    \"other\",\n]"
        );
    }
}
