//! [`ChainClient`] and [`DevnetControl`] over a JSON-RPC node.

use std::{sync::Arc, time::Duration};

use alloy_consensus::{Transaction, TxEnvelope, transaction::SignerRecoverable};
use alloy_eips::{
    BlockId, BlockNumberOrTag,
    eip2718::{Decodable2718, Encodable2718},
};
use alloy_primitives::{Address, Bytes, TxHash, TxKind, U256};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::{Filter, Log, TransactionInput, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_transport_http::reqwest::Url;
use automat_chain::{
    ChainClient, ChainError, DevnetControl, FeeQuote, NonceManager, Receipt, Result, RevertDecoder, SnapshotId,
    TxRequest, sign_request,
};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::{
    convert,
    errors::{self, Rejection, transport},
};

/// How long a send waits for its receipt before giving up.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);
/// First pause between receipt polls; it doubles up to [`MAX_POLL`]. A local node mines in a few
/// milliseconds, so alloy's default poll interval (250 ms for local nodes, 7 s otherwise) would dominate.
const FIRST_POLL: Duration = Duration::from_millis(2);
/// Longest pause between receipt polls.
const MAX_POLL: Duration = Duration::from_millis(250);

/// A client of one JSON-RPC node, signing locally as one account.
///
/// Clones, and clients made with [`RpcClient::with_signer`], share the HTTP connection pool, the
/// [`RevertDecoder`] and the [`NonceManager`], so concurrent senders never collide on nonces and an ABI
/// registered once decodes reverts everywhere.
#[derive(Clone, Debug)]
pub struct RpcClient {
    provider: RootProvider,
    url: Arc<str>,
    chain_id: u64,
    signer: PrivateKeySigner,
    decoder: Arc<RevertDecoder>,
    nonces: Arc<NonceManager>,
}

impl RpcClient {
    /// Connects to the node at `url` (`http://` or `https://`) and reads its chain id once.
    pub async fn connect(url: &str, signer: PrivateKeySigner) -> Result<Self> {
        let parsed: Url = url.parse().map_err(|e| ChainError::Transport(format!("invalid node URL {url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ChainError::Transport(format!("node URL {url:?}: only http:// and https:// are supported")));
        }
        let provider = RootProvider::new_http(parsed);
        let chain_id = provider.get_chain_id().await.map_err(|e| transport(url, "eth_chainId", e))?;
        tracing::debug!(url, chain_id, sender = %signer.address(), "connected to JSON-RPC node");
        Ok(Self {
            provider,
            url: url.into(),
            chain_id,
            signer,
            decoder: Arc::new(RevertDecoder::new()),
            nonces: Arc::new(NonceManager::new()),
        })
    }

    /// The same node, revert decoder and nonce manager, signing with another key.
    pub fn with_signer(&self, signer: PrivateKeySigner) -> Self {
        Self { signer, ..self.clone() }
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The underlying alloy provider, for JSON-RPC methods the chain interface does not cover.
    pub fn provider(&self) -> &RootProvider {
        &self.provider
    }

    /// A call request from this client's account (no nonce, gas or fees).
    fn request(&self, tx: &TxRequest) -> TransactionRequest {
        TransactionRequest {
            from: Some(self.signer.address()),
            to: Some(tx.to.map_or(TxKind::Create, TxKind::Call)),
            value: Some(tx.value),
            // `input` only: Hardhat rejects a request carrying both `input` and `data`.
            input: TransactionInput::new(tx.data.clone()),
            gas: tx.gas_limit,
            ..TransactionRequest::default()
        }
    }

    /// The gas limit for `tx`: its own, or the node's estimate (a would-be revert fails here).
    async fn gas_limit(&self, tx: &TxRequest) -> Result<u64> {
        if let Some(gas) = tx.gas_limit {
            return Ok(gas);
        }
        self.provider
            .estimate_gas(self.request(tx))
            .await
            .map_err(|e| errors::simulation(&self.url, "eth_estimateGas", self.signer.address(), &self.decoder, &e))
    }

    /// EIP-1559 fees from the node's fee history.
    async fn fees(&self) -> Result<FeeQuote> {
        let estimate =
            self.provider.estimate_eip1559_fees().await.map_err(|e| transport(&self.url, "eth_feeHistory", e))?;
        Ok(FeeQuote {
            max_fee_per_gas: estimate.max_fee_per_gas,
            max_priority_fee_per_gas: estimate.max_priority_fee_per_gas,
        })
    }

    /// Submits a signed transaction whose hash is `hash`; returns the hash the node reports.
    async fn submit(&self, raw: &[u8], hash: TxHash, rejection: Rejection<'_>) -> Result<TxHash> {
        match self.provider.send_raw_transaction(raw).await {
            Ok(pending) => {
                let reported = *pending.tx_hash();
                if reported != hash {
                    tracing::warn!(%hash, %reported, url = %self.url, "node reports another transaction hash");
                }
                Ok(reported)
            }
            Err(err) => {
                // Hardhat (with `throwOnTransactionFailures`, its default) mines a failing transaction
                // and still answers the submission with the revert as an error: look for the receipt.
                if errors::is_mined_failure(&err)
                    && let Ok(Some(_)) = self.provider.get_transaction_receipt(hash).await
                {
                    return Ok(hash);
                }
                Err(rejection.error(&err))
            }
        }
    }

    /// Polls for `hash`'s receipt: at once, then with a short doubling backoff.
    async fn wait_for_receipt(&self, hash: TxHash) -> Result<Receipt> {
        let deadline = Instant::now() + RECEIPT_TIMEOUT;
        let mut pause = FIRST_POLL;
        loop {
            if let Some(receipt) = self.receipt(hash).await? {
                return Ok(receipt);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ChainError::Timeout {
                    what: format!("receipt of {hash} from {}", self.url),
                    seconds: RECEIPT_TIMEOUT.as_secs(),
                });
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(MAX_POLL);
        }
    }

    /// Why `tx`, mined in `receipt` with status 0, failed: replays it with `eth_call` at its block to
    /// recover the revert data.
    async fn failed(&self, tx: &TxRequest, gas_limit: u64, receipt: &Receipt) -> ChainError {
        let hash = receipt.transaction_hash;
        let mut request = self.request(tx);
        request.gas = Some(gas_limit);
        let replay = self.provider.call(request).block(BlockId::number(receipt.block_number)).await;
        let data = match replay {
            Err(err) => match errors::revert_data(&err) {
                Some(data) => data,
                None => match err.as_error_resp() {
                    Some(payload) => {
                        return ChainError::Halted { reason: payload.message.to_string(), gas_used: receipt.gas_used };
                    }
                    None => {
                        tracing::warn!(%hash, url = %self.url, error = %err, "could not replay failed transaction");
                        Bytes::new()
                    }
                },
            },
            Ok(_) => {
                tracing::warn!(%hash, block = receipt.block_number, "failed transaction succeeds when replayed");
                Bytes::new()
            }
        };
        ChainError::Reverted { decoded: Box::new(self.decoder.decode(&data)), data, tx_hash: Some(hash) }
    }

    /// Sends a devnet control request; a node without the method answers [`ChainError::Unsupported`].
    async fn control(&self, method: &'static str, params: Value) -> Result<Value> {
        self.provider.raw_request::<Value, Value>(method.into(), params).await.map_err(|err| {
            if errors::is_method_missing(&err) {
                ChainError::Unsupported(method)
            } else if method == "evm_setNextBlockTimestamp"
                && let Some(payload) = err.as_error_resp()
            {
                ChainError::InvalidTransaction(payload.message.to_string())
            } else {
                transport(&self.url, method, err)
            }
        })
    }
}

/// A JSON-RPC quantity: a hex string, a decimal string or a number.
fn quantity(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => s.parse().ok(),
        },
        _ => None,
    }
}

impl ChainClient for RpcClient {
    fn chain_id(&self) -> u64 {
        self.chain_id
    }

    fn sender(&self) -> Address {
        self.signer.address()
    }

    fn revert_decoder(&self) -> &Arc<RevertDecoder> {
        &self.decoder
    }

    async fn send(&self, tx: TxRequest) -> Result<Receipt> {
        let sender = self.signer.address();
        let (hash, gas_limit) = {
            let mut next = self.nonces.lock(sender).await;
            let (gas_limit, fees) = tokio::join!(self.gas_limit(&tx), self.fees());
            let (gas_limit, fees) = (gas_limit?, fees?);
            loop {
                // A cached nonce goes stale when the account also sends by other means (`send_raw`,
                // another process): on a nonce refusal, re-read the chain once and sign again.
                let cached = *next;
                let nonce = match cached {
                    Some(nonce) => nonce,
                    None => self.nonce(sender).await?,
                };
                let signed = sign_request(&self.signer, self.chain_id, nonce, gas_limit, fees, &tx)?;
                let rejection = Rejection {
                    url: &self.url,
                    sender,
                    nonce,
                    chain_id: self.chain_id,
                    tx_chain_id: Some(self.chain_id),
                };
                match self.submit(&signed.encoded_2718(), *signed.tx_hash(), rejection).await {
                    Ok(hash) => {
                        *next = Some(nonce + 1);
                        break (hash, gas_limit);
                    }
                    Err(ChainError::NonceMismatch { .. }) if cached.is_some() => *next = None,
                    Err(e) => {
                        *next = None;
                        return Err(e);
                    }
                }
            }
        };
        let receipt = self.wait_for_receipt(hash).await?;
        if receipt.status { Ok(receipt) } else { Err(self.failed(&tx, gas_limit, &receipt).await) }
    }

    async fn send_raw(&self, raw: Bytes) -> Result<Receipt> {
        let tx = TxEnvelope::decode_2718(&mut raw.as_ref())
            .map_err(|e| ChainError::Decode(format!("raw transaction: {e}")))?;
        let sender =
            tx.recover_signer().map_err(|e| ChainError::InvalidTransaction(format!("unrecoverable signature: {e}")))?;
        let rejection = Rejection {
            url: &self.url,
            sender,
            nonce: tx.nonce(),
            chain_id: self.chain_id,
            tx_chain_id: tx.chain_id(),
        };
        let hash = self.submit(&raw, *tx.tx_hash(), rejection).await?;
        self.wait_for_receipt(hash).await
    }

    async fn call(&self, to: Address, data: Bytes) -> Result<Bytes> {
        let request = self.request(&TxRequest::call(to, data));
        self.provider
            .call(request)
            .block(BlockId::latest())
            .await
            .map_err(|e| errors::simulation(&self.url, "eth_call", self.signer.address(), &self.decoder, &e))
    }

    async fn receipt(&self, hash: TxHash) -> Result<Option<Receipt>> {
        let receipt = self
            .provider
            .get_transaction_receipt(hash)
            .await
            .map_err(|e| transport(&self.url, "eth_getTransactionReceipt", e))?;
        match receipt {
            Some(receipt) => convert::receipt(receipt)
                .map_err(|e| ChainError::Decode(format!("eth_getTransactionReceipt from {}: {e}", self.url))),
            None => Ok(None),
        }
    }

    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        self.provider.get_logs(filter).await.map_err(|e| transport(&self.url, "eth_getLogs", e))
    }

    async fn block_number(&self) -> Result<u64> {
        self.provider.get_block_number().await.map_err(|e| transport(&self.url, "eth_blockNumber", e))
    }

    async fn block_timestamp(&self) -> Result<u64> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| transport(&self.url, "eth_getBlockByNumber", e))?
            .ok_or_else(|| ChainError::Transport(format!("eth_getBlockByNumber to {}: no latest block", self.url)))?;
        Ok(block.header.timestamp)
    }

    async fn balance(&self, address: Address) -> Result<U256> {
        self.provider.get_balance(address).latest().await.map_err(|e| transport(&self.url, "eth_getBalance", e))
    }

    async fn nonce(&self, address: Address) -> Result<u64> {
        self.provider
            .get_transaction_count(address)
            .pending()
            .await
            .map_err(|e| transport(&self.url, "eth_getTransactionCount", e))
    }

    async fn code(&self, address: Address) -> Result<Bytes> {
        self.provider.get_code_at(address).latest().await.map_err(|e| transport(&self.url, "eth_getCode", e))
    }
}

