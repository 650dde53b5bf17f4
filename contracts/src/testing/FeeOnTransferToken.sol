// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeOnTransferToken
/// @notice Test fixture: an ERC-20 that burns `feeBps` of every transfer, to show the token gateway refuses to lock
///         a token that does not move the amount asked. Not part of the protocol.
contract FeeOnTransferToken is ERC20 {
    /// @notice Share of each transfer burned, in basis points.
    uint16 public immutable feeBps;

    /// @param holder Receives `supply`.
    /// @param supply Initial supply.
    /// @param feeBps_ Fee in basis points.
    constructor(address holder, uint256 supply, uint16 feeBps_) ERC20("Fee on transfer", "FOT") {
        feeBps = feeBps_;
        _mint(holder, supply);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 fee = value * feeBps / 10_000;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
