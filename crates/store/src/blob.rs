//! A local content-addressed blob store on disk.
//!
//! Layout: `<dir>/<fan-out>/<cid>`, where `<fan-out>` is the two characters following the constant
//! `bafkrei` prefix of the base32-lower CID (they depend only on the digest, giving 1024 evenly filled
//! directories). Writes go to a temporary file in the fan-out directory, are fsynced, then renamed into
//! place and the directory fsynced, so a reader sees either nothing or the complete blob, and concurrent
//! writers of the same content race harmlessly. Reads re-hash the bytes and refuse corrupt blobs.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ::cid::Cid;
use sha2::{Digest, Sha256};

use crate::cid::{RAW_SHA256_PREFIX, cid_from_sha256, cid_string, content_cid, sha256_of};
use crate::error::{Result, StoreError};

/// Distinguishes temporary files of concurrent writers within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Temporary files start with this, which no CID does.
const TEMP_PREFIX: &str = ".tmp-";

/// A directory of blobs, each named by its CIDv1 raw sha2-256 CID.
///
/// All methods take `&self` and the type is `Send + Sync`: share one instance or open the same
/// directory several times, across threads or processes. Operations are blocking; from async code call
/// them through `tokio::task::spawn_blocking`.
#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
}

impl BlobStore {
    /// Opens the store rooted at `dir`, creating the directory if needed.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|source| io("create directory", &dir, source))?;
        Ok(Self { dir })
    }

    /// The root directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the blob of `cid` lives (whether or not it is stored).
    ///
    /// Fails with [`StoreError::UnsupportedCid`] unless `cid` is a CIDv1 raw sha2-256 CID.
    pub fn path_of(&self, cid: &Cid) -> Result<PathBuf> {
        sha256_of(cid)?;
        let name = cid_string(cid);
        let fan_out = name.get(RAW_SHA256_PREFIX.len()..RAW_SHA256_PREFIX.len() + 2).unwrap_or("__");
        Ok(self.dir.join(fan_out).join(name))
    }

    /// Stores `bytes` and returns their CID. Idempotent: storing present content again rewrites nothing
    /// (unless the present copy is corrupt, which it replaces).
    ///
    /// Fails with [`StoreError::TooLarge`] above [`MAX_SINGLE_BLOCK`](crate::cid::MAX_SINGLE_BLOCK).
    pub fn put(&self, bytes: &[u8]) -> Result<Cid> {
        let cid = content_cid(bytes)?;
        let path = self.path_of(&cid)?;
        if let Ok(existing) = fs::read(&path)
            && existing == bytes
        {
            return Ok(cid);
        }
        let parent = path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(parent).map_err(|source| io("create directory", parent, source))?;

        let temp = parent.join(format!(
            "{TEMP_PREFIX}{}-{}-{}",
            cid_string(&cid),
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = write_synced(&temp, bytes)
            .and_then(|()| fs::rename(&temp, &path).map_err(|source| io("rename temporary file into", &path, source)));
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        sync_dir(parent)?;
        Ok(cid)
    }

    /// The content of `cid`, or `None` if it is not stored.
    ///
    /// Re-hashes the bytes and fails with [`StoreError::Corrupt`] if they do not match the CID.
    pub fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>> {
        let path = self.path_of(cid)?;
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(io("read", &path, source)),
        };
        let actual: [u8; 32] = Sha256::digest(&bytes).into();
        if actual != sha256_of(cid)? {
            return Err(StoreError::Corrupt {
                cid: cid_string(cid),
                path,
                actual: cid_string(&cid_from_sha256(actual)),
            });
        }
        Ok(Some(bytes))
    }

    /// Whether a blob is stored under `cid` (without reading or verifying it).
    pub fn contains(&self, cid: &Cid) -> Result<bool> {
        let path = self.path_of(cid)?;
        path.try_exists().map_err(|source| io("check", &path, source))
    }

    /// Every stored CID, sorted by CID text. Ignores temporary files and anything not named by a CIDv1
    /// raw sha2-256 CID in the right fan-out directory.
    pub fn list(&self) -> Result<Vec<Cid>> {
        let mut found = Vec::new();
        for fan_out in read_dir(&self.dir)? {
            if !fan_out.file_type().map_err(|source| io("inspect", &fan_out.path(), source))?.is_dir() {
                continue;
            }
            for entry in read_dir(&fan_out.path())? {
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
                if name.starts_with(TEMP_PREFIX) {
                    continue;
                }
                let Ok(cid) = crate::cid::parse_cid(&name) else { continue };
                if cid_string(&cid) == name && self.path_of(&cid).is_ok_and(|p| p == entry.path()) {
                    found.push((name, cid));
                }
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(found.into_iter().map(|(_, cid)| cid).collect())
    }
}

fn io(op: &'static str, path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io { op, path: path.to_owned(), source }
}

fn read_dir(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    fs::read_dir(dir)
        .and_then(|entries| entries.collect::<std::io::Result<Vec<_>>>())
        .map_err(|source| io("list", dir, source))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| io("create temporary file", path, source))?;
    file.write_all(bytes).map_err(|source| io("write", path, source))?;
    file.sync_all().map_err(|source| io("fsync", path, source))
}

/// Makes a rename in `dir` durable. Directories cannot be opened for syncing on every platform, so this
/// is best effort outside Unix.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir).and_then(|d| d.sync_all()).map_err(|source| io("fsync directory", dir, source))
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, File::open);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use super::*;
    use crate::cid::MAX_SINGLE_BLOCK;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn put_get_contains_list() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = BlobStore::open(dir.path().join("blobs"))?;
        let hello = store.put(b"hello world")?;
        assert_eq!(hello, content_cid(b"hello world")?);
        assert!(store.contains(&hello)?);
        assert_eq!(store.get(&hello)?.as_deref(), Some(&b"hello world"[..]));

        let path = store.path_of(&hello)?;
        let text = cid_string(&hello);
        assert_eq!(path, store.dir().join(&text[7..9]).join(&text));
        assert!(path.is_file());

        let absent = content_cid(b"never stored")?;
        assert!(!store.contains(&absent)?);
        assert_eq!(store.get(&absent)?, None);

        let empty = store.put(b"")?;
        let mut expected = vec![hello, empty];
        expected.sort_by_key(cid_string);
        assert_eq!(store.list()?, expected);

        // A second handle on the same directory sees the same blobs.
        assert_eq!(BlobStore::open(store.dir())?.list()?, expected);
        Ok(())
    }

    #[test]
    fn put_is_idempotent() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = BlobStore::open(dir.path())?;
        let first = store.put(b"same")?;
        let modified = fs::metadata(store.path_of(&first)?)?.modified()?;
        let second = store.put(b"same")?;
        assert_eq!(first, second);
        assert_eq!(fs::metadata(store.path_of(&first)?)?.modified()?, modified);
        assert_eq!(store.list()?, vec![first]);
        Ok(())
    }

    #[test]
    fn detects_corruption_and_put_repairs_it() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = BlobStore::open(dir.path())?;
        let cid = store.put(b"the receipt")?;
        let path = store.path_of(&cid)?;
        fs::write(&path, b"the deceipt")?;
        match store.get(&cid) {
            Err(StoreError::Corrupt { cid: reported, path: p, actual }) => {
                assert_eq!(reported, cid.to_string());
                assert_eq!(p, path);
                assert_eq!(actual, content_cid(b"the deceipt")?.to_string());
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
        // Corruption is still "contained" (contains does not read); put heals it.
        assert!(store.contains(&cid)?);
        assert_eq!(store.put(b"the receipt")?, cid);
        assert_eq!(store.get(&cid)?.as_deref(), Some(&b"the receipt"[..]));
        Ok(())
    }

    #[test]
    fn truncated_blob_is_corrupt() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = BlobStore::open(dir.path())?;
        let cid = store.put(b"0123456789")?;
        fs::write(store.path_of(&cid)?, b"01234")?;
        assert!(matches!(store.get(&cid), Err(StoreError::Corrupt { .. })));
        Ok(())
    }

    #[test]
    fn concurrent_puts_of_the_same_content() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = BlobStore::open(dir.path())?;
        let content: Vec<u8> = (0..MAX_SINGLE_BLOCK).map(|i| (i % 251) as u8).collect();
        let content = Arc::new(content);
        let threads = 8;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                // Half share one handle, half open their own.
                let store =
                    if i % 2 == 0 { store.clone() } else { BlobStore::open(dir.path()).map_err(|e| e.to_string())? };
                let content = Arc::clone(&content);
                let barrier = Arc::clone(&barrier);
                Ok(std::thread::spawn(move || {
                    barrier.wait();
                    (0..20).map(|_| store.put(&content)).collect::<Result<Vec<_>>>()
                }))
            })
            .collect::<std::result::Result<_, String>>()?;
        let expected = content_cid(&content)?;
        for handle in handles {
            let cids = handle.join().map_err(|_| "writer thread panicked")??;
            assert!(cids.iter().all(|cid| *cid == expected));
        }
        assert_eq!(store.get(&expected)?.as_deref(), Some(content.as_slice()));
        assert_eq!(store.list()?, vec![expected]);
        // No temporary file is left behind.
        let fan_out = store.path_of(&expected)?.parent().map(Path::to_owned).ok_or("no parent")?;
        assert_eq!(fs::read_dir(fan_out)?.count(), 1);
        Ok(())
    }

    #[test]
    fn concurrent_puts_of_different_content() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = BlobStore::open(dir.path())?;
        let handles: Vec<_> = (0..4u8)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || (0..25u8).map(|i| store.put(&[t, i])).collect::<Result<Vec<_>>>())
            })
            .collect();
        let mut all = Vec::new();
        for handle in handles {
            all.extend(handle.join().map_err(|_| "writer thread panicked")??);
        }
        all.sort_by_key(cid_string);
        assert_eq!(store.list()?, all);
        assert_eq!(all.len(), 100);
        Ok(())
    }

    #[test]
    fn rejects_oversized_content_and_foreign_cids() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = BlobStore::open(dir.path())?;
        assert!(matches!(store.put(&vec![0; MAX_SINGLE_BLOCK + 1]), Err(StoreError::TooLarge { .. })));
        let v0: Cid = "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD".parse()?;
        assert!(matches!(store.get(&v0), Err(StoreError::UnsupportedCid { .. })));
        assert!(matches!(store.contains(&v0), Err(StoreError::UnsupportedCid { .. })));
        Ok(())
    }

    #[test]
    fn list_ignores_stray_files() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = BlobStore::open(dir.path())?;
        let cid = store.put(b"x")?;
        let fan_out = store.path_of(&cid)?.parent().map(Path::to_owned).ok_or("no parent")?;
        fs::write(fan_out.join(".tmp-leftover"), b"x")?;
        fs::write(fan_out.join("README"), b"x")?;
        fs::write(dir.path().join("top-level-file"), b"x")?;
        // A valid CID in the wrong fan-out directory.
        let other = content_cid(b"y")?;
        fs::create_dir_all(dir.path().join("zz"))?;
        fs::write(dir.path().join("zz").join(cid_string(&other)), b"y")?;
        assert_eq!(store.list()?, vec![cid]);
        Ok(())
    }
}
