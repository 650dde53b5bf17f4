//! ReceiptNFT: ERC-721 receipts whose id is the order id, `tokenURI` = `ipfs://` + the CIDv1 (raw, sha2-256) of
//! the metadata digest, minting by MINTER_ROLE, metadata updates announced with ERC-4906.

use alloy_primitives::{Address, B256, FixedBytes, U256, keccak256};
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::vending::{
    Outcome,
    ReceiptNFT::{self, ReceiptNFTEvents as Ev},
};
use automat_devnet::EmbeddedClient;
use automat_store::cid::{cid_from_sha256, ipfs_uri};
use sha2::{Digest, Sha256};

use crate::common::*;

/// RFC 4648 base32 (lower case, unpadded) of `0x01 0x55 0x12 0x20 ‖ digest` behind the multibase prefix `b`:
/// the CIDv1 of raw content whose sha2-256 is `digest`, written independently of both the contract and
/// `automat-store`.
fn cid_by_hand(digest: B256) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bytes = vec![0x01, 0x55, 0x12, 0x20];
    bytes.extend_from_slice(digest.as_slice());
    let mut out = String::from("b");
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

async fn view<C: alloy_sol_types::SolCall + Sync>(fx: &Fixture, call: &C) -> C::Return {
    fx.admin.call_sol(fx.suite.receipts, call).await.expect("receipts view")
}

/// Account 4 holding `role` of the receipts.
async fn holder_of(fx: &Fixture, name: &str) -> EmbeddedClient {
    let holder = fx.client(4);
    fx.grant(fx.suite.receipts, role(name), holder.sender()).await;
    holder
}

#[tokio::test]
async fn name_symbol_and_interfaces() {
    let fx = Fixture::new().await;
    assert_eq!(view(&fx, &ReceiptNFT::nameCall {}).await, "automat receipt");
    assert_eq!(view(&fx, &ReceiptNFT::symbolCall {}).await, "AUTOR");
    assert_eq!(view(&fx, &ReceiptNFT::MINTER_ROLECall {}).await, role("MINTER_ROLE"));
    assert_eq!(view(&fx, &ReceiptNFT::METADATA_ROLECall {}).await, role("METADATA_ROLE"));
    for (id, supported, what) in [
        ([0x49, 0x06, 0x49, 0x06], true, "ERC-4906"),
        ([0x80, 0xac, 0x58, 0xcd], true, "ERC-721"),
        ([0x5b, 0x5e, 0x13, 0x9f], true, "ERC-721 metadata"),
        ([0x01, 0xff, 0xc9, 0xa7], true, "ERC-165"),
        ([0x79, 0x65, 0xdb, 0x0b], true, "AccessControl"),
        ([0x78, 0x0e, 0x9d, 0x63], false, "ERC-721 enumerable"),
        ([0xff, 0xff, 0xff, 0xff], false, "the invalid id"),
    ] {
        let answer = view(&fx, &ReceiptNFT::supportsInterfaceCall { interfaceId: FixedBytes(id) }).await;
        assert_eq!(answer, supported, "{what}");
    }
}

/// A dispensed order's receipt points at `ipfs://<CIDv1 of its metadata>`, the CID `automat-store` computes
/// (and a third, independent base32 agrees).
#[tokio::test]
async fn token_uri_is_ipfs_plus_the_cid_of_the_metadata_digest() {
    let fx = Fixture::new().await;
    let order = fx.place(0, USD, 1).await;
    let (attestation, signature) = fx.attestation(order.id, Outcome::Dispensed);
    fx.attest(&fx.stranger, &attestation, &signature).await.expect("dispensed");
    let digest = attestation.metadataDigest;

    let uri = view(&fx, &ReceiptNFT::tokenURICall { tokenId: order.id }).await;
    assert_eq!(uri, ipfs_uri(&cid_from_sha256(digest.0)));
    assert_eq!(uri, format!("ipfs://{}", cid_by_hand(digest)));
    assert!(uri.starts_with("ipfs://bafkrei"), "{uri}");
    assert_eq!(uri.len(), "ipfs://".len() + 59);
    assert_eq!(view(&fx, &ReceiptNFT::metadataDigestCall { tokenId: order.id }).await, digest);
    assert_eq!(fx.receipt_owner(order.id).await, fx.buyer.sender());
}

