//! One chain of the devnet: its EVM and state, its blocks, its clock, its snapshots and its store.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use alloy_consensus::{
    EMPTY_OMMER_ROOT_HASH, Header, Receipt as ConsensusReceipt, ReceiptEnvelope, ReceiptWithBloom, Transaction,
    TxEnvelope,
    constants::EMPTY_WITHDRAWALS,
    proofs::{calculate_receipt_root, calculate_transaction_root},
    transaction::SignerRecoverable,
};
use alloy_eips::{eip1559::BaseFeeParams, eip7685::EMPTY_REQUESTS_HASH};
use alloy_primitives::{Address, B256, Bloom, Bytes, Log as PrimitiveLog, TxHash, U256};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, FilterBlockOption, Log};
use automat_chain::{ChainError, NonceManager, Receipt, Result, RevertDecoder, SnapshotId, TxRequest};
use revm::{
    Database, ExecuteCommitEvm, ExecuteEvm,
    context::{
        BlockEnv, TxEnv,
        result::{EVMError, ExecutionResult, InvalidTransaction},
    },
    primitives::KECCAK_EMPTY,
};
use tokio::sync::watch;

use crate::{
    block::{StoredBlock, StoredTx},
    evm::{StateDb, block_env, build_evm, outcome, prevrandao, sim_tx_env, tx_env},
    store::{ChainStore, StateDiff},
};

/// Receives block rewards (tips) on every devnet chain.
pub const COINBASE: Address = Address::new([0xc0; 20]);

/// Base fee of the genesis block, in wei.
pub const GENESIS_BASE_FEE: u64 = 1_000_000_000;

/// How a chain produces blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MiningMode {
    /// One block per transaction, mined as it is submitted.
    Auto,
    /// Submitted transactions wait in a pool; a block is mined every interval (empty ones too).
    Interval(Duration),
}

/// Parameters of one chain.
#[derive(Clone, Debug)]
pub(crate) struct ChainParams {
    pub(crate) chain_id: u64,
    pub(crate) block_gas_limit: u64,
    pub(crate) block_time: u64,
    pub(crate) mining: MiningMode,
    pub(crate) genesis_timestamp: u64,
}

#[derive(Clone, Debug)]
struct Pending {
    tx: TxEnvelope,
    sender: Address,
}

struct Snapshot {
    db: StateDb,
    blocks: usize,
    pending: Vec<Pending>,
    next_timestamp: Option<u64>,
    time_offset: u64,
}

struct ChainState {
    db: StateDb,
    blocks: Vec<Arc<StoredBlock>>,
    tx_index: HashMap<TxHash, (usize, usize)>,
    pending: Vec<Pending>,
    rejected: HashMap<TxHash, String>,
    next_timestamp: Option<u64>,
    time_offset: u64,
    snapshots: BTreeMap<u64, Snapshot>,
    next_snapshot: u64,
    store: Option<ChainStore>,
}

impl ChainState {
    /// Next nonce of `address`: its state nonce plus its transactions waiting in the pool.
    fn pending_nonce(&mut self, address: Address) -> u64 {
        let pooled = self.pending.iter().filter(|p| p.sender == address).count() as u64;
        self.db.basic(address).ok().flatten().map_or(0, |a| a.nonce) + pooled
    }
}

/// What [`Chain::submit`] did with a transaction.
#[derive(Debug)]
pub(crate) enum Submitted {
    /// Mined at once (auto mining); the receipt may report a failure.
    Mined(Box<Receipt>),
    /// Waiting in the pool for the next interval block.
    Pooled(TxHash),
}

/// One chain hosted by the devnet.
pub struct Chain {
    params: ChainParams,
    state: Mutex<ChainState>,
    nonces: NonceManager,
    head: watch::Sender<u64>,
    decoder: Arc<RevertDecoder>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain").field("chain_id", &self.params.chain_id).finish_non_exhaustive()
    }
}

