//! A row of the input checked against the spec: its properties (CSV cells converted to
//! their JSON types), its typed body (body.rs's checks, as for `tickets create`), the
//! basis of its key and the value of its `--id-column`.

use std::borrow::Cow;

use csv::StringRecord;
use serde_json::{Map, Value};
use thena_sdk::types::CreateTicketBody;

use crate::body::{self, Invalid};
use crate::exit::{Failure, Status};
use crate::generated::CREATE_TICKET_BODY;
use crate::import::input::{Content, Row};
use crate::import::key::{Basis, KEY_PROPERTY, Keys, Repeated};
use crate::import::sent::Sent;
use crate::import::translate::{Translation, similar};
use crate::operation::BodyFlag;

/// What is wrong with a row.
#[derive(Debug, PartialEq, Eq)]
pub struct Problem {
    /// The property (or column) at fault, when one is.
    pub property: Option<String>,
    /// What is wrong, as a phrase.
    pub message: String,
}

impl Problem {
    fn of(property: &str, message: String) -> Self {
        Self {
            property: Some(property.to_owned()),
            message,
        }
    }

    fn row(message: String) -> Self {
        Self {
            property: None,
            message,
        }
    }
}

/// A row that passed every check.
#[derive(Debug)]
pub struct Valid {
    /// The body to send, without its key.
    pub body: CreateTicketBody,
    /// What the key comes from.
    pub basis: Basis,
    /// The row's value in the `--id-column` column.
    pub source_id: Option<String>,
    /// Its properties' hashes, to tell later what changed.
    pub sent: Sent,
}

/// What each column of the input means.
#[derive(Debug)]
pub struct Columns {
    id_column: Option<String>,
    ignore_unknown: bool,
    translation: Translation,
    /// For CSV, one per column of the header; empty for JSON Lines.
    csv: Vec<Column>,
    /// For CSV, the header, to show a row as JSON.
    header: Option<StringRecord>,
}

#[derive(Debug)]
enum Column {
    /// A column that gives a property; `id` when it is the `--id-column` too.
    Property { flag: &'static BodyFlag, id: bool },
    /// The `--id-column` column when it gives no property.
    Id,
    /// A column that names no property, with `--ignore-unknown-columns`.
    Ignored,
}

impl Columns {
    /// The columns of a CSV header, or (`None`) of JSON Lines, through `translation`. A
    /// header with a column that gives no property (unless ignored), twice the same
    /// column or property, no column or constant for a required property, no
    /// `--id-column` column, or no column the translation maps is refused before any
    /// row is read.
    pub fn new(
        header: Option<StringRecord>,
        id_column: Option<String>,
        ignore_unknown: bool,
        translation: Translation,
    ) -> Result<Self, Failure> {
        let usage = |message: String| Failure::new(Status::Usage, message);
        let Some(header) = header else {
            return Ok(Self {
                id_column,
                ignore_unknown,
                translation,
                csv: Vec::new(),
                header: None,
            });
        };
        if let Some(name) = named_twice(&header) {
            return Err(usage(format!("the header names column {name:?} twice")));
        }
        let mut csv = Vec::with_capacity(header.len());
        let mut unknown = Vec::new();
        let mut given: Vec<(&str, &str)> = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let id = id_column.as_deref() == Some(name);
            csv.push(match translation.property(name) {
                Some(flag) => {
                    if let Some((other, _)) = given.iter().find(|(_, p)| *p == flag.property) {
                        return Err(usage(format!(
                            "columns {other:?} and {name:?} both give {}: map one of them \
                             (--map COLUMN=PROPERTY), or skip one with \
                             --ignore-unknown-columns and no mapping",
                            flag.property
                        )));
                    }
                    if translation.constants().contains_key(flag.property) {
                        return Err(usage(format!(
                            "column {name:?} and the mapping's constant both give {}: keep one",
                            flag.property
                        )));
                    }
                    given.push((name, flag.property));
                    Column::Property { flag, id }
                }
                None if id => Column::Id,
                None if ignore_unknown => Column::Ignored,
                None if name.is_empty() => {
                    unknown.push(format!("{} (no name)", i + 1));
                    Column::Ignored
                }
                None => {
                    unknown.push(match similar(name) {
                        Some(property) => format!("{name:?} (did you mean {property}?)"),
                        None => format!("{name:?}"),
                    });
                    Column::Ignored
                }
            });
        }
        if !unknown.is_empty() {
            return Err(usage(format!(
                "unknown column {}: {} has no such property. A typo would lose the column's \
                 data: fix the header, map the column to a property with --map \
                 'COLUMN=PROPERTY' or --mapping FILE (--write-mapping FILE starts one), name \
                 the column of the source system's ids with --id-column, or skip such \
                 columns with --ignore-unknown-columns",
                unknown.join(", "),
                CREATE_TICKET_BODY.schema
            )));
        }
        let mut absent: Vec<String> = translation
            .mapped_columns()
            .filter(|column| !header.iter().any(|name| name == *column))
            .map(|column| format!("{column:?}"))
            .collect();
        absent.sort_unstable();
        if !absent.is_empty() {
            return Err(usage(format!(
                "the mapping names column {}, which the header does not have: its values \
                 would be lost; fix the mapping or the header",
                absent.join(", ")
            )));
        }
        if let Some(id) = &id_column
            && !header.iter().any(|name| name == id)
        {
            return Err(usage(format!(
                "--id-column {id}: the header has no such column"
            )));
        }
        let missing: Vec<&str> = CREATE_TICKET_BODY
            .flags
            .iter()
            .filter(|f| {
                f.required
                    && !given.iter().any(|(_, p)| *p == f.property)
                    && !translation.constants().contains_key(f.property)
            })
            .map(|f| f.property)
            .collect();
        if !missing.is_empty() {
            return Err(usage(format!(
                "no column {}: {} requires it (map a column to it, or give it as a constant \
                 in --mapping)",
                missing.join(", "),
                CREATE_TICKET_BODY.schema
            )));
        }
        Ok(Self {
            id_column,
            ignore_unknown,
            translation,
            csv,
            header: Some(header),
        })
    }

