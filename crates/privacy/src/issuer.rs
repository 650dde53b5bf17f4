//! Credentials for selective disclosure: the issuer's side (a depth-20 Poseidon tree of credentials whose
//! roots it publishes on the `ComplianceRegistry`) and the holder's side (a disclosure proof for one order that
//! reveals neither who the holder is, nor where they live, nor when they were born).
//!
//! The holder keeps `holderSecret`; the issuer only ever sees `holderCommitment = Poseidon(holderSecret)` and
//! adds the leaf `Poseidon(holderCommitment, jurisdiction, birthDate)` after checking the holder's documents
//! off chain. The holder gets back the leaf's authentication path under the root the issuer then publishes.

use std::path::Path;

use alloy_primitives::{Bytes, U256};
use automat_chain::ChainClient;
use automat_contracts::privacy::{Privacy, encode_disclosure};
use automat_zk::disclosure::{Credential, DisclosureCircuit, DisclosureProver, DisclosureRequest};
use automat_zk::merkle::{MerklePath, MerkleTree};
use automat_zk::rand::{CryptoRng, RngCore};
use automat_zk::{Fr, poseidon};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

use crate::{PrivacyError, Result, file_error, fr_to_u256, proof_to_sol, write_file_atomically};

/// Depth of an issuer's credential tree.
pub const CREDENTIAL_DEPTH: usize = 20;

/// A compliance issuer's credential tree.
#[derive(Debug, Clone)]
pub struct CredentialIssuer {
    tree: MerkleTree,
}

/// What a holder receives from the issuer: the attested facts, the leaf's path and the root it is under.
///
/// In JSON, field elements are decimal strings and the path is its sibling list (the side bits are the index's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCredential {
    /// Jurisdiction (ISO 3166-1 numeric).
    pub jurisdiction: u16,
    /// Birth date, YYYYMMDD.
    pub birth_date: u32,
    /// The leaf's index in the issuer's tree.
    pub index: u64,
    /// The leaf's authentication path.
    pub path: MerklePath,
    /// The root the path leads to (what the issuer publishes).
    pub root: Fr,
}

#[derive(Serialize, Deserialize)]
struct CredentialJson {
    jurisdiction: u16,
    birth_date: u32,
    index: u64,
    #[serde(with = "crate::decimal::vec")]
    path: Vec<Fr>,
    #[serde(with = "crate::decimal")]
    root: Fr,
}

impl Serialize for IssuedCredential {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        CredentialJson {
            jurisdiction: self.jurisdiction,
            birth_date: self.birth_date,
            index: self.index,
            path: self.path.siblings.clone(),
            root: self.root,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for IssuedCredential {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let json = CredentialJson::deserialize(d)?;
        if json.path.len() != CREDENTIAL_DEPTH {
            return Err(D::Error::custom(format!(
                "a credential path has {CREDENTIAL_DEPTH} siblings, not {}",
                json.path.len()
            )));
        }
        if json.index >> CREDENTIAL_DEPTH != 0 {
            return Err(D::Error::custom(format!("leaf index {} outside the credential tree", json.index)));
        }
        let index_bits = (0..CREDENTIAL_DEPTH).map(|i| (json.index >> i) & 1 == 1).collect();
        Ok(Self {
            jurisdiction: json.jurisdiction,
            birth_date: json.birth_date,
            index: json.index,
            path: MerklePath { siblings: json.path, index_bits },
            root: json.root,
        })
    }
}

/// The issuer's tree file: its leaves in order, as decimal strings.
#[derive(Serialize, Deserialize)]
struct TreeFile {
    depth: usize,
    #[serde(with = "crate::decimal::vec")]
    leaves: Vec<Fr>,
}

impl CredentialIssuer {
    /// An empty credential tree.
    pub fn new() -> Result<Self> {
        Ok(Self { tree: MerkleTree::new(CREDENTIAL_DEPTH)? })
    }

    /// Number of credentials issued.
    pub fn len(&self) -> u64 {
        self.tree.len()
    }

