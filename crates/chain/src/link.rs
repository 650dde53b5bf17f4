//! A client whose network link can be cut: the fault the machine agent's partition mode (error path A4) and
//! the simulator exercise. While the link is down every call fails with [`ChainError::Transport`], exactly as an
//! unreachable node does through the JSON-RPC backend; nothing reaches the chain.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicU64, Ordering},
};

use alloy_primitives::{Address, Bytes, TxHash, U256};
use alloy_rpc_types_eth::{Filter, Log};

use crate::{
    ChainClient, ChainError, Deployment, DevnetControl, Receipt, Result, RevertDecoder, SnapshotId, TxRequest,
};

/// The switch of one link, shared by whoever cuts it and the clients behind it.
#[derive(Debug, Clone, Default)]
pub struct LinkSwitch {
    down: Arc<AtomicBool>,
    refused: Arc<AtomicU64>,
}

impl LinkSwitch {
    /// A link that is up.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cuts the link.
    pub fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
    }

    /// Restores the link.
    pub fn heal(&self) {
        self.down.store(false, Ordering::SeqCst);
    }

    /// Whether the link is down.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    /// How many calls the link refused while down.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::SeqCst)
    }

    fn check(&self) -> Result<()> {
        if self.is_down() {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(ChainError::Transport("link down: network partition".into()));
        }
        Ok(())
    }
}

/// `inner` behind a [`LinkSwitch`].
#[derive(Debug, Clone)]
pub struct Partitionable<C> {
    inner: C,
    switch: LinkSwitch,
}

impl<C> Partitionable<C> {
    /// Puts `inner` behind `switch`.
    pub fn new(inner: C, switch: LinkSwitch) -> Self {
        Self { inner, switch }
    }

    /// The switch.
    pub fn switch(&self) -> &LinkSwitch {
        &self.switch
    }

    /// The client behind the link (bypasses the switch).
    pub fn inner(&self) -> &C {
        &self.inner
    }
}

impl<C: ChainClient> ChainClient for Partitionable<C> {
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
        self.switch.check()?;
        self.inner.send(tx).await
    }

    async fn send_raw(&self, raw: Bytes) -> Result<Receipt> {
        self.switch.check()?;
        self.inner.send_raw(raw).await
    }

    async fn deploy(&self, init_code: Bytes) -> Result<Deployment> {
        self.switch.check()?;
        self.inner.deploy(init_code).await
    }

    async fn call(&self, to: Address, data: Bytes) -> Result<Bytes> {
        self.switch.check()?;
        self.inner.call(to, data).await
    }

    async fn receipt(&self, hash: TxHash) -> Result<Option<Receipt>> {
        self.switch.check()?;
        self.inner.receipt(hash).await
    }

    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        self.switch.check()?;
        self.inner.logs(filter).await
    }

    async fn block_number(&self) -> Result<u64> {
        self.switch.check()?;
        self.inner.block_number().await
    }

    async fn block_timestamp(&self) -> Result<u64> {
        self.switch.check()?;
        self.inner.block_timestamp().await
    }

    async fn balance(&self, address: Address) -> Result<U256> {
        self.switch.check()?;
        self.inner.balance(address).await
    }

    async fn nonce(&self, address: Address) -> Result<u64> {
        self.switch.check()?;
        self.inner.nonce(address).await
    }

    async fn code(&self, address: Address) -> Result<Bytes> {
        self.switch.check()?;
        self.inner.code(address).await
    }
}

impl<C: DevnetControl> DevnetControl for Partitionable<C> {
    async fn mine(&self, blocks: u64) -> Result<()> {
        self.switch.check()?;
        self.inner.mine(blocks).await
    }

    async fn increase_time(&self, seconds: u64) -> Result<()> {
        self.switch.check()?;
        self.inner.increase_time(seconds).await
    }

    async fn set_next_block_timestamp(&self, timestamp: u64) -> Result<()> {
        self.switch.check()?;
        self.inner.set_next_block_timestamp(timestamp).await
    }

    async fn snapshot(&self) -> Result<SnapshotId> {
        self.switch.check()?;
        self.inner.snapshot().await
    }

    async fn revert(&self, id: SnapshotId) -> Result<()> {
        self.switch.check()?;
        self.inner.revert(id).await
    }
}
