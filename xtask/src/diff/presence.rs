//! Required-ness, nullability and defaults: together they decide how the generated code
//! holds a value, and so what a change of them does to users.
//!
//! typify holds a property as its type `T` when it is required (or has a default), as
//! `Option<T>` when it is optional or nullable, except that an optional list or map
//! stays a `Vec` or a map that starts empty and is left out of a request while empty.
//! codegen gives every builder setter the same shape whatever holds the value: `name`
//! takes `impl TryInto<T>`, and for an `Option<T>` field `set_name` takes an `Option` of
//! it. progenitor's parameter setters take `T` whether the parameter is required or not
//! (a nullable path parameter's takes `impl TryInto<Option<T>>`), and it sends no default
//! of a parameter.

use super::change::{Change, Impact, breaking, compatible};
use super::schemas::{Body, Place, View};

/// How a value sits in its parent.
#[derive(Debug, Clone, Copy)]
pub enum Slot {
    /// An object property: set with a builder setter.
    Property {
        /// Required in the old and in the new spec.
        required: (bool, bool),
    },
    /// An operation parameter: set with a setter of the operation's builder.
    Parameter {
        /// Required in the old and in the new spec.
        required: (bool, bool),
        /// In the query: progenitor treats a nullable query parameter as optional.
        query: bool,
    },
    /// Anything else (a component schema, array items, a body): `Option<T>` only if
    /// nullable, and built as an owned value.
    Value,
}

/// How the generated code holds a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    /// As `T`.
    Plain,
    /// As `Option<T>`.
    Optional,
    /// As a list or map that starts empty and is not sent while empty.
    Empty,
}

fn holder(view: &View<'_>, required: Option<bool>) -> Holder {
    match required {
        _ if view.nullable => Holder::Optional,
        Some(false) if view.default.is_none() && view.is_collection() => Holder::Empty,
        Some(false) if view.default.is_none() => Holder::Optional,
        _ => Holder::Plain,
    }
}

/// What changing how a value is held does to calls and to code reading responses.
fn rehold(from: Holder, to: Holder, slot: Slot) -> Option<(Impact, Impact)> {
    use Holder::{Empty, Optional, Plain};
    // A property's builder setter takes the value itself either way; its field's type,
    // which code building the struct or reading it names, does change.
    let builder = match slot {
        Slot::Property { .. } => "; calls through the builder still compile",
        _ => "",
    };
    let request = match (from, to) {
        _ if from == to => return None,
        (Plain | Empty, Optional) => breaking(format!(
            "its Rust type changes from T to Option<T>: code that builds or reads it no \
             longer compiles{builder}"
        )),
        (Optional, _) => breaking(
            "its Rust type changes from Option<T> to T: code that builds or reads it, and \
             calls to `set_<name>`, no longer compile",
        ),
        (Plain, Empty) => {
            breaking("it is no longer sent while empty: calls that set it empty now send nothing")
        }
        (Empty, Plain) => {
            breaking("it is now sent while empty: calls that leave it empty now send it")
        }
        _ => return None,
    };
    let response = match (from, to) {
        (Empty, Optional) => breaking(
            "its Rust type changes from a list or map to an Option of it: code that read it \
             must now handle None",
        ),
        (_, Optional) => breaking(
            "its Rust type changes from T to Option<T>: code that read it as a value must now \
             handle None",
        ),
        (Optional, _) => breaking(
            "its Rust type changes from Option<T> to T: code handling None no longer compiles",
        ),
        _ => compatible("its Rust type stays the same"),
    };
    Some((request, response))
}

