//! alloy's RPC receipt into the chain interface's [`Receipt`].

use alloy_rpc_types_eth::TransactionReceipt;
use automat_chain::Receipt;

/// Converts a mined receipt; `Ok(None)` when the node reports the transaction as not yet in a block,
/// `Err` (what is wrong with it) when the receipt is malformed.
///
/// Every log keeps its block and transaction context; where a node leaves a log's block hash, block
/// number, transaction hash or index out, the receipt's values fill it in.
pub(crate) fn receipt(rpc: TransactionReceipt) -> Result<Option<Receipt>, String> {
    let (Some(block_number), Some(block_hash)) = (rpc.block_number, rpc.block_hash) else {
        return Ok(None);
    };
    let transaction_index = rpc.transaction_index.ok_or_else(|| {
        format!("receipt of {} in block {block_number} has no transaction index", rpc.transaction_hash)
    })?;
    let status = rpc.status();
    let cumulative_gas_used = rpc.inner.cumulative_gas_used();
    let transaction_hash = rpc.transaction_hash;
    let logs = rpc
        .inner
        .into_logs()
        .into_iter()
        .map(|mut log| {
            log.block_hash.get_or_insert(block_hash);
            log.block_number.get_or_insert(block_number);
            log.transaction_hash.get_or_insert(transaction_hash);
            log.transaction_index.get_or_insert(transaction_index);
            log
        })
        .collect();
    Ok(Some(Receipt {
        transaction_hash,
        block_number,
        block_hash,
        transaction_index,
        from: rpc.from,
        to: rpc.to,
        contract_address: rpc.contract_address,
        status,
        gas_used: rpc.gas_used,
        cumulative_gas_used,
        effective_gas_price: rpc.effective_gas_price,
        logs,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{U256, address, b256, bytes};

    /// A receipt as Hardhat 2.29 serves it (one log, EIP-1559).
    const HARDHAT_RECEIPT: &str = r#"{
        "transactionHash": "0x9a1b4f5b2d3c8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f",
        "transactionIndex": "0x0",
        "blockHash": "0x3e185efdef45d980cf02dc99ca9ef700fbfc46aecf45d45fa9a88cc0faaa5e1f",
        "blockNumber": "0x2",
        "from": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
        "to": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
        "cumulativeGasUsed": "0xb411",
        "gasUsed": "0xb411",
        "contractAddress": null,
        "logs": [{
            "address": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
            "blockHash": "0x3e185efdef45d980cf02dc99ca9ef700fbfc46aecf45d45fa9a88cc0faaa5e1f",
            "blockNumber": "0x2",
            "data": "0x000000000000000000000000000000000000000000000000000000000000002a",
            "logIndex": "0x0",
            "removed": false,
            "topics": ["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"],
            "transactionHash": "0x9a1b4f5b2d3c8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f",
            "transactionIndex": "0x0"
        }],
        "logsBloom": "0x00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "type": "0x2",
        "status": "0x1",
        "effectiveGasPrice": "0x2da282a8"
    }"#;

    #[test]
    fn hardhat_receipt_converts_every_field() {
        let rpc: TransactionReceipt = serde_json::from_str(HARDHAT_RECEIPT).expect("valid receipt JSON");
        let receipt = receipt(rpc).expect("converts").expect("mined");
        let tx = b256!("0x9a1b4f5b2d3c8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f");
        let block = b256!("0x3e185efdef45d980cf02dc99ca9ef700fbfc46aecf45d45fa9a88cc0faaa5e1f");
        assert_eq!(receipt.transaction_hash, tx);
        assert_eq!(receipt.block_number, 2);
        assert_eq!(receipt.block_hash, block);
        assert_eq!(receipt.transaction_index, 0);
        assert_eq!(receipt.from, address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
        assert_eq!(receipt.to, Some(address!("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
        assert_eq!(receipt.contract_address, None);
        assert!(receipt.status);
        assert_eq!(receipt.gas_used, 0xb411);
        assert_eq!(receipt.cumulative_gas_used, 0xb411);
        assert_eq!(receipt.effective_gas_price, 0x2da2_82a8);
        assert_eq!(receipt.logs.len(), 1);
        let log = &receipt.logs[0];
        assert_eq!(log.block_hash, Some(block));
        assert_eq!(log.block_number, Some(2));
        assert_eq!(log.transaction_hash, Some(tx));
        assert_eq!(log.transaction_index, Some(0));
        assert_eq!(log.log_index, Some(0));
        assert_eq!(log.address(), address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
        assert_eq!(log.data().data, bytes!("0x000000000000000000000000000000000000000000000000000000000000002a"));
        assert_eq!(U256::from_be_slice(&log.data().data), U256::from(42));
    }

    #[test]
    fn failed_receipt_and_missing_log_context() {
        let mut json: serde_json::Value = serde_json::from_str(HARDHAT_RECEIPT).expect("valid receipt JSON");
        json["status"] = "0x0".into();
        json["to"] = serde_json::Value::Null;
        json["contractAddress"] = "0x5fbdb2315678afecb367f032d93f642f64180aa3".into();
        for key in ["blockHash", "blockNumber", "transactionHash", "transactionIndex"] {
            json["logs"][0][key] = serde_json::Value::Null;
        }
        let rpc: TransactionReceipt = serde_json::from_value(json).expect("valid receipt JSON");
        let receipt = receipt(rpc).expect("converts").expect("mined");
        assert!(!receipt.status);
        assert_eq!(receipt.to, None);
        assert_eq!(receipt.contract_address, Some(address!("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
        let log = &receipt.logs[0];
        assert_eq!(log.block_hash, Some(receipt.block_hash));
        assert_eq!(log.block_number, Some(2));
        assert_eq!(log.transaction_hash, Some(receipt.transaction_hash));
        assert_eq!(log.transaction_index, Some(0));
    }

    #[test]
    fn pending_receipt_is_not_mined() {
        let mut json: serde_json::Value = serde_json::from_str(HARDHAT_RECEIPT).expect("valid receipt JSON");
        json["blockHash"] = serde_json::Value::Null;
        json["blockNumber"] = serde_json::Value::Null;
        let rpc: TransactionReceipt = serde_json::from_value(json).expect("valid receipt JSON");
        assert_eq!(receipt(rpc).expect("converts"), None);
    }
}
