// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IArbitrator
/// @notice ERC-792's arbitrator with its fee paid in an ERC-20 token instead of ether: an arbitrable contract pays
///         {arbitrationCost} in {feeToken} (pulled from it by {createDispute}), the arbitrator decides among
///         `choices` options and calls back {IArbitrable-rule} once its ruling is final.
///         Ruling 0 means "refused to arbitrate" (e.g. a tie); options run from 1 to `choices`.
interface IArbitrator {
    /// @notice A dispute was created for `arbitrable`.
    event DisputeCreation(uint256 indexed disputeId, IArbitrable indexed arbitrable);

    /// @notice Creates a dispute among `choices` options and pulls {arbitrationCost} of {feeToken} from the caller
    ///         (which must have approved it). The caller is the arbitrable that {IArbitrable-rule} is called on.
    /// @param choices Number of options (at least 2).
    /// @param extraData Arbitrator-specific parameters (may be empty).
    /// @return disputeId The new dispute's id.
    function createDispute(uint256 choices, bytes calldata extraData) external returns (uint256 disputeId);

    /// @notice What {createDispute} charges, in {feeToken} base units.
    /// @param extraData As for {createDispute}.
    /// @return cost The fee.
    function arbitrationCost(bytes calldata extraData) external view returns (uint256 cost);

    /// @notice The token fees are paid in.
    /// @return The fee token.
    function feeToken() external view returns (IERC20);

    /// @notice The ruling as it stands, and whether it is final (executed).
    /// @param disputeId The dispute.
    /// @return ruling The current ruling (0: none or tie).
    /// @return isFinal Whether the dispute has ended and the ruling was delivered.
    function currentRuling(uint256 disputeId) external view returns (uint256 ruling, bool isFinal);
}

/// @title IArbitrable
/// @notice ERC-792's arbitrable side: receives the final ruling of a dispute it created.
interface IArbitrable {
    /// @notice `arbitrator` gave its final `ruling` on `disputeId`.
    event Ruling(IArbitrator indexed arbitrator, uint256 indexed disputeId, uint256 ruling);

    /// @notice Delivers the final ruling. Only the arbitrator that the dispute was created on may call it.
    /// @param disputeId The arbitrator's dispute id.
    /// @param ruling The ruling (0: refused to arbitrate).
    function rule(uint256 disputeId, uint256 ruling) external;
}
