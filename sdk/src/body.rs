//! What a request's JSON body says at its top level, read from the bytes about to be sent.
//!
//! A body type that keeps unnamed properties (`UpdateTicketBody::extra`, flattened) can
//! hold a named one a second time (`statusName` in `extra` and in `status_name`), and serde
//! writes both. Servers disagree on which of two members wins, so such a body is refused
//! before it is sent, whatever type or property it comes from.

/// The first member name that a top-level JSON object holds twice, as written (escapes
/// included: serde writes one name the same way each time). `None` for any other body.
pub(crate) fn repeated_member(json: &[u8]) -> Option<String> {
    if json.first() != Some(&b'{') {
        return None;
    }
    // A body has a few dozen members at most: a list beats hashing each name.
    let mut names: Vec<&[u8]> = Vec::new();
    // Depth of nesting, and whether the next string at depth 1 is a member's name.
    let (mut depth, mut name_next) = (0usize, false);
    let mut at = 0;
    while let Some(&byte) = json.get(at) {
        match byte {
            b'"' => {
                let start = at + 1;
                at = start;
                while let Some(&b) = json.get(at).filter(|&&b| b != b'"') {
                    at += if b == b'\\' { 2 } else { 1 };
                }
                if depth == 1 && name_next {
                    let name = json.get(start..at)?;
                    if names.contains(&name) {
                        return Some(String::from_utf8_lossy(name).into_owned());
                    }
                    names.push(name);
                }
                name_next = false;
            }
            b'{' | b'[' => {
                depth += 1;
                name_next = depth == 1;
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' => name_next = depth == 1,
            _ => {}
        }
        at += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::repeated_member;

    #[test]
    fn a_name_written_twice_at_the_top_is_found() {
        let twice = br#"{"statusName":"Open","title":"t","statusName":"Closed"}"#;
        assert_eq!(repeated_member(twice).as_deref(), Some("statusName"));
        let escaped = br#"{"a\"b":1,"x":"\\","a\"b":2}"#;
        assert_eq!(repeated_member(escaped).as_deref(), Some(r#"a\"b"#));
        // After a nested object or list, the top level again.
        let after = br#"{"a":{"x":[1,{"y":2}]},"b":1,"b":2}"#;
        assert_eq!(repeated_member(after).as_deref(), Some("b"));
    }

    #[test]
    fn names_inside_values_and_values_like_names_are_not_members() {
        for once in [
            &br#"{"a":{"a":1,"b":[{"a":2}]},"b":"a","c":["b","b"]}"#[..],
            br#"{"a":"x,\"a\":1","b":"}"}"#,
            br#"["a","a"]"#,
            br#""a""#,
            b"{}",
            b"",
            br#"{"a":"unterminated"#,
        ] {
            assert_eq!(
                repeated_member(once),
                None,
                "{}",
                String::from_utf8_lossy(once)
            );
        }
    }
}
