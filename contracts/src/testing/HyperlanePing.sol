// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMessageRecipient} from "@hyperlane-xyz/core/contracts/interfaces/IMessageRecipient.sol";
import {IMailbox} from "@hyperlane-xyz/core/contracts/interfaces/IMailbox.sol";

/// @title HyperlanePing
/// @notice Test fixture: the smallest Hyperlane application. It dispatches bodies through its chain's Mailbox
///         (paying the Mailbox's quote) and records the bodies the Mailbox delivers to it. Optionally it only
///         accepts messages from allowlisted (origin domain, sender) pairs, the check every real Hyperlane
///         application makes, and it can be told to fail so relayer retries can be exercised. Not part of the
///         vending protocol.
contract HyperlanePing is IMessageRecipient {
    /// @notice The Mailbox this application sends through and accepts deliveries from.
    IMailbox public immutable mailbox;
    /// @notice May change the allowlist and the failure switch.
    address public immutable owner;

    /// @notice When set, `handle` reverts with `Failing` (a recipient that cannot take the message yet).
    bool public fail;
    /// @notice When set, `handle` only accepts senders in `allowedSender`.
    bool public allowlistEnabled;
    /// @notice Allowlisted senders: origin domain => sender (left-padded address) => allowed.
    mapping(uint32 origin => mapping(bytes32 sender => bool allowed)) public allowedSender;

    /// @notice Number of messages handled.
    uint256 public received;
    /// @notice The last body handled.
    bytes public lastBody;
    /// @notice Origin domain of the last message handled.
    uint32 public lastOrigin;
    /// @notice Sender of the last message handled.
    bytes32 public lastSender;

    /// @notice A body was dispatched.
    event Sent(bytes32 indexed messageId, uint32 indexed destination, bytes32 recipient, bytes body);
    /// @notice A body was delivered by the Mailbox.
    event Received(uint32 indexed origin, bytes32 indexed sender, bytes body);

    /// @notice `handle` was called by someone other than the Mailbox.
    error NotMailbox(address caller);
    /// @notice The (origin, sender) pair is not allowlisted.
    error SenderNotAllowed(uint32 origin, bytes32 sender);
    /// @notice The failure switch is on.
    error Failing();
    /// @notice Only the owner may do this.
    error NotOwner(address caller);
    /// @notice Less value than the Mailbox's quote was sent.
    error InsufficientFee(uint256 required, uint256 sent);

    /// @param mailbox_ The chain's Hyperlane Mailbox.
    constructor(address mailbox_) {
        mailbox = IMailbox(mailbox_);
        owner = msg.sender;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Dispatches `body` to `recipient` on `destination`, paying the Mailbox's quote from the value sent
    ///         and returning any excess to the caller.
    /// @return messageId The Hyperlane message id.
    function send(uint32 destination, bytes32 recipient, bytes calldata body)
        external
        payable
        returns (bytes32 messageId)
    {
        uint256 fee = mailbox.quoteDispatch(destination, recipient, body);
        if (msg.value < fee) revert InsufficientFee(fee, msg.value);
        messageId = mailbox.dispatch{value: fee}(destination, recipient, body);
        emit Sent(messageId, destination, recipient, body);
        uint256 excess = msg.value - fee;
        if (excess > 0) {
            (bool ok,) = payable(msg.sender).call{value: excess}("");
            require(ok, "HyperlanePing: refund failed");
        }
    }

    /// @inheritdoc IMessageRecipient
    function handle(uint32 origin, bytes32 sender, bytes calldata body) external payable override {
        if (msg.sender != address(mailbox)) revert NotMailbox(msg.sender);
        if (allowlistEnabled && !allowedSender[origin][sender]) revert SenderNotAllowed(origin, sender);
        if (fail) revert Failing();
        received += 1;
        lastBody = body;
        lastOrigin = origin;
        lastSender = sender;
        emit Received(origin, sender, body);
    }

    /// @notice Turns the failure switch on or off.
    function setFail(bool fail_) external onlyOwner {
        fail = fail_;
    }

    /// @notice Turns the sender allowlist on or off.
    function setAllowlistEnabled(bool enabled) external onlyOwner {
        allowlistEnabled = enabled;
    }

    /// @notice Allows or disallows `sender` on `origin`.
    function setAllowedSender(uint32 origin, bytes32 sender, bool allowed) external onlyOwner {
        allowedSender[origin][sender] = allowed;
    }

    /// @notice Accepts refunds from the Mailbox's hooks.
    receive() external payable {}
}
