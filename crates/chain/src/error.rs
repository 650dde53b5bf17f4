use alloy_primitives::{Address, Bytes, TxHash};

use crate::revert::DecodedRevert;

/// Result alias for chain operations.
pub type Result<T, E = ChainError> = std::result::Result<T, E>;

/// What went wrong talking to a chain, whatever the backend.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The EVM reverted; `decoded` names the custom error and its arguments when the ABI is known.
    #[error("execution reverted: {decoded}{}", tx_hash.map(|h| format!(" (tx {h})")).unwrap_or_default())]
    Reverted {
        /// The decoded revert (custom error, `Error(string)`, `Panic(uint256)`, or raw data).
        decoded: Box<DecodedRevert>,
        /// The raw revert data.
        data: Bytes,
        /// The mined transaction, when the revert happened on chain rather than in simulation.
        tx_hash: Option<TxHash>,
    },
    /// The EVM halted without revert data (out of gas, invalid opcode, stack overflow, ...).
    #[error("execution halted: {reason} (gas used {gas_used})")]
    Halted {
        /// Why the EVM stopped.
        reason: String,
        /// Gas consumed before halting.
        gas_used: u64,
    },
    /// The transaction's nonce is not the sender's next nonce.
    #[error("nonce mismatch for {sender}: transaction has {got}, account expects {expected}")]
    NonceMismatch {
        /// Sender of the transaction.
        sender: Address,
        /// The account's next nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// The transaction was signed for another chain.
    #[error("transaction is for chain {got:?}, this chain is {expected}")]
    WrongChainId {
        /// This chain's id.
        expected: u64,
        /// The transaction's chain id (`None` for a pre-EIP-155 transaction).
        got: Option<u64>,
    },
    /// The sender cannot pay for gas and value.
    #[error("insufficient funds for {sender}: {detail}")]
    InsufficientFunds {
        /// Sender of the transaction.
        sender: Address,
        /// What the EVM reported.
        detail: String,
    },
    /// The transaction is invalid for another reason (fees, gas limit, type, signature).
    #[error("invalid transaction: {0}")]
    InvalidTransaction(String),
    /// No chain with this id is hosted by the backend.
    #[error("unknown chain id {0}")]
    UnknownChain(u64),
    /// A snapshot id that does not exist (or was already reverted to).
    #[error("unknown snapshot {0}")]
    UnknownSnapshot(u64),
    /// A transaction hash the chain does not know.
    #[error("transaction {0} not found")]
    UnknownTransaction(TxHash),
    /// A receipt did not arrive in time.
    #[error("timed out after {seconds}s waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long we waited.
        seconds: u64,
    },
    /// The backend does not offer this capability (e.g. time travel on a public node).
    #[error("{0} is not supported by this backend")]
    Unsupported(&'static str),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signer(String),
    /// Talking to a node failed (connection, HTTP, JSON-RPC error without revert data).
    #[error("transport: {0}")]
    Transport(String),
    /// The devnet's persistent store failed.
    #[error("storage: {0}")]
    Storage(String),
    /// Bytes that should have decoded did not.
    #[error("decode: {0}")]
    Decode(String),
}

impl ChainError {
    /// The decoded revert, if this error is a revert.
    pub fn revert(&self) -> Option<&DecodedRevert> {
        match self {
            Self::Reverted { decoded, .. } => Some(decoded),
            _ => None,
        }
    }

    /// Whether the chain could not be reached (as opposed to refusing): worth retrying later, and the
    /// machine agent's cue to sell offline.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Transport(_) | Self::Timeout { .. })
    }

    /// The name of the custom error this revert carries (`"VaultStillLocked"`), if any.
    pub fn revert_name(&self) -> Option<&str> {
        self.revert().and_then(|d| d.name.as_deref())
    }
}
