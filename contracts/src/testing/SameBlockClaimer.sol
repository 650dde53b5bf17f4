// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Storefront} from "../vending/Storefront.sol";
import {InsurancePool} from "../insurance/InsurancePool.sol";

/// @title SameBlockClaimer
/// @notice Test fixture: an attacker contract (colluding with a machine that signed the attestation in advance) that
///         buys cover, has the order attested dispensed and files a claim, all in one transaction. The pool must
///         refuse the claim (`ClaimInPurchaseBlock`).
contract SameBlockClaimer {
    /// @notice Buys an insured order, attests it and claims at once.
    /// @param storefront The Storefront.
    /// @param pool The insurance pool.
    /// @param quote The machine's quote.
    /// @param quoteSignature Its signature.
    /// @param deadline The order's deadline.
    /// @param attestation The machine's attestation of the order (id predicted).
    /// @param attestationSignature Its signature.
    function attack(
        Storefront storefront,
        InsurancePool pool,
        Storefront.Quote calldata quote,
        bytes calldata quoteSignature,
        uint64 deadline,
        Storefront.Attestation calldata attestation,
        bytes calldata attestationSignature
    ) external {
        IERC20 token = storefront.token();
        token.approve(address(storefront), type(uint256).max);
        token.approve(address(pool), type(uint256).max);
        (uint256 orderId,) = storefront.placeInsuredOrder(quote, quoteSignature, quote.price, deadline, type(uint128).max);
        storefront.attest(attestation, attestationSignature);
        pool.fileClaim(orderId, keccak256("fabricated evidence"));
    }
}
