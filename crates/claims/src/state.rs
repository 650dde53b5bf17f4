//! Small JSON state files, written atomically (a temporary file renamed over the old one), so a crash leaves
//! either the old or the new state, never half of one.

use std::path::{Path, PathBuf};

use serde::{Serialize, de::DeserializeOwned};

use crate::{ClaimsError, Result};

/// A value of type `T` kept in one JSON file.
#[derive(Debug)]
pub(crate) struct StateFile<T> {
    path: Option<PathBuf>,
    value: T,
}

impl<T: Serialize + DeserializeOwned + Default> StateFile<T> {
    /// Opens `path` (creating its directory; a missing file is the default state), or keeps the state in
    /// memory only when `path` is `None`.
    pub(crate) fn open(path: Option<PathBuf>) -> Result<Self> {
        let Some(path) = path else { return Ok(Self { path: None, value: T::default() }) };
        let io = |source| ClaimsError::StateIo { path: path.clone(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let value = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|source| ClaimsError::StateCorrupt { path: path.clone(), source })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => T::default(),
            Err(e) => return Err(io(e)),
        };
        Ok(Self { path: Some(path), value })
    }

    /// The state.
    pub(crate) fn get(&self) -> &T {
        &self.value
    }

    /// Changes the state and writes it before returning.
    pub(crate) fn update<R>(&mut self, change: impl FnOnce(&mut T) -> R) -> Result<R> {
        let r = change(&mut self.value);
        self.save()?;
        Ok(r)
    }

    fn save(&self) -> Result<()> {
        let Some(path) = &self.path else { return Ok(()) };
        write_atomic(path, &self.value)
    }
}

fn write_atomic<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let io = |source| ClaimsError::StateIo { path: path.to_path_buf(), source };
    let bytes =
        serde_json::to_vec_pretty(value).map_err(|source| ClaimsError::StateCorrupt { path: path.into(), source })?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    write_private(&tmp, &bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Writes `bytes` to `path` readable by the owner only (the files hold vote salts and beacon secrets).
#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}
