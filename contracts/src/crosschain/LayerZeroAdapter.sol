// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {OApp, Origin, MessagingFee} from "@layerzerolabs/oapp-evm/contracts/oapp/OApp.sol";
import {SetConfigParam} from "@layerzerolabs/lz-evm-protocol-v2/contracts/interfaces/IMessageLibManager.sol";
import {ITransportAdapter, IRouterInbound} from "./ITransport.sol";

/// @title LayerZeroAdapter
/// @notice Carries {CrossChainRouter} envelopes over LayerZero v2: an OApp whose peers are the adapters on the
///         other chains. The endpoint authenticates the source (DVN quorum per the ULN config) and the OApp checks
///         the sender is the peer for that endpoint id before anything reaches the router.
///
///         Security invariant, checked after every configuration change this adapter makes: on every pathway it
///         serves, the effective ULN config (send and receive library) names at least {MIN_REQUIRED_DVNS} required
///         DVNs (optional DVNs and their threshold come on top), so an admin mistake can never reduce the quorum to
///         one verifier or none.
contract LayerZeroAdapter is OApp, ITransportAdapter {
    /// @notice The fewest required DVNs on any pathway.
    uint8 public constant MIN_REQUIRED_DVNS = 2;
    /// @notice The ULN config type in LayerZero's message libraries.
    uint32 public constant CONFIG_TYPE_ULN = 2;

    /// @notice LayerZero's ULN configuration, as the message libraries encode it.
    struct UlnConfig {
        uint64 confirmations;
        uint8 requiredDVNCount;
        uint8 optionalDVNCount;
        uint8 optionalDVNThreshold;
        address[] requiredDVNs;
        address[] optionalDVNs;
    }

    /// @notice The router this adapter serves.
    IRouterInbound public immutable router;
    /// @notice Gas the executor is asked to give `lzReceive` on the destination.
    uint128 public receiveGas;
    /// @notice Chain id => LayerZero endpoint id.
    mapping(uint64 chainId => uint32) public eidOf;
    /// @notice LayerZero endpoint id => chain id.
    mapping(uint32 eid => uint64) public chainIdOf;
    uint32[] private _eids;

    /// @notice A route to a chain was set.
    event RouteSet(uint64 indexed chainId, uint32 eid, bytes32 peer);
    /// @notice The destination gas limit changed.
    event ReceiveGasSet(uint128 gas);

    /// @notice Only the router may send.
    error OnlyRouter(address caller);
    /// @notice No route to that chain.
    error NoRoute(uint64 chainId);
    /// @notice The fee paid does not cover the quote.
    error InsufficientFee(uint256 paid, uint256 required);
    /// @notice A pathway's effective ULN config requires fewer than {MIN_REQUIRED_DVNS} DVNs.
    error QuorumBelowMinimum(uint32 eid, address lib, uint8 requiredDVNCount, uint8 optionalDVNThreshold);

    constructor(address endpoint_, address owner_, address router_, uint128 receiveGas_)
        OApp(endpoint_, owner_)
        Ownable(owner_)
    {
        router = IRouterInbound(router_);
        receiveGas = receiveGas_;
        emit ReceiveGasSet(receiveGas_);
    }

    /// @notice Routes `chainId` to endpoint id `eid`, whose adapter is `peer`; checks the pathway's security.
    function setRoute(uint64 chainId, uint32 eid, bytes32 peer) external onlyOwner {
        if (chainIdOf[eid] == 0) _eids.push(eid);
        eidOf[chainId] = eid;
        chainIdOf[eid] = chainId;
        _setPeer(eid, peer);
        emit RouteSet(chainId, eid, peer);
        checkSecurity(eid);
    }

    /// @notice Sets this OApp's own config on message library `lib` (e.g. its ULN DVN set and confirmations for
    ///         a pathway) through the endpoint, then re-checks every pathway's security invariant.
    function setLibraryConfig(address lib, SetConfigParam[] calldata params) external onlyOwner {
        endpoint.setConfig(address(this), lib, params);
        for (uint256 i = 0; i < _eids.length; ++i) {
            checkSecurity(_eids[i]);
        }
    }

    /// @notice Sets the gas the executor gives `lzReceive` on destinations.
    function setReceiveGas(uint128 gas) external onlyOwner {
        receiveGas = gas;
        emit ReceiveGasSet(gas);
    }

    /// @inheritdoc ITransportAdapter
    function quote(uint64 dstChainId, bytes calldata envelope) external view returns (uint256) {
        return _quote(_eid(dstChainId), envelope, _options(), false).nativeFee;
    }

    /// @inheritdoc ITransportAdapter
    function send(uint64 dstChainId, bytes calldata envelope, address refundTo) external payable {
        if (msg.sender != address(router)) revert OnlyRouter(msg.sender);
        uint32 eid = _eid(dstChainId);
        bytes memory options = _options();
        uint256 fee = _quote(eid, envelope, options, false).nativeFee;
        if (msg.value < fee) revert InsufficientFee(msg.value, fee);
        // The whole value goes to the endpoint, which refunds any excess to `refundTo`.
        _lzSend(eid, envelope, options, MessagingFee(msg.value, 0), refundTo);
    }

    /// @inheritdoc ITransportAdapter
    function protocolEndpoint() external view returns (address) {
        return address(endpoint);
    }

    /// @notice Reverts with {QuorumBelowMinimum} unless both the send and the receive library's effective ULN
    ///         config for `eid` require at least {MIN_REQUIRED_DVNS} DVNs.
    function checkSecurity(uint32 eid) public view {
        (address sendLib,) = _libs(eid);
        _checkLib(eid, sendLib);
        (, address receiveLib) = _libs(eid);
        _checkLib(eid, receiveLib);
    }

    /// @notice The effective ULN config of library `lib` for pathway `eid`.
    function ulnConfig(uint32 eid, address lib) public view returns (UlnConfig memory) {
        return abi.decode(endpoint.getConfig(address(this), lib, eid, CONFIG_TYPE_ULN), (UlnConfig));
    }

    // ---------------------------------------------------------------- internals

    function _lzReceive(Origin calldata origin, bytes32, bytes calldata message, address, bytes calldata)
        internal
        override
    {
        // OApp.lzReceive already checked: the caller is the endpoint and origin.sender is our peer for srcEid.
        router.receiveMessage(chainIdOf[origin.srcEid], message);
    }

    /// @dev The endpoint forwards the whole value; it refunds the excess itself.
    function _payNative(uint256 nativeFee) internal pure override returns (uint256) {
        return nativeFee;
    }

    function _eid(uint64 chainId) private view returns (uint32 eid) {
        eid = eidOf[chainId];
        if (eid == 0) revert NoRoute(chainId);
    }

    /// @dev Type-3 options with one executor lzReceive option: `0x0003 | worker 1 | size 17 | type 1 | gas`.
    function _options() private view returns (bytes memory) {
        return abi.encodePacked(uint16(3), uint8(1), uint16(17), uint8(1), receiveGas);
    }

    function _libs(uint32 eid) private view returns (address sendLib, address receiveLib) {
        sendLib = endpoint.getSendLibrary(address(this), eid);
        (receiveLib,) = endpoint.getReceiveLibrary(address(this), eid);
    }

    function _checkLib(uint32 eid, address lib) private view {
        UlnConfig memory c = ulnConfig(eid, lib);
        if (c.requiredDVNCount < MIN_REQUIRED_DVNS) {
            revert QuorumBelowMinimum(eid, lib, c.requiredDVNCount, c.optionalDVNThreshold);
        }
    }
}
