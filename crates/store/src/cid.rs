//! CIDv1 with codec raw and a sha2-256 multihash: the identifier of every document this crate handles.
//!
//! For content of at most [`MAX_SINGLE_BLOCK`] bytes this is exactly the CID Kubo reports for
//! `ipfs add --cid-version=1 --raw-leaves`: the file fits in one chunk, so the root is the raw leaf
//! itself and its CID is `0x01 (v1) · 0x55 (raw) · 0x12 (sha2-256) · 0x20 (32 bytes) · sha256(content)`,
//! written in multibase base32-lower, which always starts with `bafkrei`.

use ::cid::{Cid, Version, multibase::Base};
use multihash::Multihash;
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};

/// Multicodec code of raw binary content.
pub const RAW_CODEC: u64 = 0x55;

/// Multihash code of sha2-256.
pub const SHA2_256_CODE: u64 = 0x12;

/// Kubo's default chunk size (`size-262144`): the largest content that `ipfs add` stores as a single raw
/// block, and so the largest content whose CID [`content_cid`] can compute.
pub const MAX_SINGLE_BLOCK: usize = 262_144;

/// The text every CIDv1 raw sha2-256 CID starts with in base32-lower.
pub const RAW_SHA256_PREFIX: &str = "bafkrei";

/// The CID Kubo assigns to `bytes` with `--cid-version=1 --raw-leaves`.
///
/// Fails with [`StoreError::TooLarge`] above [`MAX_SINGLE_BLOCK`] bytes, where Kubo would build a
/// chunked dag-pb tree instead.
pub fn content_cid(bytes: &[u8]) -> Result<Cid> {
    if bytes.len() > MAX_SINGLE_BLOCK {
        return Err(StoreError::TooLarge { len: bytes.len(), max: MAX_SINGLE_BLOCK });
    }
    Ok(cid_from_sha256(Sha256::digest(bytes).into()))
}

/// The CIDv1 raw sha2-256 CID of content whose sha256 digest is `digest`.
pub fn cid_from_sha256(digest: [u8; 32]) -> Cid {
    // A 32-byte digest always fits the 64-byte multihash of `Cid`; `wrap` only fails above that.
    let hash = match Multihash::<64>::wrap(SHA2_256_CODE, &digest) {
        Ok(hash) => hash,
        Err(_) => unreachable!("a 32-byte digest fits a 64-byte multihash"),
    };
    Cid::new_v1(RAW_CODEC, hash)
}

/// The sha256 digest inside a CIDv1 raw sha2-256 CID.
///
/// Fails with [`StoreError::UnsupportedCid`] for CIDv0, any codec other than raw, any hash other than
/// sha2-256, or a digest that is not 32 bytes.
pub fn sha256_of(cid: &Cid) -> Result<[u8; 32]> {
    let unsupported = |reason: String| StoreError::UnsupportedCid { cid: cid.to_string(), reason };
    if cid.version() != Version::V1 {
        return Err(unsupported("it is a CIDv0".to_owned()));
    }
    if cid.codec() != RAW_CODEC {
        return Err(unsupported(format!("its codec is {:#x}, not raw ({RAW_CODEC:#x})", cid.codec())));
    }
    let hash = cid.hash();
    if hash.code() != SHA2_256_CODE {
        return Err(unsupported(format!("its hash is {:#x}, not sha2-256 ({SHA2_256_CODE:#x})", hash.code())));
    }
    hash.digest().try_into().map_err(|_| unsupported(format!("its digest is {} bytes, not 32", hash.digest().len())))
}

/// Parses a CID in any multibase (the `ipfs://` scheme is accepted and stripped) and checks that it
/// is a CIDv1 raw sha2-256 CID.
pub fn parse_cid(text: &str) -> Result<Cid> {
    let bare = text.strip_prefix("ipfs://").unwrap_or(text);
    let cid = Cid::try_from(bare).map_err(|source| StoreError::InvalidCid { input: text.to_owned(), source })?;
    sha256_of(&cid)?;
    Ok(cid)
}

/// The canonical text form of a CID: multibase base32-lower (`bafkrei…` for raw sha2-256).
pub fn cid_string(cid: &Cid) -> String {
    // `to_string_of_base` only fails for CIDv0 in a base other than base58btc.
    cid.to_string_of_base(Base::Base32Lower).unwrap_or_else(|_| cid.to_string())
}

