//! Compares two versions of a schema position and judges each difference for the Rust
//! code typify generates from it.
//!
//! typify's mapping decides what breaks: how a property is held (see [`super::presence`]);
//! length and pattern constraints turn `String` into a validating newtype; formats change
//! the Rust type; enums become closed Rust enums.

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use openapiv3::{AdditionalProperties, OpenAPI, ReferenceOr, Schema, SchemaKind, Type};
use thena_codegen::spec::schema_name;

use super::change::{Change, Group, Impact, breaking, compatible, judge};
use super::keywords::{
    Direction, constraints, enum_values, format, is_validated_string, type_label,
};
use super::presence::{Slot, presence};
use super::union;
use crate::roles::{Roles, component_roles};
use crate::rust_names::{pascal, snake, type_path};
use crate::schema_ref::SchemaRef;

/// Where a schema position lands in the generated API.
#[derive(Debug, Clone)]
pub struct Place {
    /// The operation or schema changes here are reported under.
    pub group: Group,
    /// The Rust item users touch here.
    pub item: String,
    /// The position inside the item (`items`, `response 201`), prefixed to each change.
    pub within: String,
    /// The name typify gives an inline type defined here.
    pub type_name: String,
    /// The sides values here travel on.
    pub roles: Roles,
    /// The component schemas of the new spec that become Rust enums.
    pub enums: Rc<BTreeSet<String>>,
}

impl Place {
    /// The place of a component schema.
    pub fn component(name: &str, roles: Roles, enums: &Rc<BTreeSet<String>>) -> Place {
        Place {
            group: Group::Schema(name.to_string()),
            item: type_path(&pascal(name)),
            within: String::new(),
            type_name: pascal(name),
            roles,
            enums: Rc::clone(enums),
        }
    }

    /// Whether a `$ref` points to a component that becomes a Rust enum.
    pub fn is_enum(&self, reference: &str) -> bool {
        schema_name(reference).is_some_and(|name| self.enums.contains(name))
    }

    /// A position inside this one's value that has no Rust item of its own.
    pub fn inside(&self, part: &str, type_suffix: &str) -> Place {
        let within = match self.within.as_str() {
            "" => part.to_string(),
            outer => format!("{outer} {part}"),
        };
        Place {
            within,
            type_name: format!("{}{type_suffix}", self.type_name),
            ..self.clone()
        }
    }

    /// The property `name` of the object type defined here.
    fn property(&self, name: &str) -> Place {
        Place {
            group: self.group.clone(),
            item: format!("{}::{}", type_path(&self.type_name), snake(name)),
            within: String::new(),
            type_name: format!("{}{}", self.type_name, pascal(name)),
            ..self.clone()
        }
    }

    /// Records a change, judged for the sides this place travels on.
    pub fn record(&self, out: &mut Vec<Change>, what: &str, request: Impact, response: Impact) {
        self.note(out, what, judge(self.roles, request, response));
    }

    /// Records a change whose impact does not depend on the side.
    pub fn note(&self, out: &mut Vec<Change>, what: &str, impact: Impact) {
        let what = match self.within.as_str() {
            "" => what.to_string(),
            within => format!("{within}: {what}"),
        };
        out.push(Change {
            group: self.group.clone(),
            item: self.item.clone(),
            what,
            impact,
        });
    }

    /// Records a documentation change: never breaking.
    pub fn record_docs(&self, out: &mut Vec<Change>, what: &str) {
        self.note(out, what, compatible("documentation only"));
    }
}

/// Compares every component schema of the two specs.
pub fn compare_components(old: &OpenAPI, new: &OpenAPI, out: &mut Vec<Change>) {
    let (old_schemas, new_schemas) = (component_schemas(old), component_schemas(new));
    let (old_roles, new_roles) = (component_roles(old), component_roles(new));
    let enums = enum_components(new);
    let roles_of = |name: &str| {
        let of = |roles: &HashMap<String, Roles>| roles.get(name).copied().unwrap_or_default();
        of(&old_roles).union(of(&new_roles))
    };

    for (name, old, new) in union(&old_schemas, &new_schemas) {
        let place = Place::component(name, roles_of(name), &enums);
        match (old, new) {
            (Some(old), Some(new)) => compare(out, &place, Slot::Value, old, new),
            (Some(_), None) => {
                let gone = breaking(format!("`{}` no longer exists", place.item));
                place.note(out, "schema removed", gone);
            }
            (None, Some(_)) => place.note(out, "schema added", compatible("a new type")),
            (None, None) => {}
        }
    }
}

fn component_schemas(spec: &OpenAPI) -> Vec<(&str, SchemaRef<'_>)> {
    spec.components
        .iter()
        .flat_map(|c| &c.schemas)
        .map(|(name, s)| (name.as_str(), SchemaRef::from(s)))
        .collect()
}

