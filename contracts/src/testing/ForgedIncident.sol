// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

/// @title ForgedIncident
/// @notice Test fixture: emits an `IncidentRecorded` event shaped exactly like the insurance pool's, for an order
///         it does not insure. Readers of incidents (the oracle nodes' history) must ignore it.
contract ForgedIncident {
    /// @notice The insurance pool's event, copied.
    event IncidentRecorded(uint64 indexed machineId, uint256 indexed orderId, uint256 claimId, uint32 incidents);

    /// @notice Emits a forged incident.
    /// @param machineId The machine to smear.
    /// @param orderId The order named.
    function forge(uint64 machineId, uint256 orderId) external {
        emit IncidentRecorded(machineId, orderId, 1, 1);
    }
}