/// Records the changes of required-ness, nullability and default at one position.
pub fn presence(out: &mut Vec<Change>, place: &Place, slot: Slot, old: &View<'_>, new: &View<'_>) {
    if let Slot::Parameter { required, query } = slot {
        return parameter(out, place, required, query, old, new);
    }
    let required = match slot {
        Slot::Property { required } => Some(required),
        _ => None,
    };
    let (was, now) = (
        holder(old, required.map(|r| r.0)),
        holder(new, required.map(|r| r.1)),
    );
    // Each attribute's own effect, made breaking by the change of holder when that breaks.
    let reheld = |request: Impact, response: Impact| match rehold(was, now, slot) {
        Some((to_request, to_response)) => (
            escalate(request, to_request),
            escalate(response, to_response),
        ),
        None => (request, response),
    };

    if let Some((was_required, now_required)) = required
        && was_required != now_required
    {
        let (what, request, response) = if now_required {
            (
                "became required",
                breaking("calls that do not set it now fail at build()"),
                breaking("responses that omit it now fail to decode"),
            )
        } else {
            (
                "became optional",
                compatible("calls may now leave it unset"),
                compatible("responses may now omit it"),
            )
        };
        let (request, response) = reheld(request, response);
        place.record(out, what, request, response);
    }

    if old.nullable != new.nullable {
        let (what, request, response) = if new.nullable {
            (
                "became nullable",
                compatible("calls may now send null"),
                compatible("responses may now carry null"),
            )
        } else {
            (
                "no longer nullable",
                compatible("calls no longer send null"),
                compatible("responses no longer carry null"),
            )
        };
        let (request, response) = reheld(request, response);
        place.record(out, what, request, response);
    }

    if old.default != new.default {
        // typify's builders send the default for a field left unset, so existing calls
        // start sending something else.
        let (what, request, response) = match (&old.default, &new.default) {
            (None, Some(d)) => (
                format!("default {d} added"),
                breaking(format!("calls that leave it unset now send {d}")),
                compatible(format!("an absent value now reads as {d}")),
            ),
            (Some(d), None) => (
                format!("default {d} removed"),
                breaking(format!("calls that leave it unset no longer send {d}")),
                compatible(format!("an absent value no longer reads as {d}")),
            ),
            (Some(a), Some(b)) => (
                format!("default {a} → {b}"),
                breaking(format!(
                    "calls that leave it unset now send {b} instead of {a}"
                )),
                compatible(format!("an absent value now reads as {b} instead of {a}")),
            ),
            (None, None) => return,
        };
        let (request, response) = reheld(request, response);
        place.record(out, &what, request, response);
    }
}

/// A parameter's setter takes its type whether it is required or not; only a nullable
/// path or header parameter takes an `Option`.
fn parameter(
    out: &mut Vec<Change>,
    place: &Place,
    (was_required, now_required): (bool, bool),
    query: bool,
    old: &View<'_>,
    new: &View<'_>,
) {
    if was_required != now_required {
        let (what, impact) = if now_required {
            (
                "became required",
                breaking("calls that do not set it now fail at send()"),
            )
        } else {
            (
                "became optional",
                compatible("its setter is unchanged; calls may now leave it unset"),
            )
        };
        place.note(out, what, impact);
    }
    if old.nullable != new.nullable {
        let what = if new.nullable {
            "became nullable"
        } else {
            "no longer nullable"
        };
        let impact = match (query, new.nullable, new.body.set_by_literal(place)) {
            (true, _, _) => compatible("a query parameter's setter takes the value either way"),
            (false, true, true) => breaking(
                "its setter now takes `impl TryInto<Option<T>>`: calls passing a &str no \
                 longer compile",
            ),
            (false, true, false) => {
                compatible("its setter now takes an Option, which values convert into")
            }
            (false, false, _) => {
                breaking("its setter now takes T: calls passing Some(..) or None no longer compile")
            }
        };
        place.note(out, what, impact);
    }
    if old.default != new.default {
        place.note(
            out,
            "default changed",
            compatible(
                "documentation only for the SDK: it sends no default for a parameter, so calls \
                 that leave it unset still send nothing",
            ),
        );
    }
}

/// `impact`, made breaking by `by` when `by` is.
fn escalate(impact: Impact, by: Impact) -> Impact {
    match (impact, by) {
        (Impact::Breaking(a), Impact::Breaking(b)) => breaking(format!("{a}; {b}")),
        (Impact::Compatible(_), by @ Impact::Breaking(_)) => by,
        (impact, Impact::Compatible(_)) => impact,
    }
}

impl Body<'_> {
    /// Whether calls set a value of this type with something that does not convert into
    /// `Some`: a string literal (for a `String` or a string newtype) or a builder (for a
    /// struct). Enums, numbers, booleans, dates, lists and maps are passed as themselves.
    fn set_by_literal(&self, place: &Place) -> bool {
        use openapiv3::{SchemaKind, StringFormat, Type, VariantOrUnknownOrEmpty};
        match self {
            Body::Ref(reference) => !place.is_enum(reference),
            Body::Kind(SchemaKind::Type(Type::String(s))) => {
                let dated = matches!(
                    s.format,
                    VariantOrUnknownOrEmpty::Item(StringFormat::Date | StringFormat::DateTime)
                );
                let uuid = matches!(&s.format, VariantOrUnknownOrEmpty::Unknown(f) if f == "uuid");
                s.enumeration.is_empty() && !dated && !uuid
            }
            Body::Kind(SchemaKind::Type(Type::Object(o))) => !o.properties.is_empty(),
            Body::Kind(_) => false,
        }
    }
}