    /// The CSV columns skipped by `--ignore-unknown-columns`, by name.
    pub fn ignored(&self) -> Vec<&str> {
        let Some(header) = &self.header else {
            return Vec::new();
        };
        self.csv
            .iter()
            .zip(header.iter())
            .filter(|(column, name)| matches!(column, Column::Ignored) && !name.is_empty())
            .map(|(_, name)| name)
            .collect()
    }

    /// Checks a row against the spec.
    pub fn check(&self, row: &Row) -> Result<Valid, Problem> {
        let content = row.content.as_ref().map_err(|e| Problem::row(e.clone()))?;
        let (mut properties, source_id) = match content {
            Content::Csv(record) => self.csv_properties(record)?,
            Content::Json(line) => self.json_properties(line)?,
        };
        if self.ignore_unknown {
            properties.retain(|name, _| CREATE_TICKET_BODY.flag(name).is_some());
        }
        let sent = Sent::of(&properties);
        let basis = match (properties.get(KEY_PROPERTY), &self.id_column, &source_id) {
            (Some(Value::String(key)), _, _) => Basis::Own(key.clone()),
            (_, Some(column), Some(id)) => Basis::id(column, id),
            _ => Basis::content(&properties),
        };
        let body =
            body::check(&CREATE_TICKET_BODY, properties).map_err(|invalid| match invalid {
                Invalid::Unknown(names) => Problem {
                    property: names.first().cloned(),
                    message: format!(
                        "{} has no property {}",
                        CREATE_TICKET_BODY.schema,
                        names.join(", ")
                    ),
                },
                Invalid::Missing(flags) => {
                    let names: Vec<&str> = flags.iter().map(|f| f.property).collect();
                    Problem {
                        property: names.first().map(|&name| name.to_owned()),
                        message: format!(
                            "no {}, which {} requires",
                            names.join(", "),
                            CREATE_TICKET_BODY.schema
                        ),
                    }
                }
                Invalid::Rule {
                    property,
                    path,
                    rule,
                } => Problem::of(&property, format!("invalid {path}: {rule}")),
            })?;
        Ok(Valid {
            body,
            basis,
            source_id,
            sent,
        })
    }

    /// The key an invalid row would have from its `--id-column`, if it has an id: it is
    /// still in the input, whatever else is wrong with it.
    pub fn id_key(&self, row: &Row) -> Option<String> {
        let column = self.id_column.as_deref()?;
        let id = match row.content.as_ref().ok()? {
            Content::Csv(record) => {
                let i = self
                    .csv
                    .iter()
                    .position(|c| matches!(c, Column::Id | Column::Property { id: true, .. }))?;
                record.get(i).map(str::to_owned)
            }
            Content::Json(line) => id_text(serde_json::from_str::<Value>(line).ok()?.get(column)?),
        }?;
        (!id.is_empty()).then(|| crate::import::key::id_key(column, &id))
    }

