// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title TestToken
/// @notice Test fixture: a plain OpenZeppelin ERC-20 (with ERC-2612 permit) that the chain-client suite deploys
///         on every backend. Not part of the vending protocol.
contract TestToken is ERC20, ERC20Permit, Ownable {
    /// @param name_ Token name.
    /// @param symbol_ Token symbol.
    /// @param holder Receives the initial supply and owns the mint right.
    /// @param supply Initial supply, in base units.
    constructor(string memory name_, string memory symbol_, address holder, uint256 supply)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
        Ownable(holder)
    {
        _mint(holder, supply);
    }

    /// @notice Mints `amount` base units to `to`. Only the owner may mint.
    /// @param to Recipient of the new tokens.
    /// @param amount Amount in base units.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
