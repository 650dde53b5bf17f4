//! Hardhat-format contract artifacts: ours (compiled into `contracts/out/`) and third parties' published
//! ones (LayerZero, Hyperlane, Uniswap, OpenZeppelin's `build/contracts`), with library linking and
//! constructor encoding.

use std::{collections::BTreeMap, path::Path};

use alloy_dyn_abi::{DynSolValue, JsonAbiExt};
use alloy_json_abi::JsonAbi;
use alloy_primitives::{Address, Bytes, hex};
use serde::Deserialize;

use crate::{ArtifactError, Result};

/// Where a library address goes in unlinked bytecode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct LinkOffset {
    /// Byte offset into the bytecode.
    pub start: usize,
    /// Length in bytes (20 for an address).
    pub length: usize,
}

/// `source file → library name → offsets`, as solc and Hardhat write it.
pub type LinkReferences = BTreeMap<String, BTreeMap<String, Vec<LinkOffset>>>;

/// A compiled contract in Hardhat's artifact format (`hh-sol-artifact-1`), plus the provenance fields our
/// compile script adds (compiler version, source hashes).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// Contract name.
    pub contract_name: String,
    /// Source unit it was compiled from.
    #[serde(default)]
    pub source_name: String,
    /// Its ABI.
    pub abi: JsonAbi,
    /// Creation bytecode, hex, possibly with `__$…$__` link placeholders.
    pub bytecode: String,
    /// Runtime bytecode, hex, possibly with placeholders.
    #[serde(default)]
    pub deployed_bytecode: String,
    /// Link placeholders in `bytecode`.
    #[serde(default)]
    pub link_references: LinkReferences,
    /// Link placeholders in `deployed_bytecode`.
    #[serde(default)]
    pub deployed_link_references: LinkReferences,
    /// Full solc version (our artifacts only).
    #[serde(default)]
    pub solc_version: Option<String>,
    /// sha256 of the contract's own source file (our artifacts only).
    #[serde(default)]
    pub source_hash: Option<String>,
    /// sha256 of every source unit it was built from, by source unit name (our artifacts only).
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
}

impl Artifact {
    /// Parses artifact JSON.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json)
            .map_err(|e| ArtifactError::Parse { what: "artifact JSON".into(), reason: e.to_string() })
    }

    /// Reads an artifact file (e.g. `node_modules/@openzeppelin/contracts/build/contracts/TimelockController.json`).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let json = std::fs::read_to_string(path)
            .map_err(|e| ArtifactError::Io { path: path.display().to_string(), reason: e.to_string() })?;
        serde_json::from_str(&json)
            .map_err(|e| ArtifactError::Parse { what: path.display().to_string(), reason: e.to_string() })
    }

    /// Libraries still to link, as `source:Name`.
    pub fn unlinked_libraries(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .link_references
            .iter()
            .chain(&self.deployed_link_references)
            .flat_map(|(source, libs)| libs.keys().map(move |lib| format!("{source}:{lib}")))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Fills in the address of library `library` (its bare name, or `source:Name`) everywhere it is
    /// referenced. Fails if the artifact references no such library.
    pub fn link(mut self, library: &str, address: Address) -> Result<Self> {
        let (wanted_source, wanted_name) = match library.rsplit_once(':') {
            Some((source, name)) => (Some(source), name),
            None => (None, library),
        };
        let mut linked = false;
        for (refs, code) in [
            (&mut self.link_references, &mut self.bytecode),
            (&mut self.deployed_link_references, &mut self.deployed_bytecode),
        ] {
            for (source, libs) in refs.iter_mut() {
                if wanted_source.is_some_and(|s| s != source) {
                    continue;
                }
                if let Some(offsets) = libs.remove(wanted_name) {
                    for offset in offsets {
                        splice_address(code, offset, address, &self.contract_name)?;
                    }
                    linked = true;
                }
            }
            refs.retain(|_, libs| !libs.is_empty());
        }
        if linked {
            Ok(self)
        } else {
            Err(ArtifactError::UnknownLibrary { contract: self.contract_name, library: library.to_string() })
        }
    }

    /// Creation code with ABI-encoded constructor arguments appended.
    pub fn init_code(&self, args: &[DynSolValue]) -> Result<Bytes> {
        if !self.link_references.is_empty() {
            return Err(ArtifactError::Unlinked {
                contract: self.contract_name.clone(),
                libraries: self.unlinked_libraries(),
            });
        }
        let mut code = decode_hex(&self.bytecode, &self.contract_name)?;
        if code.is_empty() {
            return Err(ArtifactError::NotDeployable(self.contract_name.clone()));
        }
        let encoded = match &self.abi.constructor {
            Some(ctor) => ctor.abi_encode_input(args).map_err(|e| ArtifactError::Constructor {
                contract: self.contract_name.clone(),
                reason: e.to_string(),
            })?,
            None if args.is_empty() => Vec::new(),
            None => {
                return Err(ArtifactError::Constructor {
                    contract: self.contract_name.clone(),
                    reason: format!("takes no arguments, {} given", args.len()),
                });
            }
        };
        code.extend_from_slice(&encoded);
        Ok(code.into())
    }

    /// Runtime code (linked).
    pub fn runtime_code(&self) -> Result<Bytes> {
        if !self.deployed_link_references.is_empty() {
            return Err(ArtifactError::Unlinked {
                contract: self.contract_name.clone(),
                libraries: self.unlinked_libraries(),
            });
        }
        decode_hex(&self.deployed_bytecode, &self.contract_name).map(Into::into)
    }
}

