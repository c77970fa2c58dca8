//! The in-memory ticket store: tickets by id, the `deDuplicationKey` index and the
//! per-team `ticketId` sequences, behind one lock so that a create is atomic.
//!
//! A store that keeps only keys (a rehearsal of a large import) keeps of each created
//! ticket what deduplication needs: its key's 64-bit fingerprint, its id and its
//! `ticketIdentifier`, about 70 bytes instead of kilobytes. A reused key is answered with
//! a ticket of those fields; the tickets cannot be listed or updated.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use thena_sdk::types::{CreateTicketBody, Ticket};

use crate::ids::{ID_LEN, new_id};
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
    /// `Some` when only keys are kept: then `tickets`, `order` and `by_key` stay empty.
    keys: Option<Keys>,
}

/// What deduplication needs of each ticket created with a key.
#[derive(Default)]
struct Keys {
    /// A key's fingerprint: its index in `kept`.
    by_fingerprint: HashMap<u64, u32>,
    kept: Vec<Kept>,
    /// The `ticketIdentifier` prefixes (one per team), each once.
    prefixes: Vec<String>,
}

struct Kept {
    id: [u8; ID_LEN],
    prefix: u32,
    number: i64,
}

impl Keys {
    fn fingerprint(key: &str) -> u64 {
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        hasher.finish()
    }

    /// The ticket of a key seen before, as far as it is kept.
    fn get(&self, key: &str) -> Option<Ticket> {
        let kept = &self.kept[*self.by_fingerprint.get(&Self::fingerprint(key))? as usize];
        let prefix = self.prefixes.get(kept.prefix as usize)?;
        Some(Ticket {
            id: Some(String::from_utf8_lossy(&kept.id).into_owned()),
            ticket_id: Some(kept.number),
            ticket_identifier: Some(format!("{prefix}-{}", kept.number)),
            ..Ticket::default()
        })
    }

    fn insert(&mut self, key: &str, ticket: &Ticket) {
        let (Some(id), Some(number), Some(identifier)) =
            (&ticket.id, ticket.ticket_id, &ticket.ticket_identifier)
        else {
            return;
        };
        let Ok(id) = <[u8; ID_LEN]>::try_from(id.as_bytes()) else {
            return;
        };
        let prefix = identifier.rsplit_once('-').map_or("", |(prefix, _)| prefix);
        let prefix = match self.prefixes.iter().position(|p| p == prefix) {
            Some(i) => i,
            None => {
                self.prefixes.push(prefix.to_owned());
                self.prefixes.len() - 1
            }
        };
        let (Ok(index), Ok(prefix)) = (u32::try_from(self.kept.len()), u32::try_from(prefix))
        else {
            return;
        };
        self.kept.push(Kept { id, prefix, number });
        self.by_fingerprint.insert(Self::fingerprint(key), index);
    }
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

    /// An empty store; with `keys_only`, one that keeps only what deduplication needs.
    pub(crate) fn new(keys_only: bool) -> Self {
        Self {
            inner: Mutex::new(Inner {
                keys: keys_only.then(Keys::default),
                ..Inner::default()
            }),
        }
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
        if let Some((key, original)) = key
            .as_ref()
            .and_then(|key| Some((key, inner.keys.as_ref()?.get(key)?)))
        {
            return Created::Replayed(original, key.clone());
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
        if let Some(keys) = &mut inner.keys {
            if let Some(key) = key {
                keys.insert(&key, &ticket);
            }
            return Created::New(ticket);
        }
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
