use std::{
    env,
    fs::{self, File},
    io::{Read, Seek, SeekFrom},
    net::{Ipv4Addr, SocketAddr, TcpListener},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicU64, Ordering},
    thread,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::{HardhatError, json_rpc};

/// The chain id `contracts/hardhat.config.js` pins (Hardhat's default, `0x7a69`).
pub const CHAIN_ID: u64 = 31337;

/// Environment variable naming the contracts npm project explicitly, instead of looking for
/// `contracts/` above this crate.
pub const CONTRACTS_DIR_ENV: &str = "AUTOMAT_CONTRACTS_DIR";

/// Hardhat's CLI entry point inside the npm project (the `hardhat` bin of its package.json).
const HARDHAT_CLI: &str = "node_modules/hardhat/internal/cli/bootstrap.js";
/// What `hardhat node` prints once it listens (followed by the URL).
const READY_LINE: &str = "Started HTTP and WebSocket JSON-RPC server at";
/// How long the node may take to answer after spawning.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Pause between readiness checks.
const READY_POLL: Duration = Duration::from_millis(25);
/// How long the node may take to exit after SIGTERM before it gets SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Spawn attempts when the picked port is taken before the node binds it.
const START_ATTEMPTS: usize = 3;
/// Bytes of the log quoted in startup errors.
const LOG_TAIL_BYTES: u64 = 4_000;

/// Distinguishes the log directories of nodes started by one process.
static NEXT_NODE: AtomicU64 = AtomicU64::new(0);

/// The npm project's Hardhat config, which pins the network (chain id [`CHAIN_ID`]).
const PROJECT_CONFIG: &str = "hardhat.config.js";

/// A running `hardhat node` on `127.0.0.1`, killed (with its whole process group) on drop.
#[derive(Debug)]
pub struct HardhatNode {
    child: Child,
    addr: SocketAddr,
    chain_id: u64,
    log_dir: PathBuf,
    log: PathBuf,
}

impl HardhatNode {
    /// Starts a node from the workspace's `contracts/` npm project (or [`CONTRACTS_DIR_ENV`]) on a free
    /// loopback port and waits until it answers `eth_chainId`.
    pub fn start() -> Result<Self, HardhatError> {
        Self::start_in(&contracts_dir()?)
    }

    /// Starts a node like [`HardhatNode::start`] but serving chain id `chain_id`: every other setting comes
    /// from the project's `hardhat.config.js`, which a generated config (next to the node's log) extends. Nodes
    /// with different chain ids run side by side, each on its own port.
    pub fn start_with_chain_id(chain_id: u64) -> Result<Self, HardhatError> {
        Self::start_in_with_chain_id(&contracts_dir()?, chain_id)
    }

    /// Starts a node from the npm project in `contracts_dir` (which must have Hardhat installed).
    pub fn start_in(contracts_dir: &Path) -> Result<Self, HardhatError> {
        Self::start_in_with_chain_id(contracts_dir, CHAIN_ID)
    }

