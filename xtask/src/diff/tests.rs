//! Each rule of the diff on a small pair of specs, and the issue's scenario on the real one.

use openapiv3::{ReferenceOr, Schema, SchemaData, SchemaKind, StringType, Type};

use super::change::{Change, Group, Impact};
use super::{Format, Options, Outcome, compare, outcome, parse_args, report};

/// A small spec: one operation, a request schema, a response schema and an error schema.
/// Each test edits a copy of it.
const BASE: &str = r##"
openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /v1/things:
    post:
      operationId: createThing
      summary: Create a thing
      parameters:
        - { name: dryRun, in: query, required: false, schema: { type: boolean } }
      requestBody:
        required: true
        content: { application/json: { schema: { $ref: "#/components/schemas/ThingInput" } } }
      responses:
        "201": { $ref: "#/components/responses/Ok" }
        "4XX": { $ref: "#/components/responses/Err" }
components:
  responses:
    Ok:
      description: ok
      content: { application/json: { schema: { $ref: "#/components/schemas/Thing" } } }
    Err:
      description: err
      content: { application/json: { schema: { $ref: "#/components/schemas/Problem" } } }
  schemas:
    ThingInput:
      description: What to create
      type: object
      required: [name]
      properties:
        name: { description: The name, type: string, maxLength: 100 }
        note: { description: A note, type: string }
        kind: { description: The kind, type: string, enum: [a, b] }
    Thing:
      description: A thing
      type: object
      required: [id]
      properties:
        id: { type: string }
        label: { type: string, nullable: true }
    Problem:
      description: An error
      type: object
      properties:
        message: { type: string, nullable: true }
"##;

const PROJECT: &str = include_str!("../../../spec/thena.yaml");

fn diff(old: &str, new: &str) -> Vec<Change> {
    let parse = |yaml| thena_codegen::parse(yaml).expect("test spec parses");
    compare(&parse(old), &parse(new))
}

/// `BASE` with `from` replaced by `to` (which must occur).
fn edited(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "BASE does not contain {from:?}");
    BASE.replace(from, to)
}

/// The changes from BASE to BASE with one edit.
fn edit(from: &str, to: &str) -> Vec<Change> {
    diff(BASE, &edited(from, to))
}

fn single(changes: Vec<Change>) -> Change {
    assert_eq!(
        changes.len(),
        1,
        "expected exactly one change, got {changes:#?}"
    );
    changes.into_iter().next().expect("one change")
}

#[track_caller]
fn assert_breaking(change: &Change, item: &str, what: &str) {
    assert_eq!(change.item, item, "{change:#?}");
    assert!(change.what.contains(what), "{change:#?}");
    assert!(
        change.impact.is_breaking(),
        "expected breaking: {change:#?}"
    );
}

#[track_caller]
fn assert_compatible(change: &Change, item: &str, what: &str) {
    assert_eq!(change.item, item, "{change:#?}");
    assert!(change.what.contains(what), "{change:#?}");
    assert!(
        !change.impact.is_breaking(),
        "expected non-breaking: {change:#?}"
    );
}

#[test]
fn unchanged_specs_have_no_changes() {
    assert_eq!(diff(BASE, BASE), vec![]);
    let changes = diff(PROJECT, PROJECT);
    assert_eq!(changes, vec![]);
    assert_eq!(outcome(&changes, false), Outcome::Accepted);
    assert!(report::text(&changes, "HEAD", true).contains("nothing changed"));
}

#[test]
fn changes_outside_operations_and_schemas_are_not_called_nothing() {
    let old = thena_codegen::parse(PROJECT).expect("the project's spec parses");
    let mut new = old.clone();
    new.info.description = Some("edited".into());
    let changes = compare(&old, &new);
    assert_eq!(changes, vec![]);
    let text = report::text(&changes, "HEAD", old == new);
    assert!(
        text.contains("other parts did") && !text.contains("nothing changed"),
        "{text}"
    );
}

