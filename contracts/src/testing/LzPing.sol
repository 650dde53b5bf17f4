// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OApp, Origin, MessagingFee, MessagingReceipt} from "@layerzerolabs/oapp-evm/contracts/oapp/OApp.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title LzPing
/// @notice Test fixture: the smallest LayerZero v2 OApp. It sends arbitrary payloads to its peer on another
///         endpoint and records every payload it receives, so the bridge suite can check end-to-end delivery
///         by the DVN and executor roles. Not part of the vending protocol.
contract LzPing is OApp {
    /// @dev Executor option type 3, worker 1 (executor), option 1 (lzReceive): the gas lzReceive runs with.
    uint16 private constant OPTIONS_TYPE_3 = 3;
    uint8 private constant EXECUTOR_WORKER_ID = 1;
    uint8 private constant OPTION_TYPE_LZRECEIVE = 1;

    /// @notice Gas the executor is asked to give `lzReceive` on the destination.
    uint128 public lzReceiveGas = 200_000;
    /// @notice When set, `lzReceive` reverts with `PingRefused` (to exercise the executor's alert path).
    bool public fail;
    /// @notice Every payload received, in delivery order.
    bytes[] public received;

    /// @notice Emitted for every payload delivered to this contract.
    event Pinged(uint32 indexed srcEid, bytes32 indexed sender, uint64 nonce, bytes32 guid, bytes payload);
    /// @notice Emitted for every payload sent.
    event PingSent(uint32 indexed dstEid, bytes32 guid, uint64 nonce, bytes payload);

    /// @notice `lzReceive` was told to fail.
    error PingRefused(bytes32 guid);

    /// @param endpoint The local EndpointV2.
    /// @param owner_ Owner and endpoint delegate (sets peers and configs).
    constructor(address endpoint, address owner_) OApp(endpoint, owner_) Ownable(owner_) {}

    /// @notice The type-3 options this contract sends with: one executor lzReceive option.
    function options() public view returns (bytes memory) {
        return abi.encodePacked(OPTIONS_TYPE_3, EXECUTOR_WORKER_ID, uint16(17), OPTION_TYPE_LZRECEIVE, lzReceiveGas);
    }

    /// @notice The native fee `send(dstEid, payload)` costs now.
    function quote(uint32 dstEid, bytes calldata payload) external view returns (uint256) {
        MessagingFee memory fee = _quote(dstEid, payload, options(), false);
        return fee.nativeFee;
    }

    /// @notice Sends `payload` to the peer on `dstEid`; any value above the fee is refunded to the caller.
    function send(uint32 dstEid, bytes calldata payload) external payable returns (bytes32 guid, uint64 nonce) {
        MessagingReceipt memory receipt =
            _lzSend(dstEid, payload, options(), MessagingFee(msg.value, 0), payable(msg.sender));
        emit PingSent(dstEid, receipt.guid, receipt.nonce, payload);
        return (receipt.guid, receipt.nonce);
    }

    /// @notice Makes `lzReceive` revert (or not).
    function setFail(bool fail_) external onlyOwner {
        fail = fail_;
    }

    /// @notice Sets the lzReceive gas asked of the executor.
    function setLzReceiveGas(uint128 gas) external onlyOwner {
        lzReceiveGas = gas;
    }

    /// @notice How many payloads were received.
    function receivedCount() external view returns (uint256) {
        return received.length;
    }

    function _lzReceive(Origin calldata origin, bytes32 guid, bytes calldata payload, address, bytes calldata)
        internal
        override
    {
        if (fail) revert PingRefused(guid);
        received.push(payload);
        emit Pinged(origin.srcEid, origin.sender, origin.nonce, guid, payload);
    }
}
