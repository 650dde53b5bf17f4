//! Against a real Kubo daemon. Ignored by default; run with
//!
//! ```text
//! AUTOMAT_KUBO_URL=http://127.0.0.1:5001 cargo test -p automat-store --test kubo_live -- --ignored
//! ```
//!
//! Without the variable the test fails loudly instead of passing without having checked anything.

use alloy_primitives::{Address, U256};
use automat_store::{BlobStore, KuboClient, ReceiptMetadata, Sale, content_cid, ipfs_uri};

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

#[tokio::test]
#[ignore = "needs AUTOMAT_KUBO_URL (a Kubo RPC endpoint)"]
async fn round_trip_through_a_real_kubo() -> TestResult {
    let Ok(url) = std::env::var("AUTOMAT_KUBO_URL") else {
        eprintln!("kubo_live did NOT run: set AUTOMAT_KUBO_URL to a Kubo RPC endpoint, e.g. http://127.0.0.1:5001");
        return Err("AUTOMAT_KUBO_URL is not set; this test checked nothing".into());
    };
    let client = KuboClient::new(&url)?;
    let version = client.version().await?;
    eprintln!("kubo_live: Kubo {} ({}) at {}", version.version, version.system, client.base_url());

    // The known vectors: the node must agree with the local computation.
    let empty = client.add(b"").await?;
    assert_eq!(empty.to_string(), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    assert_eq!(client.add(b"hello world").await?, content_cid(b"hello world")?);

    // A receipt document, unique per run so the node really stores something new.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos();
    let sale = Sale {
        order_id: U256::from(nanos),
        chain_id: 31337,
        storefront: Address::repeat_byte(0x11),
        machine_id: 1,
        slot: 2,
        item_id: 3,
        price: U256::from(1_500_000u64),
        token: Address::repeat_byte(0x22),
        token_decimals: 6,
        buyer: Address::repeat_byte(0x33),
        dispensed_at: 1_767_225_600,
        offline: true,
        voucher: None,
    };
    let bytes = ReceiptMetadata::new(&sale).to_json_bytes()?;
    let cid = client.add(&bytes).await?;
    assert_eq!(cid, content_cid(&bytes)?);
    assert_eq!(client.cat(&cid).await?, bytes);
    assert_eq!(ReceiptMetadata::from_json_bytes(&client.cat(&cid).await?)?, ReceiptMetadata::new(&sale));
    eprintln!("kubo_live: receipt at {}", ipfs_uri(&cid));

    // A block at exactly the chunk size is still a single raw block for Kubo.
    let full: Vec<u8> = (0..automat_store::MAX_SINGLE_BLOCK).map(|i| (i as u64 * 31 + nanos as u64) as u8).collect();
    let full_cid = client.add(&full).await?;
    assert_eq!(full_cid, content_cid(&full)?);

    // The local store and the node agree on addresses.
    let dir = tempfile::tempdir()?;
    assert_eq!(BlobStore::open(dir.path())?.put(&bytes)?, cid);
    Ok(())
}