    /// Checks a row and derives its key with `keys` (which counts the row); the body
    /// carries the key.
    pub fn keyed(&self, keys: &mut Keys, row: &Row) -> Result<(Valid, String), Problem> {
        let mut valid = self.check(row)?;
        let key = keys.key(&valid.basis).map_err(|Repeated| {
            match (&valid.basis, &self.id_column, &valid.source_id) {
                (Basis::Own(key), _, _) => Problem::of(
                    KEY_PROPERTY,
                    format!(
                        "deDuplicationKey {key:?} is an earlier row's too: one key makes one \
                         ticket"
                    ),
                ),
                (_, Some(column), Some(id)) => Problem::of(
                    column,
                    format!("{column} {id:?} is an earlier row's too: one id makes one ticket"),
                ),
                _ => Problem::row("the same key as an earlier row".to_owned()),
            }
        })?;
        if valid.body.de_duplication_key.is_none() {
            let derived = key
                .as_str()
                .try_into()
                .map_err(|e| Problem::of(KEY_PROPERTY, format!("invalid {KEY_PROPERTY}: {e}")))?;
            valid.body.de_duplication_key = Some(derived);
        }
        Ok((valid, key))
    }

    fn csv_properties(
        &self,
        record: &StringRecord,
    ) -> Result<(Map<String, Value>, Option<String>), Problem> {
        let mut properties = self.translation.constants().clone();
        let mut source_id = None;
        for (i, (column, cell)) in self.csv.iter().zip(record.iter()).enumerate() {
            let flag = match column {
                Column::Id => {
                    source_id = Some(cell);
                    continue;
                }
                Column::Ignored => continue,
                Column::Property { flag, id } => {
                    if *id {
                        source_id = Some(cell);
                    }
                    flag
                }
            };
            let text = match self.translation.rule(flag.property) {
                Some(rule) => rule.apply(cell).map_err(|e| {
                    let name = self
                        .header
                        .as_ref()
                        .and_then(|h| h.get(i))
                        .unwrap_or_default();
                    Problem::of(
                        flag.property,
                        format!("{} (column {name:?}): {e}", flag.property),
                    )
                })?,
                None => Cow::Borrowed(cell),
            };
            // An empty cell is an absent property.
            if !text.is_empty() {
                properties.insert(flag.property.to_owned(), cell_value(flag, &text)?);
            }
        }
        let source_id = match (&self.id_column, source_id) {
            (Some(column), None | Some("")) => {
                return Err(Problem::of(column, format!("no {column} (--id-column)")));
            }
            (_, id) => id.map(str::to_owned),
        };
        Ok((properties, source_id))
    }

    fn json_properties(&self, line: &str) -> Result<(Map<String, Value>, Option<String>), Problem> {
        let properties = match crate::operation::exact_json(line) {
            Ok(Value::Object(properties)) => properties,
            Ok(_) => return Err(Problem::row("not a JSON object".to_owned())),
            Err(e) => return Err(Problem::row(e)),
        };
        let (properties, source_id) = self.json_id(properties)?;
        if self.translation.is_empty() {
            return Ok((properties, source_id));
        }
        let mut translated = self.translation.constants().clone();
        for (name, value) in properties {
            let Some(flag) = self.translation.property(&name) else {
                translated.insert(name, value);
                continue;
            };
            let value = match (self.translation.rule(flag.property), value) {
                (Some(rule), Value::String(text)) => {
                    let text = rule.apply(&text).map_err(|e| {
                        Problem::of(flag.property, format!("{} ({name:?}): {e}", flag.property))
                    })?;
                    if text.is_empty() {
                        continue;
                    }
                    cell_value(flag, &text)?
                }
                (_, value) => value,
            };
            if translated.insert(flag.property.to_owned(), value).is_some() {
                return Err(Problem::of(
                    flag.property,
                    format!(
                        "{} is given twice: by {name:?} and by another property or the \
                         mapping's constant",
                        flag.property
                    ),
                ));
            }
        }
        Ok((translated, source_id))
    }

