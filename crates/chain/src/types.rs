use alloy_primitives::{Address, B256, Bytes, TxHash, U256};
use alloy_rpc_types_eth::Log;
use serde::{Deserialize, Serialize};

/// A transaction to sign and send: the client fills nonce, gas and fees.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxRequest {
    /// Recipient; `None` creates a contract from `data`.
    pub to: Option<Address>,
    /// Calldata, or init code for a creation.
    pub data: Bytes,
    /// Wei sent along.
    pub value: U256,
    /// Gas limit; `None` estimates it.
    pub gas_limit: Option<u64>,
}

impl TxRequest {
    /// A call to `to` with `data`.
    pub fn call(to: Address, data: impl Into<Bytes>) -> Self {
        Self { to: Some(to), data: data.into(), ..Self::default() }
    }

    /// A contract creation from init code (constructor arguments appended).
    pub fn create(init_code: impl Into<Bytes>) -> Self {
        Self { to: None, data: init_code.into(), ..Self::default() }
    }

    /// A plain value transfer.
    pub fn transfer(to: Address, value: U256) -> Self {
        Self { to: Some(to), value, ..Self::default() }
    }

    /// Attaches `value` wei.
    pub fn with_value(mut self, value: U256) -> Self {
        self.value = value;
        self
    }

    /// Sets an explicit gas limit instead of estimating.
    pub fn with_gas_limit(mut self, gas: u64) -> Self {
        self.gas_limit = Some(gas);
        self
    }
}

/// A mined transaction's receipt, the same shape from every backend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Transaction hash.
    pub transaction_hash: TxHash,
    /// Block that includes it.
    pub block_number: u64,
    /// Hash of that block.
    pub block_hash: B256,
    /// Position in the block.
    pub transaction_index: u64,
    /// Sender (recovered from the signature).
    pub from: Address,
    /// Recipient; `None` for a creation.
    pub to: Option<Address>,
    /// Address of the created contract, for a successful creation.
    pub contract_address: Option<Address>,
    /// `true` when execution succeeded.
    pub status: bool,
    /// Gas used by this transaction.
    pub gas_used: u64,
    /// Gas used by the block up to and including this transaction.
    pub cumulative_gas_used: u64,
    /// Price per gas actually paid (base fee + tip).
    pub effective_gas_price: u128,
    /// Logs emitted, with block and transaction context filled in.
    pub logs: Vec<Log>,
}

/// A deployed contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    /// Where the contract lives.
    pub address: Address,
    /// The creation transaction's receipt.
    pub receipt: Receipt,
}

/// Identifies a devnet snapshot that [`crate::DevnetControl::revert`] can return to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SnapshotId(pub u64);

impl std::fmt::Display for SnapshotId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}
