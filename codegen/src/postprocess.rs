//! Corrections to progenitor's output, made on the syntax tree before it is printed.
//!
//! Each one works around a generator behaviour that would otherwise reach users; each is
//! tested on the project's own spec, so a progenitor upgrade that changes the shape of its
//! output fails the tests instead of silently skipping the correction.

use std::collections::HashSet;

use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;

pub(crate) fn apply(file: &mut syn::File) {
    use_sdk_runtime(file);
    remove_constructors(file);
    default_flattened_maps(file);
    check_path_parameters(file);
    keyed_creates(file);
    crate::setters::apply(file);
    optional_json_schema(file);
    drop_unused_imports(file);
}

/// Points everything the generated code takes from `progenitor_client` (its imports of
/// `Error`, `ResponseValue`, `ClientHooks` and friends, and paths such as
/// `progenitor_client::QueryParam`) at the SDK's `crate::runtime`. progenitor's `Error`
/// loses the status code when a body does not decode and has no room for the attempt
/// count or the request id; the SDK's types keep every fact, and the SDK does not
/// depend on progenitor-client at all.
fn use_sdk_runtime(file: &mut syn::File) {
    struct Repoint;
    impl VisitMut for Repoint {
        fn visit_item_use_mut(&mut self, u: &mut syn::ItemUse) {
            if let syn::UseTree::Path(path) = &mut u.tree
                && path.ident == "progenitor_client"
            {
                let tree = (*path.tree).clone();
                u.tree = syn::parse_quote!(crate::runtime::#tree);
            }
        }
        fn visit_path_mut(&mut self, path: &mut syn::Path) {
            if path
                .segments
                .first()
                .is_some_and(|s| s.ident == "progenitor_client")
            {
                let rest: Vec<_> = path.segments.iter().skip(1).cloned().collect();
                *path = syn::parse_quote!(crate::runtime::#(#rest)::*);
            }
            syn::visit_mut::visit_path_mut(self, path);
        }
    }
    Repoint.visit_file_mut(file);
}

/// Drops progenitor's `Client::new` (it unwraps the reqwest builder) and
/// `Client::new_with_client` (no API key, no base-URL normalisation): the SDK's
/// hand-written `Client::builder()` is the one way to construct a client.
fn remove_constructors(file: &mut syn::File) {
    const DROPPED: [&str; 2] = ["new", "new_with_client"];
    let is_client_impl = |imp: &syn::ItemImpl| {
        imp.trait_.is_none()
            && matches!(&*imp.self_ty, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("Client"))
    };
    for item in &mut file.items {
        if let syn::Item::Impl(imp) = item
            && is_client_impl(imp)
        {
            imp.items.retain(
                |it| !matches!(it, syn::ImplItem::Fn(f) if DROPPED.iter().any(|d| f.sig.ident == d)),
            );
        }
    }
    file.items.retain(
        |item| !matches!(item, syn::Item::Impl(imp) if is_client_impl(imp) && imp.items.is_empty()),
    );
}

/// typify marks a struct's flattened `additionalProperties` map as required, so its
/// builder refuses to build until the map is set ("no value supplied for extra"). A map of
/// unnamed extra properties is naturally empty: start it empty instead.
fn default_flattened_maps(file: &mut syn::File) {
    struct Flattened(HashSet<String>);
    impl VisitMut for Flattened {
        fn visit_field_mut(&mut self, field: &mut syn::Field) {
            let flattened = field.attrs.iter().any(|a| {
                a.path().is_ident("serde")
                    && a.meta.to_token_stream().to_string().contains("flatten")
            });
            if let (true, Some(ident)) = (flattened, &field.ident) {
                self.0.insert(ident.to_string());
            }
        }
    }

    struct DefaultEmpty(HashSet<String>);
    impl VisitMut for DefaultEmpty {
        fn visit_field_value_mut(&mut self, fv: &mut syn::FieldValue) {
            let syn::Member::Named(name) = &fv.member else {
                return;
            };
            let missing = format!("no value supplied for {name}");
            if self.0.contains(&name.to_string())
                && fv.expr.to_token_stream().to_string().contains(&missing)
            {
                fv.expr = syn::parse_quote!(Ok(Default::default()));
            }
        }
    }

    let mut flattened = Flattened(HashSet::new());
    flattened.visit_file_mut(file);
    DefaultEmpty(flattened.0).visit_file_mut(file);
}

/// Routes every path parameter through the runtime's `path_segment`, which refuses an
/// empty value and the dot segments `.` and `..` before anything is sent: progenitor's
/// `encode_path` leaves them as they are, and the URL parser then resolves
/// `/v1/tickets/..` into `/v1/`, another endpoint.
fn check_path_parameters(file: &mut syn::File) {
    struct Rewrite;
    impl VisitMut for Rewrite {
        fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
            if !mac.path.is_ident("format") {
                return;
            }
            let Ok(mut args) =
                mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
            else {
                return;
            };
            let mut changed = false;
            for arg in args.iter_mut() {
                let syn::Expr::Call(call) = arg else {
                    continue;
                };
                let is_encode =
                    matches!(&*call.func, syn::Expr::Path(p) if p.path.is_ident("encode_path"));
                let (true, Some(value), 1) = (is_encode, call.args.first(), call.args.len()) else {
                    continue;
                };
                // `&id.to_string()`: the parameter is the receiver, named as its setter.
                let name = match value {
                    syn::Expr::Reference(r) => match &*r.expr {
                        syn::Expr::MethodCall(m) => m.receiver.to_token_stream().to_string(),
                        other => other.to_token_stream().to_string(),
                    },
                    other => other.to_token_stream().to_string(),
                };
                let value = value.clone();
                *arg = syn::parse_quote!(
                    path_segment(#name, #value).map_err(Error::InvalidRequest)?
                );
                changed = true;
            }
            if changed {
                mac.tokens = args.to_token_stream();
            }
        }

        // The imports of `encode_path` now bring in `path_segment`.
        fn visit_use_name_mut(&mut self, name: &mut syn::UseName) {
            if name.ident == "encode_path" {
                name.ident = syn::Ident::new("path_segment", name.ident.span());
            }
        }
    }
    Rewrite.visit_file_mut(file);
}

/// The request body property that makes an operation a keyed create.
const DEDUP_KEY: &str = "deDuplicationKey";

/// Settles a create's `deDuplicationKey` on the typed body, before it is serialized: an
/// operation whose body type has the property (a create) calls, right after its body is
/// checked, the runtime's `Client::dedup_key`, which keeps the caller's key or sets a
/// generated one on the body; the key then rides in its `OperationInfo`. Every other operation's
/// `OperationInfo` says it has none. The runtime never reads the key back out of the
/// serialized bytes, so a body it could not parse can never be sent with a second key.
fn keyed_creates(file: &mut syn::File) {
    /// Body types with the property, and the Rust field that holds it: an optional
    /// string, or an optional newtype of one (a string with a length rule). A key of
    /// another shape (required, a number) is the caller's to set; such a create is sent
    /// once.
    struct Keyed {
        fields: std::collections::HashMap<String, (syn::Ident, String)>,
        strings: HashSet<String>,
    }
    impl VisitMut for Keyed {
        fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
            if let syn::Fields::Unnamed(only) = &item.fields
                && only.unnamed.len() == 1
                && only.unnamed[0].ty.to_token_stream().to_string() == STRING
            {
                self.strings.insert(item.ident.to_string());
            }
            for field in &item.fields {
                let renamed = field.attrs.iter().any(|a| {
                    a.path().is_ident("serde")
                        && a.meta
                            .to_token_stream()
                            .to_string()
                            .contains(&format!("rename = \"{DEDUP_KEY}\""))
                });
                if let (true, Some(ident)) = (renamed, &field.ident) {
                    let ty = field.ty.to_token_stream().to_string();
                    self.fields
                        .insert(item.ident.to_string(), (ident.clone(), ty));
                }
            }
        }
    }
    const STRING: &str = ":: std :: string :: String";
    const OPTION: &str = ":: std :: option :: Option <";

    /// The field of the body type that `send` converts its body into, if it is keyed.
    fn keyed_field<'a>(
        block: &syn::Block,
        keyed: &'a std::collections::HashMap<String, syn::Ident>,
    ) -> Option<&'a syn::Ident> {
        let text = block.to_token_stream().to_string();
        keyed
            .iter()
            .find(|(ty, _)| text.contains(&format!("types :: {ty} :: try_from")))
            .map(|(_, field)| field)
    }

    struct Rewrite<'a>(&'a std::collections::HashMap<String, syn::Ident>);
    impl VisitMut for Rewrite<'_> {
        fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
            if f.sig.ident != "send" {
                return;
            }
            let field = keyed_field(&f.block, self.0).cloned();
            if let Some(field) = &field {
                let at = f.block.stmts.iter().position(|stmt| {
                    matches!(stmt, syn::Stmt::Local(local)
                        if matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "body"))
                });
                if let Some(at) = at {
                    if let syn::Stmt::Local(local) = &mut f.block.stmts[at]
                        && let syn::Pat::Ident(p) = &mut local.pat
                    {
                        p.mutability = Some(Default::default());
                    }
                    f.block.stmts.insert(
                        at + 1,
                        syn::parse_quote!(
                            let dedup_key = client.dedup_key(&mut body.#field);
                        ),
                    );
                }
            }
            let value: syn::Expr = match field {
                Some(_) => syn::parse_quote!(dedup_key),
                None => syn::parse_quote!(None),
            };
            struct Info(syn::Expr);
            impl VisitMut for Info {
                fn visit_expr_struct_mut(&mut self, e: &mut syn::ExprStruct) {
                    if e.path.is_ident("OperationInfo") {
                        let value = &self.0;
                        e.fields.push(syn::parse_quote!(dedup_key: #value));
                    }
                }
            }
            Info(value).visit_block_mut(&mut f.block);
        }
    }

    let mut keyed = Keyed {
        fields: std::collections::HashMap::new(),
        strings: HashSet::new(),
    };
    keyed.visit_file_mut(file);
    let settled = keyed
        .fields
        .into_iter()
        .filter_map(|(body, (field, ty))| {
            let inner = ty.strip_prefix(OPTION)?.strip_suffix('>')?.trim();
            (inner == STRING || keyed.strings.contains(inner)).then_some((body, field))
        })
        .collect();
    Rewrite(&settled).visit_file_mut(file);
}