fn decode_hex(code: &str, contract: &str) -> Result<Vec<u8>> {
    hex::decode(code.trim())
        .map_err(|e| ArtifactError::Parse { what: format!("bytecode of {contract}"), reason: e.to_string() })
}

fn splice_address(code: &mut String, offset: LinkOffset, address: Address, contract: &str) -> Result<()> {
    let prefix = if code.starts_with("0x") { 2 } else { 0 };
    let start = prefix + offset.start * 2;
    let end = start + offset.length * 2;
    if offset.length != 20 || end > code.len() || !code.is_char_boundary(start) || !code.is_char_boundary(end) {
        return Err(ArtifactError::Parse {
            what: format!("link reference of {contract}"),
            reason: format!("offset {}+{} outside the bytecode", offset.start, offset.length),
        });
    }
    code.replace_range(start..end, &hex::encode(address));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNLINKED: &str = r#"{
        "contractName": "UsesLib", "sourceName": "a.sol", "abi": [],
        "bytecode": "0x6000__$0123456789abcdef0123456789abcdef01$__6000",
        "deployedBytecode": "0x__$0123456789abcdef0123456789abcdef01$__",
        "linkReferences": {"a.sol": {"Lib": [{"start": 2, "length": 20}]}},
        "deployedLinkReferences": {"a.sol": {"Lib": [{"start": 0, "length": 20}]}}
    }"#;

    #[test]
    fn linking_replaces_every_placeholder_and_clears_references() {
        let artifact = Artifact::from_json(UNLINKED).expect("parses");
        assert_eq!(artifact.unlinked_libraries(), vec!["a.sol:Lib".to_string()]);
        assert!(matches!(artifact.init_code(&[]), Err(ArtifactError::Unlinked { .. })));
        let lib = Address::repeat_byte(0xab);
        let linked = artifact.link("Lib", lib).expect("links");
        assert!(linked.unlinked_libraries().is_empty());
        let code = linked.init_code(&[]).expect("deployable");
        assert_eq!(&code[2..22], lib.as_slice());
        assert_eq!(linked.runtime_code().expect("linked").as_ref(), lib.as_slice());
    }

    #[test]
    fn linking_an_unknown_library_is_an_error() {
        let artifact = Artifact::from_json(UNLINKED).expect("parses");
        let err = artifact.link("Other", Address::ZERO).expect_err("no such library");
        assert!(err.to_string().contains("Other"), "{err}");
    }
}
