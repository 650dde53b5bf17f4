//! LayerZero v2 packets as `EndpointV2.PacketSent` carries them (`PacketV1Codec`), and the executor's
//! type-3 options.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolEvent;
use automat_chain::alloy::Log;
use serde::{Deserialize, Serialize};

use super::bindings::{IEndpointV2, Origin};
use crate::{BridgeError, Result};

/// Length of the packet header: version (1), nonce (8), srcEid (4), sender (32), dstEid (4), receiver (32).
pub const HEADER_LEN: usize = 81;
/// `PacketV1Codec.PACKET_VERSION`.
pub const PACKET_VERSION: u8 = 1;

/// One packet sent through an `EndpointV2`, decoded from its `PacketSent` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packet {
    /// Outbound nonce on the pathway (sender, dstEid, receiver).
    pub nonce: u64,
    /// Source endpoint id.
    pub src_eid: u32,
    /// The sending OApp, as a `bytes32`.
    pub sender: B256,
    /// Destination endpoint id.
    pub dst_eid: u32,
    /// The receiving OApp (the low 20 bytes of the header's `bytes32`).
    pub receiver: Address,
    /// The packet's globally unique id.
    pub guid: B256,
    /// The application message.
    pub message: Bytes,
    /// The first 81 bytes of the encoded packet, as `ReceiveUln302.verify` takes them.
    pub header: Bytes,
    /// The options the sender passed to `EndpointV2.send`.
    pub options: Bytes,
    /// The send library that emitted it.
    pub send_library: Address,
    /// Block of the source chain that holds the `PacketSent` event.
    pub block: u64,
    /// The source transaction.
    pub tx_hash: Option<B256>,
}

impl Packet {
    /// Decodes a `PacketSent` log.
    pub fn from_log(log: &Log) -> Result<Self> {
        let event = IEndpointV2::PacketSent::decode_log(&log.inner)
            .map_err(|e| BridgeError::Config(format!("not a PacketSent event: {e}")))?;
        let block = log.block_number.ok_or_else(|| BridgeError::Config("PacketSent log without a block".into()))?;
        let mut packet = Self::decode(&event.data.encodedPayload, block)?;
        packet.options = event.data.options.clone();
        packet.send_library = event.data.sendLibrary;
        packet.tx_hash = log.transaction_hash;
        Ok(packet)
    }

    /// Decodes an encoded packet (`PacketV1Codec.encode`).
    pub fn decode(encoded: &[u8], block: u64) -> Result<Self> {
        if encoded.len() < HEADER_LEN + 32 {
            return Err(BridgeError::Config(format!("packet of {} bytes is too short", encoded.len())));
        }
        if encoded[0] != PACKET_VERSION {
            return Err(BridgeError::Config(format!("packet version {} is not {PACKET_VERSION}", encoded[0])));
        }
        let u32_at = |at: usize| u32::from_be_bytes([encoded[at], encoded[at + 1], encoded[at + 2], encoded[at + 3]]);
        let mut nonce = [0u8; 8];
        nonce.copy_from_slice(&encoded[1..9]);
        Ok(Self {
            nonce: u64::from_be_bytes(nonce),
            src_eid: u32_at(9),
            sender: B256::from_slice(&encoded[13..45]),
            dst_eid: u32_at(45),
            receiver: Address::from_slice(&encoded[61..81]),
            guid: B256::from_slice(&encoded[81..113]),
            message: Bytes::copy_from_slice(&encoded[113..]),
            header: Bytes::copy_from_slice(&encoded[..HEADER_LEN]),
            options: Bytes::new(),
            send_library: Address::ZERO,
            block,
            tx_hash: None,
        })
    }

    /// `keccak256(header)`, the first key of `ReceiveUln302.hashLookup`.
    pub fn header_hash(&self) -> B256 {
        keccak256(&self.header)
    }

    /// `keccak256(guid ‖ message)`: the payload hash DVNs sign for and the endpoint stores.
    pub fn payload_hash(&self) -> B256 {
        let mut payload = Vec::with_capacity(32 + self.message.len());
        payload.extend_from_slice(self.guid.as_slice());
        payload.extend_from_slice(&self.message);
        keccak256(payload)
    }

    /// The `Origin` the destination endpoint knows this packet by.
    pub fn origin(&self) -> Origin {
        Origin { srcEid: self.src_eid, sender: self.sender, nonce: self.nonce }
    }

    /// The executor's lzReceive gas and value asked for in the options.
    pub fn lz_receive_option(&self) -> Result<LzReceiveOption> {
        LzReceiveOption::parse(&self.options)
    }
}

/// What the sender asked the executor to give `lzReceive` (summed over every lzReceive option, as
/// `ExecutorFeeLib` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LzReceiveOption {
    /// Gas for `lzReceive`.
    pub gas: u128,
    /// Native value sent along with `lzReceive`.
    pub value: u128,
}

