//! The catalogue of spec changes the proof applies: each kind of change `diff` judges,
//! on the project's spec (or on it with a few additions, for kinds the spec gives no
//! place to: optional and required query parameters, required properties of each kind).
//! The edits name places in the spec as it is; when the spec changes under them, the
//! proof says which edit no longer applies.

use serde_yaml::{Mapping, Value};

/// Which spec a case changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Base {
    /// `spec/thena.yaml`.
    Project,
    /// `spec/thena.yaml` with [`EXTENDED`] applied.
    Extended,
}

/// One edit of a YAML document. Pointers are JSON pointers to a mapping.
#[derive(Debug, Clone, Copy)]
pub enum Edit {
    /// Sets a key of the mapping to a YAML value.
    Set(&'static str, &'static str, &'static str),
    /// Removes a key of the mapping.
    Remove(&'static str, &'static str),
    /// Renames a key of the mapping, keeping its place.
    Rename(&'static str, &'static str, &'static str),
    /// Appends a YAML value to a list in the mapping, creating the list if need be.
    Push(&'static str, &'static str, &'static str),
    /// Removes a value from a list in the mapping.
    Pull(&'static str, &'static str, &'static str),
    /// Renames a component schema and every `$ref` to it.
    RenameSchema(&'static str, &'static str),
}

/// One change: its name, the kind it stands for, and how to make it.
pub struct Case {
    pub name: &'static str,
    pub base: Base,
    pub edits: &'static [Edit],
}

const CREATE: &str = "/components/schemas/CreateTicketBody";
const CREATE_PROPS: &str = "/components/schemas/CreateTicketBody/properties";
const TICKET: &str = "/components/schemas/Ticket";
const TICKET_PROPS: &str = "/components/schemas/Ticket/properties";
const ENVELOPE: &str = "/components/schemas/TicketResponse";
const ENVELOPE_PROPS: &str = "/components/schemas/TicketResponse/properties";
const KEY: &str = "/components/schemas/CreateTicketBody/properties/deDuplicationKey";
const SOURCE: &str = "/components/schemas/CreateTicketBody/properties/source";
const PROACTIVE: &str = "/components/schemas/CreateTicketBody/properties/isProactive";
const TICKETS: &str = "/paths/~1v1~1tickets";
const CREATE_OP: &str = "/paths/~1v1~1tickets/post";
const CREATE_RESPONSES: &str = "/paths/~1v1~1tickets/post/responses";
const ONE_TICKET: &str = "/paths/~1v1~1tickets~1{id}";
const UPDATE_OP: &str = "/paths/~1v1~1tickets~1{id}/patch";
const ID: &str = "/paths/~1v1~1tickets~1{id}/patch/parameters/0";
const UPDATE_BODY: &str = "/paths/~1v1~1tickets~1{id}/patch/requestBody";
const ERROR_CONTENT: &str = "/components/responses/Error/content";
const SUCCESS_CONTENT: &str = "/components/responses/TicketSuccess/content";
const CREATE_CONTENT: &str = "/paths/~1v1~1tickets/post/requestBody/content";

/// What the extended base adds: query parameters of each kind on updateTicket, and
/// required integer, boolean, list, enum, date and object properties on CreateTicketBody.
pub const EXTENDED: &[Edit] = &[
    Edit::Push(
        UPDATE_OP,
        "parameters",
        "{ name: notify, in: query, description: Notify watchers, schema: { type: boolean } }",
    ),
    Edit::Push(
        UPDATE_OP,
        "parameters",
        "{ name: limit, in: query, description: How many, schema: { type: integer } }",
    ),
    Edit::Push(
        UPDATE_OP,
        "parameters",
        "{ name: locale, in: query, required: true, description: The locale, schema: { type: string } }",
    ),
    Edit::Set(
        CREATE_PROPS,
        "priorityLevel",
        "{ description: The level, type: integer }",
    ),
    Edit::Set(
        CREATE_PROPS,
        "urgent",
        "{ description: Urgent, type: boolean }",
    ),
    Edit::Set(
        CREATE_PROPS,
        "labels",
        "{ description: Labels, type: array, items: { type: string } }",
    ),
    Edit::Push(CREATE, "required", "priorityLevel"),
    Edit::Push(CREATE, "required", "urgent"),
    Edit::Push(CREATE, "required", "labels"),
    Edit::Set(
        CREATE_PROPS,
        "channel",
        "{ $ref: '#/components/schemas/ProactiveChannel' }",
    ),
    Edit::Set(
        CREATE_PROPS,
        "dueBy",
        "{ description: Due, type: string, format: date-time }",
    ),
    Edit::Set(
        CREATE_PROPS,
        "owner",
        "{ description: Owner, type: object, properties: { name: { description: Name, type: string } } }",
    ),
    Edit::Push(CREATE, "required", "channel"),
    Edit::Push(CREATE, "required", "dueBy"),
    Edit::Push(CREATE, "required", "owner"),
];

const OPTIONAL_STRING: &str = "{ description: New, type: string }";
const NULLABLE_STRING: &str = "{ type: string, nullable: true }";
const NULLABLE_TICKET: &str =
    "{ allOf: [{ $ref: '#/components/schemas/Ticket' }], nullable: true }";

/// Every case. Names say what changes; `diff` says whether that breaks.
pub const CASES: &[Case] = &[
    // Request properties.
    Case {
        name: "request property added, optional",
        base: Base::Project,
        edits: &[Edit::Set(CREATE_PROPS, "colorCode", OPTIONAL_STRING)],
    },
    Case {
        name: "request property added, required",
        base: Base::Project,
        edits: &[
            Edit::Set(CREATE_PROPS, "colorCode", OPTIONAL_STRING),
            Edit::Push(CREATE, "required", "colorCode"),
        ],
    },
    Case {
        name: "request property removed",
        base: Base::Project,
        edits: &[Edit::Remove(CREATE_PROPS, "source")],
    },
    Case {
        name: "request property renamed",
        base: Base::Project,
        edits: &[Edit::Rename(CREATE_PROPS, "source", "origin")],
    },
    Case {
        name: "request property retyped",
        base: Base::Project,
        edits: &[Edit::Set(SOURCE, "type", "integer")],
    },
    Case {
        name: "request property made required",
        base: Base::Project,
        edits: &[Edit::Push(CREATE, "required", "description")],
    },
    Case {
        name: "request string property made optional",
        base: Base::Project,
        edits: &[Edit::Pull(CREATE, "required", "title")],
    },
    Case {
        name: "request integer property made optional",
        base: Base::Extended,
        edits: &[Edit::Pull(CREATE, "required", "priorityLevel")],
    },
    Case {
        name: "request boolean property made optional",
        base: Base::Extended,
        edits: &[Edit::Pull(CREATE, "required", "urgent")],
    },
    Case {
        name: "request array property made optional",
        base: Base::Extended,
        edits: &[Edit::Pull(CREATE, "required", "labels")],
    },
    Case {
        name: "request enum property made optional",
        base: Base::Extended,
        edits: &[Edit::Pull(CREATE, "required", "channel")],
    },
    Case {
        name: "request date property made optional",
        base: Base::Extended,
        edits: &[Edit::Pull(CREATE, "required", "dueBy")],
    },
    Case {
        name: "request object property made optional",
        base: Base::Extended,
        edits: &[Edit::Pull(CREATE, "required", "owner")],
    },
    Case {
        name: "request property made nullable",
        base: Base::Project,
        edits: &[Edit::Set(SOURCE, "nullable", "true")],
    },
    Case {
        name: "request required property made nullable",
        base: Base::Project,
        edits: &[Edit::Set(
            "/components/schemas/CreateTicketBody/properties/title",
            "nullable",
            "true",
        )],
    },
    Case {
        name: "request array property made nullable",
        base: Base::Project,
        edits: &[Edit::Set(
            "/components/schemas/CreateTicketBody/properties/attachmentUrls",
            "nullable",
            "true",
        )],
    },
    // Constraints and formats (response schemas may carry none: lint refuses them).
    Case {
        name: "format added",
        base: Base::Project,
        edits: &[Edit::Set(SOURCE, "format", "date-time")],
    },
    Case {
        name: "format removed",
        base: Base::Project,
        edits: &[Edit::Remove(
            "/components/schemas/CreateTicketBody/properties/dueDate",
            "format",
        )],
    },
    Case {
        name: "length constraint added",
        base: Base::Project,
        edits: &[Edit::Set(SOURCE, "maxLength", "100")],
    },
    Case {
        name: "length constraint tightened",
        base: Base::Project,
        edits: &[Edit::Set(KEY, "maxLength", "100")],
    },
    Case {
        name: "length constraint loosened",
        base: Base::Project,
        edits: &[Edit::Set(KEY, "maxLength", "300")],
    },
    Case {
        name: "length constraint removed",
        base: Base::Project,
        edits: &[Edit::Remove(KEY, "maxLength")],
    },
    Case {
        name: "integer bound added",
        base: Base::Extended,
        edits: &[Edit::Set(
            "/components/schemas/CreateTicketBody/properties/priorityLevel",
            "maximum",
            "5",
        )],
    },
    // Enum values (request only: lint refuses enums in responses).
    Case {
        name: "enum value added",
        base: Base::Project,
        edits: &[Edit::Push(
            "/components/schemas/ProactiveChannel",
            "enum",
            "sms",
        )],
    },
    Case {
        name: "enum value removed",
        base: Base::Project,
        edits: &[Edit::Set(
            "/components/schemas/ProactiveChannel",
            "enum",
            "[sms]",
        )],
    },
    // Defaults.
    Case {
        name: "default added",
        base: Base::Project,
        edits: &[Edit::Set(
            "/components/schemas/CreateTicketBody/properties/isPrivate",
            "default",
            "true",
        )],
    },
    Case {
        name: "default changed",
        base: Base::Project,
        edits: &[Edit::Set(PROACTIVE, "default", "true")],
    },
    Case {
        name: "default removed",
        base: Base::Project,
        edits: &[Edit::Remove(PROACTIVE, "default")],
    },
    Case {
        name: "query parameter default added",
        base: Base::Extended,
        edits: &[Edit::Set(
            "/paths/~1v1~1tickets~1{id}/patch/parameters/2/schema",
            "default",
            "10",
        )],
    },
    // Response properties.
    Case {
        name: "response property added, optional",
        base: Base::Project,
        edits: &[Edit::Set(TICKET_PROPS, "priorityName", NULLABLE_STRING)],
    },
    Case {
        name: "response property added, required",
        base: Base::Project,
        edits: &[
            Edit::Set(TICKET_PROPS, "priorityName", "{ type: string }"),
            Edit::Push(TICKET, "required", "priorityName"),
        ],
    },
    Case {
        name: "response property added, required and nullable",
        base: Base::Project,
        edits: &[
            Edit::Set(TICKET_PROPS, "priorityName", NULLABLE_STRING),
            Edit::Push(TICKET, "required", "priorityName"),
        ],
    },
    Case {
        name: "response property removed",
        base: Base::Project,
        edits: &[Edit::Remove(TICKET_PROPS, "source")],
    },
    Case {
        name: "response property renamed",
        base: Base::Project,
        edits: &[Edit::Rename(TICKET_PROPS, "source", "origin")],
    },
    Case {
        name: "response property retyped",
        base: Base::Project,
        edits: &[Edit::Set(
            "/components/schemas/Ticket/properties/ticketId",
            "type",
            "string",
        )],
    },
    Case {
        name: "response nullable property made required",
        base: Base::Project,
        edits: &[Edit::Push(TICKET, "required", "title")],
    },
    // An optional response property must be nullable too (lint's lenient rule).
    Case {
        name: "response property made optional",
        base: Base::Project,
        edits: &[
            Edit::Pull(ENVELOPE, "required", "data"),
            Edit::Set(ENVELOPE_PROPS, "data", NULLABLE_TICKET),
        ],
    },
    Case {
        name: "response property with a default made optional",
        base: Base::Project,
        edits: &[
            Edit::Pull(ENVELOPE, "required", "message"),
            Edit::Set(
                "/components/schemas/TicketResponse/properties/message",
                "nullable",
                "true",
            ),
        ],
    },
    Case {
        name: "response property made nullable",
        base: Base::Project,
        edits: &[Edit::Set(ENVELOPE_PROPS, "data", NULLABLE_TICKET)],
    },
    // Parameters.
    Case {
        name: "query parameter added, optional",
        base: Base::Project,
        edits: &[Edit::Push(
            UPDATE_OP,
            "parameters",
            "{ name: expand, in: query, schema: { type: string } }",
        )],
    },
    Case {
        name: "query parameter added, required",
        base: Base::Project,
        edits: &[Edit::Push(
            UPDATE_OP,
            "parameters",
            "{ name: expand, in: query, required: true, schema: { type: string } }",
        )],
    },
    Case {
        name: "query parameter added to the path item, required",
        base: Base::Project,
        edits: &[Edit::Push(
            ONE_TICKET,
            "parameters",
            "{ name: tenant, in: query, required: true, schema: { type: string } }",
        )],
    },
    Case {
        name: "parameter moved to the path item",
        base: Base::Project,
        edits: &[
            Edit::Remove(UPDATE_OP, "parameters"),
            Edit::Push(
                ONE_TICKET,
                "parameters",
                "{ name: id, in: path, required: true, schema: { type: string } }",
            ),
        ],
    },
    Case {
        name: "path parameter renamed",
        base: Base::Project,
        edits: &[
            Edit::Rename("/paths", "/v1/tickets/{id}", "/v1/tickets/{ticketId}"),
            Edit::Set(
                "/paths/~1v1~1tickets~1{ticketId}/patch/parameters/0",
                "name",
                "ticketId",
            ),
        ],
    },
    Case {
        name: "path parameter retyped",
        base: Base::Project,
        edits: &[Edit::Set(ID, "schema", "{ type: integer }")],
    },
    Case {
        name: "query parameter removed",
        base: Base::Extended,
        edits: &[Edit::Pull(
            UPDATE_OP,
            "parameters",
            "{ name: notify, in: query, description: Notify watchers, schema: { type: boolean } }",
        )],
    },
    Case {
        name: "query parameter made required",
        base: Base::Extended,
        edits: &[Edit::Set(
            "/paths/~1v1~1tickets~1{id}/patch/parameters/1",
            "required",
            "true",
        )],
    },
    Case {
        name: "query parameter made optional",
        base: Base::Extended,
        edits: &[Edit::Set(
            "/paths/~1v1~1tickets~1{id}/patch/parameters/3",
            "required",
            "false",
        )],
    },
    Case {
        name: "query parameter retyped",
        base: Base::Extended,
        edits: &[Edit::Set(
            "/paths/~1v1~1tickets~1{id}/patch/parameters/2",
            "schema",
            "{ type: string }",
        )],
    },
    // Operations, schemas, statuses, media types, bodies.
    Case {
        name: "operation renamed",
        base: Base::Project,
        edits: &[Edit::Set(CREATE_OP, "operationId", "openTicket")],
    },
    Case {
        name: "schema renamed",
        base: Base::Project,
        edits: &[Edit::RenameSchema("CreateTicketBody", "NewTicketBody")],
    },
    Case {
        name: "endpoint moved",
        base: Base::Project,
        edits: &[Edit::Rename("/paths", "/v1/tickets", "/v2/tickets")],
    },
    Case {
        name: "success status added",
        base: Base::Project,
        edits: &[Edit::Set(
            CREATE_RESPONSES,
            "202",
            "{ $ref: '#/components/responses/TicketSuccess' }",
        )],
    },
    Case {
        name: "success status removed",
        base: Base::Project,
        edits: &[Edit::Remove(CREATE_RESPONSES, "200")],
    },
    Case {
        name: "media type parameters added",
        base: Base::Project,
        edits: &[
            Edit::Rename(
                CREATE_CONTENT,
                "application/json",
                "application/json; charset=utf-8",
            ),
            Edit::Rename(
                SUCCESS_CONTENT,
                "application/json",
                "application/json; charset=utf-8",
            ),
            Edit::Rename(
                ERROR_CONTENT,
                "application/json",
                "application/json; charset=utf-8",
            ),
        ],
    },
    Case {
        name: "request body made optional",
        base: Base::Project,
        edits: &[Edit::Set(UPDATE_BODY, "required", "false")],
    },
    Case {
        name: "request body removed",
        base: Base::Project,
        edits: &[Edit::Remove(UPDATE_OP, "requestBody")],
    },
    Case {
        name: "descriptions changed",
        base: Base::Project,
        edits: &[
            Edit::Set(SOURCE, "description", "Where the ticket came from"),
            Edit::Set(TICKETS, "description", "Tickets"),
        ],
    },
];

/// Changes `diff` judges that lint refuses, because the SDK could not be built from them:
/// the proof checks that they are refused.
pub const REFUSED: &[Case] = &[
    Case {
        name: "pattern added",
        base: Base::Project,
        edits: &[Edit::Set(KEY, "pattern", "'^[0-9]*$'")],
    },
    Case {
        name: "uuid format added",
        base: Base::Project,
        edits: &[Edit::Set(SOURCE, "format", "uuid")],
    },
    Case {
        name: "error media type no longer JSON",
        base: Base::Project,
        edits: &[Edit::Rename(
            ERROR_CONTENT,
            "application/json",
            "application/problem+json",
        )],
    },
    Case {
        name: "success status without content added",
        base: Base::Project,
        edits: &[Edit::Set(
            CREATE_RESPONSES,
            "204",
            "{ description: created }",
        )],
    },
    Case {
        name: "header parameter added",
        base: Base::Project,
        edits: &[Edit::Push(
            UPDATE_OP,
            "parameters",
            "{ name: X-Tenant, in: header, schema: { type: string } }",
        )],
    },
    Case {
        name: "second request media type added",
        base: Base::Project,
        edits: &[Edit::Set(
            CREATE_CONTENT,
            "application/xml",
            "{ schema: { type: string } }",
        )],
    },
    Case {
        name: "response enum added",
        base: Base::Project,
        edits: &[Edit::Set(
            "/components/schemas/Ticket/properties/status",
            "enum",
            "[open, closed]",
        )],
    },
    Case {
        name: "response format added",
        base: Base::Project,
        edits: &[Edit::Set(
            "/components/schemas/Ticket/properties/createdAt",
            "format",
            "date-time",
        )],
    },
];

/// Applies `edits` to `doc`; an edit that finds nothing to change is an error.
pub fn apply(doc: &mut Value, edits: &[Edit]) -> Result<(), String> {
    for edit in edits {
        apply_one(doc, *edit).map_err(|e| format!("{edit:?}: {e}"))?;
    }
    Ok(())
}

fn apply_one(doc: &mut Value, edit: Edit) -> Result<(), String> {
    let yaml = |text: &str| serde_yaml::from_str::<Value>(text).map_err(|e| e.to_string());
    match edit {
        Edit::Set(at, key, value) => {
            mapping(doc, at)?.insert(key.into(), yaml(value)?);
        }
        Edit::Remove(at, key) => {
            mapping(doc, at)?
                .shift_remove(key)
                .ok_or_else(|| format!("no {key}"))?;
        }
        Edit::Rename(at, from, to) => {
            let map = mapping(doc, at)?;
            let renamed: Mapping = std::mem::take(map)
                .into_iter()
                .map(|(k, v)| {
                    if k.as_str() == Some(from) {
                        (to.into(), v)
                    } else {
                        (k, v)
                    }
                })
                .collect();
            if !renamed.contains_key(to) {
                return Err(format!("no {from}"));
            }
            *map = renamed;
        }
        Edit::Push(at, key, value) => {
            let list = mapping(doc, at)?
                .entry(key.into())
                .or_insert_with(|| Value::Sequence(Vec::new()));
            list.as_sequence_mut()
                .ok_or_else(|| format!("{key} is not a list"))?
                .push(yaml(value)?);
        }
        Edit::Pull(at, key, value) => {
            let value = yaml(value)?;
            let list = mapping(doc, at)?
                .get_mut(key)
                .and_then(Value::as_sequence_mut)
                .ok_or_else(|| format!("no list {key}"))?;
            let before = list.len();
            list.retain(|v| *v != value);
            if list.len() == before {
                return Err(format!("{key} has no {value:?}"));
            }
        }
        Edit::RenameSchema(from, to) => {
            apply_one(doc, Edit::Rename("/components/schemas", from, to))?;
            let (old, new) = (
                format!("#/components/schemas/{from}"),
                format!("#/components/schemas/{to}"),
            );
            retarget(doc, &old, &new);
        }
    }
    Ok(())
}

/// The mapping at a JSON pointer.
fn mapping<'a>(doc: &'a mut Value, pointer: &str) -> Result<&'a mut Mapping, String> {
    let mut v = doc;
    for segment in pointer.split('/').skip(1) {
        let key = segment.replace("~1", "/").replace("~0", "~");
        v = match v {
            Value::Mapping(m) => m.get_mut(key.as_str()),
            Value::Sequence(s) => key.parse::<usize>().ok().and_then(|i| s.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| format!("nothing at {pointer}"))?;
    }
    v.as_mapping_mut()
        .ok_or_else(|| format!("{pointer} is not a mapping"))
}

/// Points every `$ref: old` at `new`.
fn retarget(v: &mut Value, old: &str, new: &str) {
    match v {
        Value::Mapping(m) => {
            for (k, child) in m.iter_mut() {
                if k.as_str() == Some("$ref") && child.as_str() == Some(old) {
                    *child = new.into();
                } else {
                    retarget(child, old, new);
                }
            }
        }
        Value::Sequence(s) => s.iter_mut().for_each(|c| retarget(c, old, new)),
        _ => {}
    }
}
