//! The JSON document a receipt NFT's `tokenURI` points at.
//!
//! It follows the ERC-721 metadata JSON schema (`name`, `description`, plus the widely used `attributes`
//! list of `{trait_type, value}`), and carries the sale itself as top-level fields so that indexers can
//! read it without parsing attributes. The encoding is deterministic: fields in declaration order,
//! compact JSON, addresses in their EIP-55 checksum form, amounts and order ids as decimal strings
//! (they are `uint256` on chain). The same sale therefore always encodes to the same bytes and hence the
//! same CID.

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};

/// The facts of one sale, as the agent knows them when the machine has dispensed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sale {
    /// The storefront's order id.
    pub order_id: U256,
    /// The chain the storefront lives on.
    pub chain_id: u64,
    /// The storefront contract.
    pub storefront: Address,
    /// The vending machine that dispensed.
    pub machine_id: u64,
    /// The machine's slot the item came out of.
    pub slot: u16,
    /// The catalogue item.
    pub item_id: u64,
    /// The price paid, in the token's base units.
    pub price: U256,
    /// The ERC-20 token paid with.
    pub token: Address,
    /// The token's decimals, so the price can be displayed.
    pub token_decimals: u8,
    /// The buyer.
    pub buyer: Address,
    /// When the item was dispensed, in unix seconds.
    pub dispensed_at: u64,
    /// Whether the machine sold during a network partition, against a voucher.
    pub offline: bool,
    /// For an offline sale, the EIP-712 digest of the buyer's voucher. Its order id is only assigned when the
    /// sale settles on chain, so such a document carries order id 0 and names the voucher instead.
    pub voucher: Option<B256>,
}

/// Insurance attached to a sale. Reserved for the insurance feature; absent from the JSON when unset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// The policy id (decimal).
    pub policy_id: String,
    /// The premium paid, in the sale token's base units (decimal).
    pub premium: String,
    /// The amount covered, in the sale token's base units (decimal).
    pub coverage_amount: String,
    /// The insurance pool contract.
    #[serde(with = "checksummed")]
    pub pool: Address,
}

/// One ERC-721 metadata attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// The trait's name.
    pub trait_type: String,
    /// The trait's value.
    pub value: AttributeValue,
}

/// An attribute value: marketplaces show numbers as stats and strings as properties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    /// A number.
    Number(u64),
    /// A flag.
    Bool(bool),
    /// Text.
    Text(String),
}

/// The receipt metadata document. Build it with [`ReceiptMetadata::new`]; the field order here is the
/// encoding order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptMetadata {
    /// `automat receipt #<order_id>`.
    pub name: String,
    /// One human-readable sentence about the sale.
    pub description: String,
    /// The order id, decimal.
    pub order_id: String,
    /// The chain id.
    pub chain_id: u64,
    /// The storefront contract.
    #[serde(with = "checksummed")]
    pub storefront: Address,
    /// The vending machine.
    pub machine_id: u64,
    /// The slot.
    pub slot: u16,
    /// The catalogue item.
    pub item_id: u64,
    /// The price in the token's base units, decimal.
    pub price: String,
    /// The ERC-20 token paid with.
    #[serde(with = "checksummed")]
    pub token: Address,
    /// The token's decimals.
    pub token_decimals: u8,
    /// The buyer.
    #[serde(with = "checksummed")]
    pub buyer: Address,
    /// When the item was dispensed, unix seconds.
    pub dispensed_at: u64,
    /// Sold during a network partition against a voucher.
    pub offline: bool,
    /// The voucher an offline sale was paid with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voucher: Option<B256>,
    /// Insurance, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    /// ERC-721 attributes derived from the fields above.
    pub attributes: Vec<Attribute>,
}

impl ReceiptMetadata {
    /// The document for `sale`, without coverage.
    pub fn new(sale: &Sale) -> Self {
        let mut description = format!(
            "Receipt for item {} from slot {} of automat machine {}, sold by storefront {} on chain {} to {} \
             for {} base units of token {}.",
            sale.item_id,
            sale.slot,
            sale.machine_id,
            sale.storefront.to_checksum(None),
            sale.chain_id,
            sale.buyer.to_checksum(None),
            sale.price,
            sale.token.to_checksum(None),
        );
        if sale.offline {
            description.push_str(" Sold offline, against a voucher, during a network partition.");
        }
        let mut metadata = Self {
            name: match sale.voucher {
                Some(voucher) if sale.order_id.is_zero() => format!("automat receipt (voucher {voucher})"),
                _ => format!("automat receipt #{}", sale.order_id),
            },
            description,
            order_id: sale.order_id.to_string(),
            chain_id: sale.chain_id,
            storefront: sale.storefront,
            machine_id: sale.machine_id,
            slot: sale.slot,
            item_id: sale.item_id,
            price: sale.price.to_string(),
            token: sale.token,
            token_decimals: sale.token_decimals,
            buyer: sale.buyer,
            dispensed_at: sale.dispensed_at,
            offline: sale.offline,
            voucher: sale.voucher,
            coverage: None,
            attributes: Vec::new(),
        };
        metadata.attributes = metadata.derive_attributes();
        metadata
    }