fn map_evm_error<E: std::fmt::Display>(sender: Address, error: EVMError<E, InvalidTransaction>) -> ChainError {
    match error {
        EVMError::Transaction(InvalidTransaction::NonceTooHigh { tx, state })
        | EVMError::Transaction(InvalidTransaction::NonceTooLow { tx, state }) => {
            ChainError::NonceMismatch { sender, expected: state, got: tx }
        }
        EVMError::Transaction(e @ InvalidTransaction::LackOfFundForMaxFee { .. }) => {
            ChainError::InsufficientFunds { sender, detail: e.to_string() }
        }
        EVMError::Transaction(e) => ChainError::InvalidTransaction(e.to_string()),
        other => ChainError::InvalidTransaction(other.to_string()),
    }
}

impl Chain {
    /// Opens the chain: from its store when it holds blocks, else from a fresh genesis that funds `alloc`.
    pub(crate) fn open(
        params: ChainParams,
        alloc: &[(Address, U256)],
        store: Option<ChainStore>,
        decoder: Arc<RevertDecoder>,
    ) -> Result<Self> {
        let loaded = match &store {
            Some(store) => store.load()?,
            None => None,
        };
        let (db, blocks) = match loaded {
            Some(loaded) => (loaded.db, loaded.blocks.into_iter().map(Arc::new).collect::<Vec<_>>()),
            None => {
                let mut db = StateDb::default();
                for (address, balance) in alloc {
                    let info = revm::state::AccountInfo { balance: *balance, ..Default::default() };
                    db.insert_account_info(*address, info);
                }
                let genesis = vec![Arc::new(genesis_block(&params))];
                if let Some(store) = &store {
                    store.rewrite(&db, &genesis)?;
                }
                (db, genesis)
            }
        };
        let mut tx_index = HashMap::new();
        for (b, block) in blocks.iter().enumerate() {
            for (i, tx) in block.transactions.iter().enumerate() {
                tx_index.insert(tx.receipt.transaction_hash, (b, i));
            }
        }
        let head_number = blocks.len() as u64 - 1;
        let state = ChainState {
            db,
            blocks,
            tx_index,
            pending: Vec::new(),
            rejected: HashMap::new(),
            next_timestamp: None,
            time_offset: 0,
            snapshots: BTreeMap::new(),
            next_snapshot: 1,
            store,
        };
        let (head, _) = watch::channel(head_number);
        Ok(Self { params, state: Mutex::new(state), nonces: NonceManager::new(), head, decoder })
    }

