//! [`ChainClient`] and [`DevnetControl`] over one devnet chain.

use std::{sync::Arc, time::Duration};

use alloy_consensus::TxEnvelope;
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, Bytes, TxHash, U256};
use alloy_rpc_types_eth::{Filter, Log};
use alloy_signer_local::PrivateKeySigner;
use automat_chain::{
    ChainClient, ChainError, DevnetControl, Receipt, Result, RevertDecoder, SnapshotId, TxRequest, sign_request,
};

use crate::chain::{Chain, Submitted};

/// How long a send waits for its block before giving up (interval mining only; auto mining is immediate).
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// A client of one embedded chain, signing as one account.
#[derive(Clone, Debug)]
pub struct EmbeddedClient {
    chain: Arc<Chain>,
    signer: PrivateKeySigner,
}

impl EmbeddedClient {
    /// A client of `chain` signing with `signer`.
    pub fn new(chain: Arc<Chain>, signer: PrivateKeySigner) -> Self {
        Self { chain, signer }
    }

    /// The same chain, signing with another key.
    pub fn with_signer(&self, signer: PrivateKeySigner) -> Self {
        Self { chain: Arc::clone(&self.chain), signer }
    }

    /// The chain behind this client.
    pub fn chain(&self) -> &Arc<Chain> {
        &self.chain
    }

    async fn finish(&self, submitted: Submitted) -> Result<Receipt> {
        match submitted {
            Submitted::Mined(receipt) => Ok(*receipt),
            Submitted::Pooled(hash) => self.chain.wait_for_receipt(hash, RECEIPT_TIMEOUT).await,
        }
    }

    fn failed(&self, receipt: &Receipt) -> ChainError {
        let (data, halt) = self.chain.output(receipt.transaction_hash).unwrap_or_default();
        if let Some(reason) = halt {
            return ChainError::Halted { reason, gas_used: receipt.gas_used };
        }
        ChainError::Reverted {
            decoded: Box::new(self.chain.decoder().decode(&data)),
            data,
            tx_hash: Some(receipt.transaction_hash),
        }
    }
}

impl ChainClient for EmbeddedClient {
    fn chain_id(&self) -> u64 {
        self.chain.chain_id()
    }

    fn sender(&self) -> Address {
        self.signer.address()
    }

    fn revert_decoder(&self) -> &Arc<RevertDecoder> {
        self.chain.decoder()
    }

    async fn send(&self, tx: TxRequest) -> Result<Receipt> {
        let sender = self.signer.address();
        let submitted = {
            // The lock serialises this account's senders; the nonce itself is read from the chain every
            // time (in process, that is cheap), so sends by other means never leave it stale.
            let _serialised = self.chain.nonces().lock(sender).await;
            let nonce = self.chain.pending_nonce(sender);
            let gas_limit = match tx.gas_limit {
                Some(gas) => gas,
                None => self.chain.estimate_gas(sender, &tx)?,
            };
            let fees = self.chain.fee_quote();
            let signed = sign_request(&self.signer, self.chain.chain_id(), nonce, gas_limit, fees, &tx)?;
            self.chain.submit(signed)?
        };
        let receipt = self.finish(submitted).await?;
        if receipt.status { Ok(receipt) } else { Err(self.failed(&receipt)) }
    }

    async fn send_raw(&self, raw: Bytes) -> Result<Receipt> {
        let tx = TxEnvelope::decode_2718(&mut raw.as_ref())
            .map_err(|e| ChainError::Decode(format!("raw transaction: {e}")))?;
        let submitted = self.chain.submit(tx)?;
        self.finish(submitted).await
    }

    async fn call(&self, to: Address, data: Bytes) -> Result<Bytes> {
        self.chain.call(self.signer.address(), to, data, U256::ZERO)
    }

    async fn receipt(&self, hash: TxHash) -> Result<Option<Receipt>> {
        Ok(self.chain.receipt(hash))
    }

    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        self.chain.logs(filter)
    }

    async fn block_number(&self) -> Result<u64> {
        Ok(self.chain.block_number())
    }

    async fn block_timestamp(&self) -> Result<u64> {
        Ok(self.chain.block_timestamp())
    }

    async fn balance(&self, address: Address) -> Result<U256> {
        Ok(self.chain.balance(address))
    }

    async fn nonce(&self, address: Address) -> Result<u64> {
        Ok(self.chain.pending_nonce(address))
    }

    async fn code(&self, address: Address) -> Result<Bytes> {
        Ok(self.chain.code(address))
    }
}

impl DevnetControl for EmbeddedClient {
    async fn mine(&self, blocks: u64) -> Result<()> {
        self.chain.mine(blocks)
    }

    async fn increase_time(&self, seconds: u64) -> Result<()> {
        self.chain.increase_time(seconds);
        Ok(())
    }

    async fn set_next_block_timestamp(&self, timestamp: u64) -> Result<()> {
        self.chain.set_next_block_timestamp(timestamp)
    }

    async fn snapshot(&self) -> Result<SnapshotId> {
        Ok(self.chain.snapshot())
    }

    async fn revert(&self, id: SnapshotId) -> Result<()> {
        self.chain.revert(id)
    }
}
