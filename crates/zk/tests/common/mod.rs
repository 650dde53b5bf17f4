//! Helpers for the tests that run independent JavaScript implementations (circomlibjs, snarkjs) under node.
//! Missing node or packages make the tests fail with instructions, never skip: CI installs them with
//! `npm ci --prefix contracts`.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// `<workspace>/contracts/node_modules`.
pub fn node_modules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contracts/node_modules")
}

/// `crates/zk/tests/js/<name>`.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js").join(name)
}

/// Panics with instructions unless `node` runs and `package` is installed under `contracts/node_modules`.
pub fn require_package(package: &str) {
    let version = Command::new("node").arg("--version").output();
    match version {
        Ok(out) if out.status.success() => {}
        _ => panic!("`node` is required for this test (Node.js 18+ on PATH), then `npm ci --prefix contracts`"),
    }
    let dir = node_modules().join(package);
    assert!(
        dir.join("package.json").is_file(),
        "npm package {package} is missing at {}: run `npm ci --prefix contracts`",
        dir.display()
    );
}

/// Runs `node <args…>` with `stdin` fed in; returns the finished process.
pub fn node(args: &[&std::ffi::OsStr], stdin: &str) -> Output {
    node_in(std::path::Path::new("."), args, stdin)
}

/// [`node`] with the working directory set to `dir`.
pub fn node_in(dir: &std::path::Path, args: &[&std::ffi::OsStr], stdin: &str) -> Output {
    let mut child = Command::new("node")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn node");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("node output")
}
