//! One node: its key, its ledger, and how it behaves.

use alloy_primitives::{Address, B256, I256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use automat_contracts::oracle::{Observation, SignedObservation, sign_observation};

use crate::{Ledger, NodeError, Result};

/// How a node behaves. Only [`Behaviour::Honest`] belongs on a real network; the others exist so the simulator
/// and the tests can show what the aggregator does about them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Signs the value its models compute.
    Honest,
    /// Signs its value moved by `bps` basis points (a manipulator).
    Skew {
        /// The skew, in basis points (negative lowers).
        bps: i64,
    },
    /// Signs its honest value for some peers and a value moved by `bps` for others (two values for one round).
    Equivocate {
        /// The skew of the second value, in basis points.
        bps: i64,
    },
}

/// An oracle node: signs at most one value per feed and round (per its ledger), except an equivocator.
#[derive(Debug)]
pub struct OracleNode {
    key: PrivateKeySigner,
    ledger: Ledger,
    behaviour: Behaviour,
}

impl OracleNode {
    /// A node signing with `key`, remembering what it signed in `ledger`.
    pub fn new(key: PrivateKeySigner, ledger: Ledger, behaviour: Behaviour) -> Self {
        Self { key, ledger, behaviour }
    }

    /// The node's signer address (registered on the aggregator).
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// The highest round of `feed` this node has signed.
    pub fn last_signed_round(&self, feed: B256) -> Result<Option<u64>> {
        self.ledger.last_round(feed)
    }

    /// How it behaves.
    pub fn behaviour(&self) -> Behaviour {
        self.behaviour
    }

    /// The node's observation for `round` of `feed`, shown to peer number `peer`: signs `value` (the models'
    /// value, moved if the node lies) observed at `observed_at` under `domain`, unless it already signed for
    /// this round, in which case the standing observation is returned. An equivocator shows odd peers a second,
    /// different value (never recorded).
    pub fn observe(
        &self,
        domain: &Eip712Domain,
        feed: B256,
        round: u64,
        value: I256,
        observed_at: u64,
        peer: usize,
    ) -> Result<SignedObservation> {
        if let Behaviour::Equivocate { bps } = self.behaviour
            && peer % 2 == 1
        {
            return self.sign(domain, feed, round, skew(value, bps)?, observed_at);
        }
        if let Some(standing) = self.ledger.get(feed, round)? {
            return Ok(standing);
        }
        let value = match self.behaviour {
            Behaviour::Skew { bps } => skew(value, bps)?,
            Behaviour::Honest | Behaviour::Equivocate { .. } => value,
        };
        let signed = self.sign(domain, feed, round, value, observed_at)?;
        self.ledger.record(feed, round, &signed)
    }

    fn sign(
        &self,
        domain: &Eip712Domain,
        feed: B256,
        round: u64,
        value: I256,
        observed_at: u64,
    ) -> Result<SignedObservation> {
        let observation = Observation { feedId: feed, round, value, observedAt: observed_at };
        sign_observation(&self.key, domain, &observation).map_err(|e| NodeError::Signing(e.to_string()))
    }
}

/// `value` moved by `bps` basis points.
pub(crate) fn skew(value: I256, bps: i64) -> Result<I256> {
    let factor = I256::try_from(10_000 + bps).map_err(|e| NodeError::Model(e.to_string()))?;
    Ok(value * factor / I256::from_raw(alloy_primitives::U256::from(10_000u64)))
}
