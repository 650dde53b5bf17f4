//! The error type of every operation in this crate.

use std::path::PathBuf;

/// Result alias with [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything that can go wrong computing, storing, encoding or publishing content.
///
/// CIDs appear as their text form, so every variant prints as is and the type stays small.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The content does not fit in one raw block, so Kubo would chunk it into a dag-pb tree whose
    /// CID is not the plain sha2-256 CID this crate computes.
    #[error(
        "content is {len} bytes, more than the {max} bytes of one raw block (Kubo's default chunk size); \
         larger content would be chunked into a dag-pb tree with a different CID"
    )]
    TooLarge {
        /// Length of the rejected content.
        len: usize,
        /// The limit, [`MAX_SINGLE_BLOCK`](crate::cid::MAX_SINGLE_BLOCK).
        max: usize,
    },

    /// A string is not a CID at all.
    #[error("{input:?} is not a CID: {source}")]
    InvalidCid {
        /// The offending text.
        input: String,
        /// What the parser said.
        #[source]
        source: ::cid::Error,
    },

    /// A CID is valid but not a CIDv1 with codec raw (0x55) and a sha2-256 (0x12) digest of 32 bytes.
    #[error("{cid} is not a CIDv1 raw sha2-256 CID: {reason}")]
    UnsupportedCid {
        /// The CID, base32-lower.
        cid: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Bytes read back do not hash to the CID they were stored under.
    #[error("blob {cid} at {} is corrupt: its bytes hash to {actual}", path.display())]
    Corrupt {
        /// The CID the bytes were stored under, base32-lower.
        cid: String,
        /// The file holding them.
        path: PathBuf,
        /// The CID of the bytes actually found, base32-lower.
        actual: String,
    },

    /// A filesystem operation of the blob store failed.
    #[error("blob store: {op} {}: {source}", path.display())]
    Io {
        /// What was being done (`"create directory"`, `"write"`, ...).
        op: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// Receipt metadata could not be encoded or decoded as JSON.
    #[error("receipt metadata JSON: {0}")]
    Json(#[from] serde_json::Error),

    /// Receipt metadata parsed as JSON but a field holds an invalid value.
    #[error("receipt metadata field `{field}`: {reason}")]
    InvalidMetadata {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// The Kubo base URL cannot be used.
    #[error("invalid Kubo RPC base URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Nothing answered at the Kubo RPC address (connection refused, DNS failure or timeout).
    #[error(
        "Kubo RPC API at {url} is unreachable: {source}. Start a node with `ipfs daemon` (its RPC API \
         listens on http://127.0.0.1:5001 by default) or point the client at a running one, e.g. with \
         AUTOMAT_KUBO_URL"
    )]
    KuboUnreachable {
        /// The request URL.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },

    /// The HTTP exchange with Kubo failed after connecting.
    #[error("Kubo RPC request {url} failed: {source}")]
    KuboHttp {
        /// The request URL.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },

    /// Kubo answered with a non-success HTTP status.
    #[error("Kubo RPC request {url} returned HTTP {status}: {message}")]
    KuboStatus {
        /// The request URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// Kubo's error message (its `Message` field), or the start of the body.
        message: String,
    },

    /// Kubo answered 2xx but with a body this client cannot use.
    #[error("Kubo RPC request {url} returned an unexpected response: {reason}")]
    KuboResponse {
        /// The request URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Kubo's CID for the content differs from the one computed locally: the node is configured
    /// differently (CIDv0, another hash, chunker or codec) or the content was altered in transit.
    #[error("Kubo RPC request {url}: expected CID {expected}, got {actual}")]
    CidMismatch {
        /// The request URL.
        url: String,
        /// The CID computed locally (for `add`) or requested (for `cat`), base32-lower.
        expected: String,
        /// The CID Kubo returned (for `add`, as Kubo wrote it) or the CID of the bytes it returned
        /// (for `cat`).
        actual: String,
    },
}
