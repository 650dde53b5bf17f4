// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title TestNFT
/// @notice Test fixture: a plain OpenZeppelin ERC-721 whose mint the purchase benchmark measures as part of its
///         baseline (a purchase ends in a receipt NFT). Not part of the vending protocol.
contract TestNFT is ERC721, Ownable {
    /// @param name_ Collection name.
    /// @param symbol_ Collection symbol.
    /// @param owner_ Owns the mint right.
    constructor(string memory name_, string memory symbol_, address owner_) ERC721(name_, symbol_) Ownable(owner_) {}

    /// @notice Mints token `tokenId` to `to`. Only the owner may mint.
    /// @param to Recipient of the new token.
    /// @param tokenId Id of the new token (must not exist yet).
    function mint(address to, uint256 tokenId) external onlyOwner {
        _mint(to, tokenId);
    }
}
