//! How a juror decides: [`VotingPolicy`] sees the [`Case`] (the dispute, and for an insurance claim the claim
//! and its evidence CID) and returns a choice. Insurance claims have two options: [`PAY`] (1) and [`REJECT`]
//! (2); 0 is "refuse to arbitrate".
//!
//! | policy | votes |
//! |---|---|
//! | [`Honest`] | [`honest_ruling`] of the evidence it reads by CID from its store |
//! | [`Dishonest`] | the opposite of [`Honest`] (pay ↔ reject) |
//! | [`RandomVote`] | uniformly among the options 1..=choices, from a seeded RNG |
//! | [`FixedVote`] | always the same choice |

use std::str::FromStr;

use alloy_primitives::{Address, U256};
use automat_contracts::insurance::{RULING_PAY, RULING_REJECT};
use automat_store::{BlobStore, Cid};
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::{
    ClaimsError,
    evidence::{Complaint, Evidence},
};

/// Ruling that pays a claim.
pub const PAY: u64 = RULING_PAY;
/// Ruling that rejects a claim.
pub const REJECT: u64 = RULING_REJECT;
/// Refusing to arbitrate (what a juror with nothing to judge on votes).
pub const REFUSE: u64 = 0;

/// An insurance claim as a juror sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimCase {
    /// The pool that filed the dispute.
    pub pool: Address,
    /// The claim.
    pub claim_id: U256,
    /// Its order.
    pub order_id: U256,
    /// The amount claimed.
    pub amount: u128,
    /// The CID of its evidence (from the digest on chain).
    pub evidence: Cid,
}

/// What a juror is asked to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The dispute.
    pub dispute_id: U256,
    /// The round voted in.
    pub round: u64,
    /// Its number of options (choices run 1..=choices; 0 refuses).
    pub choices: u64,
    /// The contract that created it.
    pub arbitrable: Address,
    /// The insurance claim behind it, when the arbitrable is a pool.
    pub claim: Option<ClaimCase>,
}

/// A juror's way of voting.
pub trait VotingPolicy: Send {
    /// A short name for logs and reports.
    fn name(&self) -> String;

    /// The choice to commit to in `case`.
    fn choose(&mut self, case: &Case) -> u64;
}

impl<P: VotingPolicy + ?Sized> VotingPolicy for Box<P> {
    fn name(&self) -> String {
        (**self).name()
    }

    fn choose(&mut self, case: &Case) -> u64 {
        (**self).choose(case)
    }
}

/// The honest ruling on a claim on `order_id` with `evidence` (`None`: the juror could not get or read it).
///
/// The claimant carries the burden of proof, and only the machine's own record counts as proof (the buyer's
/// statement alone does not):
///
/// - pay a `GoodsNotReceived` claim when the dispense record is for this order and its drop sensor saw
///   nothing fall (`drop_detected: false`);
/// - pay a `Defective` claim when the dispense record is for this order and the machine recorded a fault;
/// - reject everything else: no evidence, evidence about another order, no dispense record, a record of
///   another order, a record that contradicts the complaint.
pub fn honest_ruling(order_id: U256, evidence: Option<&Evidence>) -> u64 {
    let Some(evidence) = evidence else { return REJECT };
    if evidence.order_id != order_id {
        return REJECT;
    }
    let Some(record) = evidence.dispense_record.as_ref().filter(|r| r.order_id == order_id) else { return REJECT };
    let upheld = match evidence.complaint {
        Complaint::GoodsNotReceived => !record.drop_detected,
        Complaint::Defective => record.fault.as_deref().is_some_and(|f| !f.trim().is_empty()),
    };
    if upheld { PAY } else { REJECT }
}

/// Rules on the facts: reads the claim's evidence by CID from its store and applies [`honest_ruling`]; refuses
/// (0) a dispute that is not an insurance claim.
#[derive(Debug, Clone)]
pub struct Honest {
    store: BlobStore,
}

impl Honest {
    /// An honest juror reading evidence from `store`.
    pub fn new(store: BlobStore) -> Self {
        Self { store }
    }

    /// The honest choice in `case`.
    pub fn ruling(&self, case: &Case) -> u64 {
        let Some(claim) = &case.claim else { return REFUSE };
        let evidence = match self.store.get(&claim.evidence) {
            Ok(Some(bytes)) => Evidence::from_json_bytes(&bytes).ok(),
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(cid = %claim.evidence, %error, "evidence unreadable; judging without it");
                None
            }
        };
        if evidence.is_none() {
            tracing::info!(dispute = %case.dispute_id, cid = %claim.evidence, "no usable evidence in the store");
        }
        honest_ruling(claim.order_id, evidence.as_ref())
    }
}

impl VotingPolicy for Honest {
    fn name(&self) -> String {
        "honest".into()
    }

    fn choose(&mut self, case: &Case) -> u64 {
        self.ruling(case)
    }
}

/// Always the opposite of [`Honest`]: pays what an honest juror rejects and the other way round (and pays a
/// case an honest juror refuses).
#[derive(Debug, Clone)]
pub struct Dishonest(pub Honest);