#[tokio::test]
async fn cid_of_matches_rust_for_any_digest() {
    let fx = Fixture::new().await;
    // The CID of the empty file, as `ipfs add --cid-version=1 --raw-leaves` prints it.
    let empty = B256::from_slice(&Sha256::digest(b""));
    assert_eq!(
        view(&fx, &ReceiptNFT::cidOfCall { digest: empty }).await,
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    );
    let mut digests = vec![B256::ZERO, B256::repeat_byte(0xff), empty];
    digests.extend((0u8..16).map(|i| keccak256([i])));
    for digest in digests {
        let cid = view(&fx, &ReceiptNFT::cidOfCall { digest }).await;
        assert_eq!(cid, cid_from_sha256(digest.0).to_string(), "automat-store, digest {digest}");
        assert_eq!(cid, cid_by_hand(digest), "by hand, digest {digest}");
    }
}

#[tokio::test]
async fn mint_needs_the_minter_role() {
    let fx = Fixture::new().await;
    let call = ReceiptNFT::mintCall { to: fx.buyer.sender(), tokenId: U256::from(1), digest: B256::repeat_byte(1) };
    for client in [&fx.stranger, &fx.admin] {
        assert_revert(
            client.send_sol(fx.suite.receipts, &call).await,
            ReceiptNFT::AccessControlUnauthorizedAccount { account: client.sender(), neededRole: role("MINTER_ROLE") },
        );
    }
    let storefront_is_minter =
        view(&fx, &ReceiptNFT::hasRoleCall { role: role("MINTER_ROLE"), account: fx.suite.storefront }).await;
    assert!(storefront_is_minter);
}

#[tokio::test]
async fn a_minter_mints_with_exact_events() {
    let fx = Fixture::new().await;
    let minter = holder_of(&fx, "MINTER_ROLE").await;
    let to = Address::repeat_byte(0x77);
    let digest = B256::repeat_byte(0xab);
    let id = U256::from(77);
    let receipt =
        minter.send_sol(fx.suite.receipts, &ReceiptNFT::mintCall { to, tokenId: id, digest }).await.expect("mints");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.receipts),
        vec![
            Ev::Transfer(ReceiptNFT::Transfer { from: Address::ZERO, to, tokenId: id }),
            Ev::ReceiptMinted(ReceiptNFT::ReceiptMinted { tokenId: id, owner: to, metadataDigest: digest }),
        ]
    );
    assert_eq!(fx.receipt_owner(id).await, to);
    assert_eq!(view(&fx, &ReceiptNFT::balanceOfCall { owner: to }).await, U256::from(1));
    assert_eq!(fx.minted().await, U256::from(1));
    assert_eq!(view(&fx, &ReceiptNFT::tokenURICall { tokenId: id }).await, format!("ipfs://{}", cid_by_hand(digest)));

    assert_revert(
        minter
            .send_sol(fx.suite.receipts, &ReceiptNFT::mintCall { to, tokenId: U256::from(78), digest: B256::ZERO })
            .await,
        ReceiptNFT::ReceiptMissingMetadata {},
    );
    assert_revert(
        minter.send_sol(fx.suite.receipts, &ReceiptNFT::mintCall { to, tokenId: id, digest }).await,
        ReceiptNFT::ERC721InvalidSender { sender: Address::ZERO },
    );
    assert_revert(
        minter
            .send_sol(fx.suite.receipts, &ReceiptNFT::mintCall { to: Address::ZERO, tokenId: U256::from(79), digest })
            .await,
        ReceiptNFT::ERC721InvalidReceiver { receiver: Address::ZERO },
    );
    assert_eq!(fx.minted().await, U256::from(1));
}

