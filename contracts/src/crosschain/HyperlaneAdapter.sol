// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IMailbox} from "@hyperlane-xyz/core/contracts/interfaces/IMailbox.sol";
import {IMessageRecipient} from "@hyperlane-xyz/core/contracts/interfaces/IMessageRecipient.sol";
import {
    IInterchainSecurityModule,
    ISpecifiesInterchainSecurityModule
} from "@hyperlane-xyz/core/contracts/interfaces/IInterchainSecurityModule.sol";
import {IMultisigIsm} from "@hyperlane-xyz/core/contracts/interfaces/isms/IMultisigIsm.sol";
import {ITransportAdapter, IRouterInbound} from "./ITransport.sol";

/// @title HyperlaneAdapter
/// @notice Carries {CrossChainRouter} envelopes over Hyperlane: dispatches through the local Mailbox to the peer
///         adapter on the destination domain (domain = chain id) and accepts `handle` only from the Mailbox, for a
///         sender that is the peer adapter of the origin domain. It names its own interchain security module (a
///         multisig ISM), so the Mailbox verifies validator signatures against it before `handle` runs.
///
///         Security invariant, checked whenever the ISM changes: it is a multisig ISM whose threshold is at least
///         {MIN_THRESHOLD} and no larger than its validator set.
contract HyperlaneAdapter is Ownable2Step, IMessageRecipient, ISpecifiesInterchainSecurityModule, ITransportAdapter {
    /// @notice The fewest validator signatures any message needs.
    uint8 public constant MIN_THRESHOLD = 2;

    /// @notice The local Mailbox.
    IMailbox public immutable mailbox;
    /// @notice The router this adapter serves.
    IRouterInbound public immutable router;
    /// @notice The ISM the Mailbox must use for messages to this adapter.
    IInterchainSecurityModule public interchainSecurityModule;
    /// @notice Chain id (= Hyperlane domain) => the peer adapter there.
    mapping(uint64 chainId => bytes32) public peerOf;

    /// @notice The peer adapter on a chain was set.
    event PeerSet(uint64 indexed chainId, bytes32 peer);
    /// @notice The ISM changed.
    event IsmSet(address ism);

    /// @notice Only the router may send.
    error OnlyRouter(address caller);
    /// @notice Only the Mailbox may deliver.
    error OnlyMailbox(address caller);
    /// @notice The message's sender is not the peer adapter of its origin.
    error NotPeer(uint32 origin, bytes32 sender);
    /// @notice No peer on that chain.
    error NoRoute(uint64 chainId);
    /// @notice The fee paid does not cover the quote.
    error InsufficientFee(uint256 paid, uint256 required);
    /// @notice The ISM's threshold is below {MIN_THRESHOLD} or above its validator count.
    error QuorumBelowMinimum(address ism, uint8 threshold, uint256 validators);
    /// @notice A domain must fit in 32 bits.
    error DomainTooLarge(uint64 chainId);
    /// @notice Returning excess fee failed.
    error RefundFailed(address to, uint256 amount);

    constructor(address mailbox_, address owner_, address router_, address ism) Ownable(owner_) {
        mailbox = IMailbox(mailbox_);
        router = IRouterInbound(router_);
        _setIsm(ism);
    }

    /// @notice Sets the peer adapter on `chainId`.
    function setPeer(uint64 chainId, bytes32 peer) external onlyOwner {
        _domain(chainId);
        peerOf[chainId] = peer;
        emit PeerSet(chainId, peer);
    }

    /// @notice Sets the ISM (e.g. a rotated validator set), checking the security invariant.
    function setIsm(address ism) external onlyOwner {
        _setIsm(ism);
    }

    /// @inheritdoc ITransportAdapter
    function quote(uint64 dstChainId, bytes calldata envelope) public view returns (uint256) {
        return mailbox.quoteDispatch(_domain(dstChainId), _peer(dstChainId), envelope);
    }

    /// @inheritdoc ITransportAdapter
    function send(uint64 dstChainId, bytes calldata envelope, address refundTo) external payable {
        if (msg.sender != address(router)) revert OnlyRouter(msg.sender);
        uint256 fee = quote(dstChainId, envelope);
        if (msg.value < fee) revert InsufficientFee(msg.value, fee);
        mailbox.dispatch{value: fee}(_domain(dstChainId), _peer(dstChainId), envelope);
        uint256 excess = msg.value - fee;
        if (excess > 0) {
            (bool ok,) = refundTo.call{value: excess}("");
            if (!ok) revert RefundFailed(refundTo, excess);
        }
    }

    /// @notice Delivery from the Mailbox (after the ISM verified the message).
    function handle(uint32 origin, bytes32 sender, bytes calldata body) external payable {
        if (msg.sender != address(mailbox)) revert OnlyMailbox(msg.sender);
        bytes32 peer = peerOf[origin];
        if (peer == bytes32(0) || peer != sender) revert NotPeer(origin, sender);
        router.receiveMessage(origin, body);
    }

    /// @inheritdoc ITransportAdapter
    function protocolEndpoint() external view returns (address) {
        return address(mailbox);
    }

    /// @notice Reverts with {QuorumBelowMinimum} unless `ism`'s threshold is within [{MIN_THRESHOLD}, validators].
    function checkSecurity(address ism) public view {
        (address[] memory validators, uint8 threshold) = IMultisigIsm(ism).validatorsAndThreshold("");
        if (threshold < MIN_THRESHOLD || threshold > validators.length) {
            revert QuorumBelowMinimum(ism, threshold, validators.length);
        }
    }

    function _setIsm(address ism) private {
        checkSecurity(ism);
        interchainSecurityModule = IInterchainSecurityModule(ism);
        emit IsmSet(ism);
    }

    function _domain(uint64 chainId) private pure returns (uint32) {
        if (chainId > type(uint32).max) revert DomainTooLarge(chainId);
        return uint32(chainId);
    }

    function _peer(uint64 chainId) private view returns (bytes32 peer) {
        peer = peerOf[chainId];
        if (peer == bytes32(0)) revert NoRoute(chainId);
    }
}
