//! A row of the input checked against the spec: its properties (CSV cells converted to
//! their JSON types), its typed body (body.rs's checks, as for `tickets create`), the
//! basis of its key and the value of its `--id-column`.

use csv::StringRecord;
use serde_json::{Map, Value};
use thena_sdk::types::CreateTicketBody;

use crate::body::{self, Invalid};
use crate::exit::{Failure, Status};
use crate::generated::CREATE_TICKET_BODY;
use crate::import::input::{Content, Row};
use crate::import::key::{Basis, Keys, Repeated};
use crate::operation::BodyFlag;

/// The property that carries a row's own key.
const KEY_PROPERTY: &str = "deDuplicationKey";

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
}

/// What each column of the input means.
#[derive(Debug)]
pub struct Columns {
    id_column: Option<String>,
    ignore_unknown: bool,
    /// For CSV, one per column of the header; empty for JSON Lines.
    csv: Vec<Column>,
    /// For CSV, the header, to show a row as JSON.
    header: Option<StringRecord>,
}

#[derive(Debug)]
enum Column {
    Property(&'static BodyFlag),
    /// The `--id-column` column when it is no property.
    Id,
    /// A column that names no property, with `--ignore-unknown-columns`.
    Ignored,
}

impl Columns {
    /// The columns of a CSV header, or (`None`) of JSON Lines. A header with a column
    /// the spec does not name (unless ignored), twice the same column, no column for a
    /// required property, or no `--id-column` column is refused before any row is read.
    pub fn new(
        header: Option<StringRecord>,
        id_column: Option<String>,
        ignore_unknown: bool,
    ) -> Result<Self, Failure> {
        let usage = |message: String| Failure::new(Status::Usage, message);
        let Some(header) = header else {
            return Ok(Self {
                id_column,
                ignore_unknown,
                csv: Vec::new(),
                header: None,
            });
        };
        let mut csv = Vec::with_capacity(header.len());
        let mut unknown = Vec::new();
        for (i, name) in header.iter().enumerate() {
            // Columns without a name (a spreadsheet's trailing empty cells) name nothing
            // twice.
            if !name.is_empty() && header.iter().take(i).any(|earlier| earlier == name) {
                return Err(usage(format!("the header names column {name:?} twice")));
            }
            csv.push(match CREATE_TICKET_BODY.flag(name) {
                Some(flag) => Column::Property(flag),
                None if id_column.as_deref() == Some(name) => Column::Id,
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
                 data: fix the header, name the column of the source system's ids with \
                 --id-column, or skip such columns with --ignore-unknown-columns",
                unknown.join(", "),
                CREATE_TICKET_BODY.schema
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
            .filter(|f| f.required && !header.iter().any(|name| name == f.property))
            .map(|f| f.property)
            .collect();
        if !missing.is_empty() {
            return Err(usage(format!(
                "no column {}: {} requires it",
                missing.join(", "),
                CREATE_TICKET_BODY.schema
            )));
        }
        Ok(Self {
            id_column,
            ignore_unknown,
            csv,
            header: Some(header),
        })
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
        })
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
        let mut properties = Map::new();
        let mut source_id = None;
        for (column, cell) in self.csv.iter().zip(record.iter()) {
            match column {
                Column::Id => source_id = Some(cell),
                // An empty cell is an absent property.
                Column::Property(flag) if !cell.is_empty() => {
                    properties.insert(flag.property.to_owned(), cell_value(flag, cell)?);
                    if self.id_column.as_deref() == Some(flag.property) {
                        source_id = Some(cell);
                    }
                }
                Column::Property(_) | Column::Ignored => {}
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
        let mut properties = match crate::operation::exact_json(line) {
            Ok(Value::Object(properties)) => properties,
            Ok(_) => return Err(Problem::row("not a JSON object".to_owned())),
            Err(e) => return Err(Problem::row(e)),
        };
        let Some(column) = &self.id_column else {
            return Ok((properties, None));
        };
        let id = if CREATE_TICKET_BODY.flag(column).is_some() {
            properties.get(column).cloned()
        } else {
            properties.remove(column)
        };
        match id {
            Some(Value::String(id)) if !id.is_empty() => Ok((properties, Some(id))),
            Some(Value::Number(id)) => Ok((properties, Some(id.to_string()))),
            Some(other) if !other.is_null() && other != "" => Err(Problem::of(
                column,
                format!("{column} (--id-column) is {other}: expected a string or a number"),
            )),
            _ => Err(Problem::of(column, format!("no {column} (--id-column)"))),
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

/// The property a column's name most likely means: the same but for case, or two
/// letters off.
fn similar(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    let flags = CREATE_TICKET_BODY.flags.iter().map(|f| f.property);
    flags
        .clone()
        .find(|p| p.to_lowercase() == lower)
        .or_else(|| {
            flags
                .clone()
                .find(|p| distance(&p.to_lowercase(), &lower) <= 2)
        })
}

/// The edit distance between two names (Levenshtein).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
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
        Columns::new(Some(record(header)), id.map(str::to_owned), ignore).map_err(|f| f.to_string())
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
        let columns = Columns::new(None, Some("zendesk_id".into()), false).expect("valid");
        let valid = columns
            .check(&json_row(
                r#"{"zendesk_id": 8812, "title": "T", "requestorEmail": "a@b.example",
                    "teamId": "t1", "deDuplicationKey": "own"}"#,
            ))
            .expect("valid row");
        assert_eq!(valid.source_id.as_deref(), Some("8812"));
        assert!(matches!(&valid.basis, Basis::Own(key) if key == "own"));
    }

    #[test]
    fn json_rows_are_objects_with_known_properties() {
        let strict = Columns::new(None, None, false).expect("valid");
        let lenient = Columns::new(None, None, true).expect("valid");
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
