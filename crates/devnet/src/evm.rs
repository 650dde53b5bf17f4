//! The revm side of the devnet: building the EVM, block environments, and transactions from alloy types.
//! [`tx_env`] and [`SPEC`] are public so baselines (the chain benchmark's bare-revm run) execute exactly
//! what the devnet executes.

use alloy_consensus::{Header, Transaction, TxEnvelope, Typed2718};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use revm::{
    Context, MainContext,
    context::{BlockEnv, CfgEnv, Evm, FrameStack, TxEnv, result::ExecutionResult},
    context_interface::block::BlobExcessGasAndPrice,
    database::{CacheDB, EmptyDB},
    handler::{EthPrecompiles, MainnetEvm, instructions::EthInstructions},
    primitives::hardfork::SpecId,
};

/// The state database of one chain: everything in memory, nothing underneath.
pub(crate) type StateDb = CacheDB<EmptyDB>;

/// An EVM over a chain's state database, built for one block (or one simulation).
pub(crate) type DevEvm<'a> = MainnetEvm<revm::handler::MainnetContext<&'a mut StateDb>>;

/// The hard fork every devnet chain runs.
pub const SPEC: SpecId = SpecId::PRAGUE;

/// Builds the EVM for chain `chain_id` over `db`, executing in `block`. A `simulation` skips the nonce
/// check and runs at a zero base fee, as `eth_call` and `eth_estimateGas` do.
pub(crate) fn build_evm(chain_id: u64, db: &mut StateDb, mut block: BlockEnv, simulation: bool) -> DevEvm<'_> {
    let mut cfg = CfgEnv::new_with_spec(SPEC);
    cfg.chain_id = chain_id;
    cfg.disable_nonce_check = simulation;
    if simulation {
        block.basefee = 0;
    }
    // Built by hand rather than with `build_mainnet`, which preallocates eight call frames (each with
    // its own 32 KiB stack) on every build: the devnet builds one EVM per block, and most transactions
    // never go deeper than a frame or two.
    Evm {
        ctx: Context::mainnet().with_db(db).with_cfg(cfg).with_block(block),
        inspector: (),
        instruction: EthInstructions::new_mainnet_with_spec(SPEC),
        precompiles: EthPrecompiles::new(SPEC),
        frame_stack: FrameStack::new(),
    }
}

/// The block environment for executing on top of (or, for calls, at) `header`.
pub(crate) fn block_env(header: &Header) -> BlockEnv {
    BlockEnv {
        number: U256::from(header.number),
        beneficiary: header.beneficiary,
        timestamp: U256::from(header.timestamp),
        gas_limit: header.gas_limit,
        basefee: header.base_fee_per_gas.unwrap_or_default(),
        difficulty: U256::ZERO,
        prevrandao: Some(header.mix_hash),
        blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(0, 1)),
        ..Default::default()
    }
}

/// Deterministic stand-in for the beacon chain's randomness: the hash of the block number and chain.
pub(crate) fn prevrandao(chain_id: u64, number: u64) -> B256 {
    let mut seed = [0u8; 16];
    seed[..8].copy_from_slice(&chain_id.to_be_bytes());
    seed[8..].copy_from_slice(&number.to_be_bytes());
    keccak256(seed)
}

/// The revm transaction for a signed envelope whose sender was recovered as `caller`.
pub fn tx_env(tx: &TxEnvelope, caller: Address) -> TxEnv {
    TxEnv {
        tx_type: tx.ty(),
        caller,
        gas_limit: tx.gas_limit(),
        gas_price: tx.max_fee_per_gas(),
        kind: tx.kind(),
        value: tx.value(),
        data: tx.input().clone(),
        nonce: tx.nonce(),
        chain_id: tx.chain_id(),
        access_list: tx.access_list().cloned().unwrap_or_default(),
        gas_priority_fee: tx.max_priority_fee_per_gas(),
        blob_hashes: tx.blob_versioned_hashes().map(<[B256]>::to_vec).unwrap_or_default(),
        max_fee_per_blob_gas: tx.max_fee_per_blob_gas().unwrap_or_default(),
        authorization_list: tx
            .authorization_list()
            .map(|list| list.iter().cloned().map(revm::context::either::Either::Left).collect())
            .unwrap_or_default(),
    }
}

/// A simulated transaction: no signature, no fee, nonce unchecked.
pub(crate) fn sim_tx_env(
    chain_id: u64,
    caller: Address,
    to: Option<Address>,
    data: Bytes,
    value: U256,
    gas: u64,
    nonce: u64,
) -> TxEnv {
    TxEnv {
        tx_type: 2,
        caller,
        gas_limit: gas,
        gas_price: 0,
        kind: to.map_or(TxKind::Create, TxKind::Call),
        value,
        data,
        nonce,
        chain_id: Some(chain_id),
        gas_priority_fee: Some(0),
        ..Default::default()
    }
}

/// The data an execution returned, and whether it succeeded.
pub(crate) fn outcome(result: &ExecutionResult) -> (bool, Bytes) {
    match result {
        ExecutionResult::Success { output, .. } => (true, output.data().clone()),
        ExecutionResult::Revert { output, .. } => (false, output.clone()),
        ExecutionResult::Halt { .. } => (false, Bytes::new()),
    }
}
