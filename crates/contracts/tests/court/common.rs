//! The court fixture every test starts from, and its helpers.
//!
//! [`CourtFixture::new`] starts a one-chain devnet with [`ACCOUNTS`] prefunded accounts, deploys a
//! `PaymentToken` (the fee token), the court trio with `deploy_court` (admin = account 0, treasury = account
//! [`TREASURY`]) and a `TestArbitrable` funded with payment tokens for its disputes. Jurors are accounts
//! [`FIRST_JUROR`].. ; beacon contributors are accounts [`CONTRIBUTOR`] and [`CONTRIBUTOR`] + 1; appeal funders
//! are accounts [`FUNDER_A`] and [`FUNDER_B`].

use std::{collections::HashMap, sync::Arc};

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::{SolConstructor, sol};
use automat_chain::{ChainClient, ChainClientExt, ChainError, DevnetControl};
use automat_contracts::{
    court::{AUTO, Court, CourtAddresses, CourtConfig, CourtError, Period, deploy_court},
    vending::PaymentToken,
};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};

use crate::vending_common::AsChainError;

sol!(
    #[derive(Debug, PartialEq, Eq)]
    #[allow(missing_docs)]
    TestArbitrable,
    "../../contracts/out/testing/TestArbitrable.sol/TestArbitrable.json"
);

/// Prefunded accounts.
pub(crate) const ACCOUNTS: u32 = 20;
/// Treasury account index.
pub(crate) const TREASURY: usize = 1;
/// First beacon contributor's account index.
pub(crate) const CONTRIBUTOR: usize = 2;
/// First appeal funder's account index.
pub(crate) const FUNDER_A: usize = 4;
/// Second appeal funder's account index.
pub(crate) const FUNDER_B: usize = 5;
/// First juror's account index.
pub(crate) const FIRST_JUROR: usize = 6;
/// Jurors available (accounts 6..20).
pub(crate) const MAX_JURORS: usize = 14;

/// One payment-token unit (6 decimals).
pub(crate) const USD: u128 = 1_000_000;
/// Fee per juror vote of the fixture.
pub(crate) const FEE_PER_JUROR: u128 = 5 * USD;
/// Minimum stake of the fixture.
pub(crate) const MIN_STAKE: u128 = 1_000 * AUTO;
/// Period length of the fixture (each of evidence, commit, reveal, appeal).
pub(crate) const PERIOD: u64 = 3_600;
/// Beacon bond.
pub(crate) const BOND: u128 = AUTO;

/// `1` or `2`: the options of the fixture's disputes.
pub(crate) const YES: u64 = 1;
/// The other option.
pub(crate) const NO: u64 = 2;

/// A court on a fresh devnet.
pub(crate) struct CourtFixture {
    pub(crate) devnet: Arc<Devnet>,
    pub(crate) chain_id: u64,
    pub(crate) admin: EmbeddedClient,
    pub(crate) addresses: CourtAddresses,
    pub(crate) arbitrable: Address,
    pub(crate) treasury: Address,
}

impl AsChainError for CourtError {
    fn chain_error(&self) -> &ChainError {
        match self {
            CourtError::Chain(e) => e,
            other => panic!("expected a chain error, got {other}"),
        }
    }
}

impl CourtFixture {
    /// The fixture with the default configuration.
    pub(crate) async fn new() -> Self {
        Self::with(|_| {}).await
    }

    /// The fixture after `tweak` adjusted the configuration.
    pub(crate) async fn with(tweak: impl FnOnce(&mut CourtConfig)) -> Self {
        let devnet =
            Devnet::start(DevnetConfig { accounts: ACCOUNTS, ..DevnetConfig::with_chains(1) }).expect("devnet starts");
        let chain_id = devnet.chain_ids()[0];
        let devnet = Arc::new(devnet);
        let admin = devnet.dev_client(chain_id, 0).expect("account 0");
        let fee_token = admin
            .deploy(
                [
                    PaymentToken::BYTECODE.to_vec(),
                    PaymentToken::constructorCall {
                        name_: "automat USD".into(),
                        symbol_: "aUSD".into(),
                        admin: admin.sender(),
                    }
                    .abi_encode(),
                ]
                .concat()
                .into(),
            )
            .await
            .expect("payment token deploys")
            .address;
        let treasury = devnet.dev_client(chain_id, TREASURY).expect("treasury").sender();
        let mut config = CourtConfig::new(admin.sender(), fee_token);
        config.treasury = treasury;
        tweak(&mut config);
        let addresses = deploy_court(&admin, &config).await.expect("court deploys");
        let arbitrable = admin
            .deploy(
                [
                    TestArbitrable::BYTECODE.to_vec(),
                    TestArbitrable::constructorCall { arbitrator_: addresses.court }.abi_encode(),
                ]
                .concat()
                .into(),
            )
            .await
            .expect("arbitrable deploys")
            .address;
        admin
            .revert_decoder()
            .register_abi(&automat_contracts::artifacts::get("TestArbitrable").expect("artifact").abi);
        let fixture = Self { devnet, chain_id, admin, addresses, arbitrable, treasury };
        fixture.mint_fee(arbitrable, 1_000 * USD).await;
        fixture
    }

