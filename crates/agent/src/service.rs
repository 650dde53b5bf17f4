//! The agent as a daemon: the poll loop plus a small HTTP interface on the machine's local network, through
//! which a buyer's wallet (or the machine's touch screen) asks for signed quotes and presents vouchers when the
//! chain is out of reach.
//!
//! | method | path | body | answer |
//! |---|---|---|---|
//! | GET | `/status` | | [`AgentStatus`] |
//! | POST | `/quote` | `{"slot": 0, "price": "2000000"}` | [`QuoteBody`] |
//! | POST | `/offline-sale` | [`OfflineSaleRequest`] | `{"seq": 1, "metadata_uri": "ipfs://…"}` |
//!
//! Errors answer 4xx/5xx with `{"error": "<reason>"}`.

use std::{future::Future, sync::Arc, time::Duration};

use alloy_primitives::{Address, Bytes};
use automat_chain::ChainClient;
use automat_contracts::vending::Voucher;
use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use tokio::{net::TcpListener, sync::Mutex};

use crate::{Agent, AgentError, AgentStatus, DispenseDriver, OfflineSaleOutcome};

/// A quote as the HTTP interface returns it (amounts as decimal strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteBody {
    /// The machine.
    pub machine_id: u64,
    /// The slot.
    pub slot: u16,
    /// Price in payment-token base units.
    pub price: String,
    /// Last chain time the quote can be used.
    pub expiry: u64,
    /// The quote nonce.
    pub nonce: u64,
    /// The machine key's EIP-712 signature, 0x-hex.
    pub signature: Bytes,
}

/// `POST /quote`.
#[derive(Debug, Clone, Deserialize)]
pub struct QuoteRequest {
    /// The slot.
    pub slot: u16,
    /// Price in base units (decimal string).
    pub price: String,
}

/// A voucher in JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VoucherBody {
    /// The buyer.
    pub buyer: Address,
    /// Most it pays (decimal string).
    pub max_amount: String,
    /// The buyer's voucher nonce.
    pub nonce: u64,
    /// Last chain time it may be used.
    pub expiry: u64,
}

/// `POST /offline-sale`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfflineSaleRequest {
    /// The buyer's voucher.
    pub voucher: VoucherBody,
    /// The buyer's EIP-712 signature, 0x-hex.
    pub signature: Bytes,
    /// The slot.
    pub slot: u16,
    /// The price (decimal string).
    pub price: String,
}

struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl From<AgentError> for ApiError {
    fn from(e: AgentError) -> Self {
        let status = match &e {
            AgentError::VoucherRefused(_) | AgentError::QuoteRefused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            e if e.is_unreachable() => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self(status, e.to_string())
    }
}

fn amount(text: &str, what: &str) -> Result<u128, ApiError> {
    text.parse()
        .map_err(|_| ApiError(StatusCode::BAD_REQUEST, format!("{what} must be a decimal amount in base units")))
}

type Shared<C, D> = Arc<Mutex<Agent<C, D>>>;

/// The HTTP routes over a shared agent.
pub fn router<C, D>(agent: Shared<C, D>) -> Router
where
    C: ChainClient + 'static,
    D: DispenseDriver + 'static,
{
    Router::new()
        .route("/status", get(status::<C, D>))
        .route("/quote", post(quote::<C, D>))
        .route("/offline-sale", post(offline_sale::<C, D>))
        .with_state(agent)
}

async fn status<C: ChainClient, D: DispenseDriver>(
    State(agent): State<Shared<C, D>>,
) -> Result<Json<AgentStatus>, ApiError> {
    Ok(Json(agent.lock().await.status()?))
}

async fn quote<C: ChainClient, D: DispenseDriver>(
    State(agent): State<Shared<C, D>>,
    Json(request): Json<QuoteRequest>,
) -> Result<Json<QuoteBody>, ApiError> {
    let price = amount(&request.price, "price")?;
    let signed = agent.lock().await.quote(request.slot, price).await?;
    Ok(Json(QuoteBody {
        machine_id: signed.quote.machineId,
        slot: signed.quote.slot,
        price: signed.quote.price.to_string(),
        expiry: signed.quote.expiry,
        nonce: signed.quote.nonce,
        signature: signed.signature,
    }))
}

async fn offline_sale<C: ChainClient, D: DispenseDriver>(
    State(agent): State<Shared<C, D>>,
    Json(request): Json<OfflineSaleRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let voucher = Voucher {
        buyer: request.voucher.buyer,
        maxAmount: amount(&request.voucher.max_amount, "voucher.max_amount")?,
        nonce: request.voucher.nonce,
        expiry: request.voucher.expiry,
    };
    let price = amount(&request.price, "price")?;
    match agent.lock().await.sell_offline(&voucher, request.signature, request.slot, price).await? {
        OfflineSaleOutcome::Sold { seq, metadata_uri } => {
            Ok(Json(serde_json::json!({ "seq": seq, "metadata_uri": metadata_uri })))
        }
        OfflineSaleOutcome::NotDispensed(outcome) => {
            Err(ApiError(StatusCode::CONFLICT, format!("nothing dispensed ({outcome:?}); the voucher was not used")))
        }
    }
}

/// Runs the agent: polls every `interval` and serves the HTTP interface on `listener`, until `shutdown`.
pub async fn serve<C, D>(
    agent: Agent<C, D>,
    listener: TcpListener,
    interval: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    C: ChainClient + 'static,
    D: DispenseDriver + 'static,
{
    let machine = agent.config().machine_id;
    let agent = Arc::new(Mutex::new(agent));
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let poller = {
        let agent = Arc::clone(&agent);
        let mut stop = stop_tx.subscribe();
        tokio::spawn(async move {
            let mut online = true;
            loop {
                let result = agent.lock().await.poll().await;
                if let Err(e) = crate::agent::note_poll(machine, &mut online, result) {
                    tracing::error!(machine, error = %e, "agent stopped");
                    return;
                }
                tokio::select! {
                    _ = stop.changed() => return,
                    () = tokio::time::sleep(interval) => {}
                }
            }
        })
    };
    let server = axum::serve(listener, router(agent)).with_graceful_shutdown(async move {
        let _ = stop_rx.changed().await;
    });
    let server = tokio::spawn(async move { server.await });
    shutdown.await;
    let _ = stop_tx.send(true);
    let _ = poller.await;
    match server.await {
        Ok(result) => result,
        Err(e) => Err(std::io::Error::other(e)),
    }
}