/// The token URI of a document: `ipfs://` followed by its base32-lower CID.
pub fn ipfs_uri(cid: &Cid) -> String {
    format!("ipfs://{}", cid_string(cid))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 base32, lower-case alphabet, no padding: written here independently of the
    /// `multibase` crate so the CIDs above are checked against a second implementation.
    fn base32_lower_nopad(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
        let mut out = String::new();
        let mut buffer: u32 = 0;
        let mut bits = 0;
        for &byte in bytes {
            buffer = (buffer << 8) | u32::from(byte);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
            }
            buffer &= (1 << bits) - 1;
        }
        if bits > 0 {
            out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
        }
        out
    }

    fn independent_cid_string(content: &[u8]) -> String {
        let mut bytes = vec![0x01, 0x55, 0x12, 0x20];
        bytes.extend_from_slice(&Sha256::digest(content));
        format!("b{}", base32_lower_nopad(&bytes))
    }

    #[test]
    fn independent_encoder_matches_rfc4648_vectors() {
        // RFC 4648 section 10, lower-cased and without padding.
        let vectors =
            [("", ""), ("f", "my"), ("fo", "mzxq"), ("foo", "mzxw6"), ("foob", "mzxw6yq"), ("fooba", "mzxw6ytb")];
        for (input, expected) in vectors {
            assert_eq!(base32_lower_nopad(input.as_bytes()), expected, "{input:?}");
        }
        assert_eq!(base32_lower_nopad(b"foobar"), "mzxw6ytboi");
    }

    #[test]
    fn empty_content_has_the_known_cid() -> Result<()> {
        let cid = content_cid(b"")?;
        assert_eq!(cid_string(&cid), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
        assert_eq!(cid.to_string(), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
        assert_eq!(independent_cid_string(b""), cid_string(&cid));
        Ok(())
    }

    #[test]
    fn hello_world_matches_the_independent_encoder() -> Result<()> {
        let cid = content_cid(b"hello world")?;
        assert_eq!(cid_string(&cid), independent_cid_string(b"hello world"));
        // Also computed with Python's hashlib + base64.b32encode while writing this test.
        assert_eq!(cid_string(&cid), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
        assert_eq!(ipfs_uri(&cid), "ipfs://bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
        Ok(())
    }

    #[test]
    fn every_length_up_to_a_few_blocks_of_base32_matches() -> Result<()> {
        for len in 0..80 {
            let content: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let cid = content_cid(&content)?;
            let text = cid_string(&cid);
            assert!(text.starts_with(RAW_SHA256_PREFIX), "{text}");
            assert_eq!(text, independent_cid_string(&content));
        }
        Ok(())
    }

    #[test]
    fn size_limit_is_kubos_chunk_size() {
        let at_limit = vec![7u8; MAX_SINGLE_BLOCK];
        assert!(content_cid(&at_limit).is_ok());
        let over = vec![7u8; MAX_SINGLE_BLOCK + 1];
        match content_cid(&over) {
            Err(StoreError::TooLarge { len, max }) => {
                assert_eq!(len, MAX_SINGLE_BLOCK + 1);
                assert_eq!(max, MAX_SINGLE_BLOCK);
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn digest_round_trips() -> Result<()> {
        let digest: [u8; 32] = Sha256::digest(b"receipt").into();
        let cid = cid_from_sha256(digest);
        assert_eq!(sha256_of(&cid)?, digest);
        assert_eq!(cid, content_cid(b"receipt")?);
        Ok(())
    }

    #[test]
    fn parses_from_string_and_uri() -> Result<()> {
        let cid = content_cid(b"hello world")?;
        let text = cid_string(&cid);
        assert_eq!(parse_cid(&text)?, cid);
        assert_eq!(parse_cid(&ipfs_uri(&cid))?, cid);
        // Same CID in another multibase (base58btc, 'z').
        let base58 = cid
            .to_string_of_base(Base::Base58Btc)
            .map_err(|e| StoreError::InvalidCid { input: String::new(), source: e })?;
        assert_eq!(parse_cid(&base58)?, cid);
        assert!(matches!(parse_cid("not a cid"), Err(StoreError::InvalidCid { .. })));
        Ok(())
    }

    #[test]
    fn rejects_other_codecs_hashes_and_v0() {
        // dag-pb CIDv0 of "hello world" as `ipfs add` without options reports it.
        let v0: Cid = match "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD".parse() {
            Ok(cid) => cid,
            Err(e) => panic!("test vector must parse: {e}"),
        };
        assert!(matches!(sha256_of(&v0), Err(StoreError::UnsupportedCid { .. })));

        let digest = [9u8; 32];
        let Ok(sha256) = Multihash::<64>::wrap(SHA2_256_CODE, &digest) else { panic!("wrap") };
        let dag_pb = Cid::new_v1(0x70, sha256);
        assert!(matches!(sha256_of(&dag_pb), Err(StoreError::UnsupportedCid { .. })));

        let Ok(blake3) = Multihash::<64>::wrap(0x1e, &digest) else { panic!("wrap") };
        assert!(matches!(sha256_of(&Cid::new_v1(RAW_CODEC, blake3)), Err(StoreError::UnsupportedCid { .. })));

        let Ok(short) = Multihash::<64>::wrap(SHA2_256_CODE, &digest[..20]) else { panic!("wrap") };
        assert!(matches!(sha256_of(&Cid::new_v1(RAW_CODEC, short)), Err(StoreError::UnsupportedCid { .. })));

        assert!(matches!(
            parse_cid("bafybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa"),
            Err(StoreError::UnsupportedCid { .. })
        ));
    }
}