    /// A client signing with prefunded account `index`.
    pub(crate) fn client(&self, index: usize) -> EmbeddedClient {
        self.devnet.dev_client(self.chain_id, index).expect("prefunded account")
    }

    /// Juror `i` (account [`FIRST_JUROR`] + i).
    pub(crate) fn juror(&self, i: usize) -> EmbeddedClient {
        assert!(i < MAX_JURORS, "only {MAX_JURORS} jurors");
        self.client(FIRST_JUROR + i)
    }

    /// The typed handle acting as `client`.
    pub(crate) fn court(&self, client: &EmbeddedClient) -> Court<EmbeddedClient> {
        Court::new(client.clone(), self.addresses)
    }

    /// The handle acting as the admin.
    pub(crate) fn admin_court(&self) -> Court<EmbeddedClient> {
        self.court(&self.admin)
    }

    // ------------------------------------------------------------------ chain

    /// Timestamp of the latest block.
    pub(crate) async fn now(&self) -> u64 {
        self.admin.block_timestamp().await.expect("timestamp")
    }

    /// Mines a block at `timestamp` if the chain is not there yet.
    pub(crate) async fn reach(&self, timestamp: u64) {
        if self.now().await < timestamp {
            self.admin.set_next_block_timestamp(timestamp).await.expect("set timestamp");
            self.admin.mine(1).await.expect("mine");
        }
    }

    // ------------------------------------------------------------------ tokens

    /// Mints `amount` payment tokens to `to`.
    pub(crate) async fn mint_fee(&self, to: Address, amount: u128) {
        self.admin
            .send_sol(self.addresses.fee_token, &PaymentToken::mintCall { to, amount: U256::from(amount) })
            .await
            .expect("mint payment tokens");
    }

    /// Mints `amount` network tokens to `to`.
    pub(crate) async fn mint_auto(&self, to: Address, amount: u128) {
        self.admin_court().mint_network_token(to, U256::from(amount)).await.expect("mint AUTO");
    }

    /// Network-token balance of `who`.
    pub(crate) async fn auto_balance(&self, who: Address) -> U256 {
        self.admin_court().network_balance(who).await.expect("balance")
    }

    /// Payment-token balance of `who`.
    pub(crate) async fn fee_balance(&self, who: Address) -> U256 {
        self.admin_court().fee_balance(who).await.expect("balance")
    }

    /// Mints `amount` AUTO to juror `i` and stakes it.
    pub(crate) async fn stake(&self, i: usize, amount: u128) {
        let juror = self.juror(i);
        self.mint_auto(juror.sender(), amount).await;
        self.court(&juror).stake(U256::from(amount)).await.expect("juror stakes");
    }

    // ------------------------------------------------------------------ disputes

    /// The arbitrable creates a dispute between [`YES`] and [`NO`]; returns its id.
    pub(crate) async fn create_dispute(&self) -> U256 {
        let receipt = self
            .admin
            .send_sol(self.arbitrable, &TestArbitrable::createDisputeCall { choices: U256::from(2) })
            .await
            .expect("dispute created");
        let created = receipt.events::<automat_contracts::court::CourtContract::DisputeCreation>();
        assert_eq!(created.len(), 1, "one DisputeCreation");
        created[0].disputeId
    }

    /// Makes beacon round `round` produce randomness: contributor(s) commit and reveal, then time passes the
    /// reveal window. Two contributors reveal in separate blocks so the block hash is mixed in.
    pub(crate) async fn fulfil_beacon(&self, round: u64) {
        let court = self.admin_court();
        let (start, commit_end, reveal_end) = court.beacon_windows(round).await.expect("windows");
        self.reach(start).await;
        let mut secrets = Vec::new();
        for k in 0..2 {
            let contributor = self.client(CONTRIBUTOR + k);
            self.mint_auto(contributor.sender(), BOND).await;
            let secret = keccak256(format!("beacon {round} contributor {k}"));
            self.court(&contributor).beacon_commit(round, secret).await.expect("beacon commit");
            secrets.push((contributor, secret));
        }
        self.reach(commit_end).await;
        for (contributor, secret) in &secrets {
            self.court(contributor).beacon_reveal(round, *secret).await.expect("beacon reveal");
        }
        self.reach(reveal_end).await;
    }