#[test]
fn new_required_request_field_breaks() {
    let spec = edited("required: [name]", "required: [name, size]").replace(
        "        note:",
        "        size: { description: Size, type: integer }\n        note:",
    );
    let c = single(diff(BASE, &spec));
    assert_breaking(&c, "types::ThingInput::size", "property added (required)");
    assert!(c.impact.reason().contains("build()"), "{c:#?}");
    assert_eq!(c.group, Group::Schema("ThingInput".into()));
}

#[test]
fn new_optional_request_field_does_not_break() {
    let c = single(edit(
        "        note:",
        "        colorCode: { description: Color, type: string }\n        note:",
    ));
    assert_compatible(
        &c,
        "types::ThingInput::color_code",
        "property added (optional)",
    );
}

#[test]
fn removed_response_field_breaks() {
    let c = single(edit(
        "        label: { type: string, nullable: true }\n",
        "",
    ));
    assert_breaking(&c, "types::Thing::label", "property removed");
    assert!(c.impact.reason().contains("`.label`"), "{c:#?}");
}

#[test]
fn removed_request_field_breaks() {
    let c = single(edit(
        "        note: { description: A note, type: string }\n",
        "",
    ));
    assert_breaking(&c, "types::ThingInput::note", "property removed");
    assert!(c.impact.reason().contains("`.note(..)`"), "{c:#?}");
}

#[test]
fn new_response_field_does_not_break() {
    let c = single(edit(
        "        id: { type: string }\n",
        "        id: { type: string }\n        size: { type: integer, nullable: true }\n",
    ));
    assert_compatible(&c, "types::Thing::size", "property added (optional)");
}

#[test]
fn narrowed_request_enum_breaks() {
    let c = single(edit("enum: [a, b]", "enum: [a]"));
    assert_breaking(
        &c,
        "types::ThingInput::kind",
        "enum narrowed: \"b\" removed",
    );
}

#[test]
fn widened_request_enum_does_not_break() {
    let c = single(edit("enum: [a, b]", "enum: [a, b, c]"));
    assert_compatible(&c, "types::ThingInput::kind", "enum widened: \"c\" added");
}

#[test]
fn widened_response_enum_breaks() {
    let with_enum = |values| {
        edited(
            "label: { type: string, nullable: true }",
            &format!("label: {{ type: string, nullable: true, enum: [{values}] }}"),
        )
    };
    let c = single(diff(&with_enum("x"), &with_enum("x, y")));
    assert_breaking(&c, "types::Thing::label", "enum widened");
    assert!(c.impact.reason().contains("exhaustive"), "{c:#?}");
    let c = single(diff(&with_enum("x, y"), &with_enum("x")));
    assert_breaking(&c, "types::Thing::label", "enum narrowed");
}

#[test]
fn response_field_becoming_nullable_breaks() {
    let c = single(edit(
        "id: { type: string }",
        "id: { type: string, nullable: true }",
    ));
    assert_breaking(&c, "types::Thing::id", "became nullable");
    assert!(c.impact.reason().contains("T to Option<T>"), "{c:#?}");
}

#[test]
fn optional_response_field_becoming_nullable_does_not_break() {
    // Already Option<T> in Rust: only the values accepted grow.
    let old = edited(
        "label: { type: string, nullable: true }",
        "label: { type: string }",
    );
    let c = single(diff(&old, BASE));
    assert_compatible(&c, "types::Thing::label", "became nullable");
}

#[test]
fn required_response_field_becoming_optional_breaks() {
    let c = single(edit("      required: [id]\n", ""));
    assert_breaking(&c, "types::Thing::id", "became optional");
    assert!(c.impact.reason().contains("Option<T>"), "{c:#?}");
}

#[test]
fn optional_request_field_becoming_required_breaks() {
    let c = single(edit("required: [name]", "required: [name, note]"));
    assert_breaking(&c, "types::ThingInput::note", "became required");
    assert!(c.impact.reason().contains("build()"), "{c:#?}");
}

