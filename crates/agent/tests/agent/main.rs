//! The machine agent against the vending suite on the embedded devnet.
//!
//! - [`flow`]: the online flow — quote, order, vend, attestation, payout and receipt; failed vends, orders
//!   declined for lack of time and orders that expired before the agent saw them.
//! - [`crash`]: the agent killed at every step of its outbox and restarted on the same data directory and the
//!   same machine: nothing lost, nothing vended twice, every order and offline sale settled exactly once.
//! - [`partition`]: error path A4 — the link cut, sales against vouchers within each buyer's allowance and the
//!   machine's credit cap, every refusal, settlement on heal, and a voucher double spent across two machines.
//! - [`run`]: the polling loop with concurrent buyers, through a partition, and a clean shutdown.
//!
//! [`common`] holds the fixture: the suite, an operator with a two-slot machine, four buyers, and agents on a
//! temporary data directory driving a simulated machine with an on-disk audit journal.

mod common;
mod crash;
mod flow;
mod partition;
mod run;
