use std::{future::Future, sync::Arc};

use alloy_primitives::{Address, Bytes, TxHash, U256};
use alloy_rpc_types_eth::{Filter, Log};

use crate::{Deployment, Receipt, Result, RevertDecoder, SnapshotId, TxRequest};

/// One chain, seen through one signing account. Every backend (embedded devnet, JSON-RPC node)
/// implements it, so agents, relayers and the CLI run unchanged against either.
///
/// Sends are signed locally with the client's key and nonces are managed by the client; `send` and
/// `deploy` simulate first, so a transaction that would revert fails with [`crate::ChainError::Reverted`]
/// (custom error decoded) without being mined.
pub trait ChainClient: Send + Sync {
    /// The chain id (EIP-155).
    fn chain_id(&self) -> u64;

    /// The account this client signs with.
    fn sender(&self) -> Address;

    /// The decoder used for revert data; register contract ABIs here to get named custom errors.
    fn revert_decoder(&self) -> &Arc<RevertDecoder>;

    /// Signs `tx` with the next nonce, submits it and waits until it is mined.
    fn send(&self, tx: TxRequest) -> impl Future<Output = Result<Receipt>> + Send;

    /// Submits an already signed, EIP-2718 encoded transaction and waits until it is mined. The receipt
    /// is returned whatever its status.
    fn send_raw(&self, raw: Bytes) -> impl Future<Output = Result<Receipt>> + Send;

    /// Deploys init code (constructor arguments already appended) and returns the new address.
    fn deploy(&self, init_code: Bytes) -> impl Future<Output = Result<Deployment>> + Send {
        async move {
            let receipt = self.send(TxRequest::create(init_code)).await?;
            let address = receipt.contract_address.ok_or_else(|| {
                crate::ChainError::Decode(format!("creation {} has no contract address", receipt.transaction_hash))
            })?;
            Ok(Deployment { address, receipt })
        }
    }

    /// Executes a read-only call against the latest block, from this client's account.
    fn call(&self, to: Address, data: Bytes) -> impl Future<Output = Result<Bytes>> + Send;

    /// The receipt of a mined transaction, or `None` if it is not (yet) mined.
    fn receipt(&self, hash: TxHash) -> impl Future<Output = Result<Option<Receipt>>> + Send;

    /// Logs matching `filter` (block range, addresses, topics).
    fn logs(&self, filter: &Filter) -> impl Future<Output = Result<Vec<Log>>> + Send;

    /// Number of the latest block.
    fn block_number(&self) -> impl Future<Output = Result<u64>> + Send;

    /// Timestamp (Unix seconds) of the latest block.
    fn block_timestamp(&self) -> impl Future<Output = Result<u64>> + Send;

    /// Balance of `address` in wei at the latest block.
    fn balance(&self, address: Address) -> impl Future<Output = Result<U256>> + Send;

    /// Next nonce of `address`, counting transactions not yet mined.
    fn nonce(&self, address: Address) -> impl Future<Output = Result<u64>> + Send;

    /// Runtime code at `address`.
    fn code(&self, address: Address) -> impl Future<Output = Result<Bytes>> + Send;
}

/// What only a development chain can do: produce blocks on demand, move time, and roll state back.
/// The embedded devnet implements it; the JSON-RPC backend does when the node speaks the `evm_*`
/// methods (Hardhat, anvil).
pub trait DevnetControl: ChainClient {
    /// Mines `blocks` empty blocks (pending transactions go into the first).
    fn mine(&self, blocks: u64) -> impl Future<Output = Result<()>> + Send;

    /// Moves the clock forward by `seconds` for the next block.
    fn increase_time(&self, seconds: u64) -> impl Future<Output = Result<()>> + Send;

    /// Sets the exact timestamp of the next block (must be later than the latest block's).
    fn set_next_block_timestamp(&self, timestamp: u64) -> impl Future<Output = Result<()>> + Send;

    /// Records the whole chain state; [`DevnetControl::revert`] returns to it.
    fn snapshot(&self) -> impl Future<Output = Result<SnapshotId>> + Send;

    /// Returns the chain to a snapshot (state, blocks, receipts, time). The snapshot and every later one
    /// are consumed.
    fn revert(&self, id: SnapshotId) -> impl Future<Output = Result<()>> + Send;
}