/// Moves every `schemars::JsonSchema` derive behind the SDK's `schemars` feature: the
/// sandbox and the snapshot tests need the schemas, SDK users rarely do, and the derive
/// (a proc macro and its crate) is a tenth of the SDK's build.
fn optional_json_schema(file: &mut syn::File) {
    struct Gate;
    impl VisitMut for Gate {
        fn visit_attributes_mut(&mut self, attrs: &mut Vec<syn::Attribute>) {
            let mut gated = false;
            for attr in attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
                let Ok(paths) =
                    attr.parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
                else {
                    continue;
                };
                let is_schema =
                    |p: &syn::Path| p.to_token_stream().to_string() == "schemars :: JsonSchema";
                if !paths.iter().any(is_schema) {
                    continue;
                }
                let kept: Punctuated<syn::Path, syn::Token![,]> =
                    paths.into_iter().filter(|p| !is_schema(p)).collect();
                *attr = syn::parse_quote!(#[derive(#kept)]);
                gated = true;
            }
            if gated {
                attrs.push(syn::parse_quote!(
                    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
                ));
            }
        }
    }
    Gate.visit_file_mut(file);
}

/// Drops the names a `use` brings in that nothing else in the file mentions (progenitor
/// imports `ByteStream` and `RequestBuilderExt` whether or not the spec needs them), so
/// that the SDK's runtime defines only what the generated code uses.
fn drop_unused_imports(file: &mut syn::File) {
    struct Mentions(HashSet<String>);
    impl VisitMut for Mentions {
        fn visit_item_use_mut(&mut self, _: &mut syn::ItemUse) {}
        fn visit_ident_mut(&mut self, ident: &mut proc_macro2::Ident) {
            self.0.insert(ident.to_string());
        }
        fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
            syn::visit_mut::visit_macro_mut(self, mac);
            collect(&mac.tokens, &mut self.0);
        }
    }
    fn collect(tokens: &proc_macro2::TokenStream, into: &mut HashSet<String>) {
        for tree in tokens.clone() {
            match tree {
                proc_macro2::TokenTree::Ident(ident) => {
                    into.insert(ident.to_string());
                }
                proc_macro2::TokenTree::Group(group) => collect(&group.stream(), into),
                _ => {}
            }
        }
    }
    struct Prune<'a>(&'a HashSet<String>);
    impl VisitMut for Prune<'_> {
        fn visit_use_group_mut(&mut self, group: &mut syn::UseGroup) {
            let kept: Punctuated<syn::UseTree, syn::Token![,]> = std::mem::take(&mut group.items)
                .into_iter()
                .filter(|tree| match tree {
                    syn::UseTree::Name(name) => self.0.contains(&name.ident.to_string()),
                    _ => true,
                })
                .collect();
            group.items = kept;
        }
    }
    let mut mentions = Mentions(HashSet::new());
    mentions.visit_file_mut(file);
    Prune(&mentions.0).visit_file_mut(file);
}

