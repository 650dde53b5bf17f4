// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ITransportAdapter, IRouterInbound} from "../crosschain/ITransport.sol";

/// @title CompromisedTransport
/// @notice Test fixture: a transport adapter whose owner can make it claim any source chain and any envelope,
///         as a transport whose verifiers were all compromised would. The router must still refuse what its own
///         checks catch (wrong source or destination chain, non-peer router, replays). Not part of the protocol.
contract CompromisedTransport is ITransportAdapter {
    /// @notice The router it delivers to.
    IRouterInbound public immutable router;
    /// @notice Who may inject messages.
    address public immutable owner;

    /// @notice Only the owner may inject.
    error NotOwner();

    /// @param router_ The router.
    constructor(address router_) {
        router = IRouterInbound(router_);
        owner = msg.sender;
    }

    /// @notice Delivers `envelope` as if authenticated from `srcChainId`.
    /// @param srcChainId The source chain to claim.
    /// @param envelope The envelope.
    function inject(uint64 srcChainId, bytes calldata envelope) external {
        if (msg.sender != owner) revert NotOwner();
        router.receiveMessage(srcChainId, envelope);
    }

    /// @inheritdoc ITransportAdapter
    function quote(uint64, bytes calldata) external pure returns (uint256) {
        return 0;
    }

    /// @inheritdoc ITransportAdapter
    function send(uint64, bytes calldata, address) external payable {}

    /// @inheritdoc ITransportAdapter
    function protocolEndpoint() external pure returns (address) {
        return address(0);
    }
}
