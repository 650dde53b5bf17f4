//! automat's zero-knowledge cryptography, pure (no chain): everything the privacy features of the vending
//! network prove and verify, over BN254 with arkworks 0.6.
//!
//! This crate owns
//! - [`poseidon`]: the circomlib-compatible Poseidon hash (x⁵ S-box, 8 full rounds, the circomlib partial
//!   round counts and constants), natively through `light-poseidon`, with field-element helpers;
//! - [`gadget`]: the same Poseidon as an R1CS gadget over `ark-r1cs-std` variables, built from the very same
//!   constants, so native, circuit (and later Solidity) hashes agree bit for bit;
//! - [`merkle`]: the incremental Poseidon Merkle tree (circomlib-style zero values) whose roots and paths feed
//!   the circuits;
//! - [`membership`]: the depth-20 Merkle-membership circuits (the `membership20` benchmark yardstick and the
//!   note-opening variant), Groth16 key generation, proving and verification, and the prover benchmark;
//! - [`spend`]: the shielded-pool spend circuit (Privacy Pools style): spend part of a committed note in the
//!   depth-20 tree, range-checked amounts and a change note, bound to one hashed context (recipient, relayer,
//!   fee, chain and pool, computed on the chain side);
//! - [`disclosure`]: the selective-disclosure circuit: a credential in an issuer's depth-20 tree whose
//!   jurisdiction is outside a blocked set and whose holder is old enough, bound to an order;
//! - [`keys`]: the Groth16 keys and accessors the provers share;
//! - [`snarkjs`]: verifying keys, proofs and public signals in snarkjs' JSON format (export and strict import),
//!   so an independent verifier (`snarkjs groth16 verify`) can check our proofs;
//! - [`solidity`]: Solidity generated from the same constants: a Groth16 verifier per verifying key (BN254
//!   precompiles, public inputs checked below r) and the circomlib Poseidon libraries.
//!
//! Circuits here know no chain: contracts, deployment and the CLI wire them in elsewhere.

pub mod disclosure;
pub mod gadget;
pub mod keys;
pub mod membership;
pub mod merkle;
mod msm;
pub mod poseidon;
mod prover;
pub mod snarkjs;
pub mod solidity;
pub mod spend;

pub use ark_bn254::{Bn254, Fr};
/// The random number generators arkworks expects (`rand` 0.8, re-exported by `ark-std`).
pub use ark_std::rand;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum ZkError {
    /// Poseidon was asked for a number of inputs it has no parameters for.
    #[error("poseidon takes 1 to {max} inputs, got {got}")]
    PoseidonArity {
        /// inputs given
        got: usize,
        /// largest supported number of inputs
        max: usize,
    },
    /// A decimal field element was malformed or not below the BN254 scalar field modulus.
    #[error("not a canonical BN254 scalar field element (decimal, < r): {0:?}")]
    FieldElement(String),
    /// The Merkle tree has no room for another leaf.
    #[error("merkle tree of depth {depth} is full ({capacity} leaves)")]
    TreeFull {
        /// depth of the tree
        depth: usize,
        /// number of leaves it holds
        capacity: u64,
    },
    /// A leaf index outside the filled part of the tree.
    #[error("leaf index {index} out of range (tree holds {len} leaves)")]
    LeafIndex {
        /// requested index
        index: u64,
        /// leaves in the tree
        len: u64,
    },
    /// A tree depth that is zero or too large to address with 64-bit indices.
    #[error("unsupported merkle tree depth {0} (1..=32)")]
    Depth(usize),
    /// The witness does not satisfy the statement (wrong root, nullifier hash or path).
    #[error("witness does not satisfy the statement: {0}")]
    Unsatisfied(&'static str),
    /// A spend asks for more than the note holds (`withdrawn > amount`).
    #[error("withdrawing {withdrawn} overdraws a note of {amount}")]
    Overdraw {
        /// the note's amount
        amount: u128,
        /// requested withdrawal (value + fee)
        withdrawn: u128,
    },
    /// The note to spend is not a leaf of the tree.
    #[error("the note's commitment is not in the tree")]
    NoteNotInTree,
    /// A disclosure was asked for a credential whose jurisdiction is in the blocked set (or is 0).
    #[error("jurisdiction {jurisdiction} is blocked")]
    JurisdictionBlocked {
        /// the credential's ISO 3166-1 numeric code
        jurisdiction: u16,
    },
    /// A disclosure was asked for a holder born after the latest allowed birth date.
    #[error("birth date {birth_date} is after the latest allowed {max_birth_date}")]
    TooYoung {
        /// the credential's birth date, YYYYMMDD
        birth_date: u32,
        /// the latest allowed birth date, YYYYMMDD
        max_birth_date: u32,
    },
    /// The credential to disclose is not a leaf of the issuer's tree.
    #[error("the credential is not in the issuer's tree")]
    CredentialNotInTree,
    /// A blocked set of more than [`disclosure::BLOCKED_SET_SIZE`] codes.
    #[error("blocked set of {got} codes, at most {max}")]
    BlockedSetSize {
        /// codes given
        got: usize,
        /// largest supported number of codes
        max: usize,
    },
    /// The witness or key is of another shape than the circuit the key was made for.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// Wrong number of public inputs given to a verifier.
    #[error("expected {expected} public inputs, got {got}")]
    PublicInputs {
        /// number the verifying key takes
        expected: usize,
        /// number given
        got: usize,
    },
    /// A snarkjs JSON document (proof, verifying key, public signals) that is malformed, off the curve or
    /// outside the prime-order subgroup.
    #[error("invalid snarkjs JSON: {0}")]
    Snarkjs(String),
    /// An error from arkworks' constraint system or Groth16.
    #[error("constraint synthesis or proving failed: {0}")]
    Synthesis(#[from] ark_relations::gr1cs::SynthesisError),
}

/// Result alias for this crate.
pub type Result<T, E = ZkError> = std::result::Result<T, E>;
