//! The Rust names progenitor and typify give to spec items, so that reports speak of
//! `types::CreateTicketBody::de_duplication_key` rather than of YAML.
//!
//! Mirrors their `sanitize`: characters that cannot be in an identifier become word breaks,
//! heck does the casing, a leading non-letter gets an `x` prefix, and keywords get a
//! trailing underscore (`type` → `type_`).

use heck::{ToPascalCase, ToSnakeCase};

/// The field, method or parameter name for a spec name: `deDuplicationKey` →
/// `de_duplication_key`, `createTicket` → `create_ticket`.
pub fn snake(name: &str) -> String {
    sanitize(name, |s| s.to_snake_case())
}

/// The type name for a spec name: `createTicket` → `CreateTicket`.
pub fn pascal(name: &str) -> String {
    sanitize(name, |s| s.to_pascal_case())
}

/// The path of a generated type: `types::CreateTicketBody`.
pub fn type_path(type_name: &str) -> String {
    format!("types::{type_name}")
}

/// The path of an operation's method on the client: `Client::create_ticket`.
pub fn client_method(operation_id: &str) -> String {
    format!("Client::{}", snake(operation_id))
}

/// The path of an operation's request builder: `builder::CreateTicket`.
pub fn builder(operation_id: &str) -> String {
    format!("builder::{}", pascal(operation_id))
}

fn sanitize(name: &str, case: impl Fn(&str) -> String) -> String {
    let words: String = name
        .chars()
        .filter(|&c| c != '\'')
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let cased = case(&words);
    let cased = match cased.chars().next() {
        Some(c) if c.is_alphabetic() || c == '_' => cased,
        _ => format!("{}{cased}", case("x")),
    };
    if KEYWORDS.contains(&cased.as_str()) {
        format!("{cased}_")
    } else {
        cased
    }
}

/// typify's list (`accept_as_ident`): Rust's strict and reserved keywords.
const KEYWORDS: &[&str] = &[
    "_", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
    "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if",
    "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub",
    "ref", "return", "Self", "self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_generated_sdk() {
        assert_eq!(snake("deDuplicationKey"), "de_duplication_key");
        assert_eq!(snake("commentContentHtml"), "comment_content_html");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("x-api-key"), "x_api_key");
        assert_eq!(snake("2fa"), "x2fa");
        assert_eq!(pascal("createTicket"), "CreateTicket");
        assert_eq!(client_method("updateTicket"), "Client::update_ticket");
        assert_eq!(builder("updateTicket"), "builder::UpdateTicket");
        assert_eq!(type_path("Ticket"), "types::Ticket");
    }

    /// Every field name the SDK has must be one [`snake`] predicts from the spec.
    #[test]
    fn every_property_of_the_project_spec_names_a_generated_field() {
        let spec = thena_codegen::parse(include_str!("../../spec/thena.yaml")).expect("parses");
        let generated = include_str!("../../sdk/src/generated.rs");
        let schemas = spec.components.iter().flat_map(|c| c.schemas.values());
        for schema in schemas.filter_map(|s| s.as_item()) {
            if let openapiv3::SchemaKind::Type(openapiv3::Type::Object(o)) = &schema.schema_kind {
                for name in o.properties.keys() {
                    let field = format!("pub {}:", snake(name));
                    assert!(generated.contains(&field), "{name} → {field} not generated");
                }
            }
        }
    }
}
