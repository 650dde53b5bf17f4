//! A claim's evidence: one JSON document per claim, stored by CID in the local [`BlobStore`] (and publishable
//! to IPFS as is); the claim on chain carries its sha2-256, which is exactly the digest inside the CID
//! (CIDv1 raw sha2-256), so anyone holding the file can check it is the one the buyer filed.
//!
//! ```json
//! {
//!   "kind": "automat/claim-evidence/v1",
//!   "order_id": "7",
//!   "complaint": "GoodsNotReceived",
//!   "statement": "Paid, the machine whirred, nothing came out.",
//!   "dispense_record": {
//!     "machine_id": 1, "order_id": "7", "drop_detected": false, "fault": null,
//!     "reading": "drop detected: false"
//!   }
//! }
//! ```
//!
//! The dispense record is the machine's own account of the session (the agent's drop sensor, the controller's
//! fault code), when the buyer has it (the machine's agent hands it out with the receipt); see
//! [`crate::honest_ruling`] for how an honest juror weighs it.

use alloy_primitives::{B256, U256};
use automat_chain::ChainClient;
use automat_contracts::insurance::{FiledClaim, Insurance};
use automat_store::{BlobStore, Cid, cid_from_sha256, content_cid, sha256_of};
use serde::{Deserialize, Serialize};

use crate::{ClaimsError, Result};

/// The `kind` of every evidence document this version writes.
pub const EVIDENCE_KIND: &str = "automat/claim-evidence/v1";

/// What went wrong with a purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Complaint {
    /// The order was settled as dispensed but nothing came out.
    GoodsNotReceived,
    /// Something came out but it was defective (spoiled, damaged, wrong item).
    Defective,
}

/// The machine's own record of the vend session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispenseRecord {
    /// The machine.
    pub machine_id: u64,
    /// The order the session served.
    #[serde(with = "decimal")]
    pub order_id: U256,
    /// Whether the drop sensor saw the item fall.
    pub drop_detected: bool,
    /// A fault the machine recorded for the session (temperature out of range, wrong slot), if any.
    #[serde(default)]
    pub fault: Option<String>,
    /// The raw sensor or audit line, e.g. `drop detected: false`.
    #[serde(default)]
    pub reading: String,
}

/// An evidence document for a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Always [`EVIDENCE_KIND`].
    pub kind: String,
    /// The insured order (= the policy and the receipt's token id).
    #[serde(with = "decimal")]
    pub order_id: U256,
    /// What went wrong.
    pub complaint: Complaint,
    /// The buyer's account, free text.
    #[serde(default)]
    pub statement: String,
    /// The machine's own dispense record, when the buyer has it.
    #[serde(default)]
    pub dispense_record: Option<DispenseRecord>,
}

impl Evidence {
    /// A document for `order_id` without a dispense record.
    pub fn new(order_id: U256, complaint: Complaint, statement: impl Into<String>) -> Self {
        Self { kind: EVIDENCE_KIND.to_owned(), order_id, complaint, statement: statement.into(), dispense_record: None }
    }

    /// The same document with the machine's record attached.
    pub fn with_record(mut self, record: DispenseRecord) -> Self {
        self.dispense_record = Some(record);
        self
    }

    /// The document's bytes (pretty JSON, fields in a fixed order: the same document gives the same CID).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        // Serializing plain structs of strings, numbers and booleans cannot fail.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// Parses a document, refusing another `kind`.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self> {
        let evidence: Self = serde_json::from_slice(bytes).map_err(ClaimsError::EvidenceFormat)?;
        if evidence.kind != EVIDENCE_KIND {
            return Err(ClaimsError::EvidenceFormat(serde::de::Error::custom(format!(
                "kind {:?}, expected {EVIDENCE_KIND:?}",
                evidence.kind
            ))));
        }
        Ok(evidence)
    }
}

/// The CID of the evidence a claim names by its sha2-256 `digest`.
pub fn evidence_cid(digest: B256) -> Cid {
    cid_from_sha256(digest.0)
}

/// Reads the evidence whose sha2-256 is `digest` from `store`: `Ok(None)` when the store does not hold it.
/// The store re-hashes what it reads, so a document returned is the one the digest names.
pub fn load_evidence(store: &BlobStore, digest: B256) -> Result<Option<Evidence>> {
    match store.get(&evidence_cid(digest))? {
        Some(bytes) => Evidence::from_json_bytes(&bytes).map(Some),
        None => Ok(None),
    }
}

/// Files a claim on `order_id` as `insurance`'s sender with `evidence_bytes` as its evidence: checks the bytes
/// are an evidence document about that order, publishes them to `store`, then files the claim with their
/// sha2-256 (approving the court's fee first). Returns the claim and the evidence's CID.
pub async fn file_claim<C: ChainClient>(
    insurance: &Insurance<C>,
    order_id: U256,
    evidence_bytes: &[u8],
    store: &BlobStore,
) -> Result<(FiledClaim, Cid)> {
    let evidence = Evidence::from_json_bytes(evidence_bytes)?;
    if evidence.order_id != order_id {
        return Err(ClaimsError::EvidenceOrder { expected: order_id, found: evidence.order_id });
    }
    let cid = content_cid(evidence_bytes)?;
    let stored = store.put(evidence_bytes)?;
    debug_assert_eq!(stored, cid);
    let digest = B256::from(sha256_of(&cid)?);
    let filed = insurance.file_claim(order_id, digest).await?;
    Ok((filed, cid))
}

/// `U256` as a decimal string (read back from decimal or 0x-hex).
mod decimal {
    use alloy_primitives::U256;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(value: &U256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        let text = String::deserialize(d)?;
        text.parse::<U256>().map_err(|e| D::Error::custom(format!("{text:?} is not a number: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_and_refuse_other_kinds() {
        let record = DispenseRecord {
            machine_id: 1,
            order_id: U256::from(7),
            drop_detected: false,
            fault: None,
            reading: "drop detected: false".into(),
        };
        let evidence =
            Evidence::new(U256::from(7), Complaint::GoodsNotReceived, "nothing came out").with_record(record);
        let bytes = evidence.to_json_bytes();
        assert_eq!(Evidence::from_json_bytes(&bytes).ok(), Some(evidence));
        let text = String::from_utf8(bytes).unwrap_or_default();
        assert!(text.contains(r#""order_id": "7""#), "{text}");
        let other = text.replace(EVIDENCE_KIND, "something/else");
        assert!(Evidence::from_json_bytes(other.as_bytes()).is_err());
        assert!(Evidence::from_json_bytes(b"not json").is_err());
    }
}
