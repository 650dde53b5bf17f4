//! Private purchases, end to end: what a buyer, a relayer and a credential issuer run off chain around the
//! `ShieldedPool` and the `ComplianceRegistry`.
//!
//! This crate owns
//! - [`keys`]: the proving and verifying keys of the spend and disclosure circuits: setup from OS randomness
//!   into key files (`automat zk setup`), loading them back, and the devnet's seeded (insecure, loudly
//!   announced) keys;
//! - [`wallet`]: the buyer's shielded wallet: notes and their secrets, a mirror of the pool's Merkle tree synced
//!   from its `LeafInserted` logs, deposits, and paying a Storefront order from a note (proof built locally,
//!   submitted by a relayer, to a fresh buyer address);
//! - [`issuer`]: a compliance issuer's credential tree (holder commitment, jurisdiction, birth date), its
//!   published roots, and the holder's selective-disclosure proof for one order.
//!
//! The two error paths of the privacy features have names here: a buyer from a blocked jurisdiction (or too
//! young for the item) is refused before anything is sent ([`PrivacyError::RegulatoryBlock`],
//! [`PrivacyError::TooYoung`]: nothing charged), and a proof the chain rejects
//! ([`PrivacyError::ProofRejected`]) leaves the note unspent and the buyer free to pay publicly.

pub mod issuer;
pub mod keys;
pub mod wallet;

use std::path::Path;

use alloy_primitives::U256;
use ark_ff::{BigInteger, PrimeField};
use automat_contracts::privacy::Proof;
use automat_contracts::vending::VendingError;
use automat_zk::{Bn254, Fr, ZkError};

/// Everything that can go wrong off chain around private purchases.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    /// A5 (regulatory block): the credential's jurisdiction is in the machine's blocked set. Refused before
    /// anything was sent: nothing charged.
    #[error(
        "regulatory block: machine {machine_id} does not sell to jurisdiction {jurisdiction} \
         (blocked: {blocked:?}); nothing was sent, nothing charged"
    )]
    RegulatoryBlock {
        /// The machine.
        machine_id: u64,
        /// The buyer's jurisdiction (ISO 3166-1 numeric).
        jurisdiction: u16,
        /// The machine's blocked set.
        blocked: Vec<u16>,
    },
    /// The credential's holder is below the item's minimum age. Refused before anything was sent.
    #[error(
        "age restriction: item {item_id} needs a birth date on or before {max_birth_date}, the credential says \
         {birth_date}; nothing was sent, nothing charged"
    )]
    TooYoung {
        /// The item.
        item_id: u64,
        /// Latest birth date allowed (YYYYMMDD).
        max_birth_date: u32,
        /// The credential's birth date (YYYYMMDD).
        birth_date: u32,
    },
    /// A7 (privacy proof failure): the chain rejected the private payment or its disclosure proof. The note is
    /// not spent and nothing was charged; the standard public flow still works.
    #[error("private payment rejected on chain ({reason}); the note is unspent and nothing was charged")]
    ProofRejected {
        /// The contract's error.
        reason: String,
    },
    /// The chain refused the private payment for a reason that is not a proof (an expired quote, a sold-out
    /// slot, a spent note, ...). Nothing was charged.
    #[error("private payment refused on chain: {reason}; nothing was charged")]
    Refused {
        /// The contract's error.
        reason: String,
    },
    /// The machine asks for a disclosure proof and the buyer holds no credential.
    #[error("machine {machine_id} asks for a disclosure proof and this buyer holds no credential")]
    NoCredential {
        /// The machine.
        machine_id: u64,
    },
    /// No unspent note holds enough for the payment and the relayer's fee.
    #[error("no unspent note holds {needed} (largest: {largest}); deposit into the pool first")]
    InsufficientNotes {
        /// Price plus fee.
        needed: u128,
        /// The largest unspent note.
        largest: u128,
    },
    /// The wallet's mirror of the pool's tree disagrees with the chain.
    #[error("the pool's tree mirror is out of step: {0}")]
    TreeMismatch(String),
    /// Reading or writing key files failed.
    #[error("key file {path}: {reason}")]
    KeyFile {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// Reading or writing a wallet, credential or credential-tree file failed.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A proof, a witness or a key was refused by the ZK layer.
    #[error(transparent)]
    Zk(#[from] ZkError),
    /// A contract call failed.
    #[error(transparent)]
    Chain(#[from] VendingError),
}

impl From<automat_chain::ChainError> for PrivacyError {
    fn from(e: automat_chain::ChainError) -> Self {
        Self::Chain(VendingError::Chain(e))
    }
}

/// Result alias for this crate.
pub type Result<T, E = PrivacyError> = std::result::Result<T, E>;

fn file_error(path: &Path, reason: impl ToString) -> PrivacyError {
    PrivacyError::File { path: path.display().to_string(), reason: reason.to_string() }
}

/// Writes `bytes` to `path` through a temporary file next to it and a rename, so a crash leaves either the old
/// or the new contents. With `secret` the file is created readable by its owner only (mode 0600 on unix):
/// wallets and credentials hold the secrets that spend notes and prove credentials.
pub fn write_file_atomically(path: &Path, bytes: &[u8], secret: bool) -> Result<()> {
    use std::io::Write;
    let name = path.file_name().ok_or_else(|| file_error(path, "not a file path"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(&tmp).map_err(|e| file_error(&tmp, e))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| file_error(&tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| file_error(path, e))
}

/// Serde of field elements as canonical decimal strings (`automat_zk::poseidon::fr_to_decimal`).
pub mod decimal {
    use automat_zk::{Fr, poseidon};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Writes `x` as a decimal string.
    pub fn serialize<S: Serializer>(x: &Fr, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&poseidon::fr_to_decimal(x))
    }

    /// Reads a decimal string below the field modulus.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
        let text = String::deserialize(d)?;
        poseidon::fr_from_decimal(&text).map_err(D::Error::custom)
    }

    /// The same for a list of field elements.
    pub mod vec {
        use automat_zk::{Fr, poseidon};
        use serde::{Deserialize, Deserializer, Serializer, de::Error, ser::SerializeSeq};

        /// Writes every element as a decimal string.
        pub fn serialize<S: Serializer>(xs: &[Fr], s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(xs.len()))?;
            for x in xs {
                seq.serialize_element(&poseidon::fr_to_decimal(x))?;
            }
            seq.end()
        }

        /// Reads a list of decimal strings below the field modulus.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Fr>, D::Error> {
            Vec::<String>::deserialize(d)?
                .iter()
                .map(|text| poseidon::fr_from_decimal(text).map_err(D::Error::custom))
                .collect()
        }
    }
}

