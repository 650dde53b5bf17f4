//! A validator's signed checkpoints in a local directory, laid out like Hyperlane's `file://` checkpoint
//! syncer (`LocalStorage` in `hyperlane-base`): `<index>_with_id.json` per signed checkpoint, `index.json`
//! with the highest index signed, `announcement.json` with the signed storage announcement. Writes go to
//! a temporary file first and are renamed into place, so a reader never sees half a checkpoint.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::message::SignedCheckpoint;
use crate::{BridgeError, Result};

/// The scheme of a local storage location, as announced on chain.
pub const FILE_SCHEME: &str = "file://";

/// A validator's announcement of where its checkpoints are (what `announcement.json` holds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    /// The validator.
    pub validator: alloy_primitives::Address,
    /// The origin's Mailbox.
    pub mailbox_address: alloy_primitives::B256,
    /// The origin domain.
    pub mailbox_domain: u32,
    /// Where the checkpoints are.
    pub storage_location: String,
    /// The validator's signature over the announcement digest (65 bytes, hex).
    pub serialized_signature: alloy_primitives::Bytes,
}

/// A directory of signed checkpoints.
#[derive(Debug, Clone)]
pub struct CheckpointStore {
    dir: PathBuf,
}

impl CheckpointStore {
    /// Opens (creating it if needed) the store at `dir`.
    pub fn create(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| io_err("create", dir, e))?;
        let dir = dir.canonicalize().map_err(|e| io_err("resolve", dir, e))?;
        Ok(Self { dir })
    }

    /// The store an announced location (`file:///abs/path`) points at, without creating it.
    pub fn from_location(location: &str) -> Result<Self> {
        let path = location.strip_prefix(FILE_SCHEME).ok_or_else(|| {
            BridgeError::Config(format!("storage location {location:?} is not a {FILE_SCHEME} location"))
        })?;
        if path.is_empty() {
            return Err(BridgeError::Config(format!("storage location {location:?} names no directory")));
        }
        Ok(Self { dir: PathBuf::from(path) })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The location announced on chain: `file://` followed by the absolute directory.
    pub fn location(&self) -> String {
        format!("{FILE_SCHEME}{}", self.dir.display())
    }

    fn checkpoint_path(&self, index: u32) -> PathBuf {
        self.dir.join(format!("{index}_with_id.json"))
    }

    /// Writes a signed checkpoint as `<index>_with_id.json`.
    pub fn write_checkpoint(&self, checkpoint: &SignedCheckpoint) -> Result<()> {
        let json = serde_json::to_vec_pretty(checkpoint)
            .map_err(|e| BridgeError::Progress(format!("encode checkpoint: {e}")))?;
        self.write_atomically(&self.checkpoint_path(checkpoint.value.checkpoint.index), &json)
    }

    /// The signed checkpoint at `index`, if one was written. An unreadable or malformed file is `None`
    /// (a relayer treats it as a missing signature).
    pub fn fetch_checkpoint(&self, index: u32) -> Option<SignedCheckpoint> {
        let bytes = std::fs::read(self.checkpoint_path(index)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// The highest index written to `index.json`, if any.
    pub fn latest_index(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("index.json")).ok()?.trim().parse().ok()
    }

    /// Records `index` as the highest index signed.
    pub fn write_latest_index(&self, index: u32) -> Result<()> {
        self.write_atomically(&self.dir.join("index.json"), index.to_string().as_bytes())
    }

    /// Writes `announcement.json`.
    pub fn write_announcement(&self, announcement: &Announcement) -> Result<()> {
        let json = serde_json::to_vec_pretty(announcement)
            .map_err(|e| BridgeError::Progress(format!("encode announcement: {e}")))?;
        self.write_atomically(&self.dir.join("announcement.json"), &json)
    }

    fn write_atomically(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
        let tmp = self.dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, bytes).map_err(|e| io_err("write", &tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io_err("rename", path, e))
    }
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> BridgeError {
    BridgeError::Progress(format!("checkpoint store: {what} {}: {e}", path.display()))
}
