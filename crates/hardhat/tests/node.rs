//! Starts a real Hardhat node: requires Node.js and `npm ci --prefix contracts` (fails loudly otherwise).

use std::net::TcpStream;
use std::time::Duration;

use automat_hardhat::{CHAIN_ID, HardhatNode, json_rpc};
use serde_json::json;

#[test]
fn node_answers_chain_id_and_its_port_closes_on_drop() {
    let node = HardhatNode::start().unwrap_or_else(|e| panic!("hardhat node failed to start: {e}"));
    assert_eq!(node.chain_id(), CHAIN_ID);
    assert_eq!(node.url(), format!("http://127.0.0.1:{}", node.port()));

    let chain_id = json_rpc(node.addr(), "eth_chainId", &json!([])).expect("eth_chainId answers");
    assert_eq!(chain_id, json!("0x7a69"));
    let accounts = node.request("eth_accounts", &json!([])).expect("eth_accounts answers");
    assert_eq!(
        accounts[0].as_str().map(str::to_ascii_lowercase).as_deref(),
        Some("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"),
        "default mnemonic's first account"
    );

    let addr = node.addr();
    let log = node.log_path().to_path_buf();
    drop(node);
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
        "port {} still accepts connections after drop",
        addr.port()
    );
    assert!(!log.exists(), "log {} kept after a clean stop", log.display());
}

#[test]
fn two_nodes_run_side_by_side() {
    let a = HardhatNode::start().unwrap_or_else(|e| panic!("first hardhat node failed to start: {e}"));
    let b = HardhatNode::start().unwrap_or_else(|e| panic!("second hardhat node failed to start: {e}"));
    assert_ne!(a.port(), b.port());
    a.request("evm_mine", &json!([])).expect("mines on the first node");
    let height = |n: &HardhatNode| n.request("eth_blockNumber", &json!([])).expect("eth_blockNumber answers");
    assert_eq!(height(&a), json!("0x1"));
    assert_eq!(height(&b), json!("0x0"));
}

#[test]
fn nodes_with_different_chain_ids_run_side_by_side() {
    let a = HardhatNode::start_with_chain_id(CHAIN_ID).unwrap_or_else(|e| panic!("node of chain {CHAIN_ID}: {e}"));
    let b = HardhatNode::start_with_chain_id(31338).unwrap_or_else(|e| panic!("node of chain 31338: {e}"));
    assert_eq!((a.chain_id(), b.chain_id()), (CHAIN_ID, 31338));
    assert_eq!(a.request("eth_chainId", &json!([])).expect("eth_chainId answers"), json!("0x7a69"));
    assert_eq!(b.request("eth_chainId", &json!([])).expect("eth_chainId answers"), json!("0x7a6a"));
    // Everything else comes from the project's config: the same funded accounts, automine.
    let accounts = b.request("eth_accounts", &json!([])).expect("eth_accounts answers");
    assert_eq!(
        accounts[0].as_str().map(str::to_ascii_lowercase).as_deref(),
        Some("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")
    );
    let log = b.log_path().to_path_buf();
    drop(b);
    assert!(!log.exists(), "log {} (and generated config) kept after a clean stop", log.display());
}

/// A scratch npm project under the system temp dir, removed on drop.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("automat-hardhat-test-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        std::fs::write(dir.join("package.json"), "{}").expect("write package.json");
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn missing_install_fails_with_the_fix() {
    let scratch = Scratch::new("uninstalled");
    let err = HardhatNode::start_in(&scratch.0).expect_err("no node_modules");
    assert!(matches!(err, automat_hardhat::HardhatError::HardhatNotInstalled { .. }), "{err}");
    assert!(err.to_string().contains("npm ci --prefix contracts"), "{err}");
}

#[test]
fn early_exit_reports_the_log_tail() {
    let scratch = Scratch::new("crashing");
    let cli = scratch.0.join("node_modules/hardhat/internal/cli");
    std::fs::create_dir_all(&cli).expect("create fake hardhat");
    std::fs::write(cli.join("bootstrap.js"), "console.error('HH1: boom, no config'); process.exit(3);\n")
        .expect("write fake hardhat");
    let err = HardhatNode::start_in(&scratch.0).expect_err("fake hardhat exits");
    let shown = err.to_string();
    assert!(matches!(err, automat_hardhat::HardhatError::Exited { .. }), "{shown}");
    assert!(shown.contains("HH1: boom, no config"), "{shown}");
    assert!(shown.contains("exit status: 3"), "{shown}");
    // A failed start keeps its log (the error points at it); this test's is not needed.
    if let automat_hardhat::HardhatError::Exited { log, .. } = &err {
        assert!(log.is_file(), "log {} kept after a failed start", log.display());
        if let Some(dir) = log.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
