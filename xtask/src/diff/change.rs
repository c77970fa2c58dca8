//! One change between two specs, judged from the SDK user's side.

use std::fmt;

use crate::roles::Roles;

/// Where a change is reported: under the operation or the component schema it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Group {
    /// An operation, by operationId (or `METHOD path` when it has none).
    Operation(String),
    /// A component schema, by name.
    Schema(String),
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Group::Operation(id) => write!(f, "operation {id}"),
            Group::Schema(name) => write!(f, "schema {name}"),
        }
    }
}

/// Whether a change breaks existing users, and why (or why not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Impact {
    /// Existing code stops compiling, or existing calls or decodes start failing or change
    /// what they send.
    Breaking(String),
    /// Existing code and calls keep working.
    Compatible(String),
}

impl Impact {
    /// Whether this impact breaks users.
    pub fn is_breaking(&self) -> bool {
        matches!(self, Impact::Breaking(_))
    }

    /// Why.
    pub fn reason(&self) -> &str {
        match self {
            Impact::Breaking(r) | Impact::Compatible(r) => r,
        }
    }
}

/// Breaking, because of `reason`.
pub fn breaking(reason: impl Into<String>) -> Impact {
    Impact::Breaking(reason.into())
}

/// Not breaking, because of `reason`.
pub fn compatible(reason: impl Into<String>) -> Impact {
    Impact::Compatible(reason.into())
}

/// The impact on the sides a schema travels on; for both, the stricter one. A schema no
/// operation uses is still a public type, so it is judged on both sides.
pub fn judge(roles: Roles, request: Impact, response: Impact) -> Impact {
    match (roles.request, roles.response) {
        (true, false) => request,
        (false, true) => response,
        _ if response.is_breaking() && !request.is_breaking() => response,
        _ => request,
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The operation or schema it is reported under.
    pub group: Group,
    /// The Rust item it touches, e.g. `types::CreateTicketBody::team_id`.
    pub item: String,
    /// What changed in the spec, e.g. `became required`.
    pub what: String,
    /// What it does to users.
    pub impact: Impact,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_on_both_sides_gets_the_stricter_verdict() {
        let both = Roles::REQUEST.union(Roles::RESPONSE);
        let verdict = |roles| judge(roles, compatible("request"), breaking("response"));
        assert_eq!(verdict(Roles::REQUEST), compatible("request"));
        assert_eq!(verdict(Roles::RESPONSE), breaking("response"));
        assert_eq!(verdict(both), breaking("response"));
        assert_eq!(
            verdict(Roles::default()),
            breaking("response"),
            "unused: both"
        );
    }
}
