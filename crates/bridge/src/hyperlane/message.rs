//! Hyperlane's wire formats, as its contracts read them: the message (`libs/Message.sol`), the checkpoint a
//! validator signs (`libs/CheckpointLib.sol`), the message-id multisig ISM's metadata
//! (`isms/libs/MessageIdMultisigIsmMetadata.sol`), the validator announcement digest
//! (`isms/multisig/ValidatorAnnounce.sol`) and the origin's incremental Merkle tree (`libs/Merkle.sol`).

use alloy_primitives::{Address, B256, Bytes, Signature, U256, eip191_hash_message, keccak256};
use alloy_signer::SignerSync;
use serde::{Deserialize, Serialize};

use crate::{BridgeError, Result};

/// The message version this Mailbox speaks (`Versioned.VERSION`).
pub const MESSAGE_VERSION: u8 = 3;

/// Bytes before the body: version(1) | nonce(4) | origin(4) | sender(32) | destination(4) | recipient(32).
pub const MESSAGE_HEADER_LEN: usize = 77;

/// A Hyperlane message (`Message.formatMessage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HlMessage {
    /// Format version ([`MESSAGE_VERSION`]).
    pub version: u8,
    /// The origin Mailbox's nonce when it was dispatched.
    pub nonce: u32,
    /// Origin domain.
    pub origin: u32,
    /// Sender on the origin, left-padded to 32 bytes.
    pub sender: B256,
    /// Destination domain.
    pub destination: u32,
    /// Recipient on the destination, left-padded to 32 bytes.
    pub recipient: B256,
    /// The application's payload.
    pub body: Bytes,
}

impl HlMessage {
    /// Parses a message as the Mailbox formats it.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < MESSAGE_HEADER_LEN {
            return Err(BridgeError::Config(format!(
                "hyperlane message of {} bytes is shorter than its {MESSAGE_HEADER_LEN}-byte header",
                bytes.len()
            )));
        }
        let u32_at = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        Ok(Self {
            version: bytes[0],
            nonce: u32_at(1),
            origin: u32_at(5),
            sender: B256::from_slice(&bytes[9..41]),
            destination: u32_at(41),
            recipient: B256::from_slice(&bytes[45..77]),
            body: Bytes::copy_from_slice(&bytes[MESSAGE_HEADER_LEN..]),
        })
    }

    /// The packed encoding (`abi.encodePacked(version, nonce, origin, sender, destination, recipient, body)`).
    pub fn encode(&self) -> Bytes {
        let mut out = Vec::with_capacity(MESSAGE_HEADER_LEN + self.body.len());
        out.push(self.version);
        out.extend_from_slice(&self.nonce.to_be_bytes());
        out.extend_from_slice(&self.origin.to_be_bytes());
        out.extend_from_slice(self.sender.as_slice());
        out.extend_from_slice(&self.destination.to_be_bytes());
        out.extend_from_slice(self.recipient.as_slice());
        out.extend_from_slice(&self.body);
        out.into()
    }

    /// The message id: keccak256 of the encoding.
    pub fn id(&self) -> B256 {
        keccak256(self.encode())
    }

    /// The recipient as an address (the low 20 bytes).
    pub fn recipient_address(&self) -> Address {
        Address::from_word(self.recipient)
    }

    /// The sender as an address (the low 20 bytes).
    pub fn sender_address(&self) -> Address {
        Address::from_word(self.sender)
    }
}

/// An address left-padded to 32 bytes (`TypeCasts.addressToBytes32`).
pub fn address_to_bytes32(address: Address) -> B256 {
    address.into_word()
}

/// `CheckpointLib.domainHash`: `keccak256(abi.encodePacked(uint32 origin, bytes32 merkleTreeHook, "HYPERLANE"))`.
pub fn checkpoint_domain_hash(origin: u32, merkle_tree_hook: B256) -> B256 {
    let mut packed = Vec::with_capacity(4 + 32 + 9);
    packed.extend_from_slice(&origin.to_be_bytes());
    packed.extend_from_slice(merkle_tree_hook.as_slice());
    packed.extend_from_slice(b"HYPERLANE");
    keccak256(packed)
}