#[cfg(test)]
mod tests {
    const SPEC: &str = include_str!("../../spec/thena.yaml");

    fn generated() -> String {
        crate::generate(SPEC).expect("the project's spec generates")
    }

    #[test]
    fn panicking_constructors_are_removed() {
        let code = generated();
        let file: syn::File = syn::parse_str(&code).expect("generated code parses");
        let client_fns: Vec<String> = file
            .items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Impl(imp) if imp.trait_.is_none() => Some(imp),
                _ => None,
            })
            .filter(|imp| matches!(&*imp.self_ty, syn::Type::Path(p) if p.path.is_ident("Client")))
            .flat_map(|imp| &imp.items)
            .filter_map(|it| match it {
                syn::ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(client_fns, ["create_ticket", "update_ticket"]);
        assert!(!code.contains(".unwrap()"), "generated code unwraps");
    }

    #[test]
    fn runtime_comes_from_the_sdk() {
        let code = generated();
        assert!(
            !code.contains("progenitor_client"),
            "generated code still uses progenitor_client"
        );
        assert!(
            code.contains("pub use crate::runtime::{"),
            "{}",
            &code[..400]
        );
    }

    #[test]
    fn flattened_extra_map_starts_empty() {
        let code = generated();
        assert!(
            code.contains("pub extra: ::serde_json::Map<"),
            "UpdateTicketBody::extra missing"
        );
        assert!(
            !code.contains("no value supplied for extra"),
            "extra is still required by the builder"
        );
    }

    #[test]
    fn path_parameters_are_checked_before_sending() {
        let code = generated();
        assert!(
            code.contains(r#"path_segment("id", & id.to_string())"#),
            "update_ticket's id is not checked"
        );
        assert!(
            !code.contains("encode_path"),
            "a path parameter is still encoded unchecked"
        );
    }

    #[test]
    fn a_create_settles_its_key_on_the_typed_body() {
        let code = generated();
        assert!(
            code.contains("let dedup_key = client.dedup_key(&mut body.de_duplication_key);"),
            "create_ticket does not settle its key"
        );
        assert_eq!(
            code.matches("client.dedup_key(").count(),
            1,
            "only the create is keyed"
        );
        assert!(code.contains("dedup_key: None"), "update_ticket has no key");
    }

    /// A required key is the caller's to set: nothing is settled (the setter would not
    /// type-check against a field that is not an `Option`), and the create is sent once.
    #[test]
    fn a_required_key_is_not_settled() {
        let spec = SPEC.replace(
            "      required:\n        - title\n        - requestorEmail\n        - teamId\n",
            "      required:\n        - title\n        - requestorEmail\n        - teamId\n        - deDuplicationKey\n",
        );
        assert_ne!(spec, SPEC);
        let code = crate::generate(&spec).expect("generates");
        assert!(
            !code.contains("client.dedup_key("),
            "a required key is settled"
        );
        assert_eq!(code.matches("dedup_key: None").count(), 2);
    }

    #[test]
    fn json_schemas_are_behind_the_schemars_feature() {
        let code = generated();
        assert!(
            code.contains("#[cfg_attr(feature = \"schemars\", derive(schemars::JsonSchema))]"),
            "no gated derive"
        );
        let ungated = code
            .lines()
            .filter(|l| l.contains("schemars::JsonSchema") && !l.contains("cfg_attr"))
            .count();
        assert_eq!(ungated, 0, "a JsonSchema derive is not behind the feature");
    }
}
