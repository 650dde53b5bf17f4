//! What the tests that run `automat` daemons share: the binary, a kill-on-drop guard and the agent daemon.
#![allow(dead_code, unreachable_pub)]

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
};

/// A daemon process, killed (and reaped) when dropped, so a failing test leaves nothing running.
pub struct Daemon(pub Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `automat` binary under test, logging warnings only.
pub fn automat() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_automat"));
    command.env("RUST_LOG", "warn");
    command
}

/// Starts `automat agent` for `machine_id` against `rpc_url` (machine and sender keys as hex), its data under
/// `data_dir`, listening on a free loopback port; returns the guard and the agent's base URL. The agent's
/// later log lines are echoed to stderr prefixed with `[agent]`.
pub fn spawn_agent(
    rpc_url: &str,
    storefront: &str,
    machine_id: u64,
    machine_key: &str,
    sender_key: &str,
    data_dir: &Path,
) -> (Daemon, String) {
    let mut child = automat()
        .args(["agent", "--rpc-url", rpc_url, "--storefront", storefront])
        .args(["--machine-id", &machine_id.to_string(), "--listen", "127.0.0.1:0", "--interval-ms", "100"])
        .arg("--data-dir")
        .arg(data_dir)
        .env("AUTOMAT_MACHINE_KEY", machine_key)
        .env("AUTOMAT_SENDER_KEY", sender_key)
        .stderr(Stdio::piped())
        .spawn()
        .expect("automat agent starts");
    let stderr = child.stderr.take().expect("stderr piped");
    let daemon = Daemon(child);
    let mut lines = BufReader::new(stderr).lines();
    let base = loop {
        let line = lines.next().expect("agent prints its address").expect("utf-8");
        if let Some(rest) = line.contains("(status").then(|| line.rsplit("http://").next()).flatten() {
            break format!("http://{}", rest.split_whitespace().next().expect("address"));
        }
    };
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            eprintln!("[agent] {line}");
        }
    });
    (daemon, base)
}
