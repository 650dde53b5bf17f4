use std::future::Future;

use alloy_primitives::{Address, U256};
use alloy_rpc_types_eth::Log;
use alloy_sol_types::{SolCall, SolEvent};

use crate::{ChainClient, ChainError, Receipt, Result, TxRequest};

/// Typed calls and sends for `sol!`-generated bindings, on any [`ChainClient`].
pub trait ChainClientExt: ChainClient {
    /// Calls a view function and decodes its return value.
    fn call_sol<C: SolCall + Sync>(&self, to: Address, call: &C) -> impl Future<Output = Result<C::Return>> + Send {
        async move {
            let data = self.call(to, call.abi_encode().into()).await?;
            C::abi_decode_returns(&data).map_err(|e| ChainError::Decode(format!("{} returned: {e}", C::SIGNATURE)))
        }
    }

    /// Sends a transaction calling `call` on `to`.
    fn send_sol<C: SolCall + Sync>(&self, to: Address, call: &C) -> impl Future<Output = Result<Receipt>> + Send {
        self.send(TxRequest::call(to, call.abi_encode()))
    }

    /// Sends a transaction calling `call` on `to` with `value` wei attached.
    fn send_sol_with_value<C: SolCall + Sync>(
        &self,
        to: Address,
        call: &C,
        value: U256,
    ) -> impl Future<Output = Result<Receipt>> + Send {
        self.send(TxRequest::call(to, call.abi_encode()).with_value(value))
    }
}

impl<T: ChainClient + ?Sized> ChainClientExt for T {}

/// Decodes every log in `logs` that is an `E` event (others are skipped).
pub fn decode_events<E: SolEvent>(logs: &[Log]) -> Vec<E> {
    logs.iter().filter_map(|log| E::decode_log(&log.inner).ok().map(|decoded| decoded.data)).collect()
}

impl Receipt {
    /// The `E` events this transaction emitted.
    pub fn events<E: SolEvent>(&self) -> Vec<E> {
        decode_events(&self.logs)
    }
}
