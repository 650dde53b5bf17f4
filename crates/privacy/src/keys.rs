//! The Groth16 keys of the spend and disclosure circuits.
//!
//! - [`ZkKeys::setup`] runs both circuit-specific setups with OS randomness (the toxic waste lives only in
//!   memory during the call) — what `automat zk setup` does;
//! - [`ZkKeys::save`] / [`ZkKeys::load`] keep them in a directory: `spend.pk` and `disclosure.pk` (arkworks'
//!   uncompressed encoding), `spend.vk.json` and `disclosure.vk.json` (snarkjs format, for independent
//!   verifiers), and `keys.json`, a manifest with every file's SHA-256 and where the keys came from; a file that
//!   does not match its checksum is refused;
//! - [`ZkKeys::devnet_seeded`]: keys from a published seed, for the embedded devnet only. Anyone can recompute
//!   their toxic waste and forge proofs; they are announced as such on every use.
//!
//! The verifier contracts take the verifying keys as constructor arguments
//! ([`spend_verifier_words`](ZkKeys::spend_verifier_words)), so new keys deploy without recompiling Solidity.

use std::fmt;
use std::path::{Path, PathBuf};

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use automat_zk::disclosure::{DISCLOSURE_DEPTH, DisclosureProver};
use automat_zk::rand::{SeedableRng, rngs::OsRng, rngs::StdRng};
use automat_zk::spend::{SPEND_DEPTH, SpendProver};
use automat_zk::{Bn254, snarkjs, solidity};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{PrivacyError, Result};

/// The published seed of the devnet's keys.
pub const DEVNET_SEED: u64 = 0xa070_3a70_0000_0006;

/// Where a set of keys came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyOrigin {
    /// `automat zk setup`: OS randomness, toxic waste discarded.
    OsRandomness,
    /// The devnet's published seed: insecure, anyone can forge proofs.
    DevnetSeed(u64),
}

impl fmt::Display for KeyOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OsRandomness => write!(f, "setup from OS randomness"),
            Self::DevnetSeed(seed) => write!(f, "INSECURE devnet keys from the published seed {seed:#x}"),
        }
    }
}

/// The proving (and verifying) keys of both circuits.
pub struct ZkKeys {
    /// The spend circuit's prover.
    pub spend: SpendProver,
    /// The disclosure circuit's prover.
    pub disclosure: DisclosureProver,
    origin: KeyOrigin,
}

impl fmt::Debug for ZkKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZkKeys").field("origin", &self.origin).finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    origin: KeyOrigin,
    spend_constraints: usize,
    disclosure_constraints: usize,
    files: Vec<(String, String)>,
}

const FILES: [&str; 4] = ["spend.pk", "disclosure.pk", "spend.vk.json", "disclosure.vk.json"];

fn file_err(path: &Path, reason: impl ToString) -> PrivacyError {
    PrivacyError::KeyFile { path: path.display().to_string(), reason: reason.to_string() }
}

impl ZkKeys {
    /// Both setups from OS randomness.
    pub fn setup() -> Result<Self> {
        let mut rng = StdRng::from_rng(OsRng)
            .map_err(|e| PrivacyError::KeyFile { path: "OS randomness".into(), reason: e.to_string() })?;
        Self::from_rng(&mut rng, KeyOrigin::OsRandomness)
    }

    /// The devnet's keys from [`DEVNET_SEED`]. Insecure: logs a warning every time.
    pub fn devnet_seeded() -> Result<Self> {
        tracing::warn!(
            seed = DEVNET_SEED,
            "using INSECURE devnet ZK keys from a published seed: anyone can forge proofs against contracts \
             deployed with them; run `automat zk setup` for real keys"
        );
        let mut rng = StdRng::seed_from_u64(DEVNET_SEED);
        Self::from_rng(&mut rng, KeyOrigin::DevnetSeed(DEVNET_SEED))
    }

    fn from_rng(rng: &mut StdRng, origin: KeyOrigin) -> Result<Self> {
        let spend = SpendProver::setup(SPEND_DEPTH, rng)?;
        let disclosure = DisclosureProver::setup(DISCLOSURE_DEPTH, rng)?;
        Ok(Self { spend, disclosure, origin })
    }

    /// Precomputes both proving keys' window tables: a one-off cost that makes every later proof faster, worth
    /// it for a prover that makes many proofs (a relayer, a benchmark), not for a single payment.
    pub fn precompute(&mut self) {
        self.spend.precompute();
        self.disclosure.precompute();
    }