#[tokio::test]
async fn update_metadata_announces_erc4906() {
    let fx = Fixture::new().await;
    let order = fx.place(0, USD, 1).await;
    let (attestation, signature) = fx.attestation(order.id, Outcome::Dispensed);
    fx.attest(&fx.stranger, &attestation, &signature).await.expect("dispensed");
    let id = order.id;
    let digest = B256::from_slice(&Sha256::digest(br#"{"claim":"paid"}"#));
    let call = ReceiptNFT::updateMetadataCall { tokenId: id, digest };

    assert_revert(
        fx.stranger.send_sol(fx.suite.receipts, &call).await,
        ReceiptNFT::AccessControlUnauthorizedAccount {
            account: fx.stranger.sender(),
            neededRole: role("METADATA_ROLE"),
        },
    );
    let pool = holder_of(&fx, "METADATA_ROLE").await;
    let receipt = pool.send_sol(fx.suite.receipts, &call).await.expect("updates");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.receipts),
        vec![
            Ev::ReceiptMetadataChanged(ReceiptNFT::ReceiptMetadataChanged { tokenId: id, metadataDigest: digest }),
            Ev::MetadataUpdate(ReceiptNFT::MetadataUpdate { _tokenId: id }),
        ]
    );
    assert_eq!(view(&fx, &ReceiptNFT::metadataDigestCall { tokenId: id }).await, digest);
    assert_eq!(view(&fx, &ReceiptNFT::tokenURICall { tokenId: id }).await, ipfs_uri(&cid_from_sha256(digest.0)));
    assert_eq!(fx.minted().await, U256::from(1), "an update mints nothing");

    assert_revert(
        pool.send_sol(fx.suite.receipts, &ReceiptNFT::updateMetadataCall { tokenId: U256::from(99), digest }).await,
        ReceiptNFT::ERC721NonexistentToken { tokenId: U256::from(99) },
    );
    assert_revert(
        pool.send_sol(fx.suite.receipts, &ReceiptNFT::updateMetadataCall { tokenId: id, digest: B256::ZERO }).await,
        ReceiptNFT::ReceiptMissingMetadata {},
    );
}

#[tokio::test]
async fn views_of_unknown_receipts_revert() {
    let fx = Fixture::new().await;
    let id = U256::from(5);
    let missing = || ReceiptNFT::ERC721NonexistentToken { tokenId: id };
    assert_revert(fx.admin.call_sol(fx.suite.receipts, &ReceiptNFT::tokenURICall { tokenId: id }).await, missing());
    assert_revert(
        fx.admin.call_sol(fx.suite.receipts, &ReceiptNFT::metadataDigestCall { tokenId: id }).await,
        missing(),
    );
    assert_revert(fx.admin.call_sol(fx.suite.receipts, &ReceiptNFT::ownerOfCall { tokenId: id }).await, missing());
    assert_eq!(fx.minted().await, U256::ZERO);
}

#[tokio::test]
async fn receipts_transfer_like_any_erc721() {
    let fx = Fixture::new().await;
    let order = fx.place(0, USD, 1).await;
    let (attestation, signature) = fx.attestation(order.id, Outcome::Dispensed);
    fx.attest(&fx.stranger, &attestation, &signature).await.expect("dispensed");
    let (buyer, stranger) = (fx.buyer.sender(), fx.stranger.sender());

    assert_revert(
        fx.stranger
            .send_sol(fx.suite.receipts, &ReceiptNFT::transferFromCall { from: buyer, to: stranger, tokenId: order.id })
            .await,
        ReceiptNFT::ERC721InsufficientApproval { operator: stranger, tokenId: order.id },
    );
    let receipt = fx
        .buyer
        .send_sol(fx.suite.receipts, &ReceiptNFT::transferFromCall { from: buyer, to: stranger, tokenId: order.id })
        .await
        .expect("the owner transfers");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.receipts),
        vec![Ev::Transfer(ReceiptNFT::Transfer { from: buyer, to: stranger, tokenId: order.id })]
    );
    assert_eq!(fx.receipt_owner(order.id).await, stranger);

    // Approved, a third party moves it with safeTransferFrom (to an account: no receiver hook).
    let third = fx.client(4);
    let receipt = fx
        .stranger
        .send_sol(fx.suite.receipts, &ReceiptNFT::approveCall { to: third.sender(), tokenId: order.id })
        .await
        .expect("approve");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.receipts),
        vec![Ev::Approval(ReceiptNFT::Approval { owner: stranger, approved: third.sender(), tokenId: order.id })]
    );
    third
        .send_sol(
            fx.suite.receipts,
            &ReceiptNFT::safeTransferFrom_0Call { from: stranger, to: buyer, tokenId: order.id },
        )
        .await
        .expect("safeTransferFrom");
    assert_eq!(fx.receipt_owner(order.id).await, buyer);
}
