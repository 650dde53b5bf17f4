//! The generated Solidity committed under `contracts/src/zk/` is exactly what the generators produce now.

use std::path::PathBuf;

use automat_zk::solidity::generated_files;

#[test]
fn committed_solidity_matches_the_generators() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut stale = Vec::new();
    for (path, expected) in generated_files().expect("generate") {
        match std::fs::read_to_string(root.join(path)) {
            Ok(committed) if committed == expected => {}
            Ok(_) => stale.push(format!("{path} differs")),
            Err(e) => stale.push(format!("{path} unreadable: {e}")),
        }
    }
    assert!(
        stale.is_empty(),
        "generated Solidity is out of date ({}); regenerate it with `cargo run -p automat-zk --example \
         generate_solidity` and commit the result",
        stale.join(", ")
    );
}