/// Worker id of the executor in type-3 options.
const EXECUTOR_WORKER_ID: u8 = 1;
/// Option type of an lzReceive option.
const OPTION_TYPE_LZRECEIVE: u8 = 1;

impl LzReceiveOption {
    /// Parses type-3 options (`0x0003 ‖ (workerId u8 ‖ size u16 ‖ optionType u8 ‖ option)*`).
    pub fn parse(options: &[u8]) -> Result<Self> {
        let bad = |why: &str| BridgeError::Config(format!("executor options: {why}"));
        if options.len() < 2 || options[..2] != [0, 3] {
            return Err(bad("not type-3 options"));
        }
        let mut found = Self::default();
        let mut any = false;
        let mut cursor = 2;
        while cursor < options.len() {
            if cursor + 4 > options.len() {
                return Err(bad("truncated worker option"));
            }
            let worker = options[cursor];
            let size = usize::from(u16::from_be_bytes([options[cursor + 1], options[cursor + 2]]));
            let start = cursor + 3;
            let end = start + size;
            if size == 0 || end > options.len() {
                return Err(bad("worker option size out of range"));
            }
            if worker == EXECUTOR_WORKER_ID && options[start] == OPTION_TYPE_LZRECEIVE {
                let body = &options[start + 1..end];
                let (gas, value) = match body.len() {
                    16 => (u128_at(body, 0), 0),
                    32 => (u128_at(body, 0), u128_at(body, 16)),
                    n => return Err(bad(&format!("lzReceive option of {n} bytes"))),
                };
                found.gas = found.gas.saturating_add(gas);
                found.value = found.value.saturating_add(value);
                any = true;
            }
            cursor = end;
        }
        if !any {
            return Err(bad("no lzReceive option"));
        }
        Ok(found)
    }

    /// Type-3 options holding this one lzReceive option (what `OptionsBuilder.addExecutorLzReceiveOption`
    /// builds).
    pub fn encode(&self) -> Bytes {
        let mut out = vec![0u8, 3, EXECUTOR_WORKER_ID];
        let with_value = self.value > 0;
        let size: u16 = if with_value { 33 } else { 17 };
        out.extend_from_slice(&size.to_be_bytes());
        out.push(OPTION_TYPE_LZRECEIVE);
        out.extend_from_slice(&self.gas.to_be_bytes());
        if with_value {
            out.extend_from_slice(&self.value.to_be_bytes());
        }
        out.into()
    }

    /// The value as a `U256`.
    pub fn value_u256(&self) -> U256 {
        U256::from(self.value)
    }
}

fn u128_at(bytes: &[u8], at: usize) -> u128 {
    let mut word = [0u8; 16];
    word.copy_from_slice(&bytes[at..at + 16]);
    u128::from_be_bytes(word)
}

/// An address as the `bytes32` LayerZero uses for senders, receivers and peers.
pub fn address_to_bytes32(address: Address) -> B256 {
    address.into_word()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_round_trip() -> Result<()> {
        let option = LzReceiveOption { gas: 200_000, value: 0 };
        let encoded = option.encode();
        assert_eq!(encoded.len(), 2 + 3 + 1 + 16);
        assert_eq!(LzReceiveOption::parse(&encoded)?, option);
        let with_value = LzReceiveOption { gas: 50_000, value: 7 };
        assert_eq!(LzReceiveOption::parse(&with_value.encode())?, with_value);
        assert!(LzReceiveOption::parse(&[0, 3]).is_err());
        assert!(LzReceiveOption::parse(&[0, 1, 0]).is_err());
        Ok(())
    }

    #[test]
    fn packet_decodes_header_fields() -> Result<()> {
        let mut encoded = vec![PACKET_VERSION];
        encoded.extend_from_slice(&5u64.to_be_bytes());
        encoded.extend_from_slice(&30_001u32.to_be_bytes());
        encoded.extend_from_slice(B256::repeat_byte(0xaa).as_slice());
        encoded.extend_from_slice(&30_002u32.to_be_bytes());
        encoded.extend_from_slice(address_to_bytes32(Address::repeat_byte(0xbb)).as_slice());
        encoded.extend_from_slice(B256::repeat_byte(0xcc).as_slice());
        encoded.extend_from_slice(b"hi");
        let packet = Packet::decode(&encoded, 9)?;
        assert_eq!((packet.nonce, packet.src_eid, packet.dst_eid), (5, 30_001, 30_002));
        assert_eq!(packet.receiver, Address::repeat_byte(0xbb));
        assert_eq!(packet.guid, B256::repeat_byte(0xcc));
        assert_eq!(packet.message.as_ref(), b"hi");
        assert_eq!(packet.header.len(), HEADER_LEN);
        Ok(())
    }
}
