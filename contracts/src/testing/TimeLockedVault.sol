// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title TimeLockedVault
/// @notice Test fixture for the chain-client suite: holds ERC-20 deposits until an unlock time and reports every
///         refusal through a custom error, so the suite can check revert decoding and time travel on each backend.
contract TimeLockedVault is ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice The token this vault holds.
    IERC20 public immutable token;
    /// @notice Largest amount accepted in one deposit.
    uint256 public immutable maxDeposit;

    struct Lock {
        uint256 amount;
        uint64 unlockAt;
    }

    mapping(address owner => Lock) private _locks;

    /// @notice A deposit of zero.
    error VaultZeroAmount();
    /// @notice A deposit above `maxDeposit`.
    error VaultAmountTooLarge(uint256 amount, uint256 max);
    /// @notice A withdrawal before the unlock time.
    error VaultStillLocked(address owner, uint64 unlockAt, uint64 nowTs);
    /// @notice A withdrawal with nothing deposited.
    error VaultNothingLocked(address owner);

    /// @notice Emitted when `owner` locks `amount` until `unlockAt`.
    event Deposited(address indexed owner, uint256 amount, uint64 unlockAt);
    /// @notice Emitted when `owner` withdraws `amount`.
    event Withdrawn(address indexed owner, uint256 amount);

    /// @param token_ The ERC-20 held by the vault.
    /// @param maxDeposit_ Largest single deposit.
    constructor(IERC20 token_, uint256 maxDeposit_) {
        token = token_;
        maxDeposit = maxDeposit_;
    }

    /// @notice Locks `amount` of the caller's tokens (pre-approved) for `duration` seconds, adding to any
    ///         existing lock and extending its unlock time.
    /// @param amount Amount in base units.
    /// @param duration Seconds from now until withdrawal is allowed.
    function deposit(uint256 amount, uint64 duration) external nonReentrant {
        if (amount == 0) revert VaultZeroAmount();
        if (amount > maxDeposit) revert VaultAmountTooLarge(amount, maxDeposit);
        Lock storage lock = _locks[msg.sender];
        lock.amount += amount;
        lock.unlockAt = uint64(block.timestamp) + duration;
        emit Deposited(msg.sender, amount, lock.unlockAt);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Withdraws the caller's whole deposit once its unlock time has passed.
    function withdraw() external nonReentrant {
        Lock memory lock = _locks[msg.sender];
        if (lock.amount == 0) revert VaultNothingLocked(msg.sender);
        if (block.timestamp < lock.unlockAt) {
            revert VaultStillLocked(msg.sender, lock.unlockAt, uint64(block.timestamp));
        }
        delete _locks[msg.sender];
        emit Withdrawn(msg.sender, lock.amount);
        token.safeTransfer(msg.sender, lock.amount);
    }

    /// @notice The lock held for `owner`.
    /// @param owner The depositor.
    /// @return amount Locked amount.
    /// @return unlockAt Unix time from which it can be withdrawn.
    function lockOf(address owner) external view returns (uint256 amount, uint64 unlockAt) {
        Lock memory lock = _locks[owner];
        return (lock.amount, lock.unlockAt);
    }
}
