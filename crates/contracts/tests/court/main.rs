//! The jury court (`Court`), its randomness beacon (`RandomnessBeacon`), its stake-weighted sortition tree and
//! the network token (`NetworkToken`), on the embedded devnet.
//!
//! - [`unit`]: one test per external function, checking state, the exact events and every custom error it
//!   raises (decoded by name and arguments); [`commit_hash`](automat_contracts::court::commit_hash) against the
//!   contract's `commitmentOf` view; the runtime sizes stay under EIP-170's limit.
//! - [`lifecycle`]: a whole dispute with three honest jurors (ruling delivered once, fees shared, locks
//!   released), and one with an incoherent juror and a non-revealer (slashed, penalties shared).
//! - [`appeals`]: both sides funded (a new round of 7 votes), one side alone (it wins), partial funding
//!   refunded, the round limit.
//! - [`attacks`]: two commitments in one round, a copied commitment, unstaking during a dispute, weight bought
//!   after filing (delayed stakes), randomness of a round not yet ended (same-block randomness impossible).
//! - [`tree`]: the sortition tree (through a test harness) against a model of cumulative ranges.
//! - [`properties`]: proptest over random juror mixes and votes: network tokens are conserved (staked in =
//!   withdrawn + held by the court + credited to the treasury) and the court ends empty once everyone left.
//!
//! [`common`] holds the court fixture; [`vending_common`] the vending suite's shared assertions.

mod appeals;
mod attacks;
mod common;
mod lifecycle;
mod properties;
mod tree;
mod unit;
#[allow(dead_code, unreachable_pub)]
#[path = "../vending/common.rs"]
mod vending_common;
