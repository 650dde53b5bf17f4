use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, TxKind};
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner, coins_bip39::English};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::{ChainError, Result, TxRequest};

/// The well-known development mnemonic (Hardhat's and anvil's default), so the embedded devnet and a
/// local node prefund the same accounts. Never use it on a public network.
pub const DEFAULT_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// The signer at BIP-44 index `index` (`m/44'/60'/0'/0/index`) of `phrase`.
pub fn signer_from_mnemonic(phrase: &str, index: u32) -> Result<PrivateKeySigner> {
    MnemonicBuilder::<English>::default()
        .phrase(phrase)
        .index(index)
        .and_then(|b| b.build())
        .map_err(|e| ChainError::Signer(format!("mnemonic account {index}: {e}")))
}

/// The first `count` accounts of `phrase`.
pub fn dev_signers(phrase: &str, count: u32) -> Result<Vec<PrivateKeySigner>> {
    (0..count).map(|i| signer_from_mnemonic(phrase, i)).collect()
}

/// EIP-1559 fees to offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeQuote {
    /// Cap on base fee + tip, per gas.
    pub max_fee_per_gas: u128,
    /// Tip to the block producer, per gas.
    pub max_priority_fee_per_gas: u128,
}

/// Builds and signs an EIP-1559 transaction for `request`.
pub fn sign_request(
    signer: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    gas_limit: u64,
    fees: FeeQuote,
    request: &TxRequest,
) -> Result<TxEnvelope> {
    let mut tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit,
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
        to: request.to.map_or(TxKind::Create, TxKind::Call),
        value: request.value,
        access_list: Default::default(),
        input: request.data.clone(),
    };
    let signature = signer.sign_transaction_sync(&mut tx).map_err(|e| ChainError::Signer(e.to_string()))?;
    Ok(tx.into_signed(signature).into())
}

/// Hands out nonces per account so concurrent senders never collide.
///
/// `lock` returns a guard holding the account's next nonce as last known (`None`: ask the chain). The
/// holder signs and submits while holding it, then stores `Some(nonce + 1)` on success, or leaves
/// `None` after a failure so the next sender re-reads the chain.
#[derive(Debug, Default)]
pub struct NonceManager {
    accounts: Mutex<HashMap<Address, Arc<AsyncMutex<Option<u64>>>>>,
}

impl NonceManager {
    /// An empty manager.
    pub fn new() -> Self {
        Self::default()
    }

    /// Exclusive access to `account`'s cached next nonce.
    pub async fn lock(&self, account: Address) -> OwnedMutexGuard<Option<u64>> {
        let slot = {
            let mut map = self.accounts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(map.entry(account).or_default())
        };
        slot.lock_owned().await
    }

    /// Forgets every cached nonce (after a chain revert, say).
    pub fn reset(&self) {
        self.accounts.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::transaction::SignerRecoverable;
    use alloy_primitives::address;

    #[test]
    fn default_mnemonic_gives_the_well_known_first_account() {
        let signer = signer_from_mnemonic(DEFAULT_MNEMONIC, 0).expect("valid mnemonic");
        assert_eq!(signer.address(), address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    }

    #[test]
    fn signed_request_recovers_to_its_signer() {
        let signer = signer_from_mnemonic(DEFAULT_MNEMONIC, 1).expect("valid mnemonic");
        let fees = FeeQuote { max_fee_per_gas: 2_000_000_000, max_priority_fee_per_gas: 1 };
        let tx = sign_request(&signer, 7, 3, 21_000, fees, &TxRequest::default()).expect("signs");
        assert_eq!(tx.recover_signer().expect("recovers"), signer.address());
    }
}
