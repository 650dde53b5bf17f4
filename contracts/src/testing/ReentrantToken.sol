// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice Test fixture for adversarial tests: an ERC-20 that, when armed, calls back into `target` with `payload`
///         from inside every transfer (once per arming), the way a malicious or hooked token would. It records whether
///         the re-entrant call succeeded and what it returned, so a test can assert that the victim refused it.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public payload;
    bool public armed;
    /// @notice Number of re-entry attempts made.
    uint256 public attempts;
    /// @notice Whether the last re-entrant call succeeded.
    bool public lastSucceeded;
    /// @notice What the last re-entrant call returned (revert data when it failed).
    bytes public lastReturn;

    /// @notice A re-entry was attempted.
    event ReentryAttempted(address indexed target, bool success, bytes returnData);

    /// @param holder Receives the initial supply.
    /// @param supply Initial supply.
    constructor(address holder, uint256 supply) ERC20("Reentrant", "REENT") {
        _mint(holder, supply);
    }

    /// @notice Six decimals, like the payment token it stands in for.
    /// @return The number of decimals.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Arms the hook: the next transfer calls `target_` with `payload_`.
    /// @param target_ Contract to re-enter.
    /// @param payload_ Calldata to send.
    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
        armed = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (armed) {
            armed = false;
            attempts += 1;
            (bool ok, bytes memory ret) = target.call(payload);
            lastSucceeded = ok;
            lastReturn = ret;
            emit ReentryAttempted(target, ok, ret);
        }
    }
}
