//! Insured purchases off chain: a buyer's claim with its evidence, and the court's off-chain roles (jurors and
//! the keeper) over any [`automat_chain::ChainClient`], the embedded devnet or a JSON-RPC node alike.
//!
//! The contracts (`InsurancePool`, `Court`, `RandomnessBeacon`) live in `automat-contracts`; this crate owns
//! everything around them that runs on someone's computer:
//!
//! ```text
//!  buyer ── evidence::file_claim ──► BlobStore (evidence JSON by CID)      InsurancePool.fileClaim(order, sha256)
//!                                                                                       │ createDispute
//!  keeper::DisputeKeeper.tick(now):                                                     ▼
//!    beacon commit ─► beacon reveal ─► draw (or move a failed beacon round) ─► passPeriod … ─► executeRuling
//!                                                                            └─► executeRewards (batches)
//!  juror::JurorAgent.tick(now), one per juror key:
//!    drawn? ─► policy::VotingPolicy chooses (Honest reads the evidence by CID) ─► commit (salt from a secret
//!    seed, kept in a JSON state file) ─► reveal (also after a restart) ─► withdraw rewards
//!
//!  drive::drive_to_final(keeper, jurors, dispute, clock): every role ticked until the ruling is delivered and
//!  the rewards are settled; a DevnetClock moves the devnet's time when nothing else is due, a WallClock waits.
//! ```
//!
//! - [`evidence`]: the evidence document ([`Evidence`]: order, complaint, statement, the machine's own dispense
//!   record) and [`file_claim`]: publish to the local [`automat_store::BlobStore`], then file with the CID's
//!   digest.
//! - [`policy`]: [`VotingPolicy`] and its implementations [`Honest`], [`Dishonest`], [`RandomVote`],
//!   [`FixedVote`]; [`PolicySpec`] parses them from the command line.
//! - [`juror`]: [`JurorAgent`], one juror key.
//! - [`keeper`]: [`DisputeKeeper`], the permissionless steps of every dispute.
//! - [`drive`]: [`drive_to_final`] and the clocks that decide how time passes.
//! - [`world`]: a small insured-purchase world (vending suite, machine, court, pool, jurors) on any chain, for
//!   demos, benchmarks and tests.
#![forbid(unsafe_code)]

pub mod drive;
mod error;
pub mod evidence;
pub mod juror;
pub mod keeper;
pub mod policy;
mod state;
pub mod world;

pub use drive::{Clock, DevnetClock, DriveOptions, DriveReport, WallClock, drive_to_final};
pub use error::{ClaimsError, Result};
pub use evidence::{Complaint, DispenseRecord, EVIDENCE_KIND, Evidence, evidence_cid, file_claim, load_evidence};
pub use juror::{JurorAgent, JurorConfig, JurorReport};
pub use keeper::{DisputeKeeper, KeeperConfig, KeeperReport};
pub use policy::{Case, ClaimCase, Dishonest, FixedVote, Honest, PolicySpec, RandomVote, VotingPolicy, honest_ruling};
