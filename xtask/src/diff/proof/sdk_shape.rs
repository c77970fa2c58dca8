//! What a generated SDK offers its users, read from the generated source: the types with
//! their fields and variants, and each operation's builder with its setters and the
//! types `send()` decodes. The probe is written from this, so it uses the SDK exactly
//! as generated, not as anyone expects it to be.

use std::collections::{BTreeMap, BTreeSet};

use quote::ToTokens;
use syn::visit_mut::VisitMut;

/// The public surface of one generated SDK.
pub struct Shape {
    pub structs: BTreeMap<String, Struct>,
    pub enums: BTreeMap<String, Enum>,
    /// Tuple structs: a validated string, say.
    pub newtypes: BTreeMap<String, syn::Type>,
    pub operations: Vec<Operation>,
}

pub struct Struct {
    pub fields: Vec<Field>,
}

pub struct Field {
    /// The Rust name, also its builder setter's.
    pub name: String,
    /// The JSON name.
    pub json: String,
    pub ty: syn::Type,
    /// `#[serde(flatten)]`: the map of properties the spec does not name.
    pub flatten: bool,
}

pub struct Enum {
    pub variants: Vec<Variant>,
}

pub struct Variant {
    pub name: String,
    /// The JSON value of a unit variant.
    pub json: Option<String>,
    /// The payload of a tuple variant.
    pub payload: Option<syn::Type>,
}

pub struct Operation {
    /// The `Client` method, e.g. `create_ticket`.
    pub method: String,
    /// Setters of its builder, `body` included, with the type each converts into.
    pub setters: Vec<(String, syn::Type)>,
    /// What `send()` returns on success, and in `Error::ErrorResponse`.
    pub success: syn::Type,
    pub error: syn::Type,
}

impl Shape {
    /// Reads the generated source.
    pub fn read(source: &str) -> Result<Shape, String> {
        let file = syn::parse_file(source).map_err(|e| format!("generated code: {e}"))?;
        let mut shape = Shape {
            structs: BTreeMap::new(),
            enums: BTreeMap::new(),
            newtypes: BTreeMap::new(),
            operations: Vec::new(),
        };
        let module = |name: &str| {
            file.items.iter().find_map(|item| match item {
                syn::Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| items),
                _ => None,
            })
        };
        for item in module("types").ok_or("no `types` module")? {
            shape.add_type(item);
        }
        let methods = file.items.iter().filter_map(|item| match item {
            syn::Item::Impl(imp) if imp.trait_.is_none() && is_named(&imp.self_ty, "Client") => {
                Some(&imp.items)
            }
            _ => None,
        });
        let builders = module("builder").ok_or("no `builder` module")?;
        for f in methods.flatten().filter_map(|it| match it {
            syn::ImplItem::Fn(f) => Some(f),
            _ => None,
        }) {
            shape.operations.push(operation(
                &f.sig.ident.to_string(),
                &f.sig.output,
                builders,
            )?);
        }
        Ok(shape)
    }

    fn add_type(&mut self, item: &syn::Item) {
        match item {
            syn::Item::Struct(s) if matches!(s.vis, syn::Visibility::Public(_)) => {
                match &s.fields {
                    syn::Fields::Named(named) => {
                        let fields = named
                            .named
                            .iter()
                            .filter_map(|f| {
                                let name = f.ident.as_ref()?.to_string();
                                let serde = serde_attrs(&f.attrs);
                                Some(Field {
                                    json: rename(&serde).unwrap_or_else(|| name.clone()),
                                    flatten: serde.contains("flatten"),
                                    ty: f.ty.clone(),
                                    name,
                                })
                            })
                            .collect();
                        self.structs.insert(s.ident.to_string(), Struct { fields });
                    }
                    syn::Fields::Unnamed(unnamed) => {
                        if let Some(inner) = unnamed.unnamed.first() {
                            self.newtypes.insert(s.ident.to_string(), inner.ty.clone());
                        }
                    }
                    syn::Fields::Unit => {}
                }
            }
            syn::Item::Enum(e) => {
                let variants = e
                    .variants
                    .iter()
                    .map(|v| Variant {
                        name: v.ident.to_string(),
                        json: match v.fields {
                            syn::Fields::Unit => Some(
                                rename(&serde_attrs(&v.attrs))
                                    .unwrap_or_else(|| v.ident.to_string()),
                            ),
                            _ => None,
                        },
                        payload: match &v.fields {
                            syn::Fields::Unnamed(u) if u.unnamed.len() == 1 => {
                                u.unnamed.first().map(|f| f.ty.clone())
                            }
                            _ => None,
                        },
                    })
                    .collect();
                self.enums.insert(e.ident.to_string(), Enum { variants });
            }
            _ => {}
        }
    }

    /// Every name in `types`.
    pub fn type_names(&self) -> BTreeSet<String> {
        self.structs
            .keys()
            .chain(self.enums.keys())
            .chain(self.newtypes.keys())
            .cloned()
            .collect()
    }

    /// The `types` items a type mentions (`Option<Vec<Ticket>>` → `Ticket`).
    pub fn mentioned(&self, ty: &syn::Type) -> Vec<String> {
        let names = self.type_names();
        let mut found = Vec::new();
        let mut walk = Mentions {
            names: &names,
            found: &mut found,
        };
        walk.visit_type_mut(&mut ty.clone());
        found
    }

    /// The `types` items reachable from `roots` through fields, payloads and newtypes.
    pub fn reachable(&self, roots: &[&syn::Type]) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<String> = roots.iter().flat_map(|t| self.mentioned(t)).collect();
        while let Some(name) = todo.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let mut inner: Vec<&syn::Type> = Vec::new();
            if let Some(s) = self.structs.get(&name) {
                inner.extend(s.fields.iter().map(|f| &f.ty));
            }
            if let Some(e) = self.enums.get(&name) {
                inner.extend(e.variants.iter().filter_map(|v| v.payload.as_ref()));
            }
            inner.extend(self.newtypes.get(&name));
            todo.extend(inner.into_iter().flat_map(|t| self.mentioned(t)));
        }
        seen
    }

    /// A type as the probe writes it: items of `types` as `thena_sdk::types::Name`.
    pub fn path(&self, ty: &syn::Type) -> String {
        let names = self.type_names();
        let mut ty = ty.clone();
        Qualify { names: &names }.visit_type_mut(&mut ty);
        ty.to_token_stream().to_string()
    }
}