    /// Whether no credential was issued yet.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Writes the tree's leaves to `path` (atomically). Leaves are hashes: they name no holder, jurisdiction or
    /// birth date, but they are the issuer's record and only the issuer can extend the tree from them.
    pub fn save(&self, path: &Path) -> Result<()> {
        let leaves = (0..self.tree.len()).map(|i| self.tree.leaf(i)).collect::<std::result::Result<Vec<_>, _>>()?;
        let bytes = serde_json::to_vec_pretty(&TreeFile { depth: CREDENTIAL_DEPTH, leaves })
            .map_err(|e| file_error(path, e))?;
        write_file_atomically(path, &bytes, false)
    }

    /// Reads a tree written by [`save`](Self::save).
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| file_error(path, e))?;
        let file: TreeFile = serde_json::from_slice(&bytes).map_err(|e| file_error(path, e))?;
        if file.depth != CREDENTIAL_DEPTH {
            return Err(file_error(path, format!("tree depth {} (expected {CREDENTIAL_DEPTH})", file.depth)));
        }
        let mut issuer = Self::new()?;
        for leaf in file.leaves {
            issuer.tree.insert(leaf)?;
        }
        Ok(issuer)
    }

    /// Adds a credential for the holder of `holder_commitment` and returns what the holder needs (valid under
    /// the new [`root`](Self::root) once it is published).
    pub fn issue(&mut self, holder_commitment: Fr, jurisdiction: u16, birth_date: u32) -> Result<IssuedCredential> {
        let leaf = poseidon::hash(&[holder_commitment, Fr::from(jurisdiction), Fr::from(birth_date)])?;
        let index = self.tree.insert(leaf)?;
        Ok(IssuedCredential { jurisdiction, birth_date, index, path: self.tree.path(index)?, root: self.tree.root() })
    }

    /// `issued` again with its path under the tree's current root (after more credentials were added).
    pub fn reissue(&self, issued: &IssuedCredential) -> Result<IssuedCredential> {
        Ok(IssuedCredential { path: self.tree.path(issued.index)?, root: self.tree.root(), ..issued.clone() })
    }

    /// The tree's current root.
    pub fn root(&self) -> Fr {
        self.tree.root()
    }

    /// Publishes the current root on the registry (`privacy`'s sender must hold ISSUER_ROLE).
    pub async fn publish<C: ChainClient>(&self, privacy: &Privacy<C>) -> Result<U256> {
        let root = fr_to_u256(&self.root());
        privacy.publish_issuer_root(root).await?;
        Ok(root)
    }
}

/// A credential holder: the secret only they know and what the issuer gave them.
///
/// In JSON: `{"secret": "<decimal>", "commitment": "<decimal>", "credential": {…}}`; `commitment` is optional
/// when reading (checked against the secret when present), so a holder who sent only the commitment to the
/// issuer turns the issuer's `{"commitment", "credential"}` answer into a holder file by adding `"secret"`.
#[derive(Clone)]
pub struct Holder {
    secret: Fr,
    credential: Option<IssuedCredential>,
}

impl std::fmt::Debug for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Holder").field("secret", &"<redacted>").field("credential", &self.credential).finish()
    }
}

#[derive(Serialize, Deserialize)]
struct HolderJson {
    #[serde(with = "crate::decimal")]
    secret: Fr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    commitment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credential: Option<IssuedCredential>,
}

impl Serialize for Holder {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        HolderJson {
            secret: self.secret,
            commitment: Some(poseidon::fr_to_decimal(&self.commitment())),
            credential: self.credential.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Holder {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let json = HolderJson::deserialize(d)?;
        let holder = Self { secret: json.secret, credential: json.credential };
        if let Some(commitment) = json.commitment
            && commitment != poseidon::fr_to_decimal(&holder.commitment())
        {
            return Err(D::Error::custom("the holder secret does not match the holder commitment"));
        }
        Ok(holder)
    }
}

impl Holder {
    /// A holder with a fresh random secret.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        use ark_ff::UniformRand;
        Self { secret: Fr::rand(rng), credential: None }
    }

    /// A holder from a secret they already keep.
    pub fn from_secret(secret: Fr) -> Self {
        Self { secret, credential: None }
    }