    /// A JSON row's `--id-column` value; the property is taken out of the row unless it
    /// gives a property too.
    fn json_id(
        &self,
        mut properties: Map<String, Value>,
    ) -> Result<(Map<String, Value>, Option<String>), Problem> {
        let Some(column) = &self.id_column else {
            return Ok((properties, None));
        };
        let id = if self.translation.property(column).is_some() {
            properties.get(column).cloned()
        } else {
            properties.remove(column)
        };
        match id.as_ref().and_then(id_text) {
            Some(id) => Ok((properties, Some(id))),
            None => match id {
                Some(other) if !other.is_null() && other != "" => Err(Problem::of(
                    column,
                    format!("{column} (--id-column) is {other}: expected a string or a number"),
                )),
                _ => Err(Problem::of(column, format!("no {column} (--id-column)"))),
            },
        }
    }

    /// A warning about a CSV row with a quoted field over several lines, one of which
    /// has as many commas as a row: likely rows swallowed by a stray quote that closes
    /// further down.
    pub fn swallowed(&self, row: &Row) -> Option<String> {
        let Ok(Content::Csv(record)) = &row.content else {
            return None;
        };
        let commas = self.csv.len().saturating_sub(1).max(1);
        let (column, lines) = record.iter().enumerate().find_map(|(i, field)| {
            let lines = field.lines().count();
            let like_rows = field
                .lines()
                .skip(1)
                .any(|line| line.matches(',').count() >= commas);
            (like_rows && lines > 1).then_some((i, lines))
        })?;
        let name = self
            .header
            .as_ref()
            .and_then(|h| h.get(column))
            .unwrap_or_default();
        Some(format!(
            "row {} (line {}): its quoted field {name:?} spans {lines} lines that look like \
             rows of their own; if a quote is missing, those rows are part of this one",
            row.number, row.line
        ))
    }

    /// A row as JSON, as the rejects file shows it: a CSV row as an object of its cells,
    /// a JSON line as its value (or its text, if it is not JSON).
    pub fn show(&self, row: &Row) -> Value {
        match (&row.content, &self.header) {
            (Ok(Content::Csv(record)), Some(header)) => Value::Object(
                header
                    .iter()
                    .zip(record.iter())
                    .map(|(name, cell)| (name.to_owned(), Value::from(cell)))
                    .collect(),
            ),
            (Ok(Content::Json(line)), _) => {
                serde_json::from_str(line).unwrap_or_else(|_| Value::from(line.as_str()))
            }
            _ => Value::Null,
        }
    }
}

/// The first column a header names twice; columns without a name (a spreadsheet's
/// trailing empty cells) name nothing twice.
pub fn named_twice(header: &StringRecord) -> Option<&str> {
    header
        .iter()
        .enumerate()
        .find(|&(i, name)| !name.is_empty() && header.iter().take(i).any(|earlier| earlier == name))
        .map(|(_, name)| name)
}

