// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IArbitrator, IArbitrable} from "../court/IArbitrator.sol";

/// @title TestArbitrable
/// @notice Test fixture only: creates disputes on an arbitrator (paying its fee from its own balance) and records
///         the rulings it receives, so tests can check {IArbitrable-rule} is called exactly once per dispute.
contract TestArbitrable is IArbitrable {
    /// @notice The arbitrator.
    IArbitrator public immutable arbitrator;
    /// @notice The ruling received for each dispute.
    mapping(uint256 disputeId => uint256) public rulingOf;
    /// @notice How many times {rule} was called for each dispute.
    mapping(uint256 disputeId => uint256) public ruleCalls;

    /// @notice Only the arbitrator may call {rule}.
    error TestArbitrableNotArbitrator(address caller);

    /// @param arbitrator_ The arbitrator.
    constructor(IArbitrator arbitrator_) {
        arbitrator = arbitrator_;
    }

    /// @notice Creates a dispute among `choices` options, paying the arbitration cost from this contract's balance.
    /// @param choices Number of options.
    /// @return disputeId The arbitrator's dispute id.
    function createDispute(uint256 choices) external returns (uint256 disputeId) {
        IERC20 token = arbitrator.feeToken();
        token.approve(address(arbitrator), arbitrator.arbitrationCost(""));
        disputeId = arbitrator.createDispute(choices, "");
    }

    /// @inheritdoc IArbitrable
    function rule(uint256 disputeId, uint256 ruling) external {
        if (msg.sender != address(arbitrator)) revert TestArbitrableNotArbitrator(msg.sender);
        rulingOf[disputeId] = ruling;
        ruleCalls[disputeId] += 1;
        emit Ruling(arbitrator, disputeId, ruling);
    }
}
