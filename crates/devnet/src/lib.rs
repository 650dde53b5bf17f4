//! The embedded devnet: N EVM chains in one process, on revm, with nothing to install.
//!
//! ```text
//!  Devnet ──┬── Chain 0x61757400 ── revm (CacheDB) ── redb file (optional)
//!           ├── Chain 0x61757401 ── ...
//!           └── interval miner thread (MiningMode::Interval only)
//!  EmbeddedClient = Arc<Chain> + signer  →  automat_chain::{ChainClient, DevnetControl}
//! ```
//!
//! Each chain has its own chain id (from [`DEVNET_CHAIN_ID_BASE`], a range no public network uses), blocks
//! mined per transaction or on an interval, EIP-1559 fees with base-fee adjustment, receipts and logs with
//! blooms and transaction/receipt roots, accounts prefunded from a mnemonic, and a deterministic clock
//! (genesis at a fixed time, each block `block_time` seconds later unless moved). Given a data directory,
//! every block is written to one redb file per chain in a single transaction, and a devnet started again
//! on that directory continues from the same state, blocks and height. The state root is not computed:
//! the devnet keeps flat state, not a Merkle-Patricia trie.
#![forbid(unsafe_code)]

mod block;
mod chain;
mod client;
pub mod evm;
mod store;

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread::JoinHandle,
};

use alloy_primitives::{U256, utils::parse_ether};
use alloy_signer_local::PrivateKeySigner;
use automat_chain::{ChainError, DEFAULT_MNEMONIC, Result, RevertDecoder, dev_signers};

pub use chain::{COINBASE, Chain, GENESIS_BASE_FEE, MiningMode};
pub use client::EmbeddedClient;

/// First devnet chain id ("aut" followed by the chain's index). Chosen outside every id registered in
/// the public chain list, so a devnet transaction can never be replayed on a real network.
pub const DEVNET_CHAIN_ID_BASE: u64 = 0x6175_7400;

/// Default genesis time: 2026-01-01T00:00:00Z.
pub const DEFAULT_GENESIS_TIMESTAMP: u64 = 1_767_225_600;

/// How to start a devnet.
#[derive(Clone, Debug)]
pub struct DevnetConfig {
    /// How many chains to host.
    pub chains: u32,
    /// Id of the first chain; the others follow consecutively.
    pub first_chain_id: u64,
    /// Mnemonic whose first `accounts` accounts are prefunded on every chain.
    pub mnemonic: String,
    /// How many accounts to prefund.
    pub accounts: u32,
    /// Wei each prefunded account starts with.
    pub balance: U256,
    /// Genesis block time (Unix seconds).
    pub genesis_timestamp: u64,
    /// Seconds between consecutive blocks unless time is moved.
    pub block_time: u64,
    /// Gas limit of every block.
    pub block_gas_limit: u64,
    /// Block production.
    pub mining: MiningMode,
    /// Where chains persist (one redb file per chain); `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
}

impl Default for DevnetConfig {
    fn default() -> Self {
        Self {
            chains: 3,
            first_chain_id: DEVNET_CHAIN_ID_BASE,
            mnemonic: DEFAULT_MNEMONIC.to_string(),
            accounts: 10,
            balance: parse_ether("10000").unwrap_or(U256::MAX),
            genesis_timestamp: DEFAULT_GENESIS_TIMESTAMP,
            block_time: 1,
            block_gas_limit: 30_000_000,
            mining: MiningMode::Auto,
            data_dir: None,
        }
    }
}

impl DevnetConfig {
    /// The default devnet with `chains` chains.
    pub fn with_chains(chains: u32) -> Self {
        Self { chains, ..Self::default() }
    }

    /// Persists under `dir`.
    pub fn persist_to(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }
}

/// A running devnet.
#[derive(Debug)]
pub struct Devnet {
    chains: BTreeMap<u64, Arc<Chain>>,
    signers: Vec<PrivateKeySigner>,
    decoder: Arc<RevertDecoder>,
    stop: Arc<AtomicBool>,
    miner: Option<JoinHandle<()>>,
}

impl Devnet {
    /// Starts the devnet: opens (or creates) each chain, and the interval miner if asked for.
    pub fn start(config: DevnetConfig) -> Result<Self> {
        if config.chains == 0 {
            return Err(ChainError::InvalidTransaction("a devnet needs at least one chain".into()));
        }
        let signers = dev_signers(&config.mnemonic, config.accounts)?;
        let alloc: Vec<_> = signers.iter().map(|s| (s.address(), config.balance)).collect();
        if let Some(dir) = &config.data_dir {
            std::fs::create_dir_all(dir).map_err(|e| ChainError::Storage(format!("create {}: {e}", dir.display())))?;
        }
        let decoder = Arc::new(RevertDecoder::new());
        let mut chains = BTreeMap::new();
        for index in 0..u64::from(config.chains) {
            let chain_id = config.first_chain_id + index;
            let params = chain::ChainParams {
                chain_id,
                block_gas_limit: config.block_gas_limit,
                block_time: config.block_time,
                mining: config.mining,
                genesis_timestamp: config.genesis_timestamp,
            };
            let store = match &config.data_dir {
                Some(dir) => Some(store::ChainStore::open(&dir.join(format!("chain-{chain_id}.redb")), chain_id)?),
                None => None,
            };
            let chain = Chain::open(params, &alloc, store, Arc::clone(&decoder))?;
            chains.insert(chain_id, Arc::new(chain));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let miner = match config.mining {
            MiningMode::Auto => None,
            MiningMode::Interval(every) => {
                let chains: Vec<_> = chains.values().cloned().collect();
                let stop = Arc::clone(&stop);
                Some(std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::park_timeout(every);
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        for chain in &chains {
                            if let Err(e) = chain.mine(1) {
                                tracing::error!(chain_id = chain.chain_id(), error = %e, "interval mining failed");
                            }
                        }
                    }
                }))
            }
        };
        Ok(Self { chains, signers, decoder, stop, miner })
    }

    /// Ids of the hosted chains, ascending.
    pub fn chain_ids(&self) -> Vec<u64> {
        self.chains.keys().copied().collect()
    }

    /// The chain with id `chain_id`.
    pub fn chain(&self, chain_id: u64) -> Result<&Arc<Chain>> {
        self.chains.get(&chain_id).ok_or(ChainError::UnknownChain(chain_id))
    }

    /// The prefunded accounts, in mnemonic order.
    pub fn signers(&self) -> &[PrivateKeySigner] {
        &self.signers
    }

    /// The revert decoder shared by all chains.
    pub fn revert_decoder(&self) -> &Arc<RevertDecoder> {
        &self.decoder
    }

    /// A client of chain `chain_id` signing with `signer`.
    pub fn client(&self, chain_id: u64, signer: PrivateKeySigner) -> Result<EmbeddedClient> {
        Ok(EmbeddedClient::new(Arc::clone(self.chain(chain_id)?), signer))
    }

    /// A client of chain `chain_id` signing with prefunded account `index`.
    pub fn dev_client(&self, chain_id: u64, index: usize) -> Result<EmbeddedClient> {
        let signer =
            self.signers.get(index).cloned().ok_or_else(|| {
                ChainError::Signer(format!("no prefunded account {index} (have {})", self.signers.len()))
            })?;
        self.client(chain_id, signer)
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(miner) = self.miner.take() {
            miner.thread().unpark();
            let _ = miner.join();
        }
    }
}