/// A JSON `--id-column` value as text: a string that is not empty, or a number.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// A CSV cell as its property's JSON value: `true`/`false` for booleans (in any case,
/// as spreadsheets write them), JSON for objects and arrays, the text itself otherwise.
fn cell_value(flag: &BodyFlag, cell: &str) -> Result<Value, Problem> {
    if flag.repeated || flag.value_name == "JSON" {
        return crate::operation::exact_json(cell)
            .map_err(|e| Problem::of(flag.property, format!("{}: {e}", flag.property)));
    }
    if flag.value_name == "BOOL" {
        return match cell.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(Problem::of(
                flag.property,
                format!("{}: {cell:?} is not true or false", flag.property),
            )),
        };
    }
    Ok(Value::from(cell))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[&str]) -> StringRecord {
        StringRecord::from(fields.to_vec())
    }

    fn csv_row(fields: &[&str]) -> Row {
        Row {
            number: 1,
            line: 2,
            content: Ok(Content::Csv(record(fields))),
        }
    }

    fn json_row(line: &str) -> Row {
        Row {
            number: 1,
            line: 1,
            content: Ok(Content::Json(line.to_owned())),
        }
    }

    fn columns(header: &[&str], id: Option<&str>, ignore: bool) -> Result<Columns, String> {
        Columns::new(
            Some(record(header)),
            id.map(str::to_owned),
            ignore,
            Translation::default(),
        )
        .map_err(|f| f.to_string())
    }

    const HEADER: [&str; 5] = ["title", "requestorEmail", "teamId", "isPrivate", "metadata"];

    #[test]
    fn cells_become_typed_properties() {
        let columns = columns(&HEADER, None, false).expect("valid header");
        let valid = columns
            .check(&csv_row(&[
                "T",
                "a@b.example",
                "t1",
                "TRUE",
                r#"{"tier": 2}"#,
            ]))
            .expect("valid row");
        assert_eq!(valid.body.is_private, Some(true));
        assert_eq!(valid.body.metadata.get("tier"), Some(&Value::from(2)));
        assert!(matches!(valid.basis, Basis::Content(_)));

        // An empty cell is an absent property.
        let valid = columns
            .check(&csv_row(&["T", "a@b.example", "t1", "", ""]))
            .expect("valid row");
        assert_eq!(valid.body.is_private, None);
    }

    #[test]
    fn bad_cells_name_their_property() {
        let columns = columns(&HEADER, None, false).expect("valid header");
        for (row, property, message) in [
            (
                ["T", "a@b.example", "t1", "yes", ""],
                "isPrivate",
                "\"yes\" is not true or false",
            ),
            (
                ["T", "a@b.example", "t1", "", "{tier"],
                "metadata",
                "metadata: not valid JSON",
            ),
            (
                ["T", "a@b.example", "", "", ""],
                "teamId",
                "no teamId, which CreateTicketBody requires",
            ),
            (
                ["T", "a@b.example", "t1", "", "[1]"],
                "metadata",
                "invalid metadata: invalid type",
            ),
        ] {
            let problem = columns.check(&csv_row(&row)).expect_err(property);
            assert_eq!(problem.property.as_deref(), Some(property), "{problem:?}");
            assert!(problem.message.contains(message), "{problem:?}");
        }
    }

    #[test]
    fn headers_are_checked_before_any_row() {
        for (header, id, message) in [
            (
                &["title", "titel"][..],
                None,
                "unknown column \"titel\" (did you mean title?): CreateTicketBody has no such \
                 property",
            ),
            (&["title", "title"], None, "names column \"title\" twice"),
            (
                &["title", "requestorEmail"],
                None,
                "no column teamId: CreateTicketBody requires it",
            ),
            (
                &HEADER,
                Some("zendesk_id"),
                "--id-column zendesk_id: the header has no such column",
            ),
        ] {
            let err = columns(header, id, false).expect_err(message);
            assert!(err.contains(message), "{err}");
        }
        assert!(columns(&["title", "requestorEmail", "teamId", "notes"], None, true).is_ok());
    }

    #[test]
    fn the_id_column_keys_the_row_and_is_not_sent() {
        let header = ["zendesk_id", "title", "requestorEmail", "teamId"];
        let columns = columns(&header, Some("zendesk_id"), false).expect("valid header");
        let valid = columns
            .check(&csv_row(&["8812", "T", "a@b.example", "t1"]))
            .expect("valid row");
        assert_eq!(valid.source_id.as_deref(), Some("8812"));
        assert!(matches!(valid.basis, Basis::Id(_)));
        let problem = columns
            .check(&csv_row(&["", "T", "a@b.example", "t1"]))
            .expect_err("no id");
        assert_eq!(problem.message, "no zendesk_id (--id-column)");

        // JSON Lines: a number is an id too, and the row's own key comes first.
        let columns = Columns::new(
            None,
            Some("zendesk_id".into()),
            false,
            Translation::default(),
        )
        .expect("valid");
        let valid = columns
            .check(&json_row(
                r#"{"zendesk_id": 8812, "title": "T", "requestorEmail": "a@b.example",
                    "teamId": "t1", "deDuplicationKey": "own"}"#,
            ))
            .expect("valid row");
        assert_eq!(valid.source_id.as_deref(), Some("8812"));
        assert!(matches!(&valid.basis, Basis::Own(key) if key == "own"));
    }

    fn translation(text: &str, maps: &[&str]) -> Translation {
        let file = crate::test_file::TempFile::new("mapping.toml", text);
        let maps: Vec<String> = maps.iter().map(|m| (*m).to_owned()).collect();
        Translation::load(Some(std::path::Path::new(file.path())), &maps).expect("valid mapping")
    }

    const FOREIGN: &str = r#"
        [columns]
        "Requester" = "requestorEmail"
        "Priority" = "priorityName"
        "Due" = "dueDate"
        [constants]
        teamId = "T1"
        [values.priorityName]
        urgent = "High"
        [values.isPrivate]
        yes = true
        no = false
        [dates]
        dueDate = "%d/%m/%Y"
    "#;

    #[test]
    fn a_translated_row_has_its_properties_constants_and_values() {
        let header = ["Id", "Subject", "Requester", "Priority", "Due", "isPrivate"];
        let columns = Columns::new(
            Some(record(&header)),
            Some("Id".into()),
            false,
            translation(FOREIGN, &["Subject=title"]),
        )
        .expect("valid header");
        let valid = columns
            .check(&csv_row(&[
                "881",
                "T",
                "a@b.example",
                "urgent",
                "31/12/2025",
                "yes",
            ]))
            .expect("valid row");
        let body = serde_json::to_value(&valid.body).expect("JSON");
        assert_eq!(body["title"], "T");
        assert_eq!(body["teamId"], "T1");
        assert_eq!(body["priorityName"], "High");
        assert_eq!(body["dueDate"], "2025-12-31T00:00:00Z");
        assert_eq!(body["isPrivate"], true);
        assert_eq!(valid.source_id.as_deref(), Some("881"));

        let problem = columns
            .check(&csv_row(&[
                "882",
                "T",
                "a@b.example",
                "low",
                "2025-12-31",
                "",
            ]))
            .expect_err("not the mapping's date format");
        assert_eq!(problem.property.as_deref(), Some("dueDate"));
        assert!(
            problem
                .message
                .starts_with("dueDate (column \"Due\"): \"2025-12-31\" is not a date"),
            "{problem:?}"
        );

        // JSON Lines: the same translation, by property name.
        let columns = Columns::new(None, None, false, translation(FOREIGN, &["Subject=title"]))
            .expect("valid");
        let valid = columns
            .check(&json_row(
                r#"{"Subject": "T", "Requester": "a@b.example", "Priority": "urgent", "isPrivate": "no"}"#,
            ))
            .expect("valid row");
        let body = serde_json::to_value(&valid.body).expect("JSON");
        assert_eq!(body["priorityName"], "High");
        assert_eq!(body["isPrivate"], false);
        assert_eq!(body["teamId"], "T1");
        let problem = columns
            .check(&json_row(
                r#"{"Subject": "T", "title": "U", "Requester": "a@b.example"}"#,
            ))
            .expect_err("title twice");
        assert!(
            problem.message.contains("title is given twice"),
            "{problem:?}"
        );
    }

    #[test]
    fn a_translated_header_is_checked_before_any_row() {
        for (header, maps, message) in [
            (
                &["Subject", "title", "Requester"][..],
                &["Subject=title"][..],
                "columns \"Subject\" and \"title\" both give title",
            ),
            (
                &["title", "Requester", "teamId", "Priority", "Due"],
                &[],
                "column \"teamId\" and the mapping's constant both give teamId",
            ),
            (
                &["title", "requestorEmail", "teamId"],
                &["Subjct=description"],
                "the mapping names column \"Subjct\", which the header does not have",
            ),
            (
                &["title", "Requester email"],
                &[],
                "unknown column \"Requester email\" (did you mean requestorEmail?)",
            ),
        ] {
            let mapping = if header.contains(&"Due") { FOREIGN } else { "" };
            let err = Columns::new(
                Some(record(header)),
                None,
                false,
                translation(mapping, maps),
            )
            .expect_err(message)
            .to_string();
            assert!(err.contains(message), "{err}");
        }
    }

    #[test]
    fn json_rows_are_objects_with_known_properties() {
        let strict = Columns::new(None, None, false, Translation::default()).expect("valid");
        let lenient = Columns::new(None, None, true, Translation::default()).expect("valid");
        let line = r#"{"title": "T", "requestorEmail": "a@b.example", "teamId": "t1", "notes": 1}"#;
        let problem = strict.check(&json_row(line)).expect_err("unknown property");
        assert_eq!(problem.message, "CreateTicketBody has no property notes");
        assert!(lenient.check(&json_row(line)).is_ok());
        for (line, message) in [("[1]", "not a JSON object"), ("{", "not valid JSON")] {
            let problem = strict.check(&json_row(line)).expect_err(line);
            assert!(problem.message.starts_with(message), "{problem:?}");
            assert_eq!(problem.property, None);
        }
    }
}
