//! The chain-client integration suite lives in `tests/it/`: the same scenarios run against the embedded
//! devnet and against a Hardhat node started on loopback. This library is intentionally empty.
