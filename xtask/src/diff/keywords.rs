//! A schema's type, format, constraints and enum, read out of openapiv3's per-type structs
//! into one comparable shape.

use openapiv3::{
    IntegerFormat, NumberFormat, SchemaKind, StringFormat, Type, VariantOrUnknownOrEmpty,
};

/// The schema's kind, as reports name it: `string`, `object`, `oneOf`, ...
pub fn type_label(kind: &SchemaKind) -> &'static str {
    match kind {
        SchemaKind::Type(Type::String(_)) => "string",
        SchemaKind::Type(Type::Number(_)) => "number",
        SchemaKind::Type(Type::Integer(_)) => "integer",
        SchemaKind::Type(Type::Boolean(_)) => "boolean",
        SchemaKind::Type(Type::Object(_)) => "object",
        SchemaKind::Type(Type::Array(_)) => "array",
        SchemaKind::OneOf { .. } => "oneOf",
        SchemaKind::AllOf { .. } => "allOf",
        SchemaKind::AnyOf { .. } => "anyOf",
        SchemaKind::Not { .. } => "not",
        SchemaKind::Any(_) => "any value",
    }
}

/// The `format`, if any.
pub fn format(kind: &SchemaKind) -> Option<String> {
    fn name<T>(
        format: &VariantOrUnknownOrEmpty<T>,
        known: impl Fn(&T) -> &'static str,
    ) -> Option<String> {
        match format {
            VariantOrUnknownOrEmpty::Item(f) => Some(known(f).to_string()),
            VariantOrUnknownOrEmpty::Unknown(f) => Some(f.clone()),
            VariantOrUnknownOrEmpty::Empty => None,
        }
    }
    match kind {
        SchemaKind::Type(Type::String(s)) => name(&s.format, |f| match f {
            StringFormat::Date => "date",
            StringFormat::DateTime => "date-time",
            StringFormat::Password => "password",
            StringFormat::Byte => "byte",
            StringFormat::Binary => "binary",
        }),
        SchemaKind::Type(Type::Number(n)) => name(&n.format, |f| match f {
            NumberFormat::Float => "float",
            NumberFormat::Double => "double",
        }),
        SchemaKind::Type(Type::Integer(n)) => name(&n.format, |f| match f {
            IntegerFormat::Int32 => "int32",
            IntegerFormat::Int64 => "int64",
        }),
        SchemaKind::Any(any) => any.format.clone(),
        _ => None,
    }
}

/// The `enum` values, rendered as JSON; empty when there is no enum.
pub fn enum_values(kind: &SchemaKind) -> Vec<String> {
    fn render<T: ToString>(values: &[Option<T>], quote: bool) -> Vec<String> {
        let one = |v: &T| match quote {
            true => format!("{:?}", v.to_string()),
            false => v.to_string(),
        };
        values
            .iter()
            .map(|v| v.as_ref().map_or("null".into(), one))
            .collect()
    }
    match kind {
        SchemaKind::Type(Type::String(s)) => render(&s.enumeration, true),
        SchemaKind::Type(Type::Number(n)) => render(&n.enumeration, false),
        SchemaKind::Type(Type::Integer(n)) => render(&n.enumeration, false),
        SchemaKind::Type(Type::Boolean(b)) => render(&b.enumeration, false),
        SchemaKind::Any(any) => any.enumeration.iter().map(ToString::to_string).collect(),
        _ => Vec::new(),
    }
}

/// Whether typify generates a validating newtype instead of `String` for this schema (it
/// does for a length or pattern constraint, e.g. `CreateTicketBodyDeDuplicationKey`).
pub fn is_validated_string(kind: &SchemaKind) -> bool {
    matches!(kind, SchemaKind::Type(Type::String(s))
        if s.min_length.is_some() || s.max_length.is_some() || s.pattern.is_some())
}

/// A constraint keyword's value, by how it restricts values.
#[derive(Debug, Clone, PartialEq)]
pub enum Limit {
    /// A lower bound (`minLength`, `minimum`, ...): raising it restricts.
    Lower(Option<f64>),
    /// An upper bound (`maxLength`, `maximum`, ...): lowering it restricts.
    Upper(Option<f64>),
    /// A switch (`exclusiveMinimum`, `uniqueItems`): turning it on restricts.
    Flag(bool),
    /// A rule (`pattern`, `multipleOf`): adding it restricts; changing it cannot be shown
    /// to loosen, so it counts as restricting.
    Rule(Option<String>),
}

/// How a constraint moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Fewer values are valid.
    Tightened,
    /// More values are valid.
    Loosened,
}

impl Limit {
    /// How going from `self` to `new` moved the constraint; `None` if it did not change.
    pub fn direction(&self, new: &Limit) -> Option<Direction> {
        use Direction::{Loosened, Tightened};
        let bound = |old: Option<f64>, new: Option<f64>, raising_tightens: bool| match (old, new) {
            (None, None) => None,
            (None, Some(_)) => Some(Tightened),
            (Some(_), None) => Some(Loosened),
            (Some(a), Some(b)) if a == b => None,
            (Some(a), Some(b)) => Some(if (b > a) == raising_tightens {
                Tightened
            } else {
                Loosened
            }),
        };
        match (self, new) {
            (Limit::Lower(a), Limit::Lower(b)) => bound(*a, *b, true),
            (Limit::Upper(a), Limit::Upper(b)) => bound(*a, *b, false),
            (Limit::Flag(a), Limit::Flag(b)) if a == b => None,
            (Limit::Flag(_), Limit::Flag(b)) => Some(if *b { Tightened } else { Loosened }),
            (Limit::Rule(a), Limit::Rule(b)) if a == b => None,
            (Limit::Rule(_), Limit::Rule(None)) => Some(Loosened),
            (Limit::Rule(_), Limit::Rule(Some(_))) => Some(Tightened),
            // Different keywords are never compared: both sides come from the same kind.
            _ => None,
        }
    }

