// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title NetworkToken
/// @notice automat's network token "automat Network" (AUTO), 18 decimals: jurors stake it in the Court and
///         randomness contributors bond it in the RandomnessBeacon; governance will count its votes
///         (ERC20Votes, block-number clock). Holders of MINTER_ROLE mint up to the immutable cap.
contract NetworkToken is ERC20, ERC20Permit, ERC20Votes, ERC20Capped, AccessControl {
    /// @notice Role allowed to mint new supply (up to the cap).
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice The admin given to the constructor was the zero address.
    error NetworkTokenZeroAdmin();

    /// @param admin Receives DEFAULT_ADMIN_ROLE and MINTER_ROLE.
    /// @param cap_ Maximum total supply, in base units (18 decimals).
    constructor(address admin, uint256 cap_)
        ERC20("automat Network", "AUTO")
        ERC20Permit("automat Network")
        ERC20Capped(cap_)
    {
        if (admin == address(0)) revert NetworkTokenZeroAdmin();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @notice Mints `amount` base units to `to`; reverts with {ERC20ExceededCap} past the cap.
    /// @param to Recipient of the new tokens.
    /// @param amount Amount in base units.
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    /// @notice The permit nonce of `owner` (ERC-2612), shared with any other nonce-based feature.
    /// @param owner The account.
    /// @return The next nonce.
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// @dev Transfers, mints and burns move votes (ERC20Votes) and respect the cap (ERC20Capped).
    function _update(address from, address to, uint256 value)
        internal
        override(ERC20, ERC20Votes, ERC20Capped)
    {
        super._update(from, to, value);
    }
}