#[test]
fn required_request_field_becoming_optional_changes_the_field_type() {
    // codegen's setter takes the value either way, but the field becomes Option<String>:
    // code that builds the struct or reads the field no longer compiles.
    let c = single(edit("      required: [name]\n", ""));
    assert_breaking(&c, "types::ThingInput::name", "became optional");
    assert!(
        c.impact.reason().contains("builder still compile"),
        "{c:#?}"
    );
}

#[test]
fn tightened_request_constraint_breaks() {
    let c = single(edit("maxLength: 100", "maxLength: 50"));
    assert_breaking(&c, "types::ThingInput::name", "maxLength 100 → 50");
    let spec = edited(
        "type: string, maxLength: 100",
        "type: string, maxLength: 100, pattern: \"^[a-z]+$\"",
    );
    assert_breaking(
        &single(diff(BASE, &spec)),
        "types::ThingInput::name",
        "pattern",
    );
}

#[test]
fn loosened_request_constraint_does_not_break() {
    let c = single(edit("maxLength: 100", "maxLength: 200"));
    assert_compatible(&c, "types::ThingInput::name", "maxLength 100 → 200");
}

#[test]
fn dropping_the_last_string_constraint_breaks_the_newtype() {
    let changes = edit(", maxLength: 100", "");
    assert_eq!(changes.len(), 2, "{changes:#?}");
    assert_compatible(
        &changes[0],
        "types::ThingInput::name",
        "maxLength 100 removed",
    );
    assert_breaking(
        &changes[1],
        "types::ThingInput::name",
        "Rust type becomes String",
    );
}

#[test]
fn description_only_change_is_noted_and_does_not_break() {
    let c = single(edit("description: A note", "description: A longer note"));
    assert_compatible(&c, "types::ThingInput::note", "description changed");
    assert_eq!(c.impact, Impact::Compatible("documentation only".into()));
    let c = single(edit("summary: Create a thing", "summary: Make a thing"));
    assert_compatible(&c, "Client::create_thing", "summary changed");
}

#[test]
fn type_and_format_changes_break() {
    let c = single(edit(
        "note: { description: A note, type: string }",
        "note: { description: A note, type: integer }",
    ));
    assert_breaking(&c, "types::ThingInput::note", "type string → integer");
    let c = single(edit(
        "note: { description: A note, type: string }",
        "note: { description: A note, type: string, format: date-time }",
    ));
    assert_breaking(&c, "types::ThingInput::note", "format none → date-time");
    let c = single(edit(
        "id: { type: string }",
        "id: { $ref: \"#/components/schemas/Problem\" }",
    ));
    assert_breaking(&c, "types::Thing::id", "type string → types::Problem");
}

#[test]
fn request_default_change_breaks() {
    let c = single(edit(
        "note: { description: A note, type: string }",
        "note: { description: A note, type: string, default: hi }",
    ));
    assert_breaking(&c, "types::ThingInput::note", "default \"hi\" added");
    assert!(c.impact.reason().contains("now send \"hi\""), "{c:#?}");
}

#[test]
fn a_schema_used_on_both_sides_gets_the_stricter_verdict() {
    // ThingInput also travels in responses once Thing embeds it.
    let both = edited(
        "        id: { type: string }\n",
        "        id: { type: string }\n        input: { $ref: \"#/components/schemas/ThingInput\" }\n",
    );
    let c = single(diff(
        &both,
        &both.replace("enum: [a, b]", "enum: [a, b, c]"),
    ));
    assert_breaking(&c, "types::ThingInput::kind", "enum widened");
}

#[test]
fn operations_removed_break_and_added_do_not() {
    let changes = edit("operationId: createThing", "operationId: makeThing");
    assert_eq!(changes.len(), 2, "{changes:#?}");
    assert_compatible(
        &changes[0],
        "Client::make_thing",
        "operation added (POST /v1/things)",
    );
    assert_breaking(&changes[1], "Client::create_thing", "operation removed");
    assert!(changes[1].impact.reason().contains("builder::CreateThing"));
}

