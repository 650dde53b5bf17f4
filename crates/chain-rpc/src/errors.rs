//! Turning JSON-RPC failures into [`ChainError`]s.

use std::fmt::Display;

use alloy_primitives::{Address, Bytes};
use alloy_transport::TransportError;
use automat_chain::{ChainError, RevertDecoder};
use serde_json::Value;

/// The standard JSON-RPC "method not found" (anvil, geth).
const METHOD_NOT_FOUND: i64 = -32601;
/// Hardhat's "Method ... is not supported".
const METHOD_NOT_SUPPORTED: i64 = -32004;

/// A failure talking to the node, with where and what.
pub(crate) fn transport(url: &str, method: &str, err: impl Display) -> ChainError {
    ChainError::Transport(format!("{method} to {url}: {err}"))
}

/// The JSON-RPC error message, when the node answered with an error object.
fn message(err: &TransportError) -> Option<&str> {
    err.as_error_resp().map(|payload| payload.message.as_ref())
}

/// Revert data carried by a JSON-RPC error (`eth_call`, `eth_estimateGas`, Hardhat's failed sends).
///
/// The `data` member is looked at first: Hardhat answers `{message, txHash, data}`, and alloy's generic
/// `ErrorPayload::as_revert_data` (the fallback) takes the first hex string it finds, which would be the
/// transaction hash if the object's key order were kept.
pub(crate) fn revert_data(err: &TransportError) -> Option<Bytes> {
    let payload = err.as_error_resp()?;
    if !payload.message.to_ascii_lowercase().contains("revert") {
        return None;
    }
    if let Some(raw) = payload.data.as_ref() {
        match serde_json::from_str::<Value>(raw.get()) {
            Ok(Value::String(s)) => {
                if let Ok(data) = s.parse::<Bytes>() {
                    return Some(data);
                }
            }
            Ok(Value::Object(map)) => {
                if let Some(Value::String(s)) = map.get("data")
                    && let Ok(data) = s.parse::<Bytes>()
                {
                    return Some(data);
                }
            }
            _ => {}
        }
    }
    payload.as_revert_data()
}

/// Whether the node does not offer the method at all.
pub(crate) fn is_method_missing(err: &TransportError) -> bool {
    if matches!(err.error_code(), Some(METHOD_NOT_FOUND | METHOD_NOT_SUPPORTED)) {
        return true;
    }
    message(err).is_some_and(|m| {
        let m = m.to_ascii_lowercase();
        m.contains("method not found") || m.contains("does not exist/is not available")
    })
}

/// Whether a submission error reports a transaction that was mined and failed (Hardhat's
/// `throwOnTransactionFailures`), rather than one the node refused.
pub(crate) fn is_mined_failure(err: &TransportError) -> bool {
    let Some(payload) = err.as_error_resp() else {
        return false;
    };
    let carries_hash = payload
        .data
        .as_ref()
        .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
        .is_some_and(|data| data.get("txHash").is_some());
    carries_hash || revert_data(err).is_some() || is_halt(&payload.message.to_ascii_lowercase())
}

/// Why a simulation (`eth_call`, `eth_estimateGas`) failed.
pub(crate) fn simulation(
    url: &str,
    method: &str,
    sender: Address,
    decoder: &RevertDecoder,
    err: &TransportError,
) -> ChainError {
    if let Some(data) = revert_data(err) {
        return ChainError::Reverted { decoded: Box::new(decoder.decode(&data)), data, tx_hash: None };
    }
    if let Some(msg) = message(err) {
        let lower = msg.to_ascii_lowercase();
        if is_insufficient_funds(&lower) {
            return ChainError::InsufficientFunds { sender, detail: msg.to_string() };
        }
        if is_halt(&lower) {
            return ChainError::Halted { reason: msg.to_string(), gas_used: 0 };
        }
    }
    transport(url, method, err)
}

/// Whether a node's error message says the sender cannot pay (geth and anvil: "insufficient funds",
/// Hardhat: "Sender doesn't have enough funds").
fn is_insufficient_funds(lower: &str) -> bool {
    lower.contains("insufficient funds") || lower.contains("enough funds")
}

