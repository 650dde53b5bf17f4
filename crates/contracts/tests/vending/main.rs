//! The vending core's contract suite (PaymentToken, MachineRegistry, Storefront, ReceiptNFT) on the embedded
//! devnet.
//!
//! - [`token`], [`registry`], [`storefront`], [`offline`], [`receipts`]: one happy-path test per external function
//!   checking state and the exact events, and one test per custom error it can raise, comparing the decoded
//!   error (name and arguments).
//! - [`attacks`]: replays, foreign keys and chains, a re-entrant token, stale quotes, double refunds and double
//!   spends; each must fail safely with the balances untouched.
//! - [`properties`]: proptest drives random sequences of orders, attestations, refunds, deadlines, stock changes,
//!   deposits and offline sales against a Rust model and checks the escrow, stock, settlement and receipt
//!   invariants after every step.
//!
//! [`common`] holds the fixture: a devnet with the suite deployed, an operator with one two-slot machine and a
//! funded buyer, and helpers that sign quotes, attestations, vouchers and offline sales.

mod attacks;
mod common;
mod offline;
mod properties;
mod receipts;
mod registry;
mod storefront;
mod token;
