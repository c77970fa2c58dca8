//! The vocabulary of the generated commands (`generated.rs`): a request body's table of
//! flags, the value parsers for the spec's formats, and how given flags become JSON.

use clap::ArgMatches;
use serde_json::{Map, Value};

/// The argument of every command with a body that reads the body as JSON.
pub const JSON_BODY: &str = "json-body";

/// A request body's flags, generated from its schema.
#[derive(Debug)]
pub struct Body {
    /// The schema's name, e.g. `CreateTicketBody`.
    pub schema: &'static str,
    /// One per property, in the spec's order.
    pub flags: &'static [BodyFlag],
    /// Whether the body carries properties the spec does not name (its
    /// `additionalProperties`); if not, such a property is refused instead of dropped.
    pub other_properties: bool,
}

/// One property's flag. Its value parser yields the property's JSON value.
#[derive(Debug)]
pub struct BodyFlag {
    /// The property in the JSON body, e.g. `requestorEmail`.
    pub property: &'static str,
    /// The long flag without its dashes, which is also the clap argument id, e.g.
    /// `requestor-email`.
    pub flag: &'static str,
    /// What its value is, as help shows it: `STRING`, `DATE-TIME`, `JSON`...
    pub value_name: &'static str,
    /// Whether the flag repeats, each value an item of the property's array.
    pub repeated: bool,
    /// Whether the schema requires the property.
    pub required: bool,
}

impl Body {
    /// The properties set on the command line, as JSON.
    pub fn flag_properties(&self, matches: &ArgMatches) -> Map<String, Value> {
        let mut properties = Map::new();
        for flag in self.flags {
            let Some(mut values) = matches.get_many::<Value>(flag.flag) else {
                continue;
            };
            let value = if flag.repeated {
                Value::Array(values.cloned().collect())
            } else {
                values.next().cloned().unwrap_or_default()
            };
            properties.insert(flag.property.to_owned(), value);
        }
        properties
    }

    /// The flag of a property, if the spec names it.
    pub fn flag(&self, property: &str) -> Option<&BodyFlag> {
        self.flags.iter().find(|f| f.property == property)
    }
}

/// The value parser of `format: date-time`: an RFC 3339 date-time, kept as written.
pub fn date_time(text: &str) -> Result<Value, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|_| Value::from(text))
        .map_err(|e| format!("not an RFC 3339 date-time such as 2024-05-01T12:00:00Z ({e})"))
}

/// The value parser of objects, arrays of objects and free-form properties: JSON text.
pub fn json(text: &str) -> Result<Value, String> {
    exact_json(text)
}

/// JSON text as a value, refusing a number that would not reach the API as written: an
/// integer beyond 64 bits, or a decimal of more than 15 significant digits, would go as
/// the nearest double (`12345678901234567890123` as `1.2345678901234568e22`). Such a
/// number can be sent as a string. A decimal of up to 15 digits keeps its value.
pub fn exact_json(text: &str) -> Result<Value, String> {
    let value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    match inexact_number(text) {
        Some(number) => Err(format!(
            "the number {number} cannot be sent exactly (JSON numbers travel as 64-bit \
             integers or doubles): write it as a string, \"{number}\""
        )),
        None => Ok(value),
    }
}

/// The first number in valid JSON text that a double or a 64-bit integer cannot hold.
fn inexact_number(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let number = &text[start..i];
                if !exact(number) {
                    return Some(number);
                }
            }
            _ => i += 1,
        }
    }
    None
}

fn exact(number: &str) -> bool {
    if number.bytes().all(|b| b == b'-' || b.is_ascii_digit()) {
        return number.parse::<i64>().is_ok() || number.parse::<u64>().is_ok();
    }
    let mantissa = number.split(['e', 'E']).next().unwrap_or_default();
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    // Beyond a double's range: too large is infinite, too small is zero.
    let value = number.parse::<f64>().unwrap_or(f64::INFINITY);
    significant.len() <= 15 && value.is_finite() && (value != 0.0 || significant.is_empty())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::generated::{CREATE_TICKET_BODY, create_ticket};

    #[test]
    fn flags_become_properties_of_their_json_type() {
        let matches = create_ticket()
            .try_get_matches_from([
                "create",
                "--title",
                "T",
                "--requestor-email",
                "a@b.example",
                "--team-id",
                "team_1",
                "--is-private",
                "true",
                "--due-date",
                "2024-05-01T12:00:00+02:00",
                "--attachment-urls",
                "https://a.example/1",
                "--attachment-urls",
                "https://a.example/2",
                "--proactive-channels",
                "email",
                "--metadata",
                r#"{"tier": 2}"#,
                "--custom-field-values",
                r#"[{"id": "cf1", "value": "x"}]"#,
            ])
            .expect("valid flags");
        assert_eq!(
            Value::Object(CREATE_TICKET_BODY.flag_properties(&matches)),
            json!({
                "title": "T",
                "requestorEmail": "a@b.example",
                "teamId": "team_1",
                "isPrivate": true,
                "dueDate": "2024-05-01T12:00:00+02:00",
                "attachmentUrls": ["https://a.example/1", "https://a.example/2"],
                "proactiveChannels": ["email"],
                "metadata": {"tier": 2},
                "customFieldValues": [{"id": "cf1", "value": "x"}],
            })
        );
    }

    #[test]
    fn values_are_checked_against_their_type() {
        for (flag, value, rule) in [
            ("--is-private", "yes", "[possible values: true, false]"),
            ("--due-date", "tomorrow", "not an RFC 3339 date-time"),
            ("--proactive-channels", "sms", "[possible values: email]"),
            ("--metadata", "{tier: 2}", "not valid JSON"),
        ] {
            let err = create_ticket()
                .try_get_matches_from(["create", "--json-body", "-", flag, value])
                .expect_err(flag);
            let shown = err.to_string();
            assert!(shown.contains(flag) && shown.contains(rule), "{shown}");
        }
    }

    #[test]
    fn numbers_that_json_cannot_carry_exactly_are_refused() {
        for exact in [
            r#"{"n": 18446744073709551615, "m": -9223372036854775808}"#,
            r#"{"x": 0.1, "y": 1e300, "z": 123456789012345.0, "s": "12345678901234567890123"}"#,
        ] {
            assert!(exact_json(exact).is_ok(), "{exact}");
        }
        for (text, number) in [
            (
                r#"{"n": 12345678901234567890123}"#,
                "12345678901234567890123",
            ),
            (r#"[18446744073709551616]"#, "18446744073709551616"),
            (r#"{"tiny": 1.5e-400}"#, "1.5e-400"),
            (r#"{"x": 0.30000000000000000001}"#, "0.30000000000000000001"),
            (
                r#"{"a": "\"", "b": -99999999999999999999}"#,
                "-99999999999999999999",
            ),
        ] {
            let err = exact_json(text).expect_err(text);
            assert!(
                err.contains(&format!("the number {number} cannot be sent exactly")),
                "{err}"
            );
        }
    }
}
