//! The insurance pool (`InsurancePool`) with the Storefront, the receipts and the court, on the embedded devnet.
//!
//! - [`cover`]: underwriting (ERC-4626 deposits, the requested and cooled-down withdrawal, capital that backs
//!   active cover staying in), cover bought atomically with an order (premium from risk, duration and
//!   utilisation; capacity; the oracle's risk feed with the governance score as fallback), the policy following
//!   the order (dispensed: receipt records the cover; refunded: premium back), expiry, access control.
//! - [`claims`]: claims through the court to a payout or a rejection; the drained pool (A3: cover pauses, open
//!   claims stay payable, emergency liquidity restores it); graduated payouts (pro rata, IOUs paid first from
//!   new premiums, nobody paid twice or skipped).
//! - [`attacks`]: the ERC-4626 inflation attack (1 wei + donation), an underwriter leaving right after a claim is
//!   filed, buying cover and claiming in one block, claiming twice on one receipt, claiming on a receipt
//!   transferred to someone else after the incident.
//! - [`properties`]: proptest over random sequences of deposits, insured orders, outcomes, claims, rulings,
//!   withdrawals and liquidity: assets ≥ pending claims + IOUs unless flagged insolvent; share rounding always
//!   favours the vault; each claim paid at most once and never more than claimed.
//!
//! [`common`] holds the fixture: the vending suite's fixture ([`vending_common`]) plus a court with jurors and
//! the pool.

mod attacks;
mod claims;
mod common;
mod cover;
mod properties;
#[allow(dead_code, unreachable_pub)]
#[path = "../vending/common.rs"]
mod vending_common;
