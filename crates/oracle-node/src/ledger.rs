//! What a node has signed, durably: one value per (feed, round), so it never equivocates, even across restarts.

use std::path::Path;

use alloy_primitives::B256;
use automat_contracts::oracle::SignedObservation;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::{NodeError, Result};

const SIGNED: TableDefinition<'_, (&[u8; 32], u64), &[u8]> = TableDefinition::new("signed");

/// A signed observation as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    value: String,
    observed_at: u64,
    signature: Vec<u8>,
}

/// The node's signing ledger (one redb file).
#[derive(Debug)]
pub struct Ledger {
    db: Database,
}

impl Ledger {
    /// Opens (or creates) the ledger at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| err("create directory", e))?;
        }
        let db = Database::create(path).map_err(|e| err("open", e))?;
        let tx = db.begin_write().map_err(|e| err("begin", e))?;
        tx.open_table(SIGNED).map_err(|e| err("table", e))?;
        tx.commit().map_err(|e| err("commit", e))?;
        Ok(Self { db })
    }

    /// What this node signed for `round` of `feed`, if anything.
    pub fn get(&self, feed: B256, round: u64) -> Result<Option<SignedObservation>> {
        let tx = self.db.begin_read().map_err(|e| err("begin", e))?;
        let table = tx.open_table(SIGNED).map_err(|e| err("table", e))?;
        let Some(bytes) = table.get((&feed.0, round)).map_err(|e| err("read", e))? else {
            return Ok(None);
        };
        let entry: Entry = serde_json::from_slice(bytes.value()).map_err(|e| err("decode", e))?;
        let value = entry.value.parse().map_err(|e| err("decode value", e))?;
        Ok(Some(SignedObservation { value, observedAt: entry.observed_at, signature: entry.signature.into() }))
    }

    /// The highest round of `feed` this node signed, if any.
    pub fn last_round(&self, feed: B256) -> Result<Option<u64>> {
        let tx = self.db.begin_read().map_err(|e| err("begin", e))?;
        let table = tx.open_table(SIGNED).map_err(|e| err("table", e))?;
        let mut range = table.range((&feed.0, 0)..=(&feed.0, u64::MAX)).map_err(|e| err("range", e))?;
        match range.next_back() {
            Some(entry) => Ok(Some(entry.map_err(|e| err("read", e))?.0.value().1)),
            None => Ok(None),
        }
    }

    /// Records `observation` for `round` of `feed`, unless one is recorded already; returns the one that stands
    /// (the earlier one if any). One durable transaction: check and write cannot be separated by a crash.
    pub fn record(&self, feed: B256, round: u64, observation: &SignedObservation) -> Result<SignedObservation> {
        let tx = self.db.begin_write().map_err(|e| err("begin", e))?;
        let standing = {
            let mut table = tx.open_table(SIGNED).map_err(|e| err("table", e))?;
            let existing = table.get((&feed.0, round)).map_err(|e| err("read", e))?.map(|b| b.value().to_vec());
            match existing {
                Some(bytes) => {
                    let entry: Entry = serde_json::from_slice(&bytes).map_err(|e| err("decode", e))?;
                    let value = entry.value.parse().map_err(|e| err("decode value", e))?;
                    SignedObservation { value, observedAt: entry.observed_at, signature: entry.signature.into() }
                }
                None => {
                    let entry = Entry {
                        value: observation.value.to_string(),
                        observed_at: observation.observedAt,
                        signature: observation.signature.to_vec(),
                    };
                    let bytes = serde_json::to_vec(&entry).map_err(|e| err("encode", e))?;
                    table.insert((&feed.0, round), bytes.as_slice()).map_err(|e| err("write", e))?;
                    observation.clone()
                }
            }
        };
        tx.commit().map_err(|e| err("commit", e))?;
        Ok(standing)
    }
}

fn err(what: &str, e: impl std::fmt::Display) -> NodeError {
    NodeError::Ledger(format!("{what}: {e}"))
}
