//! The buyer's shielded wallet: its notes (with the secrets that spend them), a mirror of the pool's Merkle tree
//! rebuilt from the pool's `LeafInserted` logs, deposits, and paying a Storefront order from a note.
//!
//! A private payment: the buyer picks a fresh buyer address (it receives the receipt and any refund and has
//! never been seen with the depositor), asks the chain for the order's binding and the spend's context (which
//! hash the chain id, pool, order, relayer and fee), proves locally that one of its notes is in the tree,
//! and hands proof and order to a relayer, who submits it and takes the fee. The change goes back into the pool
//! as a new note the wallet keeps. A rejected spend (A7) leaves the note unspent.

use std::fmt;
use std::path::Path;

use alloy_primitives::{Address, B256, Bytes, U256};
use ark_ff::UniformRand;
use automat_chain::ChainClient;
use automat_contracts::privacy::{Privacy, PrivateOrder, Spend};
use automat_contracts::vending::Quote;
use automat_zk::merkle::MerkleTree;
use automat_zk::rand::{CryptoRng, RngCore};
use automat_zk::spend::{Note, SPEND_DEPTH, SpendCircuit, SpendProver, SpendRequest};
use automat_zk::{Fr, poseidon};
use serde::{Deserialize, Serialize};

use crate::{
    PROOF_FAILURES, PrivacyError, Result, file_error, fr_to_u256, proof_to_sol, revert_name, revert_reason, u256_to_fr,
    write_file_atomically,
};

/// A note of the wallet's and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnedNote {
    /// The note and its secrets.
    pub note: Note,
    /// Its leaf index, once the pool inserted it.
    pub index: Option<u64>,
    /// Whether it was spent.
    pub spent: bool,
}

/// Where a private payment is in its work (for progress display).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayStage {
    /// Reading the pool's tree from the chain.
    Syncing,
    /// Building the disclosure proof the machine asks for.
    ProvingDisclosure,
    /// Building the spend proof.
    ProvingSpend,
    /// The relayer is submitting the transaction.
    Submitting,
}

/// One order to pay privately.
#[derive(Debug, Clone)]
pub struct PrivatePurchase {
    /// The machine's quote.
    pub quote: Quote,
    /// Its signature.
    pub quote_signature: Bytes,
    /// The order's deadline.
    pub deadline: u64,
    /// The fresh buyer address (receipt, refund).
    pub buyer: Address,
    /// The order's disclosure (empty when none is needed).
    pub disclosure: Bytes,
}

/// A fresh buyer address the wallet generated for a private payment, with its private key: the key collects the
/// order's receipt and any refund, so it is kept in the wallet file.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreshBuyer {
    /// The address.
    pub address: Address,
    /// Its secp256k1 private key.
    pub private_key: B256,
    /// The order placed for it, once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<U256>,
}

impl fmt::Debug for FreshBuyer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FreshBuyer")
            .field("address", &self.address)
            .field("private_key", &"<redacted>")
            .field("order_id", &self.order_id)
            .finish()
    }
}

/// The buyer's notes, its fresh buyer addresses and its mirror of the pool's tree.
#[derive(Debug, Clone)]
pub struct ShieldedWallet {
    notes: Vec<OwnedNote>,
    fresh_buyers: Vec<FreshBuyer>,
    tree: MerkleTree,
    pool: Option<PoolId>,
}

/// The pool a wallet's notes live in: a chain and a `ShieldedPool` address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolId {
    /// The chain id.
    pub chain_id: u64,
    /// The pool contract.
    pub pool: Address,
}

/// A note as the wallet file keeps it (field elements as decimal strings).
#[derive(Serialize, Deserialize)]
struct NoteRecord {
    amount: String,
    #[serde(with = "crate::decimal")]
    nullifier: Fr,
    #[serde(with = "crate::decimal")]
    secret: Fr,
    index: Option<u64>,
    spent: bool,
}

/// The wallet file: notes and fresh buyers; the tree mirror is rebuilt from the chain on the next sync.
#[derive(Serialize, Deserialize)]
struct WalletFile {
    version: u32,
    notes: Vec<NoteRecord>,
    #[serde(default)]
    fresh_buyers: Vec<FreshBuyer>,
    #[serde(default)]
    pool: Option<PoolId>,
}

const WALLET_VERSION: u32 = 1;

impl ShieldedWallet {
    /// An empty wallet.
    pub fn new() -> Result<Self> {
        Ok(Self { notes: Vec::new(), fresh_buyers: Vec::new(), tree: MerkleTree::new(SPEND_DEPTH)?, pool: None })
    }

    /// Writes the notes (with their secrets) and the fresh buyers' keys to `path`, atomically and readable by
    /// the owner only (mode 0600 on unix). The tree mirror is not stored: [`sync`](Self::sync) rebuilds it.
    pub fn save(&self, path: &Path) -> Result<()> {
        let file = WalletFile {
            version: WALLET_VERSION,
            notes: self
                .notes
                .iter()
                .map(|n| NoteRecord {
                    amount: n.note.amount.to_string(),
                    nullifier: n.note.nullifier,
                    secret: n.note.secret,
                    index: n.index,
                    spent: n.spent,
                })
                .collect(),
            fresh_buyers: self.fresh_buyers.clone(),
            pool: self.pool,
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| file_error(path, e))?;
        write_file_atomically(path, &bytes, true)
    }

