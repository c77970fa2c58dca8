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
        Redactor(Some(self.0.as_bytes().into()))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Replaces every occurrence of the API key with [`REDACTED`]: as sent, and as an
/// escape would hide it from a byte search (`\/`, `\u0074` and `\"` in JSON, `&#39;`,
/// `&#x27;` and `&amp;` in HTML, `%2F` in a URL). Where only an escaped echo is found, the
/// text is shown unescaped, with the key cut out. The default one knows no key and
/// changes nothing.
#[derive(Clone, Default)]
pub(crate) struct Redactor(Option<Arc<[u8]>>);

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
        let Some(key) = self.0.as_deref().filter(|k| !k.is_empty()) else {
            return Cow::Borrowed(bytes);
        };
        let mut out = match memchr::memmem::find(bytes, key) {
            Some(_) => Cow::Owned(replace_all(bytes, key)),
            None => Cow::Borrowed(bytes),
        };
        let text = String::from_utf8_lossy(&out);
        if let Cow::Owned(plain) = unescape(&text)
            && memchr::memmem::find(plain.as_bytes(), key).is_some()
        {
            out = Cow::Owned(replace_all(plain.as_bytes(), key));
        }
        out
    }

    /// `text` with the key cut out.
    pub(crate) fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // Valid UTF-8 with ASCII replaced by ASCII, or unescaped text: still UTF-8.
            Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }

    /// `value` with the key cut out of every string in it, keys of objects included: a
    /// decoded body holds the key as the server meant it, whatever JSON escapes hid it
    /// from the byte search.
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

    /// Every header of `headers` as text (`name`, `value`), with the key cut out of both:
    /// what may be shown or logged of them.
    pub(crate) fn headers(&self, headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes());
                (
                    self.header_name(name.as_str()).into_owned(),
                    self.text(&value).into_owned(),
                )
            })
            .collect()
    }

    /// At most `limit` characters of `body` as text, with the key cut out (before the
    /// cut, so that no part of it is left at the edge), and how long the body was: what
    /// a trace shows of a body.
    pub(crate) fn excerpt(&self, body: &[u8], limit: usize) -> String {
        let text = String::from_utf8_lossy(body);
        let text = self.text(&text);
        match text.char_indices().nth(limit) {
            Some((cut, _)) => format!("{}… ({} bytes in all)", &text[..cut], body.len()),
            None => text.into_owned(),
        }
    }

    /// A header name with the key cut out: HTTP lowercases names, so the key is looked
    /// for in lowercase as well.
    pub(crate) fn header_name<'a>(&self, name: &'a str) -> Cow<'a, str> {
        let lower = self.0.as_deref().map(<[u8]>::to_ascii_lowercase);
        match lower.filter(|k| !k.is_empty()) {
            Some(key) if memchr::memmem::find(name.as_bytes(), &key).is_some() => Cow::Owned(
                String::from_utf8_lossy(&replace_all(name.as_bytes(), &key)).into_owned(),
            ),
            _ => self.text(name),
        }
    }

    /// Whether `bytes` hold the key in any of its forms.
    pub(crate) fn finds(&self, bytes: &[u8]) -> bool {
        matches!(self.bytes(bytes), Cow::Owned(_))
    }
}

/// `text` with the escapes that can hide a key undone: JSON's `\/`, `\"`, `\\`,
/// `\'` and `\uXXXX`, HTML's named (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`) and
/// numeric (`&#39;`, `&#x27;`) references, and a URL's `%XX` for ASCII. Borrowed when
/// there is nothing to undo.
fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains(['\\', '&', '%']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['\\', '&', '%']) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match escape_at(rest) {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push_str(&rest[..1]);
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The character an escape at the start of `s` stands for, and the escape's length.
fn escape_at(s: &str) -> Option<(char, usize)> {
    let hex = |digits: &str| u32::from_str_radix(digits, 16).ok();
    match s.as_bytes().first()? {
        b'\\' => match s.as_bytes().get(1)? {
            c @ (b'/' | b'"' | b'\\' | b'\'') => Some((char::from(*c), 2)),
            b'u' => Some((char::from_u32(hex(s.get(2..6)?)?)?, 6)),
            _ => None,
        },
        b'%' => {
            let byte = u8::try_from(hex(s.get(1..3)?)?).ok().filter(u8::is_ascii)?;
            Some((char::from(byte), 3))
        }
        _ => {
            let end = s.char_indices().take(12).find(|&(_, c)| c == ';')?.0;
            let c = match &s[1..end] {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                name => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(digits) => hex(digits)?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, end + 1))
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(key: &str) -> Redactor {
        ApiKey::parse(key).expect("a valid key").redactor()
    }

    /// Header names arrive lowercased: the key is found in any case, and in the escaped
    /// forms the text search undoes (`%74` for `t`); a name without it stays as it is.
    #[test]
    fn header_names_lose_the_key_in_any_case_and_escape() {
        let r = redactor("TK_Mixed_1");
        assert_eq!(r.header_name("x-echo-tk_mixed_1"), "x-echo-[redacted]");
        let r = redactor("tk_low_1");
        assert_eq!(r.header_name("x-%74k_low_1"), "x-[redacted]");
        assert!(matches!(
            r.header_name("x-request-id"),
            Cow::Borrowed("x-request-id")
        ));
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
        let r = redactor(r#"a"b\c<d>&'/"#);
        for echo in [
            r#"{"k":"a\"b\\c<d>&'\/"}"#,
            r#"{"k":"\u0061\"b\\c\u003cd\u003e\u0026\u0027\/"}"#,
            "<td>a&quot;b\\c&lt;d&gt;&amp;&#39;/</td>",
            "<td>a&#34;b\\c&#x3C;d&#62;&amp;&#x27;&#47;</td>",
            "?k=a%22b%5Cc%3Cd%3E%26%27%2F",
            r#"a"b\c<d>&'/"#,
        ] {
            let shown = r.text(echo);
            assert!(
                shown.contains(REDACTED) && !shown.contains("b\\c"),
                "{echo}: {shown}"
            );
        }
        // Text without the key, escaped or not, is left as it is.
        assert!(matches!(r.text("a &amp; b \\/ %2F"), Cow::Borrowed(_)));
        assert_eq!(
            unescape("&#9999999; &bogus; \\x %zz %C3"),
            "&#9999999; &bogus; \\x %zz %C3"
        );
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
