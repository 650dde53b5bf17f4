//! LayerZero v2 on local networks: deployment from the artifacts LayerZero publishes on npm, pathway wiring
//! with an X-of-Y-of-N DVN set, and the two off-chain roles a pathway needs.
//!
//! ```text
//!  chain A                                   chain B
//!  OApp.send ─► EndpointV2 ─► SendUln302      ReceiveUln302 ◄─ DVN.execute(verify)   ◄── DvnWorker (×N)
//!                   │ PacketSent                   │ verifiable? ─► commitVerification ◄── ExecutorWorker
//!                   └──────────── followed ────────┘ EndpointV2.lzReceive ◄─ Executor.execute302
//! ```
//!
//! - [`deploy_chain`] deploys one chain (endpoint, libraries, price feed, treasury, executor, N DVNs with
//!   their own signer sets); [`wire`] wires every ordered pair of chains; [`check_quorum`] /
//!   [`check_chain`] re-check the invariant that every pathway needs at least two required DVNs (and two
//!   verifications in all), whatever an admin changed since.
//! - [`DvnWorker`] plays one DVN operator on every chain; [`ExecutorWorker`] commits and delivers. Both run
//!   over any [`automat_chain::ChainClient`] (embedded devnet or JSON-RPC), persist their progress in a
//!   [`crate::Progress`], and check the destination chain's state before every submission, so a restart
//!   never verifies or delivers twice and never skips a packet.
//! - [`bindings`]: the `sol!` interfaces used, checked against the published ABIs.

pub mod bindings;
mod deploy;
mod dvn;
mod executor;
mod packet;
mod worker;

pub use bindings::{ExecuteParam, ExecutionParams, Origin, UlnConfig};
pub use deploy::{
    ARTIFACTS, CONFIG_TYPE_EXECUTOR, CONFIG_TYPE_ULN, DvnSpec, EID_V2_BASE, LzChain, LzChainConfig, LzDvn,
    PathwayConfig, PathwaySecurity, Pricing, WireReport, admin_role, check_chain, check_quorum, check_uln_config,
    deploy_chain, dev_dvn_keys, eid_key, local_eid, register_errors, set_default_uln_config, wire,
};
pub use dvn::{
    DvnWorker, STEP_VERIFY, expect_payload_verified, instruction_hash, sign_hash, sign_instruction, signed_instruction,
    submit_execute, verify_call_data,
};
pub use executor::{
    EXECUTE_OVERHEAD_GAS, ExecutorWorker, STEP_COMMIT, STEP_EXECUTE, commit_verification, execute, execution_params,
    expect_delivered,
};
pub use packet::{HEADER_LEN, LzReceiveOption, PACKET_VERSION, Packet, address_to_bytes32};
pub use worker::{PacketFailure, PacketRecord, PacketStatus, Submission, Summary, TickReport};
