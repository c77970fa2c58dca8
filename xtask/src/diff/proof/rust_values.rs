//! Rust expressions for JSON values, written the way the SDK's users write them: a
//! string literal for a required `String` setter, `Some(..)` for an optional one, a
//! builder for a nested type, an enum variant by name. The idiom matters: a change that
//! breaks it breaks users.

use serde_json::Value;

use super::sdk_shape::Shape;

/// Where a value goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The argument of a builder setter, which takes `impl TryInto<T>`.
    Setter,
    /// A value of exactly the type.
    Owned,
}

/// What a type is, for writing a value of it.
enum Kind<'a> {
    Option(&'a syn::Type),
    Vec(&'a syn::Type),
    Box(&'a syn::Type),
    String,
    Bool,
    Integer(String),
    Float(String),
    /// An item of `types`.
    Named(String),
    /// Anything else (maps, dates, JSON values): written as a decoded JSON literal.
    Other,
}

fn kind<'a>(shape: &Shape, ty: &'a syn::Type) -> Kind<'a> {
    let syn::Type::Path(p) = ty else {
        return Kind::Other;
    };
    let Some(last) = p.path.segments.last() else {
        return Kind::Other;
    };
    let ident = last.ident.to_string();
    let inner = || match &last.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    match ident.as_str() {
        "Option" => inner().map_or(Kind::Other, Kind::Option),
        "Vec" => inner().map_or(Kind::Other, Kind::Vec),
        "Box" => inner().map_or(Kind::Other, Kind::Box),
        "String" if p.path.leading_colon.is_some() => Kind::String,
        "bool" => Kind::Bool,
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" => Kind::Integer(ident),
        "f32" | "f64" => Kind::Float(ident),
        _ if shape.mentioned(ty).len() == 1 && shape.type_names().contains(&ident) => {
            Kind::Named(ident)
        }
        _ => Kind::Other,
    }
}

/// A Rust expression for `value` as a `ty` in `mode`. `full` also sets the setters the
/// value says nothing about (the map of unnamed properties). `what` names the value in
/// the probe's failure messages.
pub fn expr(
    shape: &Shape,
    value: &Value,
    ty: &syn::Type,
    mode: Mode,
    full: bool,
    what: &str,
) -> Result<String, String> {
    let owned = |ty| expr(shape, value, ty, Mode::Owned, full, what);
    let mismatch = || format!("{what}: {value} is not a {}", shape.path(ty));
    Ok(match kind(shape, ty) {
        Kind::Option(_) if value.is_null() => "None".into(),
        Kind::Option(inner) => format!("Some({})", owned(inner)?),
        Kind::Vec(inner) => {
            let items = value.as_array().ok_or_else(mismatch)?;
            let items: Result<Vec<_>, _> = items
                .iter()
                .map(|v| expr(shape, v, inner, Mode::Owned, full, what))
                .collect();
            format!("vec![{}]", items?.join(", "))
        }
        Kind::Box(inner) => format!("Box::new({})", owned(inner)?),
        Kind::String => {
            let text = value.as_str().ok_or_else(mismatch)?;
            match mode {
                Mode::Setter => format!("{text:?}"),
                Mode::Owned => format!("{text:?}.to_string()"),
            }
        }
        Kind::Bool => value.as_bool().ok_or_else(mismatch)?.to_string(),
        Kind::Integer(name) => {
            let n = value.as_i64().ok_or_else(mismatch)?;
            // A user writes `5`; it is an i32 unless the setter needs another type.
            match mode {
                Mode::Setter if i32::try_from(n).is_ok() => n.to_string(),
                _ => format!("{n}_{name}"),
            }
        }
        Kind::Float(name) => {
            let x = value.as_f64().ok_or_else(mismatch)?;
            match (mode, name.as_str()) {
                (Mode::Setter, "f64") => format!("{x:?}"),
                _ => format!("{x:?}_{name}"),
            }
        }
        Kind::Named(name) => named(shape, value, ty, &name, mode, full, what)?,
        Kind::Other => decoded(shape, value, ty, what),
    })
}

/// A value of an item of `types`: a builder for a struct, a variant for an enum, a
/// string for a string newtype; anything else decoded from JSON.
fn named(
    shape: &Shape,
    value: &Value,
    ty: &syn::Type,
    name: &str,
    mode: Mode,
    full: bool,
    what: &str,
) -> Result<String, String> {
    let path = shape.path(ty);
    if let (Some(s), Some(object)) = (shape.structs.get(name), value.as_object()) {
        let mut chain = format!("{path}::builder()");
        for field in &s.fields {
            // codegen's setters: `name` takes the value itself, also for an `Option<T>`
            // field, and `set_name` an `Option` of it.
            let call = match (kind(shape, &field.ty), object.get(&field.json)) {
                (Kind::Option(inner), Some(v)) if v.is_null() => {
                    format!(".set_{}(None::<{}>)", field.name, shape.path(inner))
                }
                (Kind::Option(inner), Some(v)) => format!(
                    ".{}({})",
                    field.name,
                    expr(shape, v, inner, Mode::Setter, full, &field.json)?
                ),
                (_, Some(v)) => format!(
                    ".{}({})",
                    field.name,
                    expr(shape, v, &field.ty, Mode::Setter, full, &field.json)?
                ),
                (_, None) if field.flatten && full => {
                    format!(".{}(::serde_json::Map::new())", field.name)
                }
                (_, None) => continue,
            };
            chain += &call;
        }
        return Ok(match mode {
            Mode::Setter => chain,
            Mode::Owned => format!("{path}::try_from({chain}).expect({:?})", built(what)),
        });
    }
    if let (Some(e), Some(text)) = (shape.enums.get(name), value.as_str())
        && let Some(v) = e.variants.iter().find(|v| v.json.as_deref() == Some(text))
    {
        return Ok(format!("{path}::{}", v.name));
    }
    if let (Some(inner), Some(text)) = (shape.newtypes.get(name), value.as_str())
        && matches!(kind(shape, inner), Kind::String)
    {
        return Ok(match mode {
            Mode::Setter => format!("{text:?}"),
            Mode::Owned => format!("{text:?}.parse::<{path}>().expect({:?})", built(what)),
        });
    }
    Ok(decoded(shape, value, ty, what))
}

/// A value decoded from its JSON: the type is still named, so a change of it fails to
/// compile, and a value it no longer accepts fails when the probe runs.
fn decoded(shape: &Shape, value: &Value, ty: &syn::Type, what: &str) -> String {
    format!(
        "::serde_json::from_str::<{}>(r#\"{value}\"#).expect({:?})",
        shape.path(ty),
        built(what)
    )
}

fn built(what: &str) -> String {
    format!("the value for {what} is accepted")
}
