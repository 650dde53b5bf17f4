// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title ReceiptNFT
/// @notice One ERC-721 token per successful vending order (the "insured NFT" once the insurance pool covers it).
///         The token id is the Storefront's order id. Metadata is a JSON document stored off chain and addressed by
///         content: the contract keeps its sha2-256 digest and `tokenURI` returns `ipfs://<CIDv1>` (raw codec,
///         base32), exactly what `ipfs add --cid-version=1 --raw-leaves` prints for that document.
///         Metadata changes (claims, payouts) are announced with ERC-4906 `MetadataUpdate`.
contract ReceiptNFT is ERC721, AccessControl, IERC4906 {
    /// @notice Role allowed to mint receipts (the Storefront).
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    /// @notice Role allowed to replace a receipt's metadata and record its cover (the insurance pool).
    bytes32 public constant METADATA_ROLE = keccak256("METADATA_ROLE");

    /// @notice Where a receipt's cover stands.
    enum CoverageStatus {
        None,
        Active,
        Claimed,
        Paid,
        Rejected
    }

    /// @notice The cover an insurance pool recorded on a receipt (the "insured NFT").
    struct Coverage {
        address pool;
        uint128 amount;
        uint64 claimableUntil;
        CoverageStatus status;
    }

    /// @dev CIDv1 prefix: version 1, raw codec (0x55), sha2-256 multihash (0x12) of 32 bytes (0x20).
    bytes4 private constant CID_PREFIX = 0x01551220;
    /// @dev RFC 4648 base32, lower case, the multibase 'b' alphabet.
    bytes32 private constant BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

    mapping(uint256 tokenId => bytes32 digest) private _metadataDigest;
    mapping(uint256 tokenId => Coverage) private _coverage;
    uint256 private _totalMinted;

    /// @notice A receipt was minted for an order.
    /// @param tokenId The order id.
    /// @param owner The buyer.
    /// @param metadataDigest sha2-256 of the metadata JSON.
    event ReceiptMinted(uint256 indexed tokenId, address indexed owner, bytes32 metadataDigest);

    /// @notice A receipt's metadata document was replaced.
    /// @param tokenId The receipt.
    /// @param metadataDigest sha2-256 of the new metadata JSON.
    event ReceiptMetadataChanged(uint256 indexed tokenId, bytes32 metadataDigest);

    /// @notice A pool recorded or changed the cover of a receipt.
    /// @param tokenId The receipt.
    /// @param pool The insurance pool.
    /// @param amount Amount covered.
    /// @param claimableUntil Last time a claim may be filed.
    /// @param status Where the cover stands.
    event CoverageChanged(
        uint256 indexed tokenId, address indexed pool, uint128 amount, uint64 claimableUntil, CoverageStatus status
    );

    /// @notice The metadata digest is zero (no document).
    error ReceiptMissingMetadata();

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants MINTER_ROLE to the Storefront).
    constructor(address admin) ERC721("automat receipt", "AUTOR") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Mints receipt `tokenId` to `to` with the metadata document whose sha2-256 is `digest`.
    /// @dev Plain `_mint`, not `_safeMint`: a buyer contract must not be able to block the settlement of its order.
    /// @param to The buyer.
    /// @param tokenId The order id.
    /// @param digest sha2-256 of the metadata JSON.
    function mint(address to, uint256 tokenId, bytes32 digest) external onlyRole(MINTER_ROLE) {
        if (digest == bytes32(0)) revert ReceiptMissingMetadata();
        _metadataDigest[tokenId] = digest;
        _totalMinted += 1;
        _mint(to, tokenId);
        emit ReceiptMinted(tokenId, to, digest);
    }

    /// @notice Replaces the metadata of an existing receipt and announces it (ERC-4906).
    /// @param tokenId The receipt.
    /// @param digest sha2-256 of the new metadata JSON.
    function updateMetadata(uint256 tokenId, bytes32 digest) external onlyRole(METADATA_ROLE) {
        _requireOwned(tokenId);
        if (digest == bytes32(0)) revert ReceiptMissingMetadata();
        _metadataDigest[tokenId] = digest;
        emit ReceiptMetadataChanged(tokenId, digest);
        emit MetadataUpdate(tokenId);
    }

    /// @notice Records the cover of receipt `tokenId` and announces the change (ERC-4906).
    /// @param tokenId The receipt.
    /// @param amount Amount covered.
    /// @param claimableUntil Last time a claim may be filed.
    /// @param status Where the cover stands.
    function setCoverage(uint256 tokenId, uint128 amount, uint64 claimableUntil, CoverageStatus status)
        external
        onlyRole(METADATA_ROLE)
    {
        _requireOwned(tokenId);
        _coverage[tokenId] =
            Coverage({pool: msg.sender, amount: amount, claimableUntil: claimableUntil, status: status});
        emit CoverageChanged(tokenId, msg.sender, amount, claimableUntil, status);
        emit MetadataUpdate(tokenId);
    }

    /// @notice The cover recorded on receipt `tokenId` (status None: uninsured).
    /// @param tokenId The receipt.
    /// @return The cover.
    function coverageOf(uint256 tokenId) external view returns (Coverage memory) {
        _requireOwned(tokenId);
        return _coverage[tokenId];
    }

    /// @notice sha2-256 of receipt `tokenId`'s metadata document.
    /// @param tokenId The receipt.
    /// @return The digest.
    function metadataDigest(uint256 tokenId) external view returns (bytes32) {
        _requireOwned(tokenId);
        return _metadataDigest[tokenId];
    }

    /// @notice Number of receipts ever minted.
    /// @return The count.
    function totalMinted() external view returns (uint256) {
        return _totalMinted;
    }

    /// @notice `ipfs://<CIDv1>` of receipt `tokenId`'s metadata document.
    /// @param tokenId The receipt.
    /// @return The URI.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        return string.concat("ipfs://", cidOf(_metadataDigest[tokenId]));
    }

    /// @notice The base32 CIDv1 (raw codec, sha2-256) of content whose sha2-256 is `digest`.
    /// @param digest sha2-256 of the content.
    /// @return cid The CID string, starting with "bafkrei".
    function cidOf(bytes32 digest) public pure returns (string memory cid) {
        bytes memory data = abi.encodePacked(CID_PREFIX, digest);
        // 36 bytes = 288 bits -> 58 base32 characters, plus the multibase prefix 'b'.
        bytes memory out = new bytes(59);
        out[0] = "b";
        uint256 buffer;
        uint256 bits;
        uint256 j = 1;
        for (uint256 i = 0; i < data.length; ++i) {
            buffer = (buffer << 8) | uint8(data[i]);
            bits += 8;
            while (bits >= 5) {
                bits -= 5;
                out[j++] = BASE32_ALPHABET[(buffer >> bits) & 31];
            }
        }
        if (bits > 0) out[j] = BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
        return string(out);
    }

    /// @notice ERC-165: ERC-721, ERC-721 metadata, ERC-4906 and AccessControl.
    /// @param interfaceId The interface id.
    /// @return Whether it is supported.
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, AccessControl, IERC165) returns (bool) {
        return interfaceId == bytes4(0x49064906) || super.supportsInterface(interfaceId);
    }
}
