//! automat's Solidity contracts as Rust sees them.
//!
//! - [`artifact`]: Hardhat-format artifacts (ours and third parties' published ones), linking,
//!   constructor encoding; [`deploy_artifact`] deploys one through any [`ChainClient`].
//! - [`artifacts`]: every artifact compiled from `contracts/src/` by the pinned solc (`npm run build` in
//!   `contracts/`), embedded at build time from the committed `contracts/out/`.
//! - [`fixtures`]: typed `sol!` bindings of the test fixtures the chain-client suite deploys.
//! - [`court`]: the jury court (network token, commit-reveal randomness beacon, Kleros-style court implementing
//!   `IArbitrator`): bindings, the vote commitment, deployment next to a payment token and a typed handle.
//! - [`vending`]: the vending core (payment token, machine registry, storefront, receipts): bindings,
//!   EIP-712 signing, suite deployment and a typed handle for its flows.
//! - [`oracle`]: the oracle aggregator (signed observations → median feeds, consensus override) and its
//!   Chainlink `AggregatorV3Interface` feeds: bindings, observation signing, deployment and a typed handle.
//! - [`insurance`]: the insurance pool (ERC-4626 underwriting, cover bought with orders, claims decided by the
//!   court, pro-rata payouts and IOUs when short): bindings, deployment next to a suite and a typed handle.
//! - [`privacy`]: the shielded pool and the compliance registry with their generated Groth16 verifiers:
//!   bindings, deployment next to a vending suite and a typed handle.
//!
//! A test in this crate fails when any Solidity source differs from what its committed artifact was
//! built from.
#![forbid(unsafe_code)]

pub mod artifact;
pub mod court;
pub mod crosschain;
pub mod fixtures;
pub mod insurance;
pub mod oracle;
pub mod privacy;
pub mod vending;

use alloy_dyn_abi::DynSolValue;
use automat_chain::{ChainClient, ChainError, Deployment};

pub use artifact::{Artifact, LinkOffset, LinkReferences};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_artifacts.rs"));
}

/// Result alias for artifact handling.
pub type Result<T, E = ArtifactError> = std::result::Result<T, E>;

/// Why an artifact could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// Reading an artifact file failed.
    #[error("reading {path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        reason: String,
    },
    /// The JSON or the bytecode hex is malformed.
    #[error("malformed {what}: {reason}")]
    Parse {
        /// What was being parsed.
        what: String,
        /// The parser's complaint.
        reason: String,
    },
    /// No artifact by that name is embedded.
    #[error("no compiled artifact named {0:?} (see contracts/out/; run `npm run build` in contracts/)")]
    Unknown(String),
    /// Several contracts share the name; ask by path instead.
    #[error("{name:?} is ambiguous: {candidates:?}")]
    Ambiguous {
        /// The name asked for.
        name: String,
        /// Matching artifact paths.
        candidates: Vec<String>,
    },
    /// The bytecode still has library placeholders.
    #[error("{contract} needs linking first: {libraries:?}")]
    Unlinked {
        /// The contract.
        contract: String,
        /// Libraries still unlinked.
        libraries: Vec<String>,
    },
    /// `link` named a library the contract does not use.
    #[error("{contract} does not reference library {library}")]
    UnknownLibrary {
        /// The contract.
        contract: String,
        /// The library asked for.
        library: String,
    },
    /// Interfaces and abstract contracts have no creation code.
    #[error("{0} has no creation bytecode (interface or abstract contract)")]
    NotDeployable(String),
    /// The constructor arguments do not match the ABI.
    #[error("constructor of {contract}: {reason}")]
    Constructor {
        /// The contract.
        contract: String,
        /// What did not match.
        reason: String,
    },
    /// The chain refused the deployment.
    #[error("deploying {contract}: {source}")]
    Chain {
        /// The contract.
        contract: String,
        /// The chain's error.
        #[source]
        source: ChainError,
    },
}

/// Our compiled artifacts, embedded from `contracts/out/`.
pub mod artifacts {
    use super::{Artifact, ArtifactError, Result, embedded::EMBEDDED};

    /// Paths of every embedded artifact (`testing/TestToken.sol/TestToken`), sorted.
    pub fn paths() -> impl Iterator<Item = &'static str> {
        EMBEDDED.iter().map(|(path, _)| *path)
    }

    /// The artifact for contract `name` (a bare contract name, or a path as listed by [`paths`]).
    pub fn get(name: &str) -> Result<Artifact> {
        if let Some((_, json)) = EMBEDDED.iter().find(|(path, _)| *path == name) {
            return Artifact::from_json(json);
        }
        let suffix = format!("/{name}");
        let matches: Vec<_> = EMBEDDED.iter().filter(|(path, _)| path.ends_with(&suffix)).collect();
        match matches.as_slice() {
            [] => Err(ArtifactError::Unknown(name.to_string())),
            [(_, json)] => Artifact::from_json(json),
            many => Err(ArtifactError::Ambiguous {
                name: name.to_string(),
                candidates: many.iter().map(|(p, _)| p.to_string()).collect(),
            }),
        }
    }

    /// Every embedded artifact.
    pub fn all() -> Result<Vec<Artifact>> {
        EMBEDDED.iter().map(|(_, json)| Artifact::from_json(json)).collect()
    }
}

/// Deploys `artifact` with constructor `args` through `client`, after registering its custom errors with
/// the client's revert decoder so later reverts read by name.
pub async fn deploy_artifact<C: ChainClient>(
    client: &C,
    artifact: &Artifact,
    args: &[DynSolValue],
) -> Result<Deployment> {
    client.revert_decoder().register_abi(&artifact.abi);
    let init_code = artifact.init_code(args)?;
    client
        .deploy(init_code)
        .await
        .map_err(|source| ArtifactError::Chain { contract: artifact.contract_name.clone(), source })
}

/// Deploys `bytecode` followed by the ABI-encoded constructor `args` through `client`; `name` names the
/// contract in the error.
pub(crate) async fn deploy_code<C: ChainClient>(
    client: &C,
    name: &'static str,
    bytecode: &alloy_primitives::Bytes,
    args: Vec<u8>,
) -> Result<alloy_primitives::Address> {
    let mut init = bytecode.to_vec();
    init.extend_from_slice(&args);
    let deployment = client
        .deploy(init.into())
        .await
        .map_err(|source| ArtifactError::Chain { contract: name.to_string(), source })?;
    Ok(deployment.address)
}

/// Registers the custom errors of every embedded artifact with `client`'s revert decoder.
pub fn register_all_errors<C: ChainClient>(client: &C) -> Result<()> {
    for artifact in artifacts::all()? {
        client.revert_decoder().register_abi(&artifact.abi);
    }
    Ok(())
}
