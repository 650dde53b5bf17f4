//! Persistence of one chain in a redb database: accounts, storage, code and blocks, written once per
//! mined block in a single transaction, so a restarted devnet resumes from exactly the last block.

use std::path::Path;

use alloy_primitives::{Address, B256, Bytes, U256};
use automat_chain::{ChainError, Result};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use revm::{
    bytecode::Bytecode,
    database::AccountState,
    primitives::KECCAK_EMPTY,
    state::{AccountInfo, EvmState},
};

use crate::{block::StoredBlock, evm::StateDb};

/// `"chain_id"` → u64 big-endian.
const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
/// address (20) → balance (32, BE) ‖ nonce (8, BE) ‖ code hash (32).
const ACCOUNTS: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("accounts");
/// address (20) ‖ slot (32, BE) → value (32, BE); zero values are not stored.
const STORAGE: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("storage");
/// code hash (32) → bytecode as deployed.
const CODE: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("code");
/// block number → the block as JSON (header, transactions, receipts).
const BLOCKS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("blocks");

fn storage_err(context: &str, e: impl std::fmt::Display) -> ChainError {
    ChainError::Storage(format!("{context}: {e}"))
}

/// The state changes one block makes, in the shape the tables need.
#[derive(Debug, Default)]
pub(crate) struct StateDiff {
    /// Accounts whose storage must be wiped first (self-destructed or created anew).
    cleared: Vec<Address>,
    /// Accounts to write (`None`: delete).
    accounts: Vec<(Address, Option<AccountInfo>)>,
    /// Storage slots to write (zero: delete).
    storage: Vec<(Address, U256, U256)>,
    /// New code.
    code: Vec<(B256, Bytes)>,
}

impl StateDiff {
    /// Records the changes of one executed transaction (before they are committed to memory).
    pub(crate) fn record(&mut self, state: &EvmState) {
        for (address, account) in state {
            if !account.is_touched() {
                continue;
            }
            if account.is_selfdestructed() {
                self.cleared.push(*address);
                self.accounts.push((*address, None));
                continue;
            }
            if account.is_created() {
                self.cleared.push(*address);
            }
            // Code arrives with creations, and also without one (an EIP-7702 delegation designator set
            // on an EOA); `write_block` stores each code hash once.
            if let Some(code) = &account.info.code
                && account.info.code_hash != KECCAK_EMPTY
            {
                self.code.push((account.info.code_hash, code.original_bytes()));
            }
            let mut info = account.info.clone();
            info.code = None;
            self.accounts.push((*address, Some(info)));
            for (slot, value) in &account.storage {
                if value.is_changed() {
                    self.storage.push((*address, *slot, value.present_value()));
                }
            }
        }
    }
}

fn account_key(address: &Address) -> [u8; 20] {
    address.into_array()
}

fn slot_key(address: &Address, slot: &U256) -> [u8; 52] {
    let mut key = [0u8; 52];
    key[..20].copy_from_slice(address.as_slice());
    key[20..].copy_from_slice(&slot.to_be_bytes::<32>());
    key
}

fn encode_account(info: &AccountInfo) -> [u8; 72] {
    let mut value = [0u8; 72];
    value[..32].copy_from_slice(&info.balance.to_be_bytes::<32>());
    value[32..40].copy_from_slice(&info.nonce.to_be_bytes());
    value[40..].copy_from_slice(info.code_hash.as_slice());
    value
}

fn decode_account(value: &[u8]) -> Result<AccountInfo> {
    if value.len() != 72 {
        return Err(ChainError::Storage(format!("account record of {} bytes, expected 72", value.len())));
    }
    let mut nonce = [0u8; 8];
    nonce.copy_from_slice(&value[32..40]);
    Ok(AccountInfo {
        balance: U256::from_be_slice(&value[..32]),
        nonce: u64::from_be_bytes(nonce),
        code_hash: B256::from_slice(&value[40..]),
        ..Default::default()
    })
}

/// One chain's redb file.
pub(crate) struct ChainStore {
    db: Database,
}

impl std::fmt::Debug for ChainStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainStore").finish_non_exhaustive()
    }
}

/// What a store held when opened.
pub(crate) struct Loaded {
    pub(crate) db: StateDb,
    pub(crate) blocks: Vec<StoredBlock>,
}