    /// The same document with `coverage` attached (attributes updated accordingly).
    pub fn with_coverage(mut self, coverage: Coverage) -> Self {
        self.coverage = Some(coverage);
        self.attributes = self.derive_attributes();
        self
    }

    fn derive_attributes(&self) -> Vec<Attribute> {
        use AttributeValue::{Bool, Number, Text};
        let attribute = |trait_type: &str, value| Attribute { trait_type: trait_type.to_owned(), value };
        let mut attributes = vec![
            attribute("Chain", Number(self.chain_id)),
            attribute("Storefront", Text(self.storefront.to_checksum(None))),
            attribute("Machine", Number(self.machine_id)),
            attribute("Slot", Number(u64::from(self.slot))),
            attribute("Item", Number(self.item_id)),
            attribute("Price", Text(self.price.clone())),
            attribute("Token", Text(self.token.to_checksum(None))),
            attribute("Token decimals", Number(u64::from(self.token_decimals))),
            attribute("Dispensed at", Number(self.dispensed_at)),
            attribute("Offline", Bool(self.offline)),
        ];
        if let Some(coverage) = &self.coverage {
            attributes.push(attribute("Insured", Bool(true)));
            attributes.push(attribute("Coverage", Text(coverage.coverage_amount.clone())));
        }
        attributes
    }

    /// The canonical encoding: compact JSON, fields in declaration order.
    pub fn to_json_bytes(&self) -> Result<Vec<u8>> {
        Ok(serde_json::to_vec(self)?)
    }

    /// Parses a document and checks that its amounts and ids are decimal `uint256` values.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self> {
        let metadata: Self = serde_json::from_slice(bytes)?;
        check_decimal_u256("order_id", &metadata.order_id)?;
        check_decimal_u256("price", &metadata.price)?;
        if let Some(coverage) = &metadata.coverage {
            check_decimal_u256("coverage.policy_id", &coverage.policy_id)?;
            check_decimal_u256("coverage.premium", &coverage.premium)?;
            check_decimal_u256("coverage.coverage_amount", &coverage.coverage_amount)?;
        }
        Ok(metadata)
    }
}

fn check_decimal_u256(field: &'static str, value: &str) -> Result<()> {
    let canonical =
        !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) && (value == "0" || !value.starts_with('0'));
    if !canonical {
        return Err(StoreError::InvalidMetadata {
            field,
            reason: format!("{value:?} is not a decimal integer without leading zeros"),
        });
    }
    U256::from_str_radix(value, 10)
        .map(|_| ())
        .map_err(|e| StoreError::InvalidMetadata { field, reason: format!("{value:?} is not a uint256: {e}") })
}

