//! One suite, every backend: each scenario in [`scenarios`] runs on the embedded devnet and on a Hardhat
//! node (an EVM we did not write), through nothing but the `ChainClient`/`DevnetControl` interface.

mod embedded;
mod hardhat;
mod scenarios;