/// Whether a node's error message describes an EVM halt (no revert data).
pub(crate) fn is_halt(lower: &str) -> bool {
    ["vm exception", "out of gas", "invalid opcode", "stack overflow", "stack underflow", "invalid jump"]
        .iter()
        .any(|needle| lower.contains(needle))
}

/// Why `eth_sendRawTransaction` rejected a transaction.
pub(crate) struct Rejection<'a> {
    /// The node's URL, for context.
    pub(crate) url: &'a str,
    /// The transaction's signer.
    pub(crate) sender: Address,
    /// The transaction's nonce.
    pub(crate) nonce: u64,
    /// The node's chain id.
    pub(crate) chain_id: u64,
    /// The transaction's chain id.
    pub(crate) tx_chain_id: Option<u64>,
}

impl Rejection<'_> {
    /// The error for `err`, the node's answer to the submission.
    pub(crate) fn error(&self, err: &TransportError) -> ChainError {
        let Some(msg) = message(err) else {
            return transport(self.url, "eth_sendRawTransaction", err);
        };
        let lower = msg.to_ascii_lowercase();
        if is_insufficient_funds(&lower) {
            return ChainError::InsufficientFunds { sender: self.sender, detail: msg.to_string() };
        }
        if lower.contains("nonce") {
            let expected =
                number_after(&lower, "expected nonce to be ").or_else(|| number_after(&lower, "next nonce "));
            if let Some(expected) = expected {
                return ChainError::NonceMismatch { sender: self.sender, expected, got: self.nonce };
            }
            return ChainError::InvalidTransaction(msg.to_string());
        }
        if lower.contains("chain id") || lower.contains("chainid") {
            return ChainError::WrongChainId { expected: self.chain_id, got: self.tx_chain_id };
        }
        ChainError::InvalidTransaction(msg.to_string())
    }
}

/// The decimal number right after `prefix` in `text`.
fn number_after(text: &str, prefix: &str) -> Option<u64> {
    let start = text.find(prefix)? + prefix.len();
    let digits: String = text[start..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_transport::RpcError;

    fn rpc_error(json: &str) -> TransportError {
        RpcError::ErrorResp(serde_json::from_str(json).expect("valid error payload"))
    }

    #[test]
    fn revert_data_prefers_the_data_member_over_a_transaction_hash() {
        let err = rpc_error(
            r#"{"code":-32603,"message":"Error: VM Exception while processing transaction: reverted with an unrecognized custom error (return data: 0xdeadbeef)","data":{"message":"x","txHash":"0xb4679e4a587b53bfb711b8175341c1328358aafa0e9ebddfd0f655ac070f50f0","data":"0xdeadbeef"}}"#,
        );
        assert_eq!(revert_data(&err), Some(Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef])));
    }

    #[test]
    fn halts_and_method_not_found_are_recognised() {
        let halt = rpc_error(
            r#"{"code":-32603,"message":"Error: VM Exception while processing transaction: invalid opcode","data":{"message":"x","data":"0x"}}"#,
        );
        assert_eq!(revert_data(&halt), None);
        let err = simulation("http://x", "eth_call", Address::ZERO, &RevertDecoder::new(), &halt);
        assert!(matches!(err, ChainError::Halted { .. }), "{err}");

        let missing = rpc_error(r#"{"code":-32004,"message":"Method foo_bar is not supported"}"#);
        assert!(is_method_missing(&missing));
    }

    #[test]
    fn hardhat_nonce_rejection_names_the_expected_nonce() {
        let err = rpc_error(
            r#"{"code":-32000,"message":"Nonce too low. Expected nonce to be 5 but got 3. Note that transactions can't be queued when automining."}"#,
        );
        let rejection =
            Rejection { url: "http://x", sender: Address::ZERO, nonce: 3, chain_id: 1, tx_chain_id: Some(1) };
        assert!(matches!(rejection.error(&err), ChainError::NonceMismatch { expected: 5, got: 3, .. }));
    }
}