    /// Reads a wallet written by [`save`](Self::save); its tree mirror starts empty until the next sync.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| file_error(path, e))?;
        let file: WalletFile = serde_json::from_slice(&bytes).map_err(|e| file_error(path, e))?;
        if file.version != WALLET_VERSION {
            return Err(file_error(path, format!("wallet file version {} (expected {WALLET_VERSION})", file.version)));
        }
        let mut notes = Vec::with_capacity(file.notes.len());
        for record in file.notes {
            let amount = record
                .amount
                .parse()
                .map_err(|_| file_error(path, format!("note amount {:?} is not an integer", record.amount)))?;
            let note = Note { amount, nullifier: record.nullifier, secret: record.secret };
            notes.push(OwnedNote { note, index: record.index, spent: record.spent });
        }
        Ok(Self { notes, fresh_buyers: file.fresh_buyers, tree: MerkleTree::new(SPEND_DEPTH)?, pool: file.pool })
    }

    /// The pool this wallet's notes live in (set by its first deposit or sync).
    pub fn pool(&self) -> Option<PoolId> {
        self.pool
    }

    /// Ties the wallet to `privacy`'s pool on first use; refuses another pool afterwards (its notes and tree
    /// belong to the first).
    fn bind_pool<C: ChainClient>(&mut self, privacy: &Privacy<C>) -> Result<()> {
        let given = PoolId { chain_id: privacy.suite().chain_id, pool: privacy.addresses().pool };
        match self.pool {
            None => {
                self.pool = Some(given);
                Ok(())
            }
            Some(own) if own == given => Ok(()),
            Some(own) => Err(PrivacyError::TreeMismatch(format!(
                "this wallet's notes are in pool {} on chain {}, not pool {} on chain {}",
                own.pool, own.chain_id, given.pool, given.chain_id
            ))),
        }
    }

    /// The fresh buyer addresses generated for payments, with their keys.
    pub fn fresh_buyers(&self) -> &[FreshBuyer] {
        &self.fresh_buyers
    }

    /// Remembers a fresh buyer address and its key (before paying, so a saved wallet never loses it).
    pub fn add_fresh_buyer(&mut self, address: Address, private_key: B256) {
        self.fresh_buyers.push(FreshBuyer { address, private_key, order_id: None });
    }

    /// Records the order paid for the fresh buyer `address`.
    pub fn record_order(&mut self, address: Address, order_id: U256) {
        if let Some(buyer) = self.fresh_buyers.iter_mut().rev().find(|b| b.address == address) {
            buyer.order_id = Some(order_id);
        }
    }

    /// The wallet's notes.
    pub fn notes(&self) -> &[OwnedNote] {
        &self.notes
    }

    /// Sum of the unspent notes.
    pub fn balance(&self) -> u128 {
        self.notes.iter().filter(|n| !n.spent).map(|n| n.note.amount).sum()
    }

    /// Brings the tree mirror up to the pool's: appends every leaf not seen yet (from the pool's logs) and checks
    /// the resulting root is the pool's current root.
    pub async fn sync<C: ChainClient>(&mut self, privacy: &Privacy<C>) -> Result<()> {
        self.bind_pool(privacy)?;
        let leaves = privacy.leaves(0).await?;
        for leaf in leaves.iter().skip(usize::try_from(self.tree.len()).unwrap_or(usize::MAX)) {
            if u64::from(leaf.index) != self.tree.len() {
                return Err(PrivacyError::TreeMismatch(format!(
                    "leaf {} arrived while the mirror holds {}",
                    leaf.index,
                    self.tree.len()
                )));
            }
            let commitment = u256_to_fr(leaf.commitment)
                .ok_or_else(|| PrivacyError::TreeMismatch(format!("leaf {} is not a field element", leaf.index)))?;
            self.tree.insert(commitment)?;
            let index = u64::from(leaf.index);
            for owned in self.notes.iter_mut().filter(|n| n.index.is_none() && n.note.commitment() == commitment) {
                owned.index = Some(index);
            }
        }
        let onchain = privacy.current_root().await?;
        if fr_to_u256(&self.tree.root()) != onchain {
            return Err(PrivacyError::TreeMismatch(format!(
                "mirror root {} but the pool's is {onchain}",
                fr_to_u256(&self.tree.root())
            )));
        }
        Ok(())
    }

    /// Deposits `amount` from `privacy`'s sender into a new note of this wallet.
    pub async fn deposit<C: ChainClient, R: RngCore + CryptoRng>(
        &mut self,
        privacy: &Privacy<C>,
        amount: u128,
        rng: &mut R,
    ) -> Result<OwnedNote> {
        self.bind_pool(privacy)?;
        let note = Note { amount, nullifier: Fr::rand(rng), secret: Fr::rand(rng) };
        let leaf = privacy.deposit(amount, fr_to_u256(&note.precommitment())).await?;
        if leaf.commitment != fr_to_u256(&note.commitment()) {
            return Err(PrivacyError::TreeMismatch("the pool committed another note than the wallet's".into()));
        }
        let owned = OwnedNote { note, index: Some(u64::from(leaf.index)), spent: false };
        self.notes.push(owned);
        Ok(owned)
    }

    /// Pays `purchase` from the smallest unspent note that covers price + `fee`, proved with `prover` and
    /// submitted through `relayer` (whose sender takes the fee). `stage` hears of each step.
    ///
    /// A rejection by the chain ([`PrivacyError::ProofRejected`]) spends nothing.
    pub async fn pay<C: ChainClient, R: RngCore + CryptoRng>(
        &mut self,
        relayer: &Privacy<C>,
        prover: &SpendProver,
        purchase: &PrivatePurchase,
        fee: u128,
        rng: &mut R,
        mut stage: impl FnMut(PayStage),
    ) -> Result<PrivateOrder> {
        let price = purchase.quote.price;
        let needed = price.checked_add(fee).ok_or(PrivacyError::InsufficientNotes { needed: u128::MAX, largest: 0 })?;
        stage(PayStage::Syncing);
        self.sync(relayer).await?;
        let (slot, owned) = self
            .notes
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.spent && n.index.is_some() && n.note.amount >= needed)
            .min_by_key(|(_, n)| n.note.amount)
            .map(|(i, n)| (i, *n))
            .ok_or_else(|| PrivacyError::InsufficientNotes {
                needed,
                largest: self.notes.iter().filter(|n| !n.spent).map(|n| n.note.amount).max().unwrap_or(0),
            })?;

        let relayer_address = relayer.client().sender();
        let binding = relayer.order_binding(purchase.buyer, &purchase.quote, purchase.deadline).await?;
        let context = relayer.spend_context(binding, relayer_address, fee).await?;
        let context = u256_to_fr(context)
            .ok_or_else(|| PrivacyError::TreeMismatch("spend context is not a field element".into()))?;
        let change = Note { amount: owned.note.amount - needed, nullifier: Fr::rand(rng), secret: Fr::rand(rng) };
        let request = SpendRequest {
            withdrawn: needed,
            context,
            change_nullifier: change.nullifier,
            change_secret: change.secret,
        };
        stage(PayStage::ProvingSpend);
        let circuit = SpendCircuit::new(owned.note, &self.tree, &request)?;
        let public = circuit.public;
        let proof = prover.prove(circuit, rng)?;
        let spend = Spend {
            root: fr_to_u256(&public.root),
            nullifierHash: fr_to_u256(&public.nullifier_hash),
            withdrawn: needed,
            changeCommitment: fr_to_u256(&public.change_commitment),
            relayer: relayer_address,
            fee,
        };
        stage(PayStage::Submitting);
        let paid = relayer
            .pay_order(
                &proof_to_sol(&proof),
                &spend,
                &purchase.quote,
                purchase.quote_signature.clone(),
                purchase.deadline,
                purchase.buyer,
                purchase.disclosure.clone(),
            )
            .await
            .map_err(rejection)?;
        self.notes[slot].spent = true;
        self.notes.push(OwnedNote { note: change, index: Some(u64::from(paid.change.index)), spent: false });
        Ok(paid)
    }
}

