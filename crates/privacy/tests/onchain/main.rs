//! The privacy contracts (ShieldedPool, PoseidonMerkleTree, ComplianceRegistry, the generated verifiers) on the
//! embedded devnet, driven by this crate's wallet, issuer and holder with the devnet's seeded keys (set up once
//! per test binary).
//!
//! - [`flows`]: a private purchase end to end (deposit, relayed payment to a fresh address, dispense, a second
//!   payment from the change note);
//! - [`attacks`]: double spends, nullifier aliasing, malleated proofs, proofs moved to another buyer, relayer,
//!   fee, root, pool or chain, zero commitments, fee cap and value mismatch: each refused by its named error
//!   with nothing moved;
//! - [`disclosure`]: selective disclosure at a geo-fenced machine selling an age-restricted item, and its
//!   refusals (A5, A7);
//! - [`compliance`]: the registry's rules and its hash and date helpers against automat-zk's;
//! - [`merkle`]: the Solidity Poseidon tree against automat-zk's;
//! - [`properties`]: random deposit and payment sequences keep the pool's and the Storefront's books.
//!
//! [`common`] holds the fixture.

// Dates are written YYYY_MM_DD (1990_05_17), which is not a thousands grouping.
#![allow(clippy::inconsistent_digit_grouping)]

mod attacks;
mod common;
mod compliance;
mod disclosure;
mod flows;
mod merkle;
mod properties;
