//! Renders changes for a terminal or for a review and the CHANGELOG.

use super::change::{Change, Group};
use crate::generate::SPEC;

/// What the report says when no operation or schema changed: either the spec is the
/// same, or only parts that do not shape the generated API changed (info, servers,
/// security, response headers, or how an operation is written: a parameter moved to its
/// path item, a media type's parameters), which a reviewer should still read in the text
/// diff.
fn unchanged(since: &str, identical: bool) -> String {
    if identical {
        format!("nothing changed since {since}")
    } else {
        format!(
            "no operation or schema changed since {since} as the generator builds them; other \
             parts did (info, servers, security, response headers, or only how an operation \
             is written, such as a parameter moved to its path item or a media type's \
             parameters), which leave the generated API as it is"
        )
    }
}

/// Plain text: a summary line, then the changes grouped by operation and schema, one line
/// each: verdict, Rust item, what changed — why it matters.
pub fn text(changes: &[Change], since: &str, identical: bool) -> String {
    if changes.is_empty() {
        return format!("{SPEC}: {}\n", unchanged(since, identical));
    }
    let (broken, fine) = counts(changes);
    let mut out = format!("{SPEC} since {since}: {broken} breaking, {fine} non-breaking\n");
    for (group, changes) in groups(changes) {
        let width = changes.iter().map(|c| c.item.len()).max().unwrap_or(0);
        out += &format!("\n{group}\n");
        for c in changes {
            let verdict = if c.impact.is_breaking() {
                "BREAKING"
            } else {
                "non-breaking"
            };
            out += &format!(
                "  {verdict:<12}  {:<width$}  {} — {}\n",
                c.item,
                c.what,
                c.impact.reason()
            );
        }
    }
    out
}

/// A `### Spec changes` section in Markdown, ready for a review or the CHANGELOG.
pub fn markdown(changes: &[Change], since: &str, identical: bool) -> String {
    let mut out = String::from("### Spec changes\n\n");
    if changes.is_empty() {
        out += &format!("None in `{SPEC}`: {}.\n", unchanged(since, identical));
        return out;
    }
    let (broken, fine) = counts(changes);
    out += &format!("`{SPEC}` since {since}: **{broken} breaking**, {fine} non-breaking.\n");
    for (group, changes) in groups(changes) {
        let heading = match group {
            Group::Operation(id) => format!("Operation `{id}`"),
            Group::Schema(name) => format!("Schema `{name}`"),
        };
        out += &format!("\n#### {heading}\n\n");
        for c in changes {
            let verdict = if c.impact.is_breaking() {
                "**Breaking**"
            } else {
                "Non-breaking"
            };
            out += &format!(
                "- {verdict}: `{}`: {} — {}\n",
                c.item,
                c.what,
                c.impact.reason()
            );
        }
    }
    out
}

fn counts(changes: &[Change]) -> (usize, usize) {
    let broken = changes.iter().filter(|c| c.impact.is_breaking()).count();
    (broken, changes.len() - broken)
}

/// The changes grouped by operation or schema, groups in order of first appearance and
/// breaking changes first within each.
fn groups(changes: &[Change]) -> Vec<(&Group, Vec<&Change>)> {
    let mut out: Vec<(&Group, Vec<&Change>)> = Vec::new();
    for c in changes {
        match out.iter_mut().find(|(g, _)| **g == c.group) {
            Some((_, members)) => members.push(c),
            None => out.push((&c.group, vec![c])),
        }
    }
    for (_, members) in &mut out {
        members.sort_by_key(|c| !c.impact.is_breaking());
    }
    out
}
