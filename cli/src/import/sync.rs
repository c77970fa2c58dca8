//! `--sync`: what a row whose content changed since it was sent does to its ticket. Only
//! the properties that changed are sent, as `PATCH /v1/tickets/{id}`, so that what was
//! edited in Thena since stays; a change an update cannot make is a note on the row,
//! never dropped unsaid:
//!
//! - a property set on create only (`requestorEmail`, `teamId`, comments...);
//! - a property cleared in the export (an update sets, it cannot unset).
//!
//! A ticket whose id the journal does not know (its create's answer did not decode, or
//! was a 409) is asked for it first: the row's create is sent again under its key,
//! which the platform answers with the ticket it made, never a second one.
//!
//! When the journal does not know what the ticket has (a journal of an older thena, a
//! create answered by a ticket an earlier attempt with other content may have made),
//! every property an update can set is sent, once.

use serde_json::Value;
use thena_sdk::types::{CreateTicketBody, UpdateTicketBody};

use crate::body::{self, Invalid};
use crate::generated::UPDATE_TICKET_BODY;
use crate::import::check::Valid;
use crate::import::journal::Baseline;
use crate::import::sent::Sent;

/// An update of a row's ticket.
#[derive(Debug)]
pub struct Update {
    /// Which ticket.
    pub target: Target,
    /// The properties that changed.
    pub body: UpdateTicketBody,
    /// Their names, in order.
    pub properties: Vec<String>,
    /// What the ticket's properties are once it is made.
    pub sent: Sent,
}

impl Update {
    /// What the ticket has, as far as known, when this update may or may not have been
    /// made: its properties are not known.
    pub fn unsure(&self) -> Sent {
        let mut sent = self.sent.clone();
        for property in &self.properties {
            sent.forget(property);
        }
        sent
    }
}

/// The ticket an update is for.
#[derive(Debug)]
pub enum Target {
    /// The ticket of this id.
    Id(String),
    /// The ticket this create (the row's, with its key) is answered with.
    Key(Box<CreateTicketBody>),
}

/// What a changed row does.
#[derive(Debug, Default)]
pub struct Change {
    /// The update to send, if any property can be.
    pub update: Option<Update>,
    /// The changes not sent, each as a phrase.
    pub notes: Vec<String>,
}

/// The change a row asks of its ticket, which the journal knows as `baseline`.
pub fn change(valid: &Valid, baseline: Option<&Baseline>) -> Change {
    let target = match baseline.and_then(|b| b.id.clone()) {
        Some(id) => Target::Id(id),
        None => Target::Key(Box::new(valid.body.clone())),
    };
    let known = baseline.and_then(|b| b.sent.as_ref());
    let names: Vec<&str> = match known {
        Some(earlier) => valid.sent.changed(earlier),
        None => valid.sent.names().collect(),
    };
    let current = match serde_json::to_value(&valid.body) {
        Ok(Value::Object(current)) => current,
        _ => serde_json::Map::new(),
    };
    let mut sent = known.cloned().unwrap_or_default();
    let mut properties = serde_json::Map::new();
    let mut notes = Vec::new();
    for name in names {
        let updatable = UPDATE_TICKET_BODY.flag(name).is_some();
        match (updatable, current.get(name), known) {
            // Not known, and it cannot be sent: taken as made.
            (false, _, None) => sent.take(name, &valid.sent),
            (false, _, Some(_)) => notes.push(format!(
                "{name} changed, but it is set on create only: not updated"
            )),
            (true, None, _) => notes.push(format!(
                "{name} was cleared in the export, but an update cannot clear it: not \
                 updated"
            )),
            (true, Some(value), _) => {
                properties.insert(name.to_owned(), value.clone());
                sent.take(name, &valid.sent);
            }
        }
    }
    if properties.is_empty() {
        return Change {
            update: None,
            notes,
        };
    }
    let names: Vec<String> = properties.keys().cloned().collect();
    match body::check::<UpdateTicketBody>(&UPDATE_TICKET_BODY, properties) {
        Ok(body) => Change {
            update: Some(Update {
                target,
                body,
                properties: names,
                sent,
            }),
            notes,
        },
        Err(invalid) => {
            let schema = UPDATE_TICKET_BODY.schema;
            notes.push(match invalid {
                Invalid::Rule { path, rule, .. } => {
                    format!("{path} changed, but {schema} refuses it ({rule}): not updated")
                }
                Invalid::Unknown(names) => {
                    format!("{schema} has no property {}: not updated", names.join(", "))
                }
                Invalid::Missing(flags) => {
                    let names: Vec<&str> = flags.iter().map(|f| f.property).collect();
                    format!("{schema} requires {}: not updated", names.join(", "))
                }
            });
            Change {
                update: None,
                notes,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;
    use crate::generated::CREATE_TICKET_BODY;
    use crate::import::key::Basis;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn valid(value: Value) -> Valid {
        let properties = object(value);
        Valid {
            sent: Sent::of(&properties),
            basis: Basis::Own("k".into()),
            source_id: None,
            body: body::check(&CREATE_TICKET_BODY, properties).expect("a valid body"),
        }
    }

    fn row() -> Value {
        json!({"title": "B", "requestorEmail": "x@example.com", "teamId": "t", "priorityName": "High"})
    }

    #[test]
    fn only_what_changed_is_sent_and_what_cannot_be_is_noted() {
        let baseline = Baseline {
            id: Some("T1".into()),
            sent: Some(Sent::of(&object(json!({
                "title": "A", "requestorEmail": "y@example.com", "teamId": "t",
                "description": "d"
            })))),
        };
        let change = change(&valid(row()), Some(&baseline));
        let update = change.update.expect("an update");
        assert!(matches!(&update.target, Target::Id(id) if id == "T1"));
        assert_eq!(update.properties, ["priorityName", "title"]);
        let body = serde_json::to_value(&update.body).expect("JSON");
        assert_eq!(body, json!({"priorityName": "High", "title": "B"}));
        assert_eq!(
            change.notes,
            [
                "description was cleared in the export, but an update cannot clear it: not \
                 updated",
                "requestorEmail changed, but it is set on create only: not updated"
            ]
        );
        // What the ticket has now: the new title and priority, the old requestor and
        // description.
        let now = Sent::of(&object(json!({
            "title": "B", "requestorEmail": "y@example.com", "teamId": "t",
            "description": "d", "priorityName": "High"
        })));
        assert_eq!(update.sent, now);
    }

    #[test]
    fn an_unknown_baseline_sends_every_property_an_update_can_set_once() {
        let baseline = Baseline {
            id: Some("T1".into()),
            sent: None,
        };
        let row = valid(row());
        let change = change(&row, Some(&baseline));
        assert!(change.notes.is_empty(), "{:?}", change.notes);
        let update = change.update.expect("an update");
        assert_eq!(update.properties, ["priorityName", "title"]);
        assert_eq!(update.sent, row.sent, "taken as made, create-only ones too");

        // Its id unknown: its create is sent again, to be answered with its ticket.
        let change = super::change(&row, Some(&Baseline::default()));
        let update = change.update.expect("an update");
        assert!(matches!(&update.target, Target::Key(body) if body.title.as_str() == "B"));
    }
}
