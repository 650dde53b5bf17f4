use std::path::PathBuf;

/// Why a Hardhat node could not be started or asked something.
#[derive(Debug, thiserror::Error)]
pub enum HardhatError {
    /// The npm project holding Hardhat (`contracts/`) was not found.
    #[error("cannot find the contracts npm project: {0}")]
    ContractsDirNotFound(String),
    /// Node.js (`node`) could not be run.
    #[error("Node.js is required to run Hardhat but `node --version` failed: {0}; install Node.js 18 or later")]
    NodeNotFound(String),
    /// The npm dependencies are not installed, so `node_modules/hardhat` is missing.
    #[error(
        "Hardhat is not installed in {}: run `npm ci --prefix contracts` from the workspace root",
        dir.display()
    )]
    HardhatNotInstalled {
        /// The contracts npm project that lacks `node_modules/hardhat`.
        dir: PathBuf,
    },
    /// Preparing or spawning the node failed (temp dir, log file, free port, process).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The node process exited before it was ready.
    #[error("hardhat node exited during startup ({status}); end of {}:\n{tail}", log.display())]
    Exited {
        /// The exit status, as reported by the OS.
        status: String,
        /// The node's captured stdout and stderr.
        log: PathBuf,
        /// The last lines of that log.
        tail: String,
    },
    /// The node did not answer in time.
    #[error(
        "hardhat node at {url} was not ready after {seconds}s (last check: {last_check}); end of {}:\n{tail}",
        log.display()
    )]
    NotReady {
        /// Where the node should have been listening.
        url: String,
        /// How long we waited.
        seconds: u64,
        /// Why the last readiness check failed.
        last_check: String,
        /// The node's captured stdout and stderr.
        log: PathBuf,
        /// The last lines of that log.
        tail: String,
    },
    /// A JSON-RPC request to the node failed (connection, HTTP status, JSON, or a JSON-RPC error).
    #[error("JSON-RPC {method} to {addr}: {detail}")]
    Rpc {
        /// The JSON-RPC method.
        method: String,
        /// The node's address.
        addr: std::net::SocketAddr,
        /// What went wrong.
        detail: String,
    },
}
