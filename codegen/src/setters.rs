//! Builder setters that take what users have, and errors that name the property as the
//! API spells it.
//!
//! typify's setter of an optional property wants `TryInto<Option<T>>`, which `&str` does
//! not implement for `Option<String>` (nor for a constrained newtype such as
//! `CreateTicketBodyDeDuplicationKey`), so `.description("text")` did not compile while
//! `.title("text")` did. Every optional property now gets `name(impl TryInto<T>)`, which
//! sets it, and `set_name(Option<impl TryInto<T>>)`, which sets or clears it (the pattern
//! of aws-sdk-rust's builders). A value that breaks a rule (a `deDuplicationKey` over 255
//! characters) is kept as an error that `send()` returns as `InvalidRequest`, worded
//! `deDuplicationKey: longer than 255 characters`.

use std::collections::HashMap;

use quote::{ToTokens, format_ident};
use syn::visit_mut::VisitMut;

pub(crate) fn apply(file: &mut syn::File) {
    if let Some(types) = module(&mut file.items, "types") {
        from_string_refs(types);
        let names = json_names(types);
        if let Some(builders) = module(types, "builder") {
            for item in builders.iter_mut() {
                let syn::Item::Impl(imp) = item else {
                    continue;
                };
                let Some(ty) = type_name(&imp.self_ty) else {
                    continue;
                };
                let json = |field: &str| {
                    names
                        .get(&(ty.clone(), field.to_owned()))
                        .cloned()
                        .unwrap_or_else(|| field.to_owned())
                };
                match &imp.trait_ {
                    None => rewrite_setters(imp, &json),
                    Some(_) => RequiredMessages(&json).visit_item_impl_mut(imp),
                }
            }
        }
    }
    if let Some(operations) = module(&mut file.items, "builder") {
        for item in operations.iter_mut() {
            BodyMessages.visit_item_mut(item);
        }
    }
}

/// A constrained string (typify's newtype) converts from `&str` and `String`; it also
/// converts from `&String` here, which a `String` property's setter accepts too.
fn from_string_refs(types: &mut Vec<syn::Item>) {
    let newtypes: Vec<syn::Type> = types
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(imp) => Some(imp),
            _ => None,
        })
        .filter(|imp| {
            imp.trait_.as_ref().is_some_and(|(path, _)| {
                quote::quote!(#path).to_string() == ":: std :: convert :: TryFrom < & str >"
            })
        })
        .map(|imp| (*imp.self_ty).clone())
        .collect();
    for ty in newtypes {
        types.push(syn::parse_quote! {
            impl ::std::convert::TryFrom<&::std::string::String> for #ty {
                type Error = self::error::ConversionError;
                fn try_from(
                    value: &::std::string::String,
                ) -> ::std::result::Result<Self, self::error::ConversionError> {
                    value.parse()
                }
            }
        });
    }
}

/// The items of the inline module `name` among `items`.
fn module<'a>(items: &'a mut [syn::Item], name: &str) -> Option<&'a mut Vec<syn::Item>> {
    items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `(struct, field) -> JSON name`, from the `#[serde(rename = "..")]` of the structs in
/// `types`. A field without one is spelled as in Rust.
fn json_names(types: &[syn::Item]) -> HashMap<(String, String), String> {
    let mut names = HashMap::new();
    for item in types {
        let syn::Item::Struct(s) = item else {
            continue;
        };
        for field in &s.fields {
            let (Some(ident), Some(rename)) = (&field.ident, rename(&field.attrs)) else {
                continue;
            };
            names.insert((s.ident.to_string(), ident.to_string()), rename);
        }
    }
    names
}

fn rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.input.peek(syn::Token![=]) {
                let value: syn::Expr = meta.value()?.parse()?;
                if meta.path.is_ident("rename")
                    && let syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(name),
                        ..
                    }) = value
                {
                    found = Some(name.value());
                }
            }
            Ok(())
        });
    }
    found
}