/// The component schemas that become Rust enums: those with an `enum`.
pub fn enum_components(spec: &OpenAPI) -> Rc<BTreeSet<String>> {
    let names = spec
        .components
        .iter()
        .flat_map(|c| &c.schemas)
        .filter(|(_, s)| match view(SchemaRef::from(*s)).body {
            Body::Kind(kind) => !enum_values(kind).is_empty(),
            Body::Ref(_) => false,
        })
        .map(|(name, _)| name.clone());
    Rc::new(names.collect())
}

/// A schema position, with `allOf: [one]` seen through: that is how a `$ref` gets
/// `nullable` or a description, and typify generates the referenced type for it.
pub struct View<'a> {
    pub nullable: bool,
    description: Option<&'a str>,
    pub default: Option<String>,
    pub body: Body<'a>,
}

impl View<'_> {
    /// Whether typify makes it a `Vec` or a map, which start empty instead of `None`.
    pub fn is_collection(&self) -> bool {
        match self.body {
            Body::Kind(SchemaKind::Type(Type::Array(_))) => true,
            Body::Kind(SchemaKind::Type(Type::Object(o))) => o.properties.is_empty(),
            _ => false,
        }
    }
}

#[derive(Clone, Copy)]
pub enum Body<'a> {
    Ref(&'a str),
    Kind(&'a SchemaKind),
}

impl Body<'_> {
    fn label(&self) -> String {
        match self {
            Body::Ref(reference) => schema_name(reference)
                .map_or_else(|| reference.to_string(), |name| type_path(&pascal(name))),
            Body::Kind(kind) => type_label(kind).to_string(),
        }
    }
}