impl ChainStore {
    /// Opens (or creates) the store for `chain_id` at `path`; refuses a file written for another chain.
    pub(crate) fn open(path: &Path, chain_id: u64) -> Result<Self> {
        let db = Database::create(path).map_err(|e| storage_err(&format!("open {}", path.display()), e))?;
        let store = Self { db };
        let txn = store.db.begin_write().map_err(|e| storage_err("begin", e))?;
        {
            let mut meta = txn.open_table(META).map_err(|e| storage_err("meta", e))?;
            let existing = meta.get("chain_id").map_err(|e| storage_err("meta", e))?.map(|v| v.value().to_vec());
            match existing {
                Some(bytes) if bytes.as_slice() != chain_id.to_be_bytes() => {
                    return Err(ChainError::Storage(format!(
                        "{} belongs to another chain (expected chain id {chain_id})",
                        path.display()
                    )));
                }
                Some(_) => {}
                None => {
                    meta.insert("chain_id", chain_id.to_be_bytes().as_slice()).map_err(|e| storage_err("meta", e))?;
                }
            }
            // Create the other tables so reads of a fresh file find them.
            txn.open_table(ACCOUNTS).map_err(|e| storage_err("accounts", e))?;
            txn.open_table(STORAGE).map_err(|e| storage_err("storage", e))?;
            txn.open_table(CODE).map_err(|e| storage_err("code", e))?;
            txn.open_table(BLOCKS).map_err(|e| storage_err("blocks", e))?;
        }
        txn.commit().map_err(|e| storage_err("commit", e))?;
        Ok(store)
    }

    /// Everything stored, or `None` for a fresh file.
    pub(crate) fn load(&self) -> Result<Option<Loaded>> {
        let txn = self.db.begin_read().map_err(|e| storage_err("begin read", e))?;
        let blocks_table = txn.open_table(BLOCKS).map_err(|e| storage_err("blocks", e))?;
        let mut blocks = Vec::new();
        for entry in blocks_table.iter().map_err(|e| storage_err("blocks", e))? {
            let (number, value) = entry.map_err(|e| storage_err("blocks", e))?;
            let block: StoredBlock = serde_json::from_slice(value.value())
                .map_err(|e| storage_err(&format!("block {}", number.value()), e))?;
            if block.header.number != blocks.len() as u64 {
                return Err(ChainError::Storage(format!(
                    "block {} found where block {} was expected",
                    block.header.number,
                    blocks.len()
                )));
            }
            blocks.push(block);
        }
        if blocks.is_empty() {
            return Ok(None);
        }

        let mut db = StateDb::default();
        let code_table = txn.open_table(CODE).map_err(|e| storage_err("code", e))?;
        let accounts = txn.open_table(ACCOUNTS).map_err(|e| storage_err("accounts", e))?;
        for entry in accounts.iter().map_err(|e| storage_err("accounts", e))? {
            let (key, value) = entry.map_err(|e| storage_err("accounts", e))?;
            let address = Address::from_slice(key.value());
            let mut info = decode_account(value.value())?;
            if info.code_hash != KECCAK_EMPTY {
                let code = code_table
                    .get(info.code_hash.as_slice())
                    .map_err(|e| storage_err("code", e))?
                    .ok_or_else(|| ChainError::Storage(format!("code {} of {address} missing", info.code_hash)))?;
                let bytecode = Bytecode::new_raw_checked(Bytes::copy_from_slice(code.value()))
                    .map_err(|e| storage_err(&format!("code of {address}"), e))?;
                info.code = Some(bytecode);
            }
            db.insert_account_info(address, info);
        }
        let storage = txn.open_table(STORAGE).map_err(|e| storage_err("storage", e))?;
        for entry in storage.iter().map_err(|e| storage_err("storage", e))? {
            let (key, value) = entry.map_err(|e| storage_err("storage", e))?;
            let key = key.value();
            if key.len() != 52 {
                return Err(ChainError::Storage(format!("storage key of {} bytes", key.len())));
            }
            let address = Address::from_slice(&key[..20]);
            let slot = U256::from_be_slice(&key[20..]);
            db.insert_account_storage(address, slot, U256::from_be_slice(value.value()))
                .map_err(|e| storage_err("storage", e))?;
        }
        Ok(Some(Loaded { db, blocks }))
    }

