//! Content-addressed receipt metadata for automat.
//!
//! Every successful purchase mints an ERC-721 receipt whose `tokenURI` is `ipfs://<CIDv1>` of a JSON
//! metadata document. This crate owns that document and its address, from bytes to a pinned IPFS block:
//!
//! ```text
//!   Sale ──ReceiptMetadata::new──▶ canonical JSON bytes ──content_cid──▶ bafkrei… ──ipfs_uri──▶ tokenURI
//!                                         │
//!                        ┌────────────────┴────────────────┐
//!                   BlobStore (local disk)            KuboClient (IPFS node)
//!                   put / get, re-hashed on read      add / cat, CID checked both ways
//! ```
//!
//! - [`cid`]: the one CID flavour used everywhere, CIDv1 raw (0x55) sha2-256 (0x12), which is exactly what
//!   Kubo's `ipfs add --cid-version=1 --raw-leaves` reports for content up to its default chunk size
//!   ([`MAX_SINGLE_BLOCK`]). The CID can therefore be computed (and put on chain) before, or without,
//!   talking to any IPFS node; larger content is refused rather than silently given a different CID.
//! - [`metadata`]: the [`ReceiptMetadata`] document and its deterministic encoding (same sale, same
//!   bytes, same CID).
//! - [`blob`]: [`BlobStore`], a crash-safe content-addressed directory used as the local source of truth.
//! - [`kubo`]: [`KuboClient`], publishing to and reading from a Kubo node over its RPC API.
//!
//! It knows nothing about chains or contracts beyond the addresses and numbers in the document.
#![forbid(unsafe_code)]

pub mod blob;
pub mod cid;
mod error;
pub mod kubo;
pub mod metadata;

pub use ::cid::Cid;
pub use blob::BlobStore;
pub use cid::{MAX_SINGLE_BLOCK, cid_from_sha256, cid_string, content_cid, ipfs_uri, parse_cid, sha256_of};
pub use error::{Result, StoreError};
pub use kubo::{KuboClient, KuboVersion};
pub use metadata::{Attribute, AttributeValue, Coverage, ReceiptMetadata, Sale};