#[test]
fn new_required_parameter_breaks_and_optional_does_not() {
    let param = |required| {
        format!(
            "        - {{ name: dryRun, in: query, required: false, schema: {{ type: boolean }} }}\n        - {{ name: X-Tenant, in: header, required: {required}, schema: {{ type: string }} }}\n"
        )
    };
    let existing =
        "        - { name: dryRun, in: query, required: false, schema: { type: boolean } }\n";
    let c = single(edit(existing, &param(true)));
    assert_breaking(
        &c,
        "builder::CreateThing::x_tenant",
        "header parameter added (required)",
    );
    let c = single(edit(existing, &param(false)));
    assert_compatible(
        &c,
        "builder::CreateThing::x_tenant",
        "header parameter added (optional)",
    );
    let c = single(edit(
        "required: false, schema: { type: boolean }",
        "required: true, schema: { type: boolean }",
    ));
    assert_breaking(&c, "builder::CreateThing::dry_run", "became required");
    assert!(c.impact.reason().contains("send()"), "{c:#?}");
}

#[test]
fn removed_response_status_breaks() {
    let spec = edited(
        "        \"4XX\": { $ref: \"#/components/responses/Err\" }\n",
        "        \"4XX\": { $ref: \"#/components/responses/Err\" }\n        \"200\": { $ref: \"#/components/responses/Ok\" }\n",
    );
    let c = single(diff(&spec, BASE));
    assert_breaking(&c, "builder::CreateThing::send", "response 200: removed");
    let c = single(diff(BASE, &spec));
    assert_compatible(&c, "builder::CreateThing::send", "response 200: added");
}

#[test]
fn schemas_removed_break_and_added_do_not() {
    let spec = edited(
        "  schemas:\n",
        "  schemas:\n    Spare:\n      description: s\n      type: string\n",
    );
    assert_compatible(&single(diff(BASE, &spec)), "types::Spare", "schema added");
    assert_breaking(&single(diff(&spec, BASE)), "types::Spare", "schema removed");
}

/// The issue's "done when": remove a Ticket response property, make an optional
/// CreateTicketBody property required, add a new optional one.
#[test]
fn done_when_scenario_on_the_project_spec() {
    let old = thena_codegen::parse(PROJECT).expect("the project spec parses");
    let mut new = old.clone();
    let schemas = &mut new.components.as_mut().expect("components").schemas;
    let object = |schema: Option<&mut ReferenceOr<Schema>>| match schema {
        Some(ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::Object(o)),
            ..
        })) => o.clone(),
        _ => panic!("not an object schema"),
    };
    let mut ticket = object(schemas.get_mut("Ticket"));
    ticket
        .properties
        .shift_remove("source")
        .expect("Ticket.source");
    let mut body = object(schemas.get_mut("CreateTicketBody"));
    body.required.push("description".into());
    let url = Schema {
        schema_data: SchemaData {
            description: Some("A link to the ticket elsewhere".into()),
            ..SchemaData::default()
        },
        schema_kind: SchemaKind::Type(Type::String(StringType::default())),
    };
    body.properties
        .insert("externalUrl".into(), ReferenceOr::boxed_item(url));
    for (name, o) in [("Ticket", ticket), ("CreateTicketBody", body)] {
        if let Some(ReferenceOr::Item(s)) = schemas.get_mut(name) {
            s.schema_kind = SchemaKind::Type(Type::Object(o));
        }
    }

    let changes = compare(&old, &new);
    assert_eq!(changes.len(), 3, "{changes:#?}");
    let find = |item: &str| {
        changes
            .iter()
            .find(|c| c.item == item)
            .unwrap_or_else(|| panic!("no change to {item}: {changes:#?}"))
    };
    assert_breaking(
        find("types::Ticket::source"),
        "types::Ticket::source",
        "property removed",
    );
    assert_breaking(
        find("types::CreateTicketBody::description"),
        "types::CreateTicketBody::description",
        "became required",
    );
    assert_compatible(
        find("types::CreateTicketBody::external_url"),
        "types::CreateTicketBody::external_url",
        "property added (optional)",
    );
    assert_eq!(outcome(&changes, false), Outcome::Breaking);
    assert_eq!(outcome(&changes, true), Outcome::Accepted);

    let text = report::text(&changes, "HEAD", false);
    assert!(text.contains("2 breaking, 1 non-breaking"), "{text}");
    assert!(
        text.contains("\nschema Ticket\n  BREAKING      types::Ticket::source"),
        "{text}"
    );
    let markdown = report::markdown(&changes, "HEAD", false);
    assert!(markdown.starts_with("### Spec changes\n"), "{markdown}");
    assert!(
        markdown.contains("#### Schema `CreateTicketBody`"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- **Breaking**: `types::Ticket::source`: property removed"),
        "{markdown}"
    );
}

