//! Hyperlane (`@hyperlane-xyz/core` 12.1.0) from its published artifacts, and its off-chain roles.
//!
//! ```text
//!  origin chain                                    destination chain
//!  app ── Mailbox.dispatch ── MerkleTreeHook ─┐     Mailbox.process(metadata, message)
//!                   │  (ProtocolFee required) │           │  recipientIsm → message-id multisig ISM
//!                   │                         ▼           │  (validators, threshold ≥ 2)
//!                   │             Validator × n: sign      ▼
//!                   │             (root, index, id) ──► file:// checkpoints ──► Relayer
//!                   └── ValidatorAnnounce ◄── announce "file://dir"      (reads origin ValidatorAnnounce)
//! ```
//!
//! - [`deploy_chain`]: Mailbox, message-id multisig ISM (factory), MerkleTreeHook (default hook),
//!   ProtocolFee (required hook), ValidatorAnnounce, as Hyperlane's core deployer wires them;
//!   [`check_quorum`] re-reads the default ISM on chain and refuses a threshold below [`MIN_THRESHOLD`];
//!   [`rotate_validators`] moves the Mailbox to an ISM for a new validator set.
//! - [`Validator`]: signs a checkpoint for every confirmed message of one origin and publishes it in a
//!   local checkpoint directory announced on chain.
//! - [`Relayer`]: collects a quorum of those signatures per message and delivers it, exactly once.
//! - [`HlMessage`], [`CheckpointWithMessageId`], [`message_id_metadata`], [`MerkleTree`]: the wire formats.
//!
//! Every role is generic over [`automat_chain::ChainClient`], so it runs against the embedded devnet and
//! against a JSON-RPC node alike.

pub mod bindings;
mod deploy;
mod message;
mod relayer;
mod storage;
mod validator;

pub use deploy::{
    DEFAULT_MAX_PROTOCOL_FEE, HlChain, HlChainConfig, IsmQuorum, MIN_THRESHOLD, assert_quorum, check_quorum,
    deploy_chain, deploy_ism, domain_of, read_quorum, read_quorum_for, rotate_validators, validator_set,
};
pub use message::{
    Checkpoint, CheckpointWithMessageId, HlMessage, MESSAGE_HEADER_LEN, MESSAGE_VERSION, MerkleTree, RsvSignature,
    SignedCheckpoint, TREE_DEPTH, address_to_bytes32, announcement_digest, checkpoint_domain_hash, message_id_metadata,
    sign_announcement,
};
pub use relayer::{MessageStatus, RelayedMessage, Relayer, RelayerConfig, RelayerCrashPoint, RelayerReport};
pub use storage::{Announcement, CheckpointStore, FILE_SCHEME};
pub use validator::{Validator, ValidatorConfig, ValidatorReport};