    /// Where these keys came from.
    pub fn origin(&self) -> &KeyOrigin {
        &self.origin
    }

    /// Whether these are the insecure devnet keys.
    pub fn is_insecure(&self) -> bool {
        matches!(self.origin, KeyOrigin::DevnetSeed(_))
    }

    /// The spend verifier's constructor arguments (its verifying key), ABI-encoded as 32-byte words.
    pub fn spend_verifier_words(&self) -> Result<Vec<[u8; 32]>> {
        Ok(solidity::verifier_constructor_words(self.spend.verifying_key())?)
    }

    /// The disclosure verifier's constructor arguments, ABI-encoded as 32-byte words.
    pub fn disclosure_verifier_words(&self) -> Result<Vec<[u8; 32]>> {
        Ok(solidity::verifier_constructor_words(self.disclosure.verifying_key())?)
    }

    /// Writes the keys, their snarkjs verifying keys and the manifest into `dir` (created if missing); returns
    /// the files written.
    pub fn save(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
        let contents: [Vec<u8>; 4] = [
            encode(self.spend.proving_key())?,
            encode(self.disclosure.proving_key())?,
            json(&snarkjs::verifying_key_json(self.spend.verifying_key()))?,
            json(&snarkjs::verifying_key_json(self.disclosure.verifying_key()))?,
        ];
        let mut written = Vec::new();
        let mut files = Vec::new();
        for (name, bytes) in FILES.iter().zip(contents.iter()) {
            let path = dir.join(name);
            std::fs::write(&path, bytes).map_err(|e| file_err(&path, e))?;
            files.push((name.to_string(), hex(&Sha256::digest(bytes))));
            written.push(path);
        }
        let manifest = Manifest {
            origin: self.origin.clone(),
            spend_constraints: self.spend.num_constraints(),
            disclosure_constraints: self.disclosure.num_constraints(),
            files,
        };
        let path = dir.join("keys.json");
        std::fs::write(&path, json(&manifest)?).map_err(|e| file_err(&path, e))?;
        written.push(path);
        Ok(written)
    }

    /// Reads keys written by [`save`](Self::save), checking every file against the manifest.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join("keys.json");
        let manifest: Manifest = serde_json::from_slice(&std::fs::read(&path).map_err(|e| file_err(&path, e))?)
            .map_err(|e| file_err(&path, e))?;
        let read = |name: &str| -> Result<Vec<u8>> {
            let path = dir.join(name);
            let bytes = std::fs::read(&path).map_err(|e| file_err(&path, e))?;
            let expected = manifest.files.iter().find(|(n, _)| n == name).map(|(_, h)| h.as_str());
            if expected != Some(hex(&Sha256::digest(&bytes)).as_str()) {
                return Err(file_err(&path, "checksum differs from keys.json (altered or from another setup)"));
            }
            Ok(bytes)
        };
        let spend_pk = decode(&read("spend.pk")?, &dir.join("spend.pk"))?;
        let disclosure_pk = decode(&read("disclosure.pk")?, &dir.join("disclosure.pk"))?;
        let spend = SpendProver::from_proving_key(SPEND_DEPTH, spend_pk)?;
        let disclosure = DisclosureProver::from_proving_key(DISCLOSURE_DEPTH, disclosure_pk)?;
        if manifest.origin != KeyOrigin::OsRandomness {
            tracing::warn!(origin = %manifest.origin, "these ZK keys are not from a secure setup");
        }
        Ok(Self { spend, disclosure, origin: manifest.origin })
    }
}

fn encode(pk: &ark_groth16::ProvingKey<Bn254>) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    pk.serialize_uncompressed(&mut bytes)
        .map_err(|e| PrivacyError::KeyFile { path: "proving key".into(), reason: e.to_string() })?;
    Ok(bytes)
}

/// The proving key from its checked file. Points are read without the curve and subgroup checks (seconds of
/// work for G2): key files are the operator's own output of `automat zk setup`, and the manifest's checksums
/// catch corruption and files mixed from different setups.
fn decode(bytes: &[u8], path: &Path) -> Result<ark_groth16::ProvingKey<Bn254>> {
    ark_groth16::ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(bytes).map_err(|e| file_err(path, e))
}

fn json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|e| PrivacyError::KeyFile { path: "JSON".into(), reason: e.to_string() })
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}
