//! Durable progress of the off-chain roles (one redb file per daemon).
//!
//! Each role keeps, per source chain, the last block it has fully handled (its cursor) and, per message, the
//! step it has reached. Every update is one durable write transaction. A role is idempotent because it
//! checks the destination chain's own state before it submits (a payload already verified, a message already
//! delivered) and only then records the step: a crash between submitting and recording repeats the check,
//! never the delivery, and the cursor moves past a block only once every message in it is recorded done.

use std::path::Path;

use redb::{Database, ReadableDatabase, TableDefinition};
use serde::{Serialize, de::DeserializeOwned};

use crate::{BridgeError, Result};

const CURSORS: TableDefinition<'_, &str, u64> = TableDefinition::new("cursors");
const MESSAGES: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("messages");

/// A role's progress database.
#[derive(Debug)]
pub struct Progress {
    db: Database,
}

impl Progress {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| store_err("create directory", e))?;
        }
        let db = Database::create(path).map_err(|e| store_err("open", e))?;
        let tx = db.begin_write().map_err(|e| store_err("begin", e))?;
        tx.open_table(CURSORS).map_err(|e| store_err("table", e))?;
        tx.open_table(MESSAGES).map_err(|e| store_err("table", e))?;
        tx.commit().map_err(|e| store_err("commit", e))?;
        Ok(Self { db })
    }

    /// The last block fully handled for `stream` (e.g. `"dvn/1635087360"`), if any.
    pub fn cursor(&self, stream: &str) -> Result<Option<u64>> {
        let tx = self.db.begin_read().map_err(|e| store_err("begin", e))?;
        let table = tx.open_table(CURSORS).map_err(|e| store_err("table", e))?;
        Ok(table.get(stream).map_err(|e| store_err("read", e))?.map(|v| v.value()))
    }

    /// Records that every block up to `block` of `stream` is handled.
    pub fn set_cursor(&self, stream: &str, block: u64) -> Result<()> {
        let tx = self.db.begin_write().map_err(|e| store_err("begin", e))?;
        {
            let mut table = tx.open_table(CURSORS).map_err(|e| store_err("table", e))?;
            table.insert(stream, block).map_err(|e| store_err("write", e))?;
        }
        tx.commit().map_err(|e| store_err("commit", e))
    }

    /// The recorded state of message `key`, if any.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let tx = self.db.begin_read().map_err(|e| store_err("begin", e))?;
        let table = tx.open_table(MESSAGES).map_err(|e| store_err("table", e))?;
        match table.get(key).map_err(|e| store_err("read", e))? {
            Some(bytes) => serde_json::from_slice(bytes.value())
                .map(Some)
                .map_err(|e| BridgeError::Progress(format!("decode {key}: {e}"))),
            None => Ok(None),
        }
    }

    /// Records the state of message `key`.
    pub fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let bytes = serde_json::to_vec(value).map_err(|e| BridgeError::Progress(format!("encode {key}: {e}")))?;
        let tx = self.db.begin_write().map_err(|e| store_err("begin", e))?;
        {
            let mut table = tx.open_table(MESSAGES).map_err(|e| store_err("table", e))?;
            table.insert(key, bytes.as_slice()).map_err(|e| store_err("write", e))?;
        }
        tx.commit().map_err(|e| store_err("commit", e))
    }

    /// Records `value` under `to` and removes `from`, in one durable transaction (a record that moves from one
    /// prefix to another, e.g. out of a "pending" range once finished, is never lost nor seen twice).
    pub fn move_to<T: Serialize>(&self, from: &str, to: &str, value: &T) -> Result<()> {
        let bytes = serde_json::to_vec(value).map_err(|e| BridgeError::Progress(format!("encode {to}: {e}")))?;
        let tx = self.db.begin_write().map_err(|e| store_err("begin", e))?;
        {
            let mut table = tx.open_table(MESSAGES).map_err(|e| store_err("table", e))?;
            table.remove(from).map_err(|e| store_err("remove", e))?;
            table.insert(to, bytes.as_slice()).map_err(|e| store_err("write", e))?;
        }
        tx.commit().map_err(|e| store_err("commit", e))
    }

    /// Every recorded message whose key starts with `prefix`, in key order.
    pub fn scan<T: DeserializeOwned>(&self, prefix: &str) -> Result<Vec<(String, T)>> {
        let tx = self.db.begin_read().map_err(|e| store_err("begin", e))?;
        let table = tx.open_table(MESSAGES).map_err(|e| store_err("table", e))?;
        let mut found = Vec::new();
        for entry in table.range(prefix..).map_err(|e| store_err("range", e))? {
            let (key, value) = entry.map_err(|e| store_err("read", e))?;
            let key = key.value();
            if !key.starts_with(prefix) {
                break;
            }
            let decoded = serde_json::from_slice(value.value())
                .map_err(|e| BridgeError::Progress(format!("decode {key}: {e}")))?;
            found.push((key.to_string(), decoded));
        }
        Ok(found)
    }
}

fn store_err(what: &str, e: impl std::fmt::Display) -> BridgeError {
    BridgeError::Progress(format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_and_messages_survive_reopen() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| BridgeError::Progress(e.to_string()))?;
        let path = dir.path().join("p.redb");
        {
            let p = Progress::open(&path)?;
            assert_eq!(p.cursor("dvn/1")?, None);
            p.set_cursor("dvn/1", 7)?;
            p.put("msg/1/a", &3u32)?;
            p.put("msg/1/b", &4u32)?;
            p.put("msh/other", &5u32)?;
        }
        let p = Progress::open(&path)?;
        assert_eq!(p.cursor("dvn/1")?, Some(7));
        p.move_to("msh/other", "done/other", &6u32)?;
        assert_eq!(p.get::<u32>("msh/other")?, None);
        assert_eq!(p.get::<u32>("done/other")?, Some(6));
        assert_eq!(p.get::<u32>("msg/1/a")?, Some(3));
        let scanned: Vec<(String, u32)> = p.scan("msg/1/")?;
        assert_eq!(scanned, vec![("msg/1/a".to_string(), 3), ("msg/1/b".to_string(), 4)]);
        Ok(())
    }
}