fn view(schema: SchemaRef<'_>) -> View<'_> {
    let s = match schema {
        SchemaRef::Ref(reference) => {
            return View {
                nullable: false,
                description: None,
                default: None,
                body: Body::Ref(reference),
            };
        }
        SchemaRef::Item(s) => s,
    };
    let data = &s.schema_data;
    let default = data.default.as_ref().map(ToString::to_string);
    if let SchemaKind::AllOf { all_of } = &s.schema_kind
        && let [only] = all_of.as_slice()
    {
        let inner = view(SchemaRef::from(only));
        return View {
            nullable: data.nullable || inner.nullable,
            description: data.description.as_deref().or(inner.description),
            default: default.or(inner.default),
            body: inner.body,
        };
    }
    View {
        nullable: data.nullable,
        description: data.description.as_deref(),
        default,
        body: Body::Kind(&s.schema_kind),
    }
}

/// Compares the schema at one position in the old and the new spec.
pub fn compare(
    out: &mut Vec<Change>,
    place: &Place,
    slot: Slot,
    old: SchemaRef<'_>,
    new: SchemaRef<'_>,
) {
    let (old, new) = (view(old), view(new));
    presence(out, place, slot, &old, &new);
    if old.description != new.description {
        place.record_docs(out, "description changed");
    }
    match (old.body, new.body) {
        (Body::Ref(a), Body::Ref(b)) if a == b => {}
        (Body::Kind(a), Body::Kind(b)) if type_label(a) == type_label(b) => kinds(out, place, a, b),
        (a, b) => place.record(
            out,
            &format!("type {} → {}", a.label(), b.label()),
            breaking("its Rust type changes: values built for the old type no longer compile"),
            breaking("its Rust type changes: code reading it no longer compiles"),
        ),
    }
}

/// Two schemas of the same kind: format, enum, constraints, then what they contain.
fn kinds(out: &mut Vec<Change>, place: &Place, old: &SchemaKind, new: &SchemaKind) {
    let (old_format, new_format) = (format(old), format(new));
    if old_format != new_format {
        let name = |f: Option<String>| f.unwrap_or_else(|| "none".into());
        place.record(
            out,
            &format!("format {} → {}", name(old_format), name(new_format)),
            breaking(
                "its Rust type can change (e.g. String ↔ chrono::DateTime<Utc>) and values \
                 valid before may be refused",
            ),
            breaking(
                "its Rust type can change (e.g. String ↔ chrono::DateTime<Utc>) and responses \
                 that decoded before may now fail to decode",
            ),
        );
    }
    enums(out, place, &enum_values(old), &enum_values(new));
    limits(out, place, old, new);

    match (old, new) {
        (SchemaKind::Type(Type::Array(a)), SchemaKind::Type(Type::Array(b))) => {
            match (&a.items, &b.items) {
                (Some(a), Some(b)) => compare(
                    out,
                    &place.inside("items", "Item"),
                    Slot::Value,
                    a.into(),
                    b.into(),
                ),
                (None, None) => {}
                _ => place.note(
                    out,
                    "items schema added or removed",
                    breaking("its element type changes"),
                ),
            }
        }
        (SchemaKind::OneOf { one_of: a }, SchemaKind::OneOf { one_of: b })
        | (SchemaKind::AnyOf { any_of: a }, SchemaKind::AnyOf { any_of: b }) => {
            let name = type_label(new);
            variants(out, place, name, a, b);
        }
        (SchemaKind::AllOf { all_of: a }, SchemaKind::AllOf { all_of: b }) => {
            if a.len() != b.len() {
                place.note(
                    out,
                    &format!("allOf has {} schemas instead of {}", b.len(), a.len()),
                    breaking("the composed Rust type changes"),
                );
            }
            for (i, (a, b)) in a.iter().zip(b).enumerate() {
                let inner = place.inside(&format!("allOf[{i}]"), "");
                compare(out, &inner, Slot::Value, a.into(), b.into());
            }
        }
        (SchemaKind::Not { not: a }, SchemaKind::Not { not: b }) => compare(
            out,
            &place.inside("not", ""),
            Slot::Value,
            (&**a).into(),
            (&**b).into(),
        ),
        _ => {}
    }
    if let (Some(a), Some(b)) = (object(old), object(new)) {
        properties(out, place, &a, &b);
        extra(out, place, &a, &b);
    }
}

fn enums(out: &mut Vec<Change>, place: &Place, old: &[String], new: &[String]) {
    fn list<'a>(values: impl IntoIterator<Item = &'a String>) -> String {
        values
            .into_iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
    match (old.is_empty(), new.is_empty()) {
        (true, true) => {}
        (true, false) => place.record(
            out,
            &format!("enum added: {}", list(new)),
            breaking("only the listed values are valid now, and its Rust type becomes an enum"),
            breaking("other values now fail to decode, and its Rust type becomes an enum"),
        ),
        (false, true) => place.note(
            out,
            "enum removed",
            breaking("its Rust type changes from an enum to the plain type"),
        ),
        (false, false) => {
            let removed: Vec<_> = old.iter().filter(|v| !new.contains(v)).collect();
            let added: Vec<_> = new.iter().filter(|v| !old.contains(v)).collect();
            if !removed.is_empty() {
                place.record(
                    out,
                    &format!("enum narrowed: {} removed", list(removed)),
                    breaking("calls using these values no longer compile: their variants are gone"),
                    breaking("their variants are gone, and responses carrying them fail to decode"),
                );
            }
            if !added.is_empty() {
                // typify's enums are closed: a new variant breaks exhaustive matches, and
                // SDKs built before cannot decode the new values.
                place.record(
                    out,
                    &format!("enum widened: {} added", list(added)),
                    compatible("new variants calls may use"),
                    breaking(
                        "the Rust enum gains variants: exhaustive matches no longer compile, \
                         and SDKs built before fail to decode these values",
                    ),
                );
            }
        }
    }
}

/// Constraint keywords: tightening breaks on both sides (calls or responses valid before
/// are refused), loosening does not, unless it changes the Rust type.
fn limits(out: &mut Vec<Change>, place: &Place, old: &SchemaKind, new: &SchemaKind) {
    for ((keyword, a), (_, b)) in constraints(old).into_iter().zip(constraints(new)) {
        let Some(direction) = a.direction(&b) else {
            continue;
        };
        let what = match (a.value(), b.value()) {
            (None, Some(v)) => format!("{keyword} {v} added"),
            (Some(v), None) => format!("{keyword} {v} removed"),
            (Some(a), Some(b)) => format!("{keyword} {a} → {b}"),
            (None, None) => continue,
        };
        let (request, response) = match direction {
            Direction::Tightened => (
                breaking("values valid before may now be refused"),
                breaking("responses that decoded before may now fail to decode"),
            ),
            Direction::Loosened => (
                compatible("more values are valid"),
                compatible("more values decode"),
            ),
        };
        place.record(out, &what, request, response);
    }
    let (was, now) = (is_validated_string(old), is_validated_string(new));
    if was != now {
        let (from, to) = if now {
            ("String", "a validated newtype")
        } else {
            ("a validated newtype", "String")
        };
        let retyped = breaking(format!("its Rust type changes from {from} to {to}"));
        place.note(out, &format!("Rust type becomes {to}"), retyped);
    }
}

/// The branches of a `oneOf`/`anyOf`: like an enum, more is compatible only for requests.
fn variants(
    out: &mut Vec<Change>,
    place: &Place,
    name: &str,
    old: &[ReferenceOr<Schema>],
    new: &[ReferenceOr<Schema>],
) {
    if new.len() < old.len() {
        place.record(
            out,
            &format!("{name} has {} schemas instead of {}", new.len(), old.len()),
            breaking("values of the removed variants no longer compile"),
            breaking("responses matching the removed variants fail to decode"),
        );
    } else if new.len() > old.len() {
        place.record(
            out,
            &format!("{name} has {} schemas instead of {}", new.len(), old.len()),
            compatible("new variants calls may use"),
            breaking("the Rust enum gains variants: exhaustive matches no longer compile"),
        );
    }
    for (i, (a, b)) in old.iter().zip(new).enumerate() {
        let inner = place.inside(&format!("{name}[{i}]"), &format!("Variant{i}"));
        compare(out, &inner, Slot::Value, a.into(), b.into());
    }
}

/// The object parts of a schema kind.
struct Object<'a> {
    properties: Vec<(&'a str, SchemaRef<'a>)>,
    required: &'a [String],
    extra: &'a Option<AdditionalProperties>,
}