    /// Starts a node from the npm project in `contracts_dir` serving chain id `chain_id` (see
    /// [`HardhatNode::start_with_chain_id`]).
    pub fn start_in_with_chain_id(contracts_dir: &Path, chain_id: u64) -> Result<Self, HardhatError> {
        check_installed(contracts_dir)?;
        let mut attempt = 1;
        loop {
            match Self::spawn(contracts_dir, chain_id) {
                // Another process took the port between our probe and the node's bind: pick another.
                Err(HardhatError::Exited { ref tail, .. })
                    if tail.contains("EADDRINUSE") && attempt < START_ATTEMPTS =>
                {
                    tracing::debug!(attempt, "hardhat node port was taken, retrying");
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Spawns one node on a fresh port and waits for it.
    fn spawn(contracts_dir: &Path, chain_id: u64) -> Result<Self, HardhatError> {
        let port = free_port()?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let log_dir = env::temp_dir().join(format!(
            "automat-hardhat-{}-{}",
            std::process::id(),
            NEXT_NODE.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&log_dir).map_err(|e| io(format!("create {}", log_dir.display()), e))?;
        let log = log_dir.join("node.log");
        let stdout = File::create(&log).map_err(|e| io(format!("create {}", log.display()), e))?;
        let stderr = stdout.try_clone().map_err(|e| io(format!("share {}", log.display()), e))?;

        let mut command = Command::new("node");
        command.arg(HARDHAT_CLI);
        if chain_id != CHAIN_ID {
            let config = log_dir.join(PROJECT_CONFIG);
            fs::write(&config, chain_config(contracts_dir, chain_id))
                .map_err(|e| io(format!("write {}", config.display()), e))?;
            command.arg("--config").arg(&config);
        }
        let child = command
            .args(["node", "--hostname", "127.0.0.1", "--port", &port.to_string()])
            .current_dir(contracts_dir)
            .env("HARDHAT_DISABLE_TELEMETRY_PROMPT", "true")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .map_err(|e| io(format!("spawn `node {HARDHAT_CLI} node` in {}", contracts_dir.display()), e))?;
        let mut node = Self { child, addr, chain_id, log_dir, log };
        tracing::debug!(pid = node.child.id(), url = %node.url(), log = %node.log.display(), "starting hardhat node");
        match node.wait_ready() {
            Ok(()) => {
                tracing::info!(url = %node.url(), "hardhat node ready");
                Ok(node)
            }
            Err(e) => {
                // Keep the log for inspection: the error points at it.
                node.log_dir = PathBuf::new();
                Err(e)
            }
        }
    }

    /// Waits until the node has announced its server on our port and answers our chain id.
    fn wait_ready(&mut self) -> Result<(), HardhatError> {
        let started = Instant::now();
        let announcement = format!("{READY_LINE} http://{}/", self.addr);
        let expected = format!("{:#x}", self.chain_id);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    return Err(HardhatError::Exited {
                        status: status.to_string(),
                        log: self.log.clone(),
                        tail: log_tail(&self.log),
                    });
                }
                Ok(None) => {}
                Err(e) => return Err(io("check on hardhat node".into(), e)),
            }
            // Both checks: the answer alone could come from another node that took the port.
            let last_check = if fs::read_to_string(&self.log).is_ok_and(|log| log.contains(&announcement)) {
                match json_rpc(self.addr, "eth_chainId", &json!([])) {
                    Ok(Value::String(id)) if id == expected => return Ok(()),
                    Ok(other) => format!("eth_chainId answered {other}, expected {expected}"),
                    Err(e) => e.to_string(),
                }
            } else {
                format!("log does not show {announcement:?} yet")
            };
            if started.elapsed() >= START_TIMEOUT {
                return Err(HardhatError::NotReady {
                    url: self.url(),
                    seconds: START_TIMEOUT.as_secs(),
                    last_check,
                    log: self.log.clone(),
                    tail: log_tail(&self.log),
                });
            }
            thread::sleep(READY_POLL);
        }
    }

    /// The node's JSON-RPC endpoint, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The chain id the node serves ([`CHAIN_ID`] unless started with another).
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The loopback address the node listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port the node listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The file capturing the node's stdout and stderr (removed when the node is dropped).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Sends one JSON-RPC request to the node and returns its `result`.
    pub fn request(&self, method: &str, params: &Value) -> Result<Value, HardhatError> {
        json_rpc(self.addr, method, params)
    }
}

impl Drop for HardhatNode {
    fn drop(&mut self) {
        // Signal the group while the leader is not yet reaped, so its id cannot have been reused.
        let pgid = self.child.id();
        signal_group("TERM", pgid);
        let deadline = Instant::now() + STOP_TIMEOUT;
        let exited = loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break true,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Ok(None) | Err(_) => break false,
            }
        };
        if !exited {
            tracing::warn!(pgid, "hardhat node ignored SIGTERM, killing it");
            signal_group("KILL", pgid);
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if !self.log_dir.as_os_str().is_empty() {
            let _ = fs::remove_dir_all(&self.log_dir);
        }
        tracing::debug!(url = %self.url(), "hardhat node stopped");
    }
}

/// Sends `signal` to every process in group `pgid` (no libc: the `kill` utility does it).
fn signal_group(signal: &str, pgid: u32) {
    let result = Command::new("kill")
        .args([format!("-{signal}"), "--".into(), format!("-{pgid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Err(e) = result {
        tracing::warn!(pgid, signal, error = %e, "could not run `kill`");
    }
}

/// A Hardhat config extending the project's own (`contracts_dir/hardhat.config.js`) with chain id `chain_id`;
/// the project root stays `contracts_dir`, so its paths resolve as before.
fn chain_config(contracts_dir: &Path, chain_id: u64) -> String {
    let dir = contracts_dir.canonicalize().unwrap_or_else(|_| contracts_dir.to_path_buf());
    // JSON string literals are JavaScript string literals.
    let root = Value::String(dir.display().to_string());
    let base = Value::String(dir.join(PROJECT_CONFIG).display().to_string());
    [
        format!("// Generated by automat-hardhat: the project's config, serving chain id {chain_id}."),
        format!("const base = require({base});"),
        format!("const hardhat = {{ ...((base.networks || {{}}).hardhat || {{}}), chainId: {chain_id} }};"),
        "module.exports = {".to_string(),
        "  ...base,".to_string(),
        format!("  paths: {{ ...(base.paths || {{}}), root: {root} }},"),
        "  networks: { ...(base.networks || {}), hardhat },".to_string(),
        "};\n".to_string(),
    ]
    .join("\n")
}

/// The contracts npm project: [`CONTRACTS_DIR_ENV`] if set, else the first `contracts/` holding a
/// `package.json` above this crate (or above the running package's manifest dir).
fn contracts_dir() -> Result<PathBuf, HardhatError> {
    if let Some(dir) = env::var_os(CONTRACTS_DIR_ENV) {
        let dir = PathBuf::from(dir);
        if dir.join("package.json").is_file() {
            return Ok(dir);
        }
        return Err(HardhatError::ContractsDirNotFound(format!(
            "{CONTRACTS_DIR_ENV}={} has no package.json",
            dir.display()
        )));
    }
    let starts =
        [env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from), Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")))];
    for start in starts.into_iter().flatten() {
        if let Some(dir) = start.ancestors().map(|a| a.join("contracts")).find(|c| c.join("package.json").is_file()) {
            return Ok(dir);
        }
    }
    Err(HardhatError::ContractsDirNotFound(format!(
        "no contracts/package.json above {}; set {CONTRACTS_DIR_ENV}",
        env!("CARGO_MANIFEST_DIR")
    )))
}

/// Checks that Node.js runs and Hardhat is installed in `contracts_dir`.
fn check_installed(contracts_dir: &Path) -> Result<(), HardhatError> {
    let output = Command::new("node")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| HardhatError::NodeNotFound(e.to_string()))?;
    if !output.status.success() {
        return Err(HardhatError::NodeNotFound(format!(
            "{}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    tracing::debug!(version = %String::from_utf8_lossy(&output.stdout).trim(), "found Node.js");
    if !contracts_dir.join(HARDHAT_CLI).is_file() {
        return Err(HardhatError::HardhatNotInstalled { dir: contracts_dir.to_path_buf() });
    }
    Ok(())
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, HardhatError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| io("bind 127.0.0.1:0".into(), e))?;
    let port = listener.local_addr().map_err(|e| io("read the bound port".into(), e))?.port();
    Ok(port)
}

/// The end of the log, for error messages.
fn log_tail(path: &Path) -> String {
    let read = || -> std::io::Result<String> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(LOG_TAIL_BYTES)))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    read().unwrap_or_else(|e| format!("(log unreadable: {e})"))
}

fn io(context: String, source: std::io::Error) -> HardhatError {
    HardhatError::Io { context, source }
}
