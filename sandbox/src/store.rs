//! The in-memory ticket store: tickets by id, the `deDuplicationKey` index and the
//! per-team `ticketId` sequences, behind one lock so that a create is atomic.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use thena_sdk::types::{CreateTicketBody, Ticket};

use crate::ids::new_id;
use crate::ticket::{self, Assigned};
use crate::validate::Update;

/// The result of a create.
pub(crate) enum Created {
    /// A new ticket.
    New(Ticket),
    /// The `deDuplicationKey` (the second field) was known: the ticket it created, and
    /// nothing new.
    Replayed(Ticket, String),
}

#[derive(Default)]
pub(crate) struct Store {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    tickets: HashMap<String, Stored>,
    /// Ids in creation order, for listing.
    order: Vec<String>,
    by_key: HashMap<String, String>,
    last_number: HashMap<String, i64>,
}

struct Stored {
    /// As the create answered it, `comment` included; updates answer without it.
    ticket: Ticket,
    /// `updatedAt` at full precision, so that each update can move it forward.
    updated: DateTime<Utc>,
}

impl Store {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing panics while holding the lock; if something did, the data is still whole.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn create(&self, body: CreateTicketBody) -> Created {
        let now = Utc::now();
        let unix_ms = u64::try_from(now.timestamp_millis()).unwrap_or_default();
        let key = body.de_duplication_key.as_deref().cloned();
        let mut inner = self.lock();
        if let Some((key, original)) = key.as_ref().and_then(|key| {
            let id = inner.by_key.get(key)?;
            Some((key, inner.tickets.get(id)?))
        }) {
            return Created::Replayed(original.ticket.clone(), key.clone());
        }
        let number = {
            let last = inner.last_number.entry(body.team_id.clone()).or_default();
            *last += 1;
            *last
        };
        let id = loop {
            let id = new_id(unix_ms);
            if !inner.tickets.contains_key(&id) {
                break id;
            }
        };
        let assigned = Assigned {
            id: id.clone(),
            comment_id: new_id(unix_ms),
            number,
            now,
        };
        let ticket = ticket::create(body, assigned);
        if let Some(key) = key {
            inner.by_key.insert(key, id.clone());
        }
        inner.order.push(id.clone());
        inner.tickets.insert(
            id,
            Stored {
                ticket: ticket.clone(),
                updated: now,
            },
        );
        Created::New(ticket)
    }

    /// The updated ticket, or `None` for an unknown id. `updatedAt` always moves forward,
    /// by at least a millisecond, even for updates in the same millisecond.
    pub(crate) fn update(&self, id: &str, update: Update) -> Option<Ticket> {
        let mut inner = self.lock();
        let stored = inner.tickets.get_mut(id)?;
        let now = Utc::now().max(stored.updated + TimeDelta::milliseconds(1));
        ticket::update(&mut stored.ticket, update, now);
        stored.updated = now;
        Some(Ticket {
            comment: None,
            ..stored.ticket.clone()
        })
    }

    /// Every ticket in creation order, or those of one team.
    pub(crate) fn list(&self, team_id: Option<&str>) -> Vec<Ticket> {
        let inner = self.lock();
        inner
            .order
            .iter()
            .filter_map(|id| inner.tickets.get(id))
            .map(|stored| &stored.ticket)
            .filter(|ticket| team_id.is_none_or(|team| ticket.team_id.as_deref() == Some(team)))
            .cloned()
            .collect()
    }
}
