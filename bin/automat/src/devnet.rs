//! `automat devnet`: the embedded devnet from the command line, persisted in a data directory.

use std::path::PathBuf;

use alloy_primitives::{Address, U256, utils::format_ether};
use automat_chain::{ChainClient, DevnetControl, TxRequest};
use automat_devnet::{Devnet, DevnetConfig};
use clap::{Args, Subcommand};
use eyre::{Result, WrapErr, eyre};

#[derive(Debug, Args)]
pub(crate) struct DevnetArgs {
    /// Directory holding the chains (one redb file each); created if missing.
    #[arg(long, env = "AUTOMAT_DATA_DIR", default_value = ".automat/devnet")]
    data_dir: PathBuf,
    /// Number of chains.
    #[arg(long, default_value_t = 3)]
    chains: u32,
    #[command(subcommand)]
    command: DevnetCommand,
}

#[derive(Debug, Subcommand)]
enum DevnetCommand {
    /// Show each chain's id, height, time and the prefunded accounts' balances.
    Status,
    /// Mine empty blocks on a chain.
    Mine {
        /// Chain id (default: the first chain).
        #[arg(long)]
        chain: Option<u64>,
        /// How many blocks.
        #[arg(default_value_t = 1)]
        blocks: u64,
    },
    /// Send ether from prefunded account `from` to an address.
    Send {
        /// Chain id (default: the first chain).
        #[arg(long)]
        chain: Option<u64>,
        /// Index of the prefunded sender.
        #[arg(long, default_value_t = 0)]
        from: usize,
        /// Recipient.
        to: Address,
        /// Amount in wei.
        wei: U256,
    },
}

pub(crate) async fn run(args: DevnetArgs) -> Result<()> {
    let config = DevnetConfig::with_chains(args.chains).persist_to(&args.data_dir);
    let devnet =
        Devnet::start(config).wrap_err_with(|| format!("opening the devnet in {}", args.data_dir.display()))?;
    let first = devnet.chain_ids()[0];
    match args.command {
        DevnetCommand::Status => {
            for chain_id in devnet.chain_ids() {
                let client = devnet.dev_client(chain_id, 0)?;
                println!(
                    "chain {chain_id}: block {} at {}",
                    client.block_number().await?,
                    client.block_timestamp().await?
                );
                for signer in devnet.signers().iter().take(3) {
                    let balance = client.balance(signer.address()).await?;
                    println!("  {}  {} ETH", signer.address(), format_ether(balance));
                }
            }
        }
        DevnetCommand::Mine { chain, blocks } => {
            let client = devnet.dev_client(chain.unwrap_or(first), 0)?;
            client.mine(blocks).await?;
            println!("chain {}: now at block {}", client.chain_id(), client.block_number().await?);
        }
        DevnetCommand::Send { chain, from, to, wei } => {
            let client = devnet.dev_client(chain.unwrap_or(first), from).map_err(|e| eyre!("sender {from}: {e}"))?;
            let receipt = client.send(TxRequest::transfer(to, wei)).await?;
            println!(
                "sent {wei} wei to {to} in block {} (tx {}, gas {})",
                receipt.block_number, receipt.transaction_hash, receipt.gas_used
            );
        }
    }
    Ok(())
}