    /// The value as the spec writes it, if set.
    pub fn value(&self) -> Option<String> {
        match self {
            Limit::Lower(v) | Limit::Upper(v) => v.map(|v| v.to_string()),
            Limit::Flag(on) => on.then(|| "true".into()),
            Limit::Rule(v) => v.clone(),
        }
    }
}

/// The constraint keywords of a schema with their values, in a fixed order per kind.
pub fn constraints(kind: &SchemaKind) -> Vec<(&'static str, Limit)> {
    let len = |v: Option<usize>| v.map(|v| v as f64);
    let num = |v: Option<i64>| v.map(|v| v as f64);
    match kind {
        SchemaKind::Type(Type::String(s)) => vec![
            ("minLength", Limit::Lower(len(s.min_length))),
            ("maxLength", Limit::Upper(len(s.max_length))),
            ("pattern", Limit::Rule(s.pattern.clone())),
        ],
        SchemaKind::Type(Type::Number(n)) => vec![
            ("minimum", Limit::Lower(n.minimum)),
            ("maximum", Limit::Upper(n.maximum)),
            ("exclusiveMinimum", Limit::Flag(n.exclusive_minimum)),
            ("exclusiveMaximum", Limit::Flag(n.exclusive_maximum)),
            (
                "multipleOf",
                Limit::Rule(n.multiple_of.map(|m| m.to_string())),
            ),
        ],
        SchemaKind::Type(Type::Integer(n)) => vec![
            ("minimum", Limit::Lower(num(n.minimum))),
            ("maximum", Limit::Upper(num(n.maximum))),
            ("exclusiveMinimum", Limit::Flag(n.exclusive_minimum)),
            ("exclusiveMaximum", Limit::Flag(n.exclusive_maximum)),
            (
                "multipleOf",
                Limit::Rule(n.multiple_of.map(|m| m.to_string())),
            ),
        ],
        SchemaKind::Type(Type::Array(a)) => vec![
            ("minItems", Limit::Lower(len(a.min_items))),
            ("maxItems", Limit::Upper(len(a.max_items))),
            ("uniqueItems", Limit::Flag(a.unique_items)),
        ],
        SchemaKind::Type(Type::Object(o)) => vec![
            ("minProperties", Limit::Lower(len(o.min_properties))),
            ("maxProperties", Limit::Upper(len(o.max_properties))),
        ],
        SchemaKind::Any(any) => vec![
            ("minLength", Limit::Lower(len(any.min_length))),
            ("maxLength", Limit::Upper(len(any.max_length))),
            ("pattern", Limit::Rule(any.pattern.clone())),
            ("minimum", Limit::Lower(any.minimum)),
            ("maximum", Limit::Upper(any.maximum)),
            (
                "exclusiveMinimum",
                Limit::Flag(any.exclusive_minimum.unwrap_or(false)),
            ),
            (
                "exclusiveMaximum",
                Limit::Flag(any.exclusive_maximum.unwrap_or(false)),
            ),
            (
                "multipleOf",
                Limit::Rule(any.multiple_of.map(|m| m.to_string())),
            ),
            ("minItems", Limit::Lower(len(any.min_items))),
            ("maxItems", Limit::Upper(len(any.max_items))),
            (
                "uniqueItems",
                Limit::Flag(any.unique_items.unwrap_or(false)),
            ),
            ("minProperties", Limit::Lower(len(any.min_properties))),
            ("maxProperties", Limit::Upper(len(any.max_properties))),
        ],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::Direction::{Loosened, Tightened};
    use super::*;

    #[test]
    fn bounds_move_both_ways() {
        assert_eq!(
            Limit::Upper(Some(255.)).direction(&Limit::Upper(Some(100.))),
            Some(Tightened)
        );
        assert_eq!(
            Limit::Upper(Some(100.)).direction(&Limit::Upper(Some(255.))),
            Some(Loosened)
        );
        assert_eq!(
            Limit::Upper(None).direction(&Limit::Upper(Some(1.))),
            Some(Tightened)
        );
        assert_eq!(
            Limit::Lower(Some(1.)).direction(&Limit::Lower(Some(2.))),
            Some(Tightened)
        );
        assert_eq!(
            Limit::Lower(Some(1.)).direction(&Limit::Lower(None)),
            Some(Loosened)
        );
        assert_eq!(
            Limit::Lower(Some(1.)).direction(&Limit::Lower(Some(1.))),
            None
        );
        assert_eq!(
            Limit::Flag(false).direction(&Limit::Flag(true)),
            Some(Tightened)
        );
        let rule = |r: &str| Limit::Rule(Some(r.into()));
        assert_eq!(rule("^a").direction(&rule("^b")), Some(Tightened));
        assert_eq!(rule("^a").direction(&Limit::Rule(None)), Some(Loosened));
    }
}
