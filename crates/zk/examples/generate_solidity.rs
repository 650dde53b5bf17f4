//! Writes the generated Solidity committed under `contracts/src/zk/` (`PoseidonT3.sol`, `SpendVerifier.sol`,
//! `DisclosureVerifier.sol`) from automat-zk's generators. Run from anywhere:
//!
//! ```text
//! cargo run -p automat-zk --example generate_solidity
//! ```
//!
//! The test `crates/zk/tests/generated_solidity.rs` fails when the committed files differ from this output.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (path, contents) in automat_zk::solidity::generated_files()? {
        let file = root.join(path);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&file, contents)?;
        println!("wrote {path}");
    }
    Ok(())
}