    fn lock(&self) -> MutexGuard<'_, ChainState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.params.chain_id
    }

    /// How this chain mines.
    pub fn mining_mode(&self) -> MiningMode {
        self.params.mining
    }

    /// Serialises each account's sends (the embedded client reads nonces from the state, not a cache).
    pub(crate) fn nonces(&self) -> &NonceManager {
        &self.nonces
    }

    pub(crate) fn decoder(&self) -> &Arc<RevertDecoder> {
        &self.decoder
    }

    /// Number of the latest block.
    pub fn block_number(&self) -> u64 {
        self.lock().blocks.len() as u64 - 1
    }

    /// Timestamp of the latest block.
    pub fn block_timestamp(&self) -> u64 {
        self.lock().blocks.last().map_or(0, |b| b.header.timestamp)
    }

    /// Balance of `address`.
    pub fn balance(&self, address: Address) -> U256 {
        self.account(address).map_or(U256::ZERO, |a| a.balance)
    }

    /// Nonce of `address` in the latest state.
    pub fn account_nonce(&self, address: Address) -> u64 {
        self.account(address).map_or(0, |a| a.nonce)
    }

    /// Next nonce of `address`, counting pooled transactions.
    pub fn pending_nonce(&self, address: Address) -> u64 {
        self.lock().pending_nonce(address)
    }

    /// Runtime code at `address`.
    pub fn code(&self, address: Address) -> Bytes {
        let mut st = self.lock();
        let db = &mut st.db;
        match db.basic(address).ok().flatten() {
            Some(info) if info.code_hash != KECCAK_EMPTY => match info.code {
                Some(code) => code.original_bytes(),
                None => db.code_by_hash(info.code_hash).map(|c| c.original_bytes()).unwrap_or_default(),
            },
            _ => Bytes::new(),
        }
    }

    /// Storage slot `slot` of `address`.
    pub fn storage_at(&self, address: Address, slot: U256) -> U256 {
        let mut st = self.lock();
        st.db.storage(address, slot).unwrap_or_default()
    }

    fn account(&self, address: Address) -> Option<revm::state::AccountInfo> {
        let mut st = self.lock();
        st.db.basic(address).ok().flatten()
    }

    /// Submits a signed transaction: checks chain id, recovers the sender, checks the nonce, then mines it
    /// at once (auto mining) or pools it (interval mining).
    pub(crate) fn submit(&self, tx: TxEnvelope) -> Result<Submitted> {
        if tx.chain_id() != Some(self.params.chain_id) {
            return Err(ChainError::WrongChainId { expected: self.params.chain_id, got: tx.chain_id() });
        }
        if tx.is_eip4844() {
            return Err(ChainError::InvalidTransaction("blob transactions are not supported by the devnet".into()));
        }
        let sender = tx.recover_signer().map_err(|e| ChainError::InvalidTransaction(format!("bad signature: {e}")))?;
        let mut st = self.lock();
        let expected = st.pending_nonce(sender);
        if tx.nonce() != expected {
            return Err(ChainError::NonceMismatch { sender, expected, got: tx.nonce() });
        }
        match self.params.mining {
            MiningMode::Auto => {
                let hash = *tx.tx_hash();
                let block = self.mine_block(&mut st, vec![Pending { tx, sender }], true)?;
                drop(st);
                let receipt = block
                    .transactions
                    .iter()
                    .find(|t| t.receipt.transaction_hash == hash)
                    .map(|t| t.receipt.clone())
                    .ok_or(ChainError::UnknownTransaction(hash))?;
                Ok(Submitted::Mined(Box::new(receipt)))
            }
            MiningMode::Interval(_) => {
                let hash = *tx.tx_hash();
                st.pending.push(Pending { tx, sender });
                Ok(Submitted::Pooled(hash))
            }
        }
    }

    /// Mines `count` blocks; pooled transactions go into the first.
    pub fn mine(&self, count: u64) -> Result<()> {
        let mut st = self.lock();
        for _ in 0..count {
            let pending = std::mem::take(&mut st.pending);
            self.mine_block(&mut st, pending, false)?;
        }
        Ok(())
    }

    /// The header the next block would have (time and base fee), without consuming the clock.
    fn next_header(&self, st: &ChainState) -> Header {
        let parent = &st.blocks[st.blocks.len() - 1];
        let number = parent.header.number + 1;
        let timestamp = st.next_timestamp.unwrap_or(parent.header.timestamp + self.params.block_time + st.time_offset);
        let base_fee = BaseFeeParams::ethereum().next_block_base_fee(
            parent.header.gas_used,
            parent.header.gas_limit,
            parent.header.base_fee_per_gas.unwrap_or_default(),
        );
        empty_header(&self.params, parent.hash, number, timestamp, base_fee)
    }

    /// Executes `txs` in a new block, commits it to memory and to the store, and announces it.
    /// With `strict`, a transaction the EVM refuses (nonce, funds, fees) fails the call and no block is
    /// mined; otherwise it is dropped and remembered as rejected.
    fn mine_block(&self, st: &mut ChainState, txs: Vec<Pending>, strict: bool) -> Result<Arc<StoredBlock>> {
        let mut header = self.next_header(st);
        let base_fee = header.base_fee_per_gas.unwrap_or_default();
        let mut evm = build_evm(self.params.chain_id, &mut st.db, block_env(&header), false);

        let mut diff = StateDiff::default();
        let mut executed: Vec<(Pending, ExecutionResult, u64)> = Vec::with_capacity(txs.len());
        let mut cumulative = 0u64;
        let mut rejected = Vec::new();
        for pending in txs {
            let env = tx_env(&pending.tx, pending.sender);
            match evm.transact(env) {
                Ok(result_and_state) => {
                    diff.record(&result_and_state.state);
                    evm.commit(result_and_state.state);
                    cumulative += result_and_state.result.tx_gas_used();
                    executed.push((pending, result_and_state.result, cumulative));
                }
                Err(error) => {
                    let error = map_evm_error(pending.sender, error);
                    if strict {
                        return Err(error);
                    }
                    rejected.push((*pending.tx.tx_hash(), error.to_string()));
                }
            }
        }
        drop(evm);
        st.rejected.extend(rejected);

        header.gas_used = cumulative;
        let mut bloom = Bloom::default();
        let mut envelopes = Vec::with_capacity(executed.len());
        let mut consensus_receipts = Vec::with_capacity(executed.len());
        for (pending, result, cumulative) in &executed {
            let receipt = ConsensusReceipt {
                status: result.is_success().into(),
                cumulative_gas_used: *cumulative,
                logs: result.logs().to_vec(),
            };
            let with_bloom = ReceiptWithBloom::from(receipt);
            bloom.accrue_bloom(&with_bloom.logs_bloom);
            consensus_receipts.push(match pending.tx {
                TxEnvelope::Legacy(_) => ReceiptEnvelope::Legacy(with_bloom),
                TxEnvelope::Eip2930(_) => ReceiptEnvelope::Eip2930(with_bloom),
                TxEnvelope::Eip7702(_) => ReceiptEnvelope::Eip7702(with_bloom),
                _ => ReceiptEnvelope::Eip1559(with_bloom),
            });
            envelopes.push(pending.tx.clone());
        }
        header.logs_bloom = bloom;
        header.transactions_root = calculate_transaction_root(&envelopes);
        header.receipts_root = calculate_receipt_root(&consensus_receipts);
        let hash = header.hash_slow();

        let number = header.number;
        let timestamp = header.timestamp;
        let mut log_index = 0u64;
        let mut transactions = Vec::with_capacity(executed.len());
        let mut previous_cumulative = 0;
        for (index, ((pending, result, cumulative), envelope)) in executed.into_iter().zip(envelopes).enumerate() {
            let tx_hash = *pending.tx.tx_hash();
            let logs = result
                .logs()
                .iter()
                .map(|inner: &PrimitiveLog| {
                    let log = Log {
                        inner: inner.clone(),
                        block_hash: Some(hash),
                        block_number: Some(number),
                        block_timestamp: Some(timestamp),
                        transaction_hash: Some(tx_hash),
                        transaction_index: Some(index as u64),
                        log_index: Some(log_index),
                        removed: false,
                    };
                    log_index += 1;
                    log
                })
                .collect();
            let (status, output) = outcome(&result);
            let halt = match &result {
                ExecutionResult::Halt { reason, .. } => Some(format!("{reason:?}")),
                _ => None,
            };
            let contract_address = if status { result.created_address() } else { None };
            let receipt = Receipt {
                transaction_hash: tx_hash,
                block_number: number,
                block_hash: hash,
                transaction_index: index as u64,
                from: pending.sender,
                to: envelope.to(),
                contract_address,
                status,
                gas_used: cumulative - previous_cumulative,
                cumulative_gas_used: cumulative,
                effective_gas_price: envelope.effective_gas_price(Some(base_fee)),
                logs,
            };
            previous_cumulative = cumulative;
            transactions.push(StoredTx { envelope, receipt, output, halt });
        }
        let block = Arc::new(StoredBlock { header, hash, transactions });
        if let Some(store) = &st.store {
            store.write_block(&diff, &block)?;
        }
        let index = st.blocks.len();
        for (i, tx) in block.transactions.iter().enumerate() {
            st.tx_index.insert(tx.receipt.transaction_hash, (index, i));
        }
        st.blocks.push(Arc::clone(&block));
        st.next_timestamp = None;
        st.time_offset = 0;
        self.head.send_replace(number);
        Ok(block)
    }

    /// Runs a transaction against `env` without committing anything.
    fn simulate(&self, st: &mut ChainState, env: BlockEnv, tx: TxEnv) -> Result<ExecutionResult> {
        let caller = tx.caller;
        let mut evm = build_evm(self.params.chain_id, &mut st.db, env, true);
        evm.transact(tx).map(|r| r.result).map_err(|e| map_evm_error(caller, e))
    }

    fn check(&self, result: ExecutionResult) -> Result<ExecutionResult> {
        match &result {
            ExecutionResult::Success { .. } => Ok(result),
            ExecutionResult::Revert { output, .. } => Err(ChainError::Reverted {
                decoded: Box::new(self.decoder.decode(output)),
                data: output.clone(),
                tx_hash: None,
            }),
            ExecutionResult::Halt { reason, .. } => {
                Err(ChainError::Halted { reason: format!("{reason:?}"), gas_used: result.tx_gas_used() })
            }
        }
    }

    /// A read-only call at the latest block.
    pub fn call(&self, from: Address, to: Address, data: Bytes, value: U256) -> Result<Bytes> {
        let mut st = self.lock();
        let env = block_env(&st.blocks[st.blocks.len() - 1].header);
        let nonce = st.db.basic(from).ok().flatten().map_or(0, |a| a.nonce);
        let tx = sim_tx_env(self.params.chain_id, from, Some(to), data, value, self.params.block_gas_limit, nonce);
        let result = self.check(self.simulate(&mut st, env, tx)?)?;
        Ok(outcome(&result).1)
    }

    /// The gas limit `request` from `from` needs in the next block; fails with the decoded revert if it
    /// would revert.
    pub fn estimate_gas(&self, from: Address, request: &TxRequest) -> Result<u64> {
        let mut st = self.lock();
        let env = block_env(&self.next_header(&st));
        let nonce = st.db.basic(from).ok().flatten().map_or(0, |a| a.nonce);
        let limit = self.params.block_gas_limit;
        let run = |st: &mut ChainState, gas: u64| {
            let tx =
                sim_tx_env(self.params.chain_id, from, request.to, request.data.clone(), request.value, gas, nonce);
            self.simulate(st, env.clone(), tx)
        };
        let first = self.check(run(&mut st, limit)?)?;
        // Refunds are paid after execution and calls forward at most 63/64 of the remaining gas, so the
        // limit must exceed the gas finally used; try a close guess, then search upwards if it is short.
        let spent = first.gas().total_gas_spent();
        let mut guess = (spent + spent / 63 + 2_300).min(limit);
        if run(&mut st, guess)?.is_success() {
            return Ok(guess);
        }
        let (mut low, mut high) = (guess, limit);
        while high - low > 1_000 {
            guess = low + (high - low) / 2;
            if run(&mut st, guess)?.is_success() {
                high = guess;
            } else {
                low = guess;
            }
        }
        Ok(high)
    }

    /// Fees a sender should offer for the next block.
    pub fn fee_quote(&self) -> automat_chain::FeeQuote {
        let st = self.lock();
        let base = self.next_header(&st).base_fee_per_gas.unwrap_or_default() as u128;
        automat_chain::FeeQuote { max_fee_per_gas: base * 2 + 1_000_000, max_priority_fee_per_gas: 1_000_000 }
    }

    /// The receipt of `hash`, if mined.
    pub fn receipt(&self, hash: TxHash) -> Option<Receipt> {
        let st = self.lock();
        st.tx_index.get(&hash).map(|&(b, i)| st.blocks[b].transactions[i].receipt.clone())
    }

    /// Return (or revert) data of a mined transaction, and why it halted if it did.
    pub fn output(&self, hash: TxHash) -> Option<(Bytes, Option<String>)> {
        let st = self.lock();
        st.tx_index.get(&hash).map(|&(b, i)| {
            let tx = &st.blocks[b].transactions[i];
            (tx.output.clone(), tx.halt.clone())
        })
    }

    /// Why the pool dropped `hash`, if it did.
    pub(crate) fn rejection(&self, hash: TxHash) -> Option<String> {
        self.lock().rejected.get(&hash).cloned()
    }

    /// Logs matching `filter`.
    pub fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        let st = self.lock();
        let head = st.blocks.len() as u64 - 1;
        let resolve = |tag: Option<&BlockNumberOrTag>, default: u64| match tag {
            None => default,
            Some(BlockNumberOrTag::Number(n)) => (*n).min(head),
            Some(BlockNumberOrTag::Earliest) => 0,
            Some(_) => head,
        };
        let (from, to) = match &filter.block_option {
            FilterBlockOption::AtBlockHash(hash) => {
                let block = st
                    .blocks
                    .iter()
                    .position(|b| b.hash == *hash)
                    .ok_or_else(|| ChainError::Decode(format!("unknown block hash {hash}")))?;
                (block as u64, block as u64)
            }
            FilterBlockOption::Range { from_block, to_block } => {
                (resolve(from_block.as_ref(), head), resolve(to_block.as_ref(), head))
            }
        };
        let mut logs = Vec::new();
        if from > to {
            return Ok(logs);
        }
        for block in &st.blocks[from as usize..=to as usize] {
            if !filter.matches_bloom(block.header.logs_bloom) {
                continue;
            }
            for tx in &block.transactions {
                logs.extend(tx.receipt.logs.iter().filter(|log| filter.matches(&log.inner)).cloned());
            }
        }
        Ok(logs)
    }

    /// Waits until `hash` is mined (or dropped by the pool).
    pub(crate) async fn wait_for_receipt(&self, hash: TxHash, timeout: Duration) -> Result<Receipt> {
        let mut head = self.head.subscribe();
        let wait = async {
            loop {
                if let Some(receipt) = self.receipt(hash) {
                    return Ok(receipt);
                }
                if let Some(reason) = self.rejection(hash) {
                    return Err(ChainError::InvalidTransaction(format!("{hash} dropped from the pool: {reason}")));
                }
                if head.changed().await.is_err() {
                    return Err(ChainError::Transport("chain stopped".into()));
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| ChainError::Timeout { what: format!("receipt of {hash}"), seconds: timeout.as_secs() })?
    }

    /// Moves the next block's time forward by `seconds`.
    pub fn increase_time(&self, seconds: u64) {
        self.lock().time_offset += seconds;
    }

    /// Fixes the next block's timestamp.
    pub fn set_next_block_timestamp(&self, timestamp: u64) -> Result<()> {
        let mut st = self.lock();
        let latest = st.blocks[st.blocks.len() - 1].header.timestamp;
        if timestamp <= latest {
            return Err(ChainError::InvalidTransaction(format!(
                "next block timestamp {timestamp} must be later than the latest block's {latest}"
            )));
        }
        st.next_timestamp = Some(timestamp);
        Ok(())
    }

    /// Records the chain's whole state.
    pub fn snapshot(&self) -> SnapshotId {
        let mut st = self.lock();
        let id = st.next_snapshot;
        st.next_snapshot += 1;
        let snapshot = Snapshot {
            db: st.db.clone(),
            blocks: st.blocks.len(),
            pending: st.pending.clone(),
            next_timestamp: st.next_timestamp,
            time_offset: st.time_offset,
        };
        st.snapshots.insert(id, snapshot);
        SnapshotId(id)
    }

    /// Returns to snapshot `id` (consuming it and every later one), in memory and in the store.
    pub fn revert(&self, id: SnapshotId) -> Result<()> {
        let mut st = self.lock();
        let snapshot = st.snapshots.remove(&id.0).ok_or(ChainError::UnknownSnapshot(id.0))?;
        st.snapshots.retain(|&k, _| k < id.0);
        st.db = snapshot.db;
        for block in st.blocks.split_off(snapshot.blocks) {
            for tx in &block.transactions {
                st.tx_index.remove(&tx.receipt.transaction_hash);
            }
        }
        st.pending = snapshot.pending;
        st.next_timestamp = snapshot.next_timestamp;
        st.time_offset = snapshot.time_offset;
        if let Some(store) = &st.store {
            store.rewrite(&st.db, &st.blocks)?;
        }
        let head = st.blocks.len() as u64 - 1;
        drop(st);
        self.head.send_replace(head);
        Ok(())
    }
}

/// The header of a block before execution fills in gas used, bloom and roots.
fn empty_header(params: &ChainParams, parent_hash: B256, number: u64, timestamp: u64, base_fee: u64) -> Header {
    Header {
        parent_hash,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: COINBASE,
        number,
        timestamp,
        gas_limit: params.block_gas_limit,
        base_fee_per_gas: Some(base_fee),
        mix_hash: prevrandao(params.chain_id, number),
        withdrawals_root: Some(EMPTY_WITHDRAWALS),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        requests_hash: Some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    }
}

fn genesis_block(params: &ChainParams) -> StoredBlock {
    let header = empty_header(params, B256::ZERO, 0, params.genesis_timestamp, GENESIS_BASE_FEE);
    let hash = header.hash_slow();
    StoredBlock { header, hash, transactions: Vec::new() }
}