/// `ValidatorAnnounce.getAnnouncementDigest`: the EIP-191 hash of
/// `keccak256(abi.encodePacked(keccak256(abi.encodePacked(uint32 localDomain, bytes32 mailbox,
/// "HYPERLANE_ANNOUNCEMENT")), storageLocation))`.
pub fn announcement_digest(domain: u32, mailbox: Address, storage_location: &str) -> B256 {
    let mut packed = Vec::with_capacity(4 + 32 + 22);
    packed.extend_from_slice(&domain.to_be_bytes());
    packed.extend_from_slice(address_to_bytes32(mailbox).as_slice());
    packed.extend_from_slice(b"HYPERLANE_ANNOUNCEMENT");
    let domain_hash = keccak256(packed);
    let mut inner = Vec::with_capacity(32 + storage_location.len());
    inner.extend_from_slice(domain_hash.as_slice());
    inner.extend_from_slice(storage_location.as_bytes());
    eip191_hash_message(keccak256(inner))
}

/// Signs a ValidatorAnnounce announcement: a 65-byte `r | s | v` signature.
pub fn sign_announcement<S: SignerSync>(
    signer: &S,
    domain: u32,
    mailbox: Address,
    storage_location: &str,
) -> Result<Bytes> {
    let digest = announcement_digest(domain, mailbox, storage_location);
    let signature = signer.sign_hash_sync(&digest).map_err(|e| BridgeError::Signing(e.to_string()))?;
    Ok(Bytes::copy_from_slice(&signature.as_bytes()))
}

/// A checkpoint of an origin's Merkle tree hook (Hyperlane agents' `Checkpoint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The origin MerkleTreeHook, left-padded to 32 bytes.
    pub merkle_tree_hook_address: B256,
    /// The origin domain.
    pub mailbox_domain: u32,
    /// The tree's root once leaf `index` was inserted.
    pub root: B256,
    /// The leaf index.
    pub index: u32,
}

/// A checkpoint bound to the id of the message inserted at its index: what a validator signs for the
/// message-id multisig ISM (Hyperlane agents' `CheckpointWithMessageId`, same JSON shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointWithMessageId {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The id of the message at `checkpoint.index`.
    pub message_id: B256,
}

impl CheckpointWithMessageId {
    /// `keccak256(abi.encodePacked(domainHash, root, uint32 index, messageId))`.
    pub fn signing_hash(&self) -> B256 {
        let c = &self.checkpoint;
        let mut packed = Vec::with_capacity(32 + 32 + 4 + 32);
        packed.extend_from_slice(checkpoint_domain_hash(c.mailbox_domain, c.merkle_tree_hook_address).as_slice());
        packed.extend_from_slice(c.root.as_slice());
        packed.extend_from_slice(&c.index.to_be_bytes());
        packed.extend_from_slice(self.message_id.as_slice());
        keccak256(packed)
    }

    /// The digest the ISM recovers signers from: the EIP-191 hash of [`Self::signing_hash`]
    /// (`CheckpointLib.digest`).
    pub fn digest(&self) -> B256 {
        eip191_hash_message(self.signing_hash())
    }
}

/// An ECDSA signature in the JSON shape Hyperlane's agents write (`{ "r", "s", "v" }`, v = 27 or 28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsvSignature {
    /// r.
    pub r: U256,
    /// s.
    pub s: U256,
    /// v (27 or 28).
    pub v: u64,
}

/// A signed checkpoint as a validator stores it (`<index>_with_id.json`; the same fields as Hyperlane's
/// `SignedType<CheckpointWithMessageId>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    /// What was signed.
    pub value: CheckpointWithMessageId,
    /// The signature, split.
    pub signature: RsvSignature,
    /// The signature as the 65 bytes `r | s | v` the ISM takes.
    pub serialized_signature: Bytes,
}

