//! A client that totals the gas of what it sends: benchmarks wrap every role of a flow (buyer, keeper, jurors)
//! in meters sharing one [`GasTally`] and read what the whole flow cost, without knowing which transactions
//! each role chose to send.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use alloy_primitives::{Address, Bytes, TxHash, U256};
use alloy_rpc_types_eth::{Filter, Log};

use crate::{ChainClient, Deployment, DevnetControl, Receipt, Result, RevertDecoder, SnapshotId, TxRequest};

/// Gas and transactions counted by one or more [`GasMeter`]s.
#[derive(Debug, Clone, Default)]
pub struct GasTally {
    gas: Arc<AtomicU64>,
    transactions: Arc<AtomicU64>,
}

impl GasTally {
    /// A tally at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gas used by every mined transaction counted so far (reverted ones are not mined).
    pub fn gas(&self) -> u64 {
        self.gas.load(Ordering::Relaxed)
    }

    /// Transactions counted so far.
    pub fn transactions(&self) -> u64 {
        self.transactions.load(Ordering::Relaxed)
    }

    /// Starts again from zero.
    pub fn reset(&self) {
        self.gas.store(0, Ordering::Relaxed);
        self.transactions.store(0, Ordering::Relaxed);
    }

    fn add(&self, receipt: &Receipt) {
        self.gas.fetch_add(receipt.gas_used, Ordering::Relaxed);
        self.transactions.fetch_add(1, Ordering::Relaxed);
    }
}

/// `inner`, adding the gas of every transaction it sends to a [`GasTally`].
#[derive(Debug, Clone)]
pub struct GasMeter<C> {
    inner: C,
    tally: GasTally,
}

impl<C> GasMeter<C> {
    /// Counts what `inner` sends into `tally`.
    pub fn new(inner: C, tally: GasTally) -> Self {
        Self { inner, tally }
    }

    /// The tally.
    pub fn tally(&self) -> &GasTally {
        &self.tally
    }

    /// The client behind the meter.
    pub fn inner(&self) -> &C {
        &self.inner
    }
}

impl<C: ChainClient> ChainClient for GasMeter<C> {
    fn chain_id(&self) -> u64 {
        self.inner.chain_id()
    }

    fn sender(&self) -> Address {
        self.inner.sender()
    }

    fn revert_decoder(&self) -> &Arc<RevertDecoder> {
        self.inner.revert_decoder()
    }

    async fn send(&self, tx: TxRequest) -> Result<Receipt> {
        let receipt = self.inner.send(tx).await?;
        self.tally.add(&receipt);
        Ok(receipt)
    }

    async fn send_raw(&self, raw: Bytes) -> Result<Receipt> {
        let receipt = self.inner.send_raw(raw).await?;
        self.tally.add(&receipt);
        Ok(receipt)
    }

    async fn deploy(&self, init_code: Bytes) -> Result<Deployment> {
        let deployment = self.inner.deploy(init_code).await?;
        self.tally.add(&deployment.receipt);
        Ok(deployment)
    }

    async fn call(&self, to: Address, data: Bytes) -> Result<Bytes> {
        self.inner.call(to, data).await
    }

    async fn receipt(&self, hash: TxHash) -> Result<Option<Receipt>> {
        self.inner.receipt(hash).await
    }

    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        self.inner.logs(filter).await
    }

    async fn block_number(&self) -> Result<u64> {
        self.inner.block_number().await
    }

    async fn block_timestamp(&self) -> Result<u64> {
        self.inner.block_timestamp().await
    }

    async fn balance(&self, address: Address) -> Result<U256> {
        self.inner.balance(address).await
    }

    async fn nonce(&self, address: Address) -> Result<u64> {
        self.inner.nonce(address).await
    }

    async fn code(&self, address: Address) -> Result<Bytes> {
        self.inner.code(address).await
    }
}

impl<C: DevnetControl> DevnetControl for GasMeter<C> {
    async fn mine(&self, blocks: u64) -> Result<()> {
        self.inner.mine(blocks).await
    }

    async fn increase_time(&self, seconds: u64) -> Result<()> {
        self.inner.increase_time(seconds).await
    }

    async fn set_next_block_timestamp(&self, timestamp: u64) -> Result<()> {
        self.inner.set_next_block_timestamp(timestamp).await
    }

    async fn snapshot(&self) -> Result<SnapshotId> {
        self.inner.snapshot().await
    }

    async fn revert(&self, id: SnapshotId) -> Result<()> {
        self.inner.revert(id).await
    }
}
