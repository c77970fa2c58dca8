//! Which component schemas travel in requests and which in responses.
//!
//! A schema's role decides how a change to it is judged (a user builds request values and
//! reads response values) and which lint rules apply. It follows from reachability: from
//! request bodies and parameters, or from responses, through `$ref`s, properties, items
//! and combinators. A schema reachable from both has both roles.

use std::collections::HashMap;

use openapiv3::{OpenAPI, ParameterSchemaOrContent, ReferenceOr};
use thena_codegen::spec::{
    resolve_parameter, resolve_request_body, resolve_response, resolve_schema, schema_name,
};

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
    for (_, item) in spec.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (_, op) in item.iter() {
            let mut requests = Vec::new();
            for parameter in &op.parameters {
                if let Some(p) = resolve_parameter(spec, parameter)
                    && let ParameterSchemaOrContent::Schema(s) = &p.parameter_data_ref().format
                {
                    requests.push(SchemaRef::from(s));
                }
            }
            if let Some(body) = op
                .request_body
                .as_ref()
                .and_then(|b| resolve_request_body(spec, b))
            {
                requests.extend(
                    body.content
                        .values()
                        .filter_map(|m| m.schema.as_ref())
                        .map(SchemaRef::from),
                );
            }
            let responses = op
                .responses
                .responses
                .values()
                .chain(&op.responses.default)
                .filter_map(|r| resolve_response(spec, r))
                .flat_map(|r| r.content.values())
                .filter_map(|m| m.schema.as_ref())
                .map(SchemaRef::from);

            for schema in requests {
                mark(spec, schema, Roles::REQUEST, &mut roles);
            }
            for schema in responses {
                mark(spec, schema, Roles::RESPONSE, &mut roles);
            }
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