    /// What the holder shows the issuer: `Poseidon(holderSecret)`.
    pub fn commitment(&self) -> Fr {
        poseidon::hash1(self.secret)
    }

    /// Stores the credential the issuer returned.
    pub fn receive(&mut self, credential: IssuedCredential) {
        self.credential = Some(credential);
    }

    /// The stored credential.
    pub fn credential(&self) -> Option<&IssuedCredential> {
        self.credential.as_ref()
    }

    /// The disclosure an order for `item_id` at `machine_id` with binding `order_binding` needs: empty when the
    /// registry has no rule for them, else `(issuerRoot, proof)` encoded for the Storefront. Refuses before
    /// proving, with nothing sent, when the holder's jurisdiction is blocked ([`PrivacyError::RegulatoryBlock`])
    /// or the holder is too young ([`PrivacyError::TooYoung`]).
    pub async fn disclose<C: ChainClient, R: RngCore + CryptoRng>(
        &self,
        privacy: &Privacy<C>,
        prover: &DisclosureProver,
        machine_id: u64,
        item_id: u64,
        order_binding: U256,
        rng: &mut R,
    ) -> Result<Bytes> {
        if !privacy.requires_disclosure(machine_id, item_id).await? {
            return Ok(Bytes::new());
        }
        let issued = self.credential.as_ref().ok_or(PrivacyError::NoCredential { machine_id })?;
        let (blocked, _) = privacy.blocked_jurisdictions(machine_id).await?;
        if blocked.contains(&issued.jurisdiction) {
            return Err(PrivacyError::RegulatoryBlock { machine_id, jurisdiction: issued.jurisdiction, blocked });
        }
        let max_birth_date = privacy.max_birth_date(item_id).await?;
        if issued.birth_date > max_birth_date {
            return Err(PrivacyError::TooYoung { item_id, max_birth_date, birth_date: issued.birth_date });
        }
        let order_binding = crate::u256_to_fr(order_binding)
            .ok_or_else(|| PrivacyError::TreeMismatch("order binding is not a field element".into()))?;
        let credential =
            Credential { holder_secret: self.secret, jurisdiction: issued.jurisdiction, birth_date: issued.birth_date };
        let request = DisclosureRequest { blocked, max_birth_date, order_binding };
        let circuit = DisclosureCircuit::from_path(credential, issued.path.clone(), &request)?;
        let proof = prover.prove(circuit, rng)?;
        Ok(encode_disclosure(fr_to_u256(&issued.root), &proof_to_sol(&proof)))
    }
}

#[cfg(test)]
mod tests {
    use automat_zk::rand::{SeedableRng, rngs::StdRng};

    use super::*;

    #[test]
    fn tree_holder_and_credential_files_round_trip() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut rng = StdRng::seed_from_u64(7);
        let mut issuer = CredentialIssuer::new().expect("issuer");
        let mut holder = Holder::random(&mut rng);
        issuer.issue(Holder::random(&mut rng).commitment(), 276, 19_900_517).expect("first");
        let issued = issuer.issue(holder.commitment(), 408, 19_850_101).expect("second");
        holder.receive(issued.clone());

        let tree = dir.path().join("tree.json");
        issuer.save(&tree).expect("save");
        let loaded = CredentialIssuer::load(&tree).expect("load");
        assert_eq!((loaded.len(), loaded.root()), (2, issuer.root()));

        let json = serde_json::to_string(&holder).expect("serialize");
        assert!(json.contains(&poseidon::fr_to_decimal(&holder.commitment())), "{json}");
        let back: Holder = serde_json::from_str(&json).expect("deserialize");
        assert_eq!((back.commitment(), back.credential()), (holder.commitment(), Some(&issued)));
        assert_eq!(
            issued
                .path
                .root(poseidon::hash(&[holder.commitment(), Fr::from(408u16), Fr::from(19_850_101u32)]).expect("leaf")),
            issued.root
        );

        // A commitment that does not match the secret is refused.
        let mut value: serde_json::Value = serde_json::from_str(&json).expect("json");
        value["commitment"] = serde_json::Value::String("1".into());
        assert!(serde_json::from_value::<Holder>(value).is_err());
    }
}