#[test]
fn arguments() {
    let options = |args: &[&str]| parse_args(args);
    assert_eq!(
        options(&[]),
        Ok(Options {
            base: "HEAD".into(),
            allow_breaking: false,
            format: Format::Text
        })
    );
    assert_eq!(
        options(&["main~2", "--allow-breaking", "--format", "markdown"]),
        Ok(Options {
            base: "main~2".into(),
            allow_breaking: true,
            format: Format::Markdown
        })
    );
    assert_eq!(
        options(&["--format=markdown"]).map(|o| o.format),
        Ok(Format::Markdown)
    );
    assert!(options(&["--format", "html"]).is_err());
    assert!(options(&["--format"]).is_err());
    assert!(options(&["a", "b"]).is_err());
    assert!(options(&["--force"]).is_err());
}

/// BASE with its `dryRun` parameter declared on the path item instead of the operation.
fn with_path_level_dry_run() -> String {
    edited(
        "      parameters:\n        - { name: dryRun, in: query, required: false, schema: { type: boolean } }\n",
        "",
    )
    .replace(
        "  /v1/things:\n",
        "  /v1/things:\n    parameters:\n      - { name: dryRun, in: query, required: false, schema: { type: boolean } }\n",
    )
}

#[test]
fn a_required_path_level_parameter_added_breaks() {
    let spec = edited(
        "  /v1/things:\n",
        "  /v1/things:\n    parameters:\n      - { name: X-Tenant, in: header, required: true, schema: { type: string } }\n",
    );
    let c = single(diff(BASE, &spec));
    assert_breaking(
        &c,
        "builder::CreateThing::x_tenant",
        "header parameter added (required)",
    );
    assert_eq!(c.group, Group::Operation("createThing".into()));
}

#[test]
fn moving_a_parameter_to_the_path_item_changes_nothing() {
    let moved = with_path_level_dry_run();
    assert_eq!(diff(BASE, &moved), vec![]);
    assert_eq!(diff(&moved, BASE), vec![]);
    // The generator agrees: it builds the very same SDK.
    let generated = |spec: &str| thena_codegen::generate(spec).expect("generates");
    assert_eq!(generated(BASE), generated(&moved));
    // A change to the parameter where it now lives is seen.
    let c = single(diff(
        &moved,
        &moved.replace("required: false", "required: true"),
    ));
    assert_breaking(&c, "builder::CreateThing::dry_run", "became required");
}

#[test]
fn an_operation_parameter_replaces_the_path_items_of_the_same_name() {
    let both = with_path_level_dry_run().replace(
        "      operationId: createThing\n",
        "      operationId: createThing\n      parameters:\n        - { name: dryRun, in: query, required: true, schema: { type: boolean } }\n",
    );
    let c = single(diff(BASE, &both));
    assert_breaking(&c, "builder::CreateThing::dry_run", "became required");
}

const CHARSET: &str = "application/json; charset=utf-8";

#[test]
fn media_type_parameters_change_nothing() {
    let spec = BASE.replace("application/json", CHARSET);
    assert_eq!(diff(BASE, &spec), vec![]);
    assert_eq!(diff(&spec, BASE), vec![]);
    let generated = |spec: &str| thena_codegen::generate(spec).expect("generates");
    assert_eq!(generated(BASE), generated(&spec));
}