impl VotingPolicy for Dishonest {
    fn name(&self) -> String {
        "dishonest".into()
    }

    fn choose(&mut self, case: &Case) -> u64 {
        match self.0.ruling(case) {
            PAY => REJECT,
            _ => PAY,
        }
    }
}

/// A uniformly random option (1..=choices) from an RNG seeded with a fixed seed, so runs replay.
#[derive(Debug, Clone)]
pub struct RandomVote {
    seed: u64,
    rng: StdRng,
}

impl RandomVote {
    /// A random voter seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self { seed, rng: StdRng::seed_from_u64(seed) }
    }
}

impl VotingPolicy for RandomVote {
    fn name(&self) -> String {
        format!("random(seed {})", self.seed)
    }

    fn choose(&mut self, case: &Case) -> u64 {
        if case.choices == 0 {
            return REFUSE;
        }
        self.rng.random_range(1..=case.choices)
    }
}

/// Always `choice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedVote(pub u64);

impl VotingPolicy for FixedVote {
    fn name(&self) -> String {
        format!("fixed({})", self.0)
    }

    fn choose(&mut self, _case: &Case) -> u64 {
        self.0
    }
}

/// A policy as the command line names it: `honest`, `dishonest`, `random` or `fixed:<choice>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySpec {
    /// [`Honest`].
    Honest,
    /// [`Dishonest`].
    Dishonest,
    /// [`RandomVote`].
    Random,
    /// [`FixedVote`].
    Fixed(u64),
}

impl FromStr for PolicySpec {
    type Err = ClaimsError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_ascii_lowercase();
        match lower.as_str() {
            "honest" => Ok(Self::Honest),
            "dishonest" => Ok(Self::Dishonest),
            "random" => Ok(Self::Random),
            other => other
                .strip_prefix("fixed:")
                .and_then(|n| n.trim().parse().ok())
                .map(Self::Fixed)
                .ok_or_else(|| ClaimsError::UnknownPolicy(text.to_owned())),
        }
    }
}

impl PolicySpec {
    /// The policy: honest and dishonest read evidence from `store`, random draws from `seed`.
    pub fn build(self, store: BlobStore, seed: u64) -> Box<dyn VotingPolicy> {
        match self {
            Self::Honest => Box::new(Honest::new(store)),
            Self::Dishonest => Box::new(Dishonest(Honest::new(store))),
            Self::Random => Box::new(RandomVote::new(seed)),
            Self::Fixed(choice) => Box::new(FixedVote(choice)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::DispenseRecord;

    fn record(order: u64, drop_detected: bool, fault: Option<&str>) -> DispenseRecord {
        DispenseRecord {
            machine_id: 1,
            order_id: U256::from(order),
            drop_detected,
            fault: fault.map(str::to_owned),
            reading: format!("drop detected: {drop_detected}"),
        }
    }

    #[test]
    fn the_honest_rule() {
        let order = U256::from(7);
        let gnr = Evidence::new(order, Complaint::GoodsNotReceived, "nothing");
        let defective = Evidence::new(order, Complaint::Defective, "spoiled");
        assert_eq!(honest_ruling(order, None), REJECT);
        assert_eq!(honest_ruling(order, Some(&gnr)), REJECT, "no machine record");
        assert_eq!(honest_ruling(order, Some(&gnr.clone().with_record(record(7, false, None)))), PAY);
        assert_eq!(honest_ruling(order, Some(&gnr.clone().with_record(record(7, true, None)))), REJECT);
        assert_eq!(honest_ruling(order, Some(&gnr.clone().with_record(record(8, false, None)))), REJECT);
        assert_eq!(honest_ruling(U256::from(8), Some(&gnr.with_record(record(7, false, None)))), REJECT);
        assert_eq!(honest_ruling(order, Some(&defective.clone().with_record(record(7, true, Some("temp 14C"))))), PAY);
        assert_eq!(honest_ruling(order, Some(&defective.with_record(record(7, true, None)))), REJECT);
    }

    #[test]
    fn specs_parse() {
        assert_eq!("honest".parse::<PolicySpec>().ok(), Some(PolicySpec::Honest));
        assert_eq!("Dishonest".parse::<PolicySpec>().ok(), Some(PolicySpec::Dishonest));
        assert_eq!("random".parse::<PolicySpec>().ok(), Some(PolicySpec::Random));
        assert_eq!("fixed:2".parse::<PolicySpec>().ok(), Some(PolicySpec::Fixed(2)));
        assert!("fixed:x".parse::<PolicySpec>().is_err());
        assert!("lazy".parse::<PolicySpec>().is_err());
    }

    #[test]
    fn random_votes_replay_and_stay_in_range() {
        let case = Case { dispute_id: U256::from(1), round: 0, choices: 2, arbitrable: Address::ZERO, claim: None };
        let votes = |seed| {
            let mut p = RandomVote::new(seed);
            (0..64).map(|_| p.choose(&case)).collect::<Vec<_>>()
        };
        assert_eq!(votes(3), votes(3));
        assert!(votes(3).iter().all(|c| (1..=2).contains(c)));
        assert!(votes(3).contains(&1) && votes(3).contains(&2));
    }
}
