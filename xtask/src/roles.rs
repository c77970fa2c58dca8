//! Which component schemas travel in requests and which in responses.
//!
//! A schema's role decides how a change to it is judged (a user builds request values and
//! reads response values) and which lint rules apply. It follows from reachability: from
//! request bodies and parameters (a path item's included), or from responses, as the
//! generator reads them, through `$ref`s, properties, items and combinators. A schema
//! reachable from both has both roles.

use std::collections::HashMap;

use openapiv3::{OpenAPI, ParameterSchemaOrContent};
use thena_codegen::operations::operations;
use thena_codegen::spec::{resolve_schema, schema_name};

use crate::schema_ref::{SchemaRef, children};

/// The sides of the API a schema travels on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Roles {
    /// Sent by the SDK: users build values of it.
    pub request: bool,
    /// Received by the SDK: users read values of it.
    pub response: bool,
}

impl Roles {
    /// Only in requests.
    pub const REQUEST: Roles = Roles {
        request: true,
        response: false,
    };
    /// Only in responses.
    pub const RESPONSE: Roles = Roles {
        request: false,
        response: true,
    };

    /// Both roles of either.
    pub fn union(self, other: Roles) -> Roles {
        Roles {
            request: self.request || other.request,
            response: self.response || other.response,
        }
    }
}

/// The roles of every component schema some operation uses, by component name. Schemas
/// that no operation uses are absent.
pub fn component_roles(spec: &OpenAPI) -> HashMap<String, Roles> {
    let mut roles = HashMap::new();
    for op in operations(spec) {
        let parameters =
            op.parameters
                .iter()
                .filter_map(|p| match &p.parameter.parameter_data_ref().format {
                    ParameterSchemaOrContent::Schema(s) => Some(s),
                    ParameterSchemaOrContent::Content(_) => None,
                });
        let body = op.body.iter().filter_map(|b| b.content.schema());
        for schema in parameters.chain(body) {
            mark(spec, SchemaRef::from(schema), Roles::REQUEST, &mut roles);
        }
        for schema in op.responses.iter().filter_map(|r| r.content.schema()) {
            mark(spec, SchemaRef::from(schema), Roles::RESPONSE, &mut roles);
        }
    }
    roles
}

/// Gives `role` to every component schema reachable from `schema`.
fn mark(spec: &OpenAPI, schema: SchemaRef<'_>, role: Roles, roles: &mut HashMap<String, Roles>) {
    match schema {
        SchemaRef::Ref(reference) => {
            let Some(name) = schema_name(reference) else {
                return;
            };
            let entry = roles.entry(name.to_string()).or_default();
            if entry.union(role) == *entry {
                return; // already visited in this role; also ends cycles
            }
            *entry = entry.union(role);
            if let Some(target) = resolve_schema(spec, reference) {
                mark(spec, SchemaRef::Item(target), role, roles);
            }
        }
        SchemaRef::Item(s) => {
            for child in children(s) {
                mark(spec, child, role, roles);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_spec_roles() {
        let spec = thena_codegen::parse(include_str!("../../spec/thena.yaml")).expect("parses");
        let roles = component_roles(&spec);
        let role = |name: &str| roles.get(name).copied().unwrap_or_default();
        assert_eq!(role("CreateTicketBody"), Roles::REQUEST);
        assert_eq!(role("UpdateTicketBody"), Roles::REQUEST);
        assert_eq!(
            role("ProactiveChannel"),
            Roles::REQUEST,
            "reached through items"
        );
        assert_eq!(role("TicketResponse"), Roles::RESPONSE);
        assert_eq!(
            role("Ticket"),
            Roles::RESPONSE,
            "reached through a property"
        );
        assert_eq!(
            role("TicketComment"),
            Roles::RESPONSE,
            "reached through allOf"
        );
        assert_eq!(role("ErrorResponse"), Roles::RESPONSE);
    }
}