impl DevnetControl for RpcClient {
    async fn mine(&self, blocks: u64) -> Result<()> {
        for _ in 0..blocks {
            self.control("evm_mine", json!([])).await?;
        }
        Ok(())
    }

    async fn increase_time(&self, seconds: u64) -> Result<()> {
        self.control("evm_increaseTime", json!([seconds])).await.map(drop)
    }

    async fn set_next_block_timestamp(&self, timestamp: u64) -> Result<()> {
        self.control("evm_setNextBlockTimestamp", json!([timestamp])).await.map(drop)
    }

    async fn snapshot(&self) -> Result<SnapshotId> {
        let id = self.control("evm_snapshot", json!([])).await?;
        quantity(&id)
            .map(SnapshotId)
            .ok_or_else(|| ChainError::Decode(format!("evm_snapshot from {} answered {id}", self.url)))
    }

    async fn revert(&self, id: SnapshotId) -> Result<()> {
        let reverted = self.control("evm_revert", json!([id.to_string()])).await?;
        match reverted {
            Value::Bool(true) => {
                self.nonces.reset();
                Ok(())
            }
            Value::Bool(false) => Err(ChainError::UnknownSnapshot(id.0)),
            other => Err(ChainError::Decode(format!("evm_revert from {} answered {other}", self.url))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_in_every_shape_nodes_use() {
        assert_eq!(quantity(&json!("0x1a")), Some(26));
        assert_eq!(quantity(&json!("19")), Some(19));
        assert_eq!(quantity(&json!(7)), Some(7));
        assert_eq!(quantity(&json!(null)), None);
    }
}
