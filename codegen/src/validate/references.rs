//! `$ref`s the generator can follow. progenitor looks a reference up by its last segment
//! (and panics when nothing is there), typify by its last segment unescaped (and panics on
//! a reference to another file), and both loop forever on a cycle of aliases. A reference
//! written `#/components/{kind}/{name}`, naming an inline entry, is read the same way by
//! all of them and by [`crate::spec`].

use serde_yaml::Value;

use super::document::{component_aliases, has_component, references};
use super::{Violation, violation};

pub(super) fn check(doc: &Value, out: &mut Vec<Violation>) {
    for r in references(doc) {
        let prefix = format!("#/components/{}/", r.kind);
        let name = r.target.strip_prefix(&prefix);
        let rule = match name {
            None => format!(
                "$ref {:?} must point into {prefix} (the generator reads only the last segment \
                 and looks it up there)",
                r.target
            ),
            Some(name) if name.contains(['/', '~']) => format!(
                "$ref {:?} must name a component without `/` or `~` (progenitor and typify \
                 unescape them differently)",
                r.target
            ),
            Some(name) if !has_component(doc, r.kind, name) => format!(
                "$ref {:?} points to no entry of {prefix} (the generator panics on it)",
                r.target
            ),
            Some(_) => continue,
        };
        out.push(violation(&r.pointer, &rule));
    }
    for ptr in component_aliases(doc) {
        out.push(violation(
            &ptr,
            "a component must be defined here, not as a $ref to another (a cycle of them \
             sends the generator into endless recursion)",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, generator_refuses, single};

    #[test]
    fn dangling_reference_is_refused() {
        let spec = BASE.replace(
            "\"4XX\": { $ref: \"#/components/responses/Err\" }",
            "\"4XX\": { $ref: \"#/components/responses/Gone\" }",
        );
        generator_refuses(&spec);
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1things/post/responses/4XX");
        assert!(v.rule.contains("points to no entry"), "{v}");
    }

    #[test]
    fn reference_into_another_kind_is_refused() {
        let spec = BASE.replace(
            "\"4XX\": { $ref: \"#/components/responses/Err\" }",
            "\"4XX\": { $ref: \"#/components/schemas/Problem\" }",
        );
        generator_refuses(&spec);
        let v = single(&spec);
        assert_eq!(v.pointer, "/paths/~1v1~1things/post/responses/4XX");
        assert!(v.rule.contains("#/components/responses/"), "{v}");
    }

    #[test]
    fn dangling_schema_reference_is_refused() {
        let spec = BASE.replace(
            "name: { type: string, nullable: true }",
            "name: { nullable: true, allOf: [{ $ref: \"#/components/schemas/Nope\" }] }",
        );
        generator_refuses(&spec);
        let v = single(&spec);
        assert_eq!(
            v.pointer,
            "/components/schemas/Thing/properties/name/allOf/0"
        );
        assert!(v.rule.contains("points to no entry"), "{v}");
    }

    #[test]
    fn external_reference_is_refused() {
        let spec = BASE.replace(
            "schema: { $ref: \"#/components/schemas/Problem\" }",
            "schema: { $ref: \"other.yaml#/Problem\" }",
        );
        generator_refuses(&spec);
        let v = single(&spec);
        assert_eq!(
            v.pointer,
            "/components/responses/Err/content/application~1json/schema"
        );
        assert!(v.rule.contains("must point into"), "{v}");
    }

    #[test]
    fn aliased_component_is_refused() {
        let v = single(&BASE.replace(
            "components:\n  responses:\n",
            "components:\n  responses:\n    Again: { $ref: \"#/components/responses/Ok\" }\n",
        ));
        assert_eq!(v.pointer, "/components/responses/Again");
        assert!(v.rule.contains("defined here"), "{v}");
    }
}
