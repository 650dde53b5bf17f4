//! Fails when a Solidity source differs from what its committed artifact was built from: edit a `.sol`
//! under `contracts/src/` without running `npm run build` in `contracts/` and this test goes red. The
//! protocols' published artifacts (`out/protocols/`) are checked against the npm packages they came from.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    solc_version: String,
    sources: BTreeMap<String, String>,
    published: BTreeMap<String, Published>,
}

/// Where a published artifact came from.
#[derive(Deserialize)]
struct Published {
    package: String,
    version: String,
    file: String,
    sha256: String,
}

fn contracts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts")
}

fn sha256_hex(path: &Path) -> String {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    hex::encode(Sha256::digest(bytes))
}

fn solidity_files(dir: &Path, root: &Path, found: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            solidity_files(&path, root, found);
        } else if path.extension().is_some_and(|e| e == "sol") {
            let rel = path.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
            found.push(rel);
        }
    }
}

fn manifest() -> Manifest {
    let path = contracts_dir().join("out/manifest.json");
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `npm run build` in contracts/", path.display()));
    serde_json::from_str(&text).expect("manifest.json parses")
}

#[test]
fn every_source_matches_the_manifest_it_was_compiled_from() {
    let root = contracts_dir();
    let manifest = manifest();
    let mut on_disk = Vec::new();
    solidity_files(&root.join("src"), &root, &mut on_disk);
    assert!(!on_disk.is_empty(), "no Solidity sources under contracts/src");

    let mut stale = Vec::new();
    for unit in &on_disk {
        match manifest.sources.get(unit) {
            None => stale.push(format!("{unit} was never compiled")),
            Some(hash) if *hash != sha256_hex(&root.join(unit)) => stale.push(format!("{unit} changed since compiled")),
            Some(_) => {}
        }
    }
    for unit in manifest.sources.keys().filter(|u| u.starts_with("src/")) {
        if !on_disk.contains(unit) {
            stale.push(format!("{unit} was compiled but no longer exists"));
        }
    }
    // Imported packages (OpenZeppelin, protocol packages) are checked too when installed.
    let node_modules = root.join("node_modules");
    if node_modules.is_dir() {
        for (unit, hash) in manifest.sources.iter().filter(|(u, _)| !u.starts_with("src/")) {
            let path = node_modules.join(unit);
            if !path.is_file() {
                stale.push(format!("{unit} is not installed (run `npm ci` in contracts/)"));
            } else if *hash != sha256_hex(&path) {
                stale.push(format!("{unit} differs from the version compiled (package version changed?)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "contract artifacts are stale; run `npm run build` in contracts/ and commit contracts/out:\n  {}",
        stale.join("\n  ")
    );
}

#[test]
fn every_artifact_records_the_sources_of_this_build() {
    let manifest = manifest();
    let ours: Vec<_> = automat_contracts::artifacts::paths().filter(|p| !p.starts_with("protocols/")).collect();
    assert!(!ours.is_empty());
    for path in ours {
        let artifact = automat_contracts::artifacts::get(path).expect("embedded artifact parses");
        assert_eq!(
            artifact.solc_version.as_deref(),
            Some(manifest.solc_version.as_str()),
            "{}",
            artifact.contract_name
        );
        assert!(
            artifact.sources.contains_key(&artifact.source_name),
            "{} lacks its own source hash",
            artifact.contract_name
        );
        for (unit, hash) in &artifact.sources {
            assert_eq!(
                manifest.sources.get(unit),
                Some(hash),
                "{} was built from a different {unit} than the manifest records",
                artifact.contract_name
            );
        }
    }
}

#[test]
fn published_protocol_artifacts_match_the_pinned_packages() {
    let root = contracts_dir();
    let manifest = manifest();
    let package: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root.join("package.json")).expect("package.json"))
            .expect("package.json parses");
    let published: Vec<_> = automat_contracts::artifacts::paths().filter(|p| p.starts_with("protocols/")).collect();
    assert!(published.len() >= 15, "LayerZero and Hyperlane artifacts are embedded: {published:?}");
    for path in published {
        let origin =
            manifest.published.get(&format!("{path}.json")).unwrap_or_else(|| panic!("{path} not in manifest"));
        let pinned = package["devDependencies"][&origin.package].as_str().unwrap_or_default();
        assert_eq!(
            pinned, origin.version,
            "{path}: built from {} {}, package.json pins {pinned}",
            origin.package, origin.version
        );
        let artifact = automat_contracts::artifacts::get(path).expect("embedded artifact parses");
        assert!(!artifact.abi.is_empty() && artifact.bytecode.len() > 2, "{path} has an ABI and creation code");
        let installed = root.join("node_modules").join(&origin.package).join(&origin.file);
        if installed.is_file() {
            assert_eq!(sha256_hex(&installed), origin.sha256, "{path}: the installed {} differs", origin.file);
        }
    }
}

#[test]
fn solc_is_the_version_pinned_in_package_json() {
    let package: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(contracts_dir().join("package.json")).expect("package.json"))
            .expect("package.json parses");
    let pinned = package["devDependencies"]["solc"].as_str().expect("solc pinned");
    assert!(
        pinned.chars().all(|c| c.is_ascii_digit() || c == '.'),
        "solc must be pinned to an exact version, found {pinned:?}"
    );
    assert!(manifest().solc_version.starts_with(&format!("{pinned}+")), "artifacts not built by solc {pinned}");
}
