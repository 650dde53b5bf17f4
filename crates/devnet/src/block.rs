//! Blocks as the devnet keeps them in memory and in its store.

use alloy_consensus::{Header, TxEnvelope};
use alloy_primitives::{B256, Bytes};
use automat_chain::Receipt;
use serde::{Deserialize, Serialize};

/// A mined block with its transactions, their receipts and their return data.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StoredBlock {
    /// The consensus header (state root not computed: the devnet keeps no state trie).
    pub(crate) header: Header,
    /// `keccak256(rlp(header))`.
    pub(crate) hash: B256,
    /// Transactions in execution order.
    pub(crate) transactions: Vec<StoredTx>,
}

/// One executed transaction.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StoredTx {
    /// As signed by its sender.
    pub(crate) envelope: TxEnvelope,
    /// Its receipt.
    pub(crate) receipt: Receipt,
    /// Return data, or revert data for a reverted transaction.
    pub(crate) output: Bytes,
    /// Why the EVM halted, for a transaction that failed without reverting (out of gas, bad opcode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) halt: Option<String>,
}