    /// Fulfils the beacon round of the current round of `dispute` and draws until every vote is drawn; returns
    /// the drawn jurors (once per vote).
    pub(crate) async fn draw_all(&self, dispute: U256) -> Vec<Address> {
        let court = self.admin_court();
        let info = court.dispute(dispute).await.expect("dispute");
        let round = court.round(dispute, info.current_round()).await.expect("round");
        self.fulfil_beacon(round.beacon_round).await;
        let mut drawn = Vec::new();
        for _ in 0..50 {
            let r = court.round(dispute, info.current_round()).await.expect("round");
            if r.drawn == r.votes {
                return drawn;
            }
            drawn.extend(court.draw(dispute, 64).await.expect("draw").drawn);
        }
        panic!("draw did not complete");
    }

    /// Passes the evidence period (after the draw).
    pub(crate) async fn to_commit(&self, dispute: U256) {
        let court = self.admin_court();
        let info = court.dispute(dispute).await.expect("dispute");
        self.reach(info.last_period_change + PERIOD).await;
        court.pass_period(dispute).await.expect("evidence → commit");
    }

    /// Every juror of `votes` commits its choice (salt derived from its address), the period passes, they
    /// reveal, the period passes: the dispute is in the appeal period.
    pub(crate) async fn vote_round(&self, dispute: U256, votes: &HashMap<Address, Option<u64>>) {
        let court = self.admin_court();
        let round = court.dispute(dispute).await.expect("dispute").current_round();
        for (juror, choice) in votes {
            if let Some(choice) = choice {
                self.court(&self.client_of(*juror))
                    .commit_vote(dispute, round, *choice, salt(*juror))
                    .await
                    .expect("commit");
            }
        }
        let info = court.dispute(dispute).await.expect("dispute");
        if court.dispute(dispute).await.expect("dispute").period == Some(Period::Commit) {
            self.reach(info.last_period_change + PERIOD).await;
            court.pass_period(dispute).await.expect("commit → reveal");
        }
        for (juror, choice) in votes {
            if let Some(choice) = choice {
                self.court(&self.client_of(*juror)).reveal_vote(dispute, *choice, salt(*juror)).await.expect("reveal");
            }
        }
        let info = court.dispute(dispute).await.expect("dispute");
        self.reach(info.last_period_change + PERIOD).await;
        court.pass_period(dispute).await.expect("reveal → appeal");
    }

    /// Passes the appeal period.
    pub(crate) async fn end_appeal(&self, dispute: U256) {
        let court = self.admin_court();
        let info = court.dispute(dispute).await.expect("dispute");
        self.reach(info.last_period_change + PERIOD).await;
        court.pass_period(dispute).await.expect("appeal → next");
    }

    /// The client of juror address `who`.
    pub(crate) fn client_of(&self, who: Address) -> EmbeddedClient {
        let index = self.devnet.signers().iter().position(|s| s.address() == who).expect("a prefunded account");
        self.client(index)
    }

    /// `TestArbitrable.rulingOf` and `ruleCalls` for `dispute`.
    pub(crate) async fn arbitrable_ruling(&self, dispute: U256) -> (U256, U256) {
        let ruling = self
            .admin
            .call_sol(self.arbitrable, &TestArbitrable::rulingOfCall { disputeId: dispute })
            .await
            .expect("rulingOf");
        let calls = self
            .admin
            .call_sol(self.arbitrable, &TestArbitrable::ruleCallsCall { disputeId: dispute })
            .await
            .expect("ruleCalls");
        (ruling, calls)
    }
}

/// The salt a juror uses in tests.
pub(crate) fn salt(juror: Address) -> B256 {
    keccak256(juror.as_slice())
}

/// `n` AUTO as a `U256`.
pub(crate) fn auto(n: u128) -> U256 {
    U256::from(n * AUTO)
}

/// Every drawn juror (deduplicated) voting `choice`.
pub(crate) fn all_vote(drawn: &[Address], choice: u64) -> HashMap<Address, Option<u64>> {
    drawn.iter().map(|j| (*j, Some(choice))).collect()
}
