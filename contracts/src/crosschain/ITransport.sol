// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

/// @title ITransportAdapter
/// @notice The narrow seam between {CrossChainRouter} and a messaging protocol. An adapter carries opaque
///         router envelopes to the adapter peer on another chain and hands what it receives back to its router,
///         naming the source chain the protocol authenticated. Both transports (LayerZero v2, Hyperlane) implement
///         it, so a message can be retried through either.
interface ITransportAdapter {
    /// @notice Native fee to carry `envelope` to `dstChainId`.
    function quote(uint64 dstChainId, bytes calldata envelope) external view returns (uint256 nativeFee);

    /// @notice Sends `envelope` to the peer adapter on `dstChainId`; only the router may call. Excess fee goes to
    ///         `refundTo`.
    function send(uint64 dstChainId, bytes calldata envelope, address refundTo) external payable;

    /// @notice The protocol contract the adapter talks to (LayerZero endpoint, Hyperlane mailbox).
    function protocolEndpoint() external view returns (address);
}

/// @title IRouterApp
/// @notice An application that receives messages through {CrossChainRouter}.
interface IRouterApp {
    /// @notice Called by the router with a message the app on `srcChainId` sent. A revert leaves the message
    ///         undelivered at the transport, to be delivered again later; business rejections should not revert.
    function onRouterMessage(uint64 srcChainId, uint64 nonce, bytes calldata payload) external;
}

/// @title IRouterInbound
/// @notice What a transport adapter calls on its router.
interface IRouterInbound {
    /// @notice Delivers `envelope`, which the protocol authenticated as coming from `srcChainId`'s peer adapter.
    function receiveMessage(uint64 srcChainId, bytes calldata envelope) external;
}