impl SignedCheckpoint {
    /// Signs `value` with `signer`.
    pub fn sign<S: SignerSync>(signer: &S, value: CheckpointWithMessageId) -> Result<Self> {
        let signature = signer.sign_hash_sync(&value.digest()).map_err(|e| BridgeError::Signing(e.to_string()))?;
        let bytes = signature.as_bytes();
        Ok(Self {
            value,
            signature: RsvSignature { r: signature.r(), s: signature.s(), v: u64::from(bytes[64]) },
            serialized_signature: Bytes::copy_from_slice(&bytes),
        })
    }

    /// The 65-byte signature.
    pub fn signature_bytes(&self) -> Result<[u8; 65]> {
        <[u8; 65]>::try_from(self.serialized_signature.as_ref()).map_err(|_| {
            BridgeError::Signing(format!("checkpoint signature has {} bytes, not 65", self.serialized_signature.len()))
        })
    }

    /// The address that signed, recovered the way the ISM recovers it (high-s rejected).
    pub fn recover(&self) -> Result<Address> {
        let bytes = self.signature_bytes()?;
        let signature = Signature::from_raw(&bytes).map_err(|e| BridgeError::Signing(e.to_string()))?;
        if signature.normalize_s().is_some() {
            return Err(BridgeError::Signing("checkpoint signature has a high s".into()));
        }
        signature.recover_address_from_prehash(&self.value.digest()).map_err(|e| BridgeError::Signing(e.to_string()))
    }
}

/// Builds the message-id multisig ISM's metadata: `originMerkleTreeHook(32) | root(32) | index(4) |
/// signatures (65 each, in the order of the ISM's validator array)`.
pub fn message_id_metadata(merkle_tree_hook: B256, root: B256, index: u32, signatures: &[[u8; 65]]) -> Bytes {
    let mut out = Vec::with_capacity(68 + 65 * signatures.len());
    out.extend_from_slice(merkle_tree_hook.as_slice());
    out.extend_from_slice(root.as_slice());
    out.extend_from_slice(&index.to_be_bytes());
    for signature in signatures {
        out.extend_from_slice(signature);
    }
    out.into()
}

/// Depth of Hyperlane's incremental Merkle tree (`Merkle.sol`'s `TREE_DEPTH`).
pub const TREE_DEPTH: usize = 32;

/// Hyperlane's incremental Merkle tree (`MerkleLib.Tree`): the branch and the leaf count, enough to insert
/// and to compute the root. Validators rebuild the origin's tree from `InsertedIntoTree` events so they know
/// the root at every index, not only the latest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerkleTree {
    branch: Vec<B256>,
    count: u32,
}

impl Default for MerkleTree {
    fn default() -> Self {
        Self { branch: vec![B256::ZERO; TREE_DEPTH], count: 0 }
    }
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves inserted.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Inserts `leaf` (`MerkleLib.insert`).
    pub fn insert(&mut self, leaf: B256) -> Result<()> {
        if self.branch.len() != TREE_DEPTH {
            return Err(BridgeError::Progress(format!("merkle branch has {} levels", self.branch.len())));
        }
        let count = self.count.checked_add(1).ok_or_else(|| BridgeError::Config("merkle tree full".into()))?;
        self.count = count;
        let mut size = count;
        let mut node = leaf;
        for level in self.branch.iter_mut() {
            if size & 1 == 1 {
                *level = node;
                return Ok(());
            }
            node = hash_pair(*level, node);
            size /= 2;
        }
        Err(BridgeError::Config("merkle tree full".into()))
    }