    /// Writes one mined block and the state it produced, atomically.
    pub(crate) fn write_block(&self, diff: &StateDiff, block: &StoredBlock) -> Result<()> {
        let txn = self.db.begin_write().map_err(|e| storage_err("begin", e))?;
        {
            let mut accounts = txn.open_table(ACCOUNTS).map_err(|e| storage_err("accounts", e))?;
            let mut storage = txn.open_table(STORAGE).map_err(|e| storage_err("storage", e))?;
            let mut code = txn.open_table(CODE).map_err(|e| storage_err("code", e))?;
            let mut blocks = txn.open_table(BLOCKS).map_err(|e| storage_err("blocks", e))?;
            for address in &diff.cleared {
                let start = slot_key(address, &U256::ZERO);
                let end = slot_key(address, &U256::MAX);
                storage
                    .retain_in(start.as_slice()..=end.as_slice(), |_, _| false)
                    .map_err(|e| storage_err("clear storage", e))?;
            }
            for (hash, bytes) in &diff.code {
                if code.get(hash.as_slice()).map_err(|e| storage_err("code", e))?.is_none() {
                    code.insert(hash.as_slice(), bytes.as_ref()).map_err(|e| storage_err("code", e))?;
                }
            }
            for (address, info) in &diff.accounts {
                let key = account_key(address);
                match info {
                    Some(info) => accounts.insert(key.as_slice(), encode_account(info).as_slice()),
                    None => accounts.remove(key.as_slice()).map(|_| None),
                }
                .map_err(|e| storage_err("account", e))?;
            }
            for (address, slot, value) in &diff.storage {
                let key = slot_key(address, slot);
                if value.is_zero() {
                    storage.remove(key.as_slice()).map_err(|e| storage_err("storage", e))?;
                } else {
                    storage
                        .insert(key.as_slice(), value.to_be_bytes::<32>().as_slice())
                        .map_err(|e| storage_err("storage", e))?;
                }
            }
            let encoded = serde_json::to_vec(block).map_err(|e| storage_err("encode block", e))?;
            blocks.insert(block.header.number, encoded.as_slice()).map_err(|e| storage_err("block", e))?;
        }
        txn.commit().map_err(|e| storage_err("commit", e))
    }

    /// Replaces everything stored with `db` and `blocks` (after a revert to a snapshot).
    pub(crate) fn rewrite(&self, db: &StateDb, blocks: &[std::sync::Arc<StoredBlock>]) -> Result<()> {
        let txn = self.db.begin_write().map_err(|e| storage_err("begin", e))?;
        {
            let mut accounts = txn.open_table(ACCOUNTS).map_err(|e| storage_err("accounts", e))?;
            let mut storage = txn.open_table(STORAGE).map_err(|e| storage_err("storage", e))?;
            let mut code = txn.open_table(CODE).map_err(|e| storage_err("code", e))?;
            let mut block_table = txn.open_table(BLOCKS).map_err(|e| storage_err("blocks", e))?;
            accounts.retain(|_, _| false).map_err(|e| storage_err("accounts", e))?;
            storage.retain(|_, _| false).map_err(|e| storage_err("storage", e))?;
            code.retain(|_, _| false).map_err(|e| storage_err("code", e))?;
            block_table.retain(|_, _| false).map_err(|e| storage_err("blocks", e))?;
            for (address, account) in &db.cache.accounts {
                if matches!(account.account_state, AccountState::NotExisting) {
                    continue;
                }
                let key = account_key(address);
                accounts
                    .insert(key.as_slice(), encode_account(&account.info).as_slice())
                    .map_err(|e| storage_err("account", e))?;
                for (slot, value) in &account.storage {
                    if !value.is_zero() {
                        storage
                            .insert(slot_key(address, slot).as_slice(), value.to_be_bytes::<32>().as_slice())
                            .map_err(|e| storage_err("storage", e))?;
                    }
                }
            }
            for (hash, bytecode) in &db.cache.contracts {
                if *hash != KECCAK_EMPTY && !hash.is_zero() {
                    code.insert(hash.as_slice(), bytecode.original_byte_slice()).map_err(|e| storage_err("code", e))?;
                }
            }
            for block in blocks {
                let encoded = serde_json::to_vec(block.as_ref()).map_err(|e| storage_err("encode block", e))?;
                block_table.insert(block.header.number, encoded.as_slice()).map_err(|e| storage_err("block", e))?;
            }
        }
        txn.commit().map_err(|e| storage_err("commit", e))
    }
}
