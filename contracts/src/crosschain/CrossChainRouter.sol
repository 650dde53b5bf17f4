// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {RateLimiter} from "@openzeppelin/contracts/utils/RateLimiter.sol";
import {ITransportAdapter, IRouterApp, IRouterInbound} from "./ITransport.sol";

/// @title CrossChainRouter
/// @notice automat's application messaging between chains, over interchangeable transports.
///
///         Apps registered under an id send payloads to the app with the same id on another chain. The router wraps
///         each in an envelope `(srcChainId, srcRouter, dstChainId, nonce, app, payload)` and hands it to the chosen
///         transport adapter. The message's identity is `(srcChainId, srcRouter, nonce)`, independent of the
///         transport, so the same envelope can be retried through the other transport when one fails and the
///         destination delivers it at most once: a second copy (from either transport) is dropped with
///         {DuplicateDropped}, never handed to the app again.
///
///         Inbound checks, in order: the caller is a registered adapter; the source chain the protocol authenticated
///         equals the envelope's; the envelope's router is the allowlisted peer for that chain; the destination is
///         this chain; the message is new; the inbound rate limit allows it; the app exists. A failed check reverts,
///         leaving the message undelivered at the transport (nothing is lost; it can be delivered once fixed).
///
///         A guardian can pause sending and receiving; no role here can move funds (the router holds none).
contract CrossChainRouter is AccessControl, Pausable, ReentrancyGuard, IRouterInbound {
    using RateLimiter for RateLimiter.RefillingBucket;

    /// @notice May pause the router (not unpause, not reconfigure).
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @notice The router's envelope around every app message.
    struct Envelope {
        uint64 srcChainId;
        address srcRouter;
        uint64 dstChainId;
        uint64 nonce;
        bytes32 app;
        bytes payload;
    }

    /// @notice Transport id => adapter.
    mapping(uint8 transport => ITransportAdapter) public adapterOf;
    /// @notice Adapter => transport id (0: not an adapter).
    mapping(address adapter => uint8) public transportOf;
    /// @notice App id => local app.
    mapping(bytes32 appId => address) public appOf;
    /// @notice Local app => app id (0: not an app).
    mapping(address app => bytes32) public appIdOf;
    /// @notice Remote chain id => the router there (0: not a peer).
    mapping(uint64 chainId => address) public peerOf;
    /// @notice Transport ids ever configured.
    uint8[] private _transports;
    /// @notice Number of messages sent from here.
    uint64 public outboundNonce;
    /// @notice Outbound nonce => keccak256 of the envelope sent, for retries.
    mapping(uint64 nonce => bytes32) public sentHash;
    /// @notice Message id => transport that delivered it (0: not delivered).
    mapping(bytes32 messageId => uint8) public deliveredVia;

    RateLimiter.RefillingBucket private _outbound;
    RateLimiter.RefillingBucket private _inbound;

    /// @notice A transport adapter was set.
    event AdapterSet(uint8 indexed transport, address adapter);
    /// @notice An app was registered.
    event AppRegistered(bytes32 indexed appId, address app);
    /// @notice The peer router on a chain was set (zero: removed).
    event PeerSet(uint64 indexed chainId, address router);
    /// @notice Message rate limits changed.
    event RateLimitsSet(uint48 window, uint208 outboundCapacity, uint208 inboundCapacity);
    /// @notice A message left through `transport`.
    event MessageSent(
        bytes32 indexed messageId, uint64 indexed dstChainId, uint64 nonce, bytes32 indexed app, uint8 transport, bytes envelope
    );
    /// @notice A message was sent again, through `transport`.
    event MessageRetried(bytes32 indexed messageId, uint64 indexed dstChainId, uint64 nonce, uint8 transport);
    /// @notice A message was delivered to its app.
    event MessageDelivered(
        bytes32 indexed messageId, uint64 indexed srcChainId, uint64 nonce, bytes32 indexed app, uint8 transport
    );
    /// @notice A second copy of an already delivered message arrived and was dropped.
    event DuplicateDropped(bytes32 indexed messageId, uint8 transport, uint8 deliveredVia);

    /// @notice No adapter for this transport id.
    error UnknownTransport(uint8 transport);
    /// @notice The caller is not a registered app.
    error NotAnApp(address caller);
    /// @notice The caller is not a registered adapter.
    error NotAnAdapter(address caller);
    /// @notice No peer router on that chain.
    error UnknownPeer(uint64 chainId, address router);
    /// @notice The envelope claims a source chain other than the one the transport authenticated.
    error WrongSourceChain(uint64 claimed, uint64 authenticated);
    /// @notice The envelope is for another chain.
    error WrongDestinationChain(uint64 dstChainId);
    /// @notice No app registered under that id.
    error UnknownApp(bytes32 appId);
    /// @notice The envelope was not sent from this router (retry).
    error NotSentHere(uint64 nonce);
    /// @notice That address may not be registered as an app (router, adapter or protocol contract).
    error ForbiddenApp(address app);
    /// @notice An app or adapter must be a contract.
    error NotAContract(address account);
    /// @notice Transport id 0 is reserved.
    error ReservedTransport();
    /// @notice The outbound message rate limit to that chain is exhausted.
    error OutboundRateLimited(uint64 chainId);
    /// @notice The inbound message rate limit from that chain is exhausted.
    error InboundRateLimited(uint64 chainId);
    /// @notice A chain cannot be its own peer.
    error SelfPeer();

    constructor(address admin, address guardian, uint48 window, uint208 outboundCapacity, uint208 inboundCapacity) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GUARDIAN_ROLE, guardian);
        _setRateLimits(window, outboundCapacity, inboundCapacity);
    }

    // ------------------------------------------------------------------ sending

    /// @notice Sends `payload` from the calling app to the same app on `dstChainId` through `transport`; pay the
    ///         transport's fee ({quote}) as value, excess to `refundTo`.
    /// @return nonce The message's nonce here (its id is {messageId}(this chain, this router, nonce)).
    function send(uint64 dstChainId, uint8 transport, bytes calldata payload, address refundTo)
        external
        payable
        nonReentrant
        whenNotPaused
        returns (uint64 nonce)
    {
        bytes32 appId = appIdOf[msg.sender];
        if (appId == bytes32(0)) revert NotAnApp(msg.sender);
        if (peerOf[dstChainId] == address(0)) revert UnknownPeer(dstChainId, address(0));
        ITransportAdapter adapter = _adapter(transport);
        if (!_outbound.tryConsume(bytes32(uint256(dstChainId)), 1)) revert OutboundRateLimited(dstChainId);
        nonce = ++outboundNonce;
        bytes memory envelope = abi.encode(
            Envelope({
                srcChainId: uint64(block.chainid),
                srcRouter: address(this),
                dstChainId: dstChainId,
                nonce: nonce,
                app: appId,
                payload: payload
            })
        );
        sentHash[nonce] = keccak256(envelope);
        bytes32 id = messageId(uint64(block.chainid), address(this), nonce);
        emit MessageSent(id, dstChainId, nonce, appId, transport, envelope);
        adapter.send{value: msg.value}(dstChainId, envelope, refundTo);
    }

    /// @notice Sends an envelope this router sent before again, through `transport` (either one). Anyone may pay
    ///         for a retry: the destination delivers a message at most once whichever copy arrives first.
    function retry(bytes calldata envelope, uint8 transport, address refundTo) external payable nonReentrant whenNotPaused {
        Envelope memory env = abi.decode(envelope, (Envelope));
        if (env.srcChainId != block.chainid || env.srcRouter != address(this) || sentHash[env.nonce] != keccak256(envelope)) {
            revert NotSentHere(env.nonce);
        }
        ITransportAdapter adapter = _adapter(transport);
        emit MessageRetried(messageId(env.srcChainId, env.srcRouter, env.nonce), env.dstChainId, env.nonce, transport);
        adapter.send{value: msg.value}(env.dstChainId, envelope, refundTo);
    }

    /// @notice The fee `transport` asks to carry a payload of `payload` to `dstChainId` from app `appId`.
    function quote(uint64 dstChainId, uint8 transport, bytes32 appId, bytes calldata payload)
        external
        view
        returns (uint256)
    {
        bytes memory envelope = abi.encode(
            Envelope({
                srcChainId: uint64(block.chainid),
                srcRouter: address(this),
                dstChainId: dstChainId,
                nonce: outboundNonce + 1,
                app: appId,
                payload: payload
            })
        );
        return _adapter(transport).quote(dstChainId, envelope);
    }

    // ---------------------------------------------------------------- receiving

    /// @inheritdoc IRouterInbound
    function receiveMessage(uint64 srcChainId, bytes calldata envelope) external nonReentrant whenNotPaused {
        uint8 transport = transportOf[msg.sender];
        if (transport == 0) revert NotAnAdapter(msg.sender);
        Envelope memory env = abi.decode(envelope, (Envelope));
        if (env.srcChainId != srcChainId) revert WrongSourceChain(env.srcChainId, srcChainId);
        address peer = peerOf[srcChainId];
        if (peer == address(0) || peer != env.srcRouter) revert UnknownPeer(srcChainId, env.srcRouter);
        if (env.dstChainId != block.chainid) revert WrongDestinationChain(env.dstChainId);
        bytes32 id = messageId(env.srcChainId, env.srcRouter, env.nonce);
        uint8 first = deliveredVia[id];
        if (first != 0) {
            emit DuplicateDropped(id, transport, first);
            return;
        }
        address app = appOf[env.app];
        if (app == address(0)) revert UnknownApp(env.app);
        if (!_inbound.tryConsume(bytes32(uint256(srcChainId)), 1)) revert InboundRateLimited(srcChainId);
        deliveredVia[id] = transport;
        emit MessageDelivered(id, srcChainId, env.nonce, env.app, transport);
        IRouterApp(app).onRouterMessage(srcChainId, env.nonce, env.payload);
    }

    // ------------------------------------------------------------------- config

    /// @notice Sets the adapter for transport id `transport` (nonzero). The zero address removes it.
    function setAdapter(uint8 transport, address adapter) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (transport == 0) revert ReservedTransport();
        if (adapter != address(0) && adapter.code.length == 0) revert NotAContract(adapter);
        if (adapter != address(0) && appIdOf[ITransportAdapter(adapter).protocolEndpoint()] != bytes32(0)) {
            revert ForbiddenApp(ITransportAdapter(adapter).protocolEndpoint());
        }
        address old = address(adapterOf[transport]);
        if (old != address(0)) delete transportOf[old];
        else _transports.push(transport);
        // An adapter serves one transport id: moving it leaves nothing behind under its old id.
        uint8 previous = adapter == address(0) ? 0 : transportOf[adapter];
        if (previous != 0 && previous != transport) {
            delete adapterOf[previous];
            emit AdapterSet(previous, address(0));
        }
        adapterOf[transport] = ITransportAdapter(adapter);
        if (adapter != address(0)) transportOf[adapter] = transport;
        emit AdapterSet(transport, adapter);
    }

    /// @notice Registers `app` under `appId`. The router, its adapters and their protocol contracts are refused:
    ///         a message can never be addressed to the endpoint, the mailbox or a configuration contract.
    function registerApp(bytes32 appId, address app) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (app == address(this) || transportOf[app] != 0 || _isProtocolContract(app)) revert ForbiddenApp(app);
        if (app.code.length == 0) revert NotAContract(app);
        address old = appOf[appId];
        if (old != address(0)) delete appIdOf[old];
        // An app has one id: registering it under a new one retires the old.
        bytes32 previous = appIdOf[app];
        if (previous != bytes32(0) && previous != appId) delete appOf[previous];
        appOf[appId] = app;
        appIdOf[app] = appId;
        emit AppRegistered(appId, app);
    }

    /// @notice Allowlists `router` as the peer router on `chainId` (zero removes it).
    function setPeer(uint64 chainId, address router) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (chainId == block.chainid) revert SelfPeer();
        peerOf[chainId] = router;
        emit PeerSet(chainId, router);
    }

    /// @notice Sets the per-chain message rate limits: at most `outboundCapacity` messages to, and
    ///         `inboundCapacity` from, each chain per `window` seconds (refilling linearly).
    function setRateLimits(uint48 window, uint208 outboundCapacity, uint208 inboundCapacity)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _setRateLimits(window, outboundCapacity, inboundCapacity);
    }

    /// @notice Stops sending and receiving (guardian).
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @notice Resumes (admin).
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    // -------------------------------------------------------------------- views

    /// @notice The identity of message `nonce` of the router `srcRouter` on `srcChainId`.
    function messageId(uint64 srcChainId, address srcRouter, uint64 nonce) public pure returns (bytes32) {
        return keccak256(abi.encode(srcChainId, srcRouter, nonce));
    }

    /// @notice Messages that may still go to `chainId` now.
    function outboundAvailable(uint64 chainId) external view returns (uint256) {
        return _outbound.available(bytes32(uint256(chainId)));
    }

    /// @notice Messages that may still arrive from `chainId` now.
    function inboundAvailable(uint64 chainId) external view returns (uint256) {
        return _inbound.available(bytes32(uint256(chainId)));
    }

    // ---------------------------------------------------------------- internals

    function _adapter(uint8 transport) private view returns (ITransportAdapter adapter) {
        adapter = adapterOf[transport];
        if (address(adapter) == address(0)) revert UnknownTransport(transport);
    }

    function _isProtocolContract(address account) private view returns (bool) {
        for (uint256 i = 0; i < _transports.length; ++i) {
            ITransportAdapter adapter = adapterOf[_transports[i]];
            if (address(adapter) != address(0) && adapter.protocolEndpoint() == account) return true;
        }
        return false;
    }

    function _setRateLimits(uint48 window, uint208 outboundCapacity, uint208 inboundCapacity) private {
        _outbound.updateSettings(window, outboundCapacity);
        _inbound.updateSettings(window, inboundCapacity);
        emit RateLimitsSet(window, outboundCapacity, inboundCapacity);
    }
}