/// A field element as the integer contracts see.
pub fn fr_to_u256(x: &Fr) -> U256 {
    U256::from_be_slice(&x.into_bigint().to_bytes_be())
}

/// An integer from a contract as a field element; `None` when it is not below the field modulus.
pub fn u256_to_fr(x: U256) -> Option<Fr> {
    Fr::from_bigint(ark_ff::BigInt::new(*x.as_limbs()))
}

/// An arkworks proof as the contracts take it.
pub fn proof_to_sol(proof: &ark_groth16::Proof<Bn254>) -> Proof {
    let words = automat_zk::solidity::proof_calldata(proof)
        .map(|w| U256::from_str_radix(&w, 10).expect("proof_calldata writes decimal integers below 2^256"));
    Proof { a: [words[0], words[1]], b: [[words[2], words[3]], [words[4], words[5]]], c: [words[6], words[7]] }
}

/// The revert a contract call ended in, rendered (custom error name and arguments), if it reverted.
pub fn revert_reason(e: &VendingError) -> Option<String> {
    match e {
        VendingError::Chain(chain) => chain.revert().map(|decoded| decoded.to_string()),
        _ => None,
    }
}

/// The name of the custom error a contract call reverted with (`"DisclosureRequired"`), if any.
pub fn revert_name(e: &VendingError) -> Option<String> {
    match e {
        VendingError::Chain(chain) => chain.revert().and_then(|decoded| decoded.name.clone()),
        _ => None,
    }
}

/// Contract errors that mean a privacy proof (or its premise) failed: A7.
pub const PROOF_FAILURES: [&str; 6] = [
    "InvalidSpendProof",
    "UnknownRoot",
    "DisclosureProofInvalid",
    "UnknownIssuerRoot",
    "DisclosureRequired",
    "PublicInputNotInField",
];