/// Serde for addresses in EIP-55 checksum form; parsing accepts any case.
mod checksummed {
    use alloy_primitives::Address;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(address: &Address, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&address.to_checksum(None))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Address, D::Error> {
        Address::deserialize(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::address;

    use super::*;
    use crate::cid::{content_cid, ipfs_uri};

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    fn sale() -> Sale {
        Sale {
            order_id: U256::MAX,
            chain_id: 31337,
            storefront: address!("0x5fbdb2315678afecb367f032d93f642f64180aa3"),
            machine_id: 7,
            slot: 12,
            item_id: 3,
            price: U256::from(2_500_000u64),
            token: address!("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"),
            token_decimals: 6,
            buyer: address!("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"),
            dispensed_at: 1_767_225_600,
            offline: false,
            voucher: None,
        }
    }

    fn coverage() -> Coverage {
        Coverage {
            policy_id: "42".to_owned(),
            premium: "25000".to_owned(),
            coverage_amount: "2500000".to_owned(),
            pool: address!("0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0"),
        }
    }

    #[test]
    fn encoding_is_exact_and_stable() -> TestResult {
        let metadata = ReceiptMetadata::new(&sale());
        let bytes = metadata.to_json_bytes()?;
        let text = std::str::from_utf8(&bytes)?;
        let expected = concat!(
            r#"{"name":"automat receipt #115792089237316195423570985008687907853269984665640564039457584007913129639935","#,
            r#""description":"Receipt for item 3 from slot 12 of automat machine 7, sold by storefront "#,
            r#"0x5FbDB2315678afecb367f032d93F642f64180aa3 on chain 31337 to 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 "#,
            r#"for 2500000 base units of token 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512.","#,
            r#""order_id":"115792089237316195423570985008687907853269984665640564039457584007913129639935","#,
            r#""chain_id":31337,"storefront":"0x5FbDB2315678afecb367f032d93F642f64180aa3","machine_id":7,"slot":12,"#,
            r#""item_id":3,"price":"2500000","token":"0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512","token_decimals":6,"#,
            r#""buyer":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","dispensed_at":1767225600,"offline":false,"#,
            r#""attributes":[{"trait_type":"Chain","value":31337},"#,
            r#"{"trait_type":"Storefront","value":"0x5FbDB2315678afecb367f032d93F642f64180aa3"},"#,
            r#"{"trait_type":"Machine","value":7},{"trait_type":"Slot","value":12},{"trait_type":"Item","value":3},"#,
            r#"{"trait_type":"Price","value":"2500000"},"#,
            r#"{"trait_type":"Token","value":"0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"},"#,
            r#"{"trait_type":"Token decimals","value":6},{"trait_type":"Dispensed at","value":1767225600},"#,
            r#"{"trait_type":"Offline","value":false}]}"#,
        );
        assert_eq!(text, expected);

        // Same input, same bytes, same CID.
        let again = ReceiptMetadata::new(&sale()).to_json_bytes()?;
        assert_eq!(again, bytes);
        assert_eq!(content_cid(&again)?, content_cid(&bytes)?);
        assert!(ipfs_uri(&content_cid(&bytes)?).starts_with("ipfs://bafkrei"));

        // Any change to the sale changes the CID.
        let mut other = sale();
        other.slot += 1;
        assert_ne!(content_cid(&ReceiptMetadata::new(&other).to_json_bytes()?)?, content_cid(&bytes)?);
        Ok(())
    }

    #[test]
    fn round_trips_with_and_without_coverage() -> TestResult {
        for metadata in [
            ReceiptMetadata::new(&sale()),
            ReceiptMetadata::new(&Sale { offline: true, ..sale() }).with_coverage(coverage()),
        ] {
            let bytes = metadata.to_json_bytes()?;
            let parsed = ReceiptMetadata::from_json_bytes(&bytes)?;
            assert_eq!(parsed, metadata);
            assert_eq!(parsed.to_json_bytes()?, bytes);
        }
        Ok(())
    }

    #[test]
    fn coverage_and_offline_show_up() -> TestResult {
        let metadata = ReceiptMetadata::new(&Sale { offline: true, ..sale() }).with_coverage(coverage());
        let text = String::from_utf8(metadata.to_json_bytes()?)?;
        assert!(text.contains(r#""offline":true,"coverage":{"policy_id":"42","premium":"25000","coverage_amount":"2500000","pool":"0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"},"attributes":["#));
        assert!(text.contains(r#"{"trait_type":"Insured","value":true}"#));
        assert!(metadata.description.contains("offline"));
        let plain = String::from_utf8(ReceiptMetadata::new(&sale()).to_json_bytes()?)?;
        assert!(!plain.contains("coverage"));
        Ok(())
    }

    #[test]
    fn rejects_bad_amounts() -> TestResult {
        let good = String::from_utf8(ReceiptMetadata::new(&sale()).to_json_bytes()?)?;
        for bad in [r#""price":"2.5""#, r#""price":"""#, r#""price":"-1""#, r#""price":"0x10""#, r#""price":"007""#] {
            let doc = good.replace(r#""price":"2500000""#, bad);
            assert!(
                matches!(
                    ReceiptMetadata::from_json_bytes(doc.as_bytes()),
                    Err(StoreError::InvalidMetadata { field: "price", .. })
                ),
                "{bad}"
            );
        }
        let too_big = good.replace(r#""price":"2500000""#, &format!(r#""price":"{}0""#, U256::MAX));
        assert!(matches!(
            ReceiptMetadata::from_json_bytes(too_big.as_bytes()),
            Err(StoreError::InvalidMetadata { .. })
        ));
        assert!(matches!(ReceiptMetadata::from_json_bytes(b"{}"), Err(StoreError::Json(_))));
        Ok(())
    }

    #[test]
    fn accepts_lower_case_addresses() -> TestResult {
        let good = String::from_utf8(ReceiptMetadata::new(&sale()).to_json_bytes()?)?;
        let lower = good.replace(
            r#""buyer":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266""#,
            r#""buyer":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266""#,
        );
        assert_ne!(lower, good);
        let parsed = ReceiptMetadata::from_json_bytes(lower.as_bytes())?;
        assert_eq!(parsed.buyer, sale().buyer);
        assert_eq!(parsed.to_json_bytes()?, good.into_bytes());
        Ok(())
    }
}