fn object(kind: &SchemaKind) -> Option<Object<'_>> {
    let (properties, required, extra) = match kind {
        SchemaKind::Type(Type::Object(o)) => (&o.properties, &o.required, &o.additional_properties),
        SchemaKind::Any(a) => (&a.properties, &a.required, &a.additional_properties),
        _ => return None,
    };
    Some(Object {
        properties: properties
            .iter()
            .map(|(name, s)| (name.as_str(), SchemaRef::from(s)))
            .collect(),
        required,
        extra,
    })
}

fn properties(out: &mut Vec<Change>, place: &Place, old: &Object<'_>, new: &Object<'_>) {
    for (name, a, b) in union(&old.properties, &new.properties) {
        let property = place.property(name);
        let field = snake(name);
        let was_required = old.required.iter().any(|r| r == name);
        let now_required = new.required.iter().any(|r| r == name);
        match (a, b) {
            (Some(a), Some(b)) => {
                let slot = Slot::Property {
                    required: (was_required, now_required),
                };
                compare(out, &property, slot, a, b);
            }
            (Some(_), None) => property.record(
                out,
                "property removed",
                breaking(format!(
                    "calls to its builder setter `.{field}(..)` no longer compile"
                )),
                breaking(format!("code reading `.{field}` no longer compiles")),
            ),
            (None, Some(_)) if now_required => property.record(
                out,
                "property added (required)",
                breaking("builders that do not set it now fail at build()"),
                breaking("responses that omit it fail to decode"),
            ),
            (None, Some(_)) => property.record(
                out,
                "property added (optional)",
                compatible("calls may set it"),
                compatible("a new field to read"),
            ),
            (None, None) => {}
        }
    }
}

/// `additionalProperties`: typify keeps a map of them in a field named `extra`, and
/// `additionalProperties: false` makes decoding refuse unknown properties.
fn extra(out: &mut Vec<Change>, place: &Place, old: &Object<'_>, new: &Object<'_>) {
    enum Extra<'a> {
        Ignored,
        Refused,
        Kept(Option<SchemaRef<'a>>),
    }
    fn kind(extra: &Option<AdditionalProperties>) -> Extra<'_> {
        match extra {
            None => Extra::Ignored,
            Some(AdditionalProperties::Any(false)) => Extra::Refused,
            Some(AdditionalProperties::Any(true)) => Extra::Kept(None),
            Some(AdditionalProperties::Schema(s)) => Extra::Kept(Some((&**s).into())),
        }
    }
    let field = Place {
        item: format!("{}::extra", type_path(&place.type_name)),
        ..place.clone()
    };
    match (kind(old.extra), kind(new.extra)) {
        (Extra::Kept(Some(a)), Extra::Kept(Some(b))) => {
            compare(out, &field.inside("values", "Extra"), Slot::Value, a, b)
        }
        (Extra::Kept(_), Extra::Kept(_)) => {}
        (Extra::Kept(_), _) => field.record(
            out,
            "additional properties no longer kept",
            breaking("calls that set `extra` no longer compile"),
            breaking("code reading `extra` no longer compiles"),
        ),
        (_, Extra::Kept(_)) => field.record(
            out,
            "additional properties kept",
            compatible("a new `extra` map for unnamed properties; it starts empty"),
            compatible("unknown properties are now kept in `extra`"),
        ),
        (Extra::Ignored, Extra::Refused) => place.record(
            out,
            "additionalProperties: false added",
            compatible("the SDK sends only the properties the spec names"),
            breaking("responses with properties the spec does not name now fail to decode"),
        ),
        (Extra::Refused, Extra::Ignored) => place.record(
            out,
            "additionalProperties: false removed",
            compatible("the SDK sends only the properties the spec names"),
            compatible("unknown properties are ignored again"),
        ),
        _ => {}
    }
}