/// Regenerates every `fn field<T>(self, value: T) where T: TryInto<B>` of a builder.
fn rewrite_setters(imp: &mut syn::ItemImpl, json: &dyn Fn(&str) -> String) {
    let mut items = Vec::with_capacity(imp.items.len());
    for item in imp.items.drain(..) {
        let syn::ImplItem::Fn(f) = &item else {
            items.push(item);
            continue;
        };
        let Some(target) = setter_target(f) else {
            items.push(item);
            continue;
        };
        let name = &f.sig.ident;
        let property = json(&name.to_string());
        let message = syn::LitStr::new(&format!("{property}: {{e}}"), name.span());
        match option_inner(&target) {
            Some(inner) => {
                let set = format_ident!("set_{}", name);
                let doc = format!("Sets `{property}`.");
                let set_doc = format!("Sets `{property}`, or with `None` leaves it out.");
                items.push(syn::parse_quote! {
                    #[doc = #doc]
                    pub fn #name<T>(mut self, value: T) -> Self
                    where
                        T: ::std::convert::TryInto<#inner>,
                        T::Error: ::std::fmt::Display,
                    {
                        self.#name = value.try_into().map(Some).map_err(|e| format!(#message));
                        self
                    }
                });
                items.push(syn::parse_quote! {
                    #[doc = #set_doc]
                    pub fn #set<T>(mut self, value: ::std::option::Option<T>) -> Self
                    where
                        T: ::std::convert::TryInto<#inner>,
                        T::Error: ::std::fmt::Display,
                    {
                        self.#name = value
                            .map(::std::convert::TryInto::try_into)
                            .transpose()
                            .map_err(|e| format!(#message));
                        self
                    }
                });
            }
            None => {
                let doc = format!("Sets `{property}`.");
                items.push(syn::parse_quote! {
                    #[doc = #doc]
                    pub fn #name<T>(mut self, value: T) -> Self
                    where
                        T: ::std::convert::TryInto<#target>,
                        T::Error: ::std::fmt::Display,
                    {
                        self.#name = value.try_into().map_err(|e| format!(#message));
                        self
                    }
                });
            }
        }
    }
    imp.items = items;
}

/// `B` of a setter `fn x<T>(mut self, value: T) -> Self where T: TryInto<B>, ..`.
fn setter_target(f: &syn::ImplItemFn) -> Option<syn::Type> {
    if f.sig.generics.params.len() != 1 || f.sig.inputs.len() != 2 {
        return None;
    }
    f.sig
        .generics
        .where_clause
        .as_ref()?
        .predicates
        .iter()
        .find_map(|predicate| {
            let syn::WherePredicate::Type(p) = predicate else {
                return None;
            };
            p.bounds.iter().find_map(|bound| {
                let syn::TypeParamBound::Trait(t) = bound else {
                    return None;
                };
                type_argument(&t.path, "TryInto")
            })
        })
}

/// `X` of `Option<X>`.
fn option_inner(ty: &syn::Type) -> Option<syn::Type> {
    match ty {
        syn::Type::Path(p) => type_argument(&p.path, "Option"),
        _ => None,
    }
}

/// `X` of a path ending in `name<X, ..>`.
fn type_argument(path: &syn::Path, name: &str) -> Option<syn::Type> {
    let last = path.segments.last().filter(|s| s.ident == name)?;
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => match args.args.first()? {
            syn::GenericArgument::Type(ty) => Some(ty.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// "no value supplied for request_email" becomes "requestorEmail: required, not set".
struct RequiredMessages<'a>(&'a dyn Fn(&str) -> String);

impl VisitMut for RequiredMessages<'_> {
    fn visit_lit_str_mut(&mut self, lit: &mut syn::LitStr) {
        if let Some(field) = lit.value().strip_prefix("no value supplied for ") {
            let message = format!("{}: required, not set", (self.0)(field));
            *lit = syn::LitStr::new(&message, lit.span());
        }
    }
}

/// "conversion to `CreateTicketBody` for body failed: {}" becomes "{}": the body's own
/// message already names the property and the rule.
struct BodyMessages;

impl VisitMut for BodyMessages {
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        if !mac.path.is_ident("format") {
            return;
        }
        let Ok(mut args) = mac.parse_body_with(
            syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
        ) else {
            return;
        };
        if let Some(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        })) = args.first_mut()
            && s.value().starts_with("conversion to `")
            && s.value().ends_with(" for body failed: {}")
        {
            *s = syn::LitStr::new("{}", s.span());
            mac.tokens = args.to_token_stream();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    /// The builder setters of `ty`, as `name(the type they convert into)`.
    fn signatures(code: &str, ty: &str) -> Vec<String> {
        let file: syn::File = syn::parse_str(code).expect("generated code parses");
        let mut items = file.items;
        let Some(types) = module(&mut items, "types") else {
            return Vec::new();
        };
        let Some(builders) = module(types, "builder") else {
            return Vec::new();
        };
        builders
            .iter()
            .filter_map(|item| match item {
                syn::Item::Impl(imp)
                    if imp.trait_.is_none() && type_name(&imp.self_ty).as_deref() == Some(ty) =>
                {
                    Some(imp)
                }
                _ => None,
            })
            .flat_map(|imp| &imp.items)
            .filter_map(|item| match item {
                syn::ImplItem::Fn(f) => Some(format!(
                    "{}({})",
                    f.sig.ident,
                    setter_target(f)
                        .map(|t| quote!(#t).to_string())
                        .unwrap_or_default()
                )),
                _ => None,
            })
            .collect()
    }

    const SPEC: &str = include_str!("../../spec/thena.yaml");

    #[test]
    fn optional_properties_take_plain_values_and_can_be_cleared() {
        let code = crate::generate(SPEC).expect("the project's spec generates");
        let setters = signatures(&code, "CreateTicketBody");
        for expected in [
            "title(:: std :: string :: String)",
            "description(:: std :: string :: String)",
            "set_description(:: std :: string :: String)",
            "de_duplication_key(super :: CreateTicketBodyDeDuplicationKey)",
            "set_de_duplication_key(super :: CreateTicketBodyDeDuplicationKey)",
            "is_private(bool)",
        ] {
            assert!(
                setters.iter().any(|s| s == expected),
                "{expected} in {setters:#?}"
            );
        }
        assert!(
            !code.contains("TryInto<::std::option::Option<"),
            "a setter still wants an Option"
        );
    }

    #[test]
    fn messages_name_the_json_property() {
        let code = crate::generate(SPEC).expect("the project's spec generates");
        for expected in [
            "format!(\"deDuplicationKey: {e}\")",
            "\"requestorEmail: required, not set\"",
        ] {
            assert!(code.contains(expected), "{expected}");
        }
        for gone in [
            "no value supplied for",
            "error converting supplied value",
            "for body failed",
        ] {
            assert!(!code.contains(gone), "{gone}");
        }
    }
}