    /// The root (`MerkleLib.root`).
    pub fn root(&self) -> B256 {
        let mut zero = B256::ZERO;
        let mut current = B256::ZERO;
        for (i, next) in self.branch.iter().enumerate() {
            if (u64::from(self.count) >> i) & 1 == 1 {
                current = hash_pair(*next, current);
            } else {
                current = hash_pair(current, zero);
            }
            zero = hash_pair(zero, zero);
        }
        current
    }
}

fn hash_pair(left: B256, right: B256) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(left.as_slice());
    buf[32..].copy_from_slice(right.as_slice());
    keccak256(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};
    use alloy_signer_local::PrivateKeySigner;

    #[test]
    fn message_round_trips() {
        let message = HlMessage {
            version: MESSAGE_VERSION,
            nonce: 7,
            origin: 0x6175_7400,
            sender: address_to_bytes32(address!("0x1111111111111111111111111111111111111111")),
            destination: 0x6175_7401,
            recipient: address_to_bytes32(address!("0x2222222222222222222222222222222222222222")),
            body: Bytes::from_static(b"ping"),
        };
        let encoded = message.encode();
        assert_eq!(encoded.len(), MESSAGE_HEADER_LEN + 4);
        assert_eq!(HlMessage::decode(&encoded).expect("decodes"), message);
        assert_eq!(message.recipient_address(), address!("0x2222222222222222222222222222222222222222"));
    }

    #[test]
    fn zero_hashes_match_merkle_sol() {
        // Z_1 and Z_31 as `Merkle.sol` hard-codes them; an empty tree's root is keccak(Z_31, Z_31).
        let mut zero = B256::ZERO;
        let mut zeros = vec![zero];
        for _ in 0..TREE_DEPTH {
            zero = hash_pair(zero, zero);
            zeros.push(zero);
        }
        assert_eq!(zeros[1], b256!("0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5"));
        assert_eq!(zeros[31], b256!("0x8448818bb4ae4562849e949e17ac16e0be16688e156b5cf15e098c627c0056a9"));
        assert_eq!(MerkleTree::new().root(), zeros[32]);
    }

    #[test]
    fn tree_matches_a_naive_root() {
        let leaves: Vec<B256> = (0u8..5).map(|i| keccak256([i])).collect();
        let mut tree = MerkleTree::new();
        for (n, leaf) in leaves.iter().enumerate() {
            tree.insert(*leaf).expect("inserts");
            // Naive: pad leaves 0..=n with zeros to 2^32 by folding level by level with zero hashes.
            let mut level: Vec<B256> = leaves[..=n].to_vec();
            let mut zero = B256::ZERO;
            for _ in 0..TREE_DEPTH {
                if level.len() % 2 == 1 {
                    level.push(zero);
                }
                level = level.chunks(2).map(|p| hash_pair(p[0], p[1])).collect();
                zero = hash_pair(zero, zero);
            }
            assert_eq!(tree.root(), level[0], "after {} leaves", n + 1);
        }
    }

    #[test]
    fn signed_checkpoint_recovers_and_rejects_high_s() {
        let signer = PrivateKeySigner::random();
        let value = CheckpointWithMessageId {
            checkpoint: Checkpoint {
                merkle_tree_hook_address: B256::repeat_byte(1),
                mailbox_domain: 5,
                root: B256::repeat_byte(2),
                index: 3,
            },
            message_id: B256::repeat_byte(4),
        };
        let mut signed = SignedCheckpoint::sign(&signer, value).expect("signs");
        assert_eq!(signed.recover().expect("recovers"), signer.address());
        let json = serde_json::to_string(&signed).expect("serialises");
        let back: SignedCheckpoint = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, signed);
        let mut bytes = signed.signature_bytes().expect("65 bytes");
        let s = U256::from_be_slice(&bytes[32..64]);
        let high = alloy_primitives::uint!(0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141_U256) - s;
        bytes[32..64].copy_from_slice(&high.to_be_bytes::<32>());
        bytes[64] ^= 1;
        signed.serialized_signature = Bytes::copy_from_slice(&bytes);
        assert!(signed.recover().is_err());
    }
}