/// `Poseidon(nullifier)` of a note, as the pool records it when spent.
pub fn nullifier_hash(note: &Note) -> U256 {
    fr_to_u256(&poseidon::hash1(note.nullifier))
}

/// A7 for a proof failure, a plain refusal for any other revert, the chain error otherwise.
fn rejection(e: automat_contracts::vending::VendingError) -> PrivacyError {
    match (revert_name(&e), revert_reason(&e)) {
        (Some(name), Some(reason)) if PROOF_FAILURES.contains(&name.as_str()) => PrivacyError::ProofRejected { reason },
        (_, Some(reason)) => PrivacyError::Refused { reason },
        _ => PrivacyError::Chain(e),
    }
}

#[cfg(test)]
mod tests {
    use automat_zk::rand::{SeedableRng, rngs::StdRng};

    use super::*;

    #[test]
    fn wallet_file_round_trips_notes_and_fresh_buyers_owner_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut rng = StdRng::seed_from_u64(9);
        let mut wallet = ShieldedWallet::new().expect("wallet");
        let note = Note { amount: 7_900_000, nullifier: Fr::rand(&mut rng), secret: Fr::rand(&mut rng) };
        wallet.notes.push(OwnedNote { note, index: Some(3), spent: false });
        let address = Address::repeat_byte(0x11);
        wallet.add_fresh_buyer(address, B256::repeat_byte(0x22));
        wallet.record_order(address, U256::from(5));

        let path = dir.path().join("wallet.json");
        wallet.save(&path).expect("save");
        let back = ShieldedWallet::load(&path).expect("load");
        assert_eq!(back.notes(), wallet.notes());
        assert_eq!(back.fresh_buyers(), wallet.fresh_buyers());
        assert_eq!(back.balance(), 7_900_000);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(&poseidon::fr_to_decimal(&note.nullifier)), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
