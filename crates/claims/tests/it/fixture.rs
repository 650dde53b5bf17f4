//! A one-chain devnet with the claims world: admin 0, operator 1, buyer 2, keeper 3, underwriter 4, jurors from 5.

use std::sync::Arc;

use alloy_primitives::{Address, B256, U256, keccak256};
use automat_chain::ChainClient;
use automat_claims::{
    Complaint, DevnetClock, DispenseRecord, DisputeKeeper, Evidence, JurorAgent, JurorConfig, KeeperConfig,
    VotingPolicy,
    world::{USD, World, WorldConfig},
};
use automat_contracts::court::AUTO;
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};
use automat_store::BlobStore;

/// What each juror stakes.
pub(crate) const JUROR_STAKE: u128 = 2_000 * AUTO;
/// The price of every insured purchase.
pub(crate) const PRICE: u128 = 2 * USD;

pub(crate) struct Fx {
    pub(crate) world: World,
    pub(crate) admin: EmbeddedClient,
    pub(crate) operator: EmbeddedClient,
    pub(crate) buyer: EmbeddedClient,
    pub(crate) keeper_client: EmbeddedClient,
    pub(crate) jurors: Vec<EmbeddedClient>,
    pub(crate) store: BlobStore,
    pub(crate) dir: tempfile::TempDir,
    nonce: u64,
}

impl Fx {
    /// The world with `jurors` jurors staked.
    pub(crate) async fn new(jurors: usize) -> Self {
        let devnet = Arc::new(
            Devnet::start(DevnetConfig { accounts: 5 + jurors as u32, ..DevnetConfig::with_chains(1) })
                .expect("devnet starts"),
        );
        let chain = devnet.chain_ids()[0];
        let client = |i: usize| devnet.dev_client(chain, i).expect("prefunded account");
        let (admin, operator, buyer, keeper_client, underwriter) =
            (client(0), client(1), client(2), client(3), client(4));
        let world =
            World::deploy(&admin, &operator, &underwriter, &WorldConfig::default()).await.expect("world deploys");
        world.mint(&admin, buyer.sender(), 100 * USD).await.expect("buyer funded");
        world.fund_keeper(&admin, keeper_client.sender(), 100).await.expect("keeper funded");
        let jurors: Vec<_> = (5..5 + jurors).map(client).collect();
        for juror in &jurors {
            world.enlist_juror(&admin, juror, U256::from(JUROR_STAKE)).await.expect("juror stakes");
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let store = BlobStore::open(dir.path().join("store")).expect("store opens");
        Self { world, admin, operator, buyer, keeper_client, jurors, store, dir, nonce: 0 }
    }

    pub(crate) fn clock(&self) -> DevnetClock<EmbeddedClient> {
        DevnetClock(self.admin.clone())
    }

    /// An insured purchase by the buyer, dispensed.
    pub(crate) async fn purchase(&mut self) -> U256 {
        self.nonce += 1;
        self.world.insured_purchase(&self.buyer, &self.operator, PRICE, self.nonce).await.expect("insured purchase")
    }

    /// Files a claim on `order` with `evidence`; returns (claim id, dispute id).
    pub(crate) async fn claim(&self, order: U256, evidence: &Evidence) -> (U256, U256) {
        let insurance = self.world.insurance_as(self.buyer.clone());
        let (filed, cid) = automat_claims::file_claim(&insurance, order, &evidence.to_json_bytes(), &self.store)
            .await
            .expect("claim filed");
        assert!(self.store.contains(&cid).expect("store readable"), "evidence published");
        let on_chain = insurance.claim(filed.claim_id).await.expect("claim");
        assert_eq!(automat_claims::evidence::evidence_cid(on_chain.evidenceDigest), cid, "digest = CID");
        (filed.claim_id, filed.dispute_id)
    }

    pub(crate) fn keeper(&self) -> DisputeKeeper<EmbeddedClient> {
        let config = KeeperConfig::new(keccak256("keeper seed")).in_dir(self.dir.path(), self.keeper_client.sender());
        DisputeKeeper::open(self.world.court_as(self.keeper_client.clone()), config).expect("keeper opens")
    }

    /// Juror `i`'s agent with `policy`, its state under the fixture's directory.
    pub(crate) fn juror(&self, i: usize, policy: Box<dyn VotingPolicy>) -> JurorAgent<EmbeddedClient> {
        let client = self.jurors[i].clone();
        let config = JurorConfig::new(juror_seed(i)).in_dir(self.dir.path(), client.sender()).for_pool(self.world.pool);
        JurorAgent::open(self.world.court_as(client), policy, config).expect("juror opens")
    }

    pub(crate) async fn fee_balance(&self, who: Address) -> U256 {
        self.world.court_as(self.admin.clone()).fee_balance(who).await.expect("balance")
    }
}

pub(crate) fn juror_seed(i: usize) -> B256 {
    keccak256(format!("juror seed {i}"))
}

/// Evidence of goods not received, with the machine's record saying whether it saw a drop.
pub(crate) fn not_received(order: U256, drop_detected: Option<bool>) -> Evidence {
    let evidence = Evidence::new(order, Complaint::GoodsNotReceived, "Paid, nothing came out.");
    match drop_detected {
        Some(drop_detected) => evidence.with_record(DispenseRecord {
            machine_id: 1,
            order_id: order,
            drop_detected,
            fault: None,
            reading: format!("drop detected: {drop_detected}"),
        }),
        None => evidence,
    }
}