/// An operation's builder: the `Client` method's return type names it.
fn operation(
    method: &str,
    output: &syn::ReturnType,
    builders: &[syn::Item],
) -> Result<Operation, String> {
    let syn::ReturnType::Type(_, ty) = output else {
        return Err(format!("Client::{method} returns nothing"));
    };
    let builder = last_ident(ty).ok_or_else(|| format!("Client::{method}: no builder type"))?;
    let mut setters = Vec::new();
    let mut returns = None;
    for item in builders {
        let syn::Item::Impl(imp) = item else {
            continue;
        };
        if imp.trait_.is_some() || last_ident(&imp.self_ty).as_deref() != Some(builder.as_str()) {
            continue;
        }
        for f in imp.items.iter().filter_map(|it| match it {
            syn::ImplItem::Fn(f) => Some(&f.sig),
            _ => None,
        }) {
            let name = f.ident.to_string();
            if name == "send" {
                returns = Some(f.output.clone());
            } else if let Some(target) = converts_into(f) {
                setters.push((name, target));
            }
        }
    }
    let returns = returns.ok_or_else(|| format!("{builder} has no send()"))?;
    let (success, error) = result_types(&returns)
        .ok_or_else(|| format!("{builder}::send returns no Result<ResponseValue<_>, Error<_>>"))?;
    Ok(Operation {
        method: method.to_string(),
        setters,
        success,
        error,
    })
}

/// `T` of a setter's `where V: TryInto<T>` bound.
fn converts_into(sig: &syn::Signature) -> Option<syn::Type> {
    let predicates = &sig.generics.where_clause.as_ref()?.predicates;
    predicates.iter().find_map(|p| match p {
        syn::WherePredicate::Type(t) => t.bounds.iter().find_map(|b| match b {
            syn::TypeParamBound::Trait(tr) => {
                let segment = tr.path.segments.last()?;
                (segment.ident == "TryInto").then(|| first_generic(&segment.arguments))?
            }
            _ => None,
        }),
        _ => None,
    })
}

/// `(T, E)` of `Result<ResponseValue<T>, Error<E>>`.
fn result_types(output: &syn::ReturnType) -> Option<(syn::Type, syn::Type)> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let syn::Type::Path(p) = &**ty else {
        return None;
    };
    let segment = p.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    let (ok, err) = (types.next()?, types.next()?);
    let inner = |t: &syn::Type| match t {
        syn::Type::Path(p) => first_generic(&p.path.segments.last()?.arguments),
        _ => None,
    };
    Some((inner(ok)?, inner(err)?))
}

fn first_generic(args: &syn::PathArguments) -> Option<syn::Type> {
    match args {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        }),
        _ => None,
    }
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn is_named(ty: &syn::Type, name: &str) -> bool {
    last_ident(ty).as_deref() == Some(name)
}

/// The text of an item's `#[serde(..)]` attributes.
fn serde_attrs(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .map(|a| a.meta.to_token_stream().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `rename = "..."` in serde attributes.
fn rename(serde: &str) -> Option<String> {
    let start = serde.find("rename = \"")? + "rename = \"".len();
    let len = serde[start..].find('"')?;
    Some(serde[start..start + len].to_string())
}

/// Rewrites paths to items of `types` (bare, `super::X` or `types::X`) as
/// `thena_sdk::types::X`.
struct Qualify<'a> {
    names: &'a BTreeSet<String>,
}

impl VisitMut for Qualify<'_> {
    fn visit_type_path_mut(&mut self, tp: &mut syn::TypePath) {
        syn::visit_mut::visit_type_path_mut(self, tp);
        let path = &tp.path;
        let local = path.leading_colon.is_none()
            && path
                .segments
                .iter()
                .rev()
                .skip(1)
                .all(|s| s.ident == "super" || s.ident == "types");
        if let Some(last) = path.segments.last()
            && local
            && self.names.contains(&last.ident.to_string())
        {
            let last = last.clone();
            tp.path = syn::parse_quote!(thena_sdk::types::#last);
        }
    }
}

/// Collects the `types` items a type mentions.
struct Mentions<'a> {
    names: &'a BTreeSet<String>,
    found: &'a mut Vec<String>,
}

impl VisitMut for Mentions<'_> {
    fn visit_type_path_mut(&mut self, tp: &mut syn::TypePath) {
        if let Some(last) = tp.path.segments.last()
            && tp.path.leading_colon.is_none()
            && self.names.contains(&last.ident.to_string())
        {
            self.found.push(last.ident.to_string());
        }
        syn::visit_mut::visit_type_path_mut(self, tp);
    }
}