#[test]
fn a_change_inside_a_body_under_a_media_type_with_parameters_is_seen() {
    let inline = |kind: &str| {
        edited(
            r##"content: { application/json: { schema: { $ref: "#/components/schemas/ThingInput" } } }"##,
            &format!(
                "content: {{ \"{CHARSET}\": {{ schema: {{ type: object, properties: {{ n: {{ description: N, type: {kind} }} }} }} }} }}"
            ),
        )
    };
    let changes = diff(&inline("string"), &inline("integer"));
    let c = changes
        .iter()
        .find(|c| c.what.contains("type string → integer"))
        .unwrap_or_else(|| panic!("the retyped property is not reported: {changes:#?}"));
    assert!(c.impact.is_breaking(), "{c:#?}");
}

#[test]
fn a_response_that_is_no_longer_json_breaks() {
    let spec = edited(
        r##"      content: { application/json: { schema: { $ref: "#/components/schemas/Problem" } } }"##,
        r##"      content: { application/problem+json: { schema: { $ref: "#/components/schemas/Problem" } } }"##,
    );
    let c = single(diff(BASE, &spec));
    assert_breaking(
        &c,
        "builder::CreateThing::send",
        "response 4XX: body JSON → application/problem+json",
    );
}

#[test]
fn a_parameter_becoming_optional_or_getting_a_default_does_not_break() {
    let required = edited(
        "required: false, schema: { type: boolean }",
        "required: true, schema: { type: boolean }",
    );
    let c = single(diff(&required, BASE));
    assert_compatible(&c, "builder::CreateThing::dry_run", "became optional");
    assert!(c.impact.reason().contains("setter is unchanged"), "{c:#?}");
    let c = single(edit(
        "schema: { type: boolean } }",
        "schema: { type: boolean, default: false } }",
    ));
    assert_compatible(&c, "builder::CreateThing::dry_run", "default changed");
}

/// BASE with required boolean, integer and list properties on ThingInput.
fn with_required_values() -> String {
    edited("required: [name]", "required: [name, urgent, size, tags]").replace(
        "        note:",
        "        urgent: { description: U, type: boolean }\n        size: { description: S, type: integer }\n        tags: { description: T, type: array, items: { type: string } }\n        note:",
    )
}

#[test]
fn request_properties_becoming_optional_break_code_that_names_their_fields() {
    let old = with_required_values();
    let changes = diff(&old, &old.replace("[name, urgent, size, tags]", "[name]"));
    let find = |item: &str| {
        changes
            .iter()
            .find(|c| c.item == item)
            .unwrap_or_else(|| panic!("no change to {item}: {changes:#?}"))
    };
    // `.urgent(true)` and `.size(5)` still compile, but the fields become Options.
    for item in ["types::ThingInput::urgent", "types::ThingInput::size"] {
        let change = find(item);
        assert_breaking(change, item, "became optional");
        assert!(change.impact.reason().contains("Option<T>"), "{change:#?}");
    }
    // An optional list is not sent while empty.
    let tags = find("types::ThingInput::tags");
    assert_breaking(tags, "types::ThingInput::tags", "became optional");
    assert!(
        tags.impact.reason().contains("no longer sent while empty"),
        "{tags:#?}"
    );
}

#[test]
fn an_optional_list_becoming_nullable_changes_its_type_in_requests_and_responses() {
    let list = "{ description: T, type: array, items: { type: string } }";
    let nullable = "{ description: T, type: array, items: { type: string }, nullable: true }";
    let old = edited(
        "        note:",
        &format!("        tags: {list}\n        note:"),
    );
    let c = single(diff(&old, &old.replace(list, nullable)));
    assert_breaking(&c, "types::ThingInput::tags", "became nullable");
    assert!(
        c.impact.reason().contains("builder still compile"),
        "{c:#?}"
    );
    let old = edited(
        "        id: { type: string }\n",
        &format!("        id: {{ type: string }}\n        tags: {list}\n"),
    );
    let c = single(diff(&old, &old.replace(list, nullable)));
    assert_breaking(&c, "types::Thing::tags", "became nullable");
    assert!(c.impact.reason().contains("from a list or map"), "{c:#?}");
}
